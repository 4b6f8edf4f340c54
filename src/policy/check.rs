//! A check: every pack over one manifest, and the report that comes out of it. The report is
//! data (documented in `docs/policies.md`, `schema_version` 1); renderers in `report/` turn it
//! into a table, JSON, SARIF, JUnit or Markdown, and [`CheckReport::findings`] gives the exit
//! status its input.
//!
//! Findings point where a reviewer acts: the line of the `scelle.yaml` field a rule reads (or of
//! the dataset entry it names), else the file concerned (at a line, for a `path:LINE: text`
//! subject).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::eval::{self, Counts, PackResult, RuleResult, Stage};
use super::facts::{Facts, Source, VerificationFacts};
use super::figures::Figures;
use super::pack::Pack;
use crate::finding::{Finding, Location, Outcome, Severity};
use crate::manifest::Generator;
use crate::manifest::descriptor::{FILE_NAME, locate};
use crate::waiver::{Ledger, Status, WaivedFinding, WaiverStatus};
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
    /// The model as declared: `model.name` and `model.version`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The provider as declared: `provider.legal_name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The scanned model: its parameter count and weight formats.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameters: Option<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub formats: Vec<String>,
}

impl Subject {
    /// What a statement says about the model and its provider, into `self`.
    #[must_use]
    pub fn with_model(mut self, declared: Option<&Value>, model: Option<&Value>) -> Self {
        (self.model, self.provider) = declared_names(declared);
        (self.parameters, self.formats) = scanned_figures(model);
        self
    }
}

/// The parameter count and the weight formats of a scanned model summary (`predicate.model`).
pub fn scanned_figures(model: Option<&Value>) -> (Option<u64>, Vec<String>) {
    let parameters = model
        .and_then(|m| m.get("parameter_count"))
        .and_then(Value::as_u64);
    let formats = model
        .and_then(|m| m.get("formats"))
        .and_then(Value::as_array)
        .map(|f| {
            f.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    (parameters, formats)
}

/// The model (`model.name` and `model.version`) and the provider (`provider.legal_name`) a
/// declaration names.
pub fn declared_names(declared: Option<&Value>) -> (Option<String>, Option<String>) {
    let text = |path: &str| {
        declared
            .and_then(|v| v.pointer(path))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let model = match (text("/model/name"), text("/model/version")) {
        (Some(name), Some(version)) => Some(format!("{name} {version}")),
        (name, _) => name,
    };
    (model, text("/provider/legal_name"))
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
    /// Failures not waived, by reported severity.
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    /// File findings a waiver took out of what the packs saw.
    pub waived_findings: usize,
    /// Waivers that expired, and waivers that matched nothing.
    pub waivers_expired: usize,
    pub waivers_unused: usize,
}

/// How a check is made, besides the manifest and the packs.
#[derive(Debug)]
pub struct Options<'a> {
    /// `YYYY-MM-DD`.
    pub as_of: &'a str,
    pub stage: Stage,
    pub positions: Option<&'a Positions>,
    /// The waivers of the run; file findings were already judged ([`crate::waiver::take_waived`]).
    pub ledger: Ledger,
    pub waived_findings: Vec<WaivedFinding>,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub schema_version: u32,
    pub generator: Generator,
    pub subject: Subject,
    pub as_of: String,
    /// When in the release process the check was made (`--stage`).
    pub stage: Stage,
    pub verification: VerificationFacts,
    /// Each figure the declaration states next to the one scelle counts or estimates.
    pub figures: Figures,
    pub packs: Vec<PackResult>,
    /// Findings on files that waivers took out of what the packs saw.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub waived_findings: Vec<WaivedFinding>,
    /// Every waiver of the run and what became of it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub waivers: Vec<WaiverStatus>,
    pub summary: Summary,
    pub disclaimer: &'static str,
}

/// Runs `packs` over a manifest.
pub fn run(
    source: Source<'_>,
    verification: VerificationFacts,
    subject: Subject,
    packs: &[Pack],
    options: Options<'_>,
) -> CheckReport {
    let Options {
        as_of,
        stage,
        positions,
        mut ledger,
        waived_findings,
    } = options;
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
            let mut result = eval::evaluate(pack, &ctx, as_of, stage);
            for r in &mut result.results {
                if matches!(r.outcome, Outcome::Fail | Outcome::Error) {
                    r.locations = locator.locate(r);
                }
            }
            result
        })
        .collect();
    for pack in &mut results {
        pack.results.sort_by(|a, b| a.id.cmp(&b.id));
        apply_waivers(pack, &mut ledger);
    }
    let waivers = ledger.statuses();
    let summary = summarise(&results, waived_findings.len(), &waivers);
    let figures = Figures::from_derived(&facts.derived);
    CheckReport {
        schema_version: SCHEMA_VERSION,
        generator: Generator::this(),
        subject,
        as_of: as_of.to_owned(),
        stage,
        verification,
        figures,
        packs: results,
        waived_findings,
        waivers,
        summary,
        disclaimer: DISCLAIMER,
    }
}

