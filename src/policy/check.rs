//! A check: every pack over one manifest, and the report that comes out of it. The report is
//! data (documented in `docs/policies.md`, `schema_version` 1); renderers in `report/` turn it
//! into a table, JSON, SARIF, JUnit or Markdown, and [`CheckReport::findings`] gives the exit
//! status its input.
//!
//! Findings point where a reviewer acts: the line of the `scelle.yaml` field a rule reads (or of
//! the dataset entry it names), else the file concerned.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::eval::{self, Counts, PackResult, RuleResult};
use super::facts::{Facts, Source, VerificationFacts};
use super::pack::Pack;
use crate::finding::{Finding, Location, Outcome, Severity};
use crate::manifest::Generator;
use crate::manifest::descriptor::{FILE_NAME, locate};
use crate::yaml::Pos;

/// Version of the JSON report's layout.
pub const SCHEMA_VERSION: u32 = 1;

/// What every report says about itself.
pub const DISCLAIMER: &str = "scelle reports whether evidence is present, missing or \
inconsistent for each rule's reading of the cited provisions; it does not certify compliance \
and is not legal advice";

/// What was checked.
#[derive(Debug, Clone, Serialize)]
pub struct Subject {
    /// `folder`, `manifest` or `bundle`.
    pub kind: String,
    /// The name of the folder or file checked (never an absolute path).
    pub name: String,
    /// The release's root digest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root: Option<String>,
    pub files: usize,
    /// Whether a `scelle.yaml` declaration was present.
    pub declared: bool,
}

/// The positions of the declaration's fields, when its file is at hand.
#[derive(Debug, Clone, Default)]
pub struct Positions {
    pub fields: BTreeMap<String, Pos>,
}

/// Totals over every pack.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Summary {
    pub packs: usize,
    pub packs_applicable: usize,
    pub rules: Counts,
    /// Failures by reported severity.
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub schema_version: u32,
    pub generator: Generator,
    pub subject: Subject,
    pub as_of: String,
    pub verification: VerificationFacts,
    pub packs: Vec<PackResult>,
    pub summary: Summary,
    pub disclaimer: &'static str,
}

/// Runs `packs` over a manifest.
pub fn run(
    source: Source<'_>,
    verification: VerificationFacts,
    subject: Subject,
    packs: &[Pack],
    as_of: &str,
    positions: Option<&Positions>,
) -> CheckReport {
    let facts = Facts::new(source, &verification, as_of, |name| {
        packs.iter().any(|p| p.reads(name))
    });
    let ctx = facts.context();
    let files = source.paths();
    let dataset_ids: Vec<Option<String>> = facts
        .declared
        .get("datasets")
        .and_then(Value::as_array)
        .map(|ds| {
            ds.iter()
                .map(|d| {
                    d.get("id")
                        .and_then(Value::as_str)
                        .or_else(|| d.get("name").and_then(Value::as_str))
                        .map(str::to_owned)
                })
                .collect()
        })
        .unwrap_or_default();
    let locator = Locator {
        positions,
        files: &files,
        dataset_ids: &dataset_ids,
    };
    let mut results: Vec<PackResult> = packs
        .iter()
        .map(|pack| {
            let mut result = eval::evaluate(pack, &ctx, as_of);
            for r in &mut result.results {
                if matches!(r.outcome, Outcome::Fail | Outcome::Error) {
                    r.locations = locator.locate(r);
                }
            }
            result
        })
        .collect();
    for r in &mut results {
        r.results.sort_by(|a, b| a.id.cmp(&b.id));
    }
    let mut summary = Summary {
        packs: results.len(),
        packs_applicable: results.iter().filter(|p| p.applies).count(),
        ..Summary::default()
    };
    for r in results.iter().flat_map(|p| &p.results) {
        summary.rules.add(r.outcome);
        if r.outcome == Outcome::Fail {
            match r.severity {
                Severity::Error => summary.errors += 1,
                Severity::Warning => summary.warnings += 1,
                Severity::Info => summary.infos += 1,
            }
        }
    }
    CheckReport {
        schema_version: SCHEMA_VERSION,
        generator: Generator::this(),
        subject,
        as_of: as_of.to_owned(),
        verification,
        packs: results,
        summary,
        disclaimer: DISCLAIMER,
    }
}

struct Locator<'a> {
    positions: Option<&'a Positions>,
    files: &'a [&'a str],
    dataset_ids: &'a [Option<String>],
}

impl Locator<'_> {
    fn at(&self, path: &str) -> Location {
        let pos = self
            .positions
            .and_then(|p| locate(&p.fields, path))
            .filter(|p| p.line > 0);
        Location {
            file: FILE_NAME.into(),
            line: pos.map(|p| p.line),
            column: pos.map(|p| p.column),
            byte_offset: None,
        }
    }

    /// Each subject where it is (a field path, a dataset id, a file), else the rule's field,
    /// else the declaration itself.
    fn locate(&self, r: &RuleResult) -> Vec<Location> {
        let mut out = Vec::new();
        for subject in &r.subjects {
            if self.files.contains(&subject.as_str()) {
                out.push(Location {
                    file: subject.clone(),
                    line: None,
                    column: None,
                    byte_offset: None,
                });
            } else if let Some(i) = self
                .dataset_ids
                .iter()
                .position(|id| id.as_deref() == Some(subject.as_str()))
            {
                let rest = r
                    .field
                    .as_deref()
                    .and_then(|f| f.strip_prefix("datasets."))
                    .map(|f| format!(".{f}"))
                    .unwrap_or_default();
                out.push(self.at(&format!("datasets[{i}]{rest}")));
            } else if self
                .positions
                .is_some_and(|p| p.fields.contains_key(subject.as_str()))
            {
                out.push(self.at(subject));
            }
        }
        if out.is_empty() {
            out.push(self.at(r.field.as_deref().unwrap_or("")));
        }
        out.dedup();
        out
    }
}

impl CheckReport {
    /// One finding per rule that ran, for the exit status.
    pub fn findings(&self) -> Vec<Finding> {
        self.packs
            .iter()
            .flat_map(|p| &p.results)
            .map(|r| Finding {
                rule: r.id.clone(),
                severity: r.severity,
                outcome: r.outcome,
                message: r.message.clone(),
                subject: r.field.clone(),
                location: r.locations.first().cloned(),
                reference: Some(r.reference.clone()),
                fix: Some(r.fix.clone()),
            })
            .collect()
    }
}