/// Judges each failure of a pack against the waivers; a waived one moves to `counts.waived`.
fn apply_waivers(pack: &mut PackResult, ledger: &mut Ledger) {
    for r in pack
        .results
        .iter_mut()
        .filter(|r| r.outcome == Outcome::Fail)
    {
        let subjects = if r.subjects.is_empty() {
            r.field.iter().cloned().collect()
        } else {
            r.subjects.clone()
        };
        let judgement = ledger.judge(&r.id, &subjects);
        r.waived = judgement.waived;
        r.waivers = judgement.applied;
        if let Some(note) = judgement.note {
            r.note = Some(match r.note.take() {
                Some(before) => format!("{before}; {note}"),
                None => note,
            });
        }
        if r.waived {
            pack.counts.fail -= 1;
            pack.counts.waived += 1;
        }
    }
}

/// Totals over every pack.
fn summarise(results: &[PackResult], waived_findings: usize, waivers: &[WaiverStatus]) -> Summary {
    let status = |s: Status| waivers.iter().filter(|w| w.status == s).count();
    let mut summary = Summary {
        packs: results.len(),
        packs_applicable: results.iter().filter(|p| p.applies).count(),
        waived_findings,
        waivers_expired: status(Status::Expired),
        waivers_unused: status(Status::Unused),
        ..Summary::default()
    };
    for r in results.iter().flat_map(|p| &p.results) {
        summary.rules.add(r.outcome);
        if r.waived {
            summary.rules.fail -= 1;
            summary.rules.waived += 1;
        } else if r.outcome == Outcome::Fail {
            match r.severity {
                Severity::Error => summary.errors += 1,
                Severity::Warning => summary.warnings += 1,
                Severity::Info => summary.infos += 1,
            }
        }
    }
    summary
}

/// A subject naming a line of a file, `path:LINE: text` (a model card's placeholder line).
fn file_line(subject: &str) -> Option<(&str, u32)> {
    let (file, rest) = subject.split_once(':')?;
    let (line, _) = rest.split_once(':')?;
    Some((file, line.parse().ok().filter(|n| *n > 0)?))
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
            } else if let Some((file, line)) =
                file_line(subject).filter(|(f, _)| self.files.contains(f))
            {
                out.push(Location {
                    file: file.to_owned(),
                    line: Some(line),
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
    /// The rules that do not apply because of the stage of the check, by id.
    pub fn not_applicable_at_stage(&self) -> Vec<&str> {
        let reason = self.stage.not_applicable_reason();
        self.packs
            .iter()
            .flat_map(|p| &p.results)
            .filter(|r| r.outcome == Outcome::NotApplicable && r.message == reason)
            .map(|r| r.id.as_str())
            .collect()
    }

    /// One finding per rule that ran and was not waived, and one per expired or unused
    /// waiver, for the exit status.
    pub fn findings(&self) -> Vec<Finding> {
        let waivers = self.waivers.iter().filter_map(|w| w.finding(&self.as_of));
        self.packs
            .iter()
            .flat_map(|p| &p.results)
            .filter(|r| !r.waived)
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
            .chain(waivers)
            .collect()
    }
}
