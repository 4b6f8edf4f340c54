//! SARIF 2.1.0 for code-scanning dashboards, one run per log.
//!
//! `check`: one rule descriptor per rule of the packs that ran (its article in `helpUri` and
//! `properties`), one result per failing rule, located at the `scelle.yaml` line of the field it
//! concerns or at the file it names. `scan`: one rule descriptor per finding code of the
//! catalogue, one result per finding on a file, with the byte offset when it has one. Both list
//! waived results with a `suppressions` entry (`inSource` for `scelle.yaml` waivers, `external`
//! for `--waivers` files) and expired or unused waivers as results of their own codes.
//!
//! Paths are relative to `%SRCROOT%`, the repository holding the release (or `--sarif-root`), so
//! that a release in a subfolder of a repository lands on the right files in GitHub code
//! scanning; `originalUriBaseIds` also names the release folder as `RELEASE`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::codes::{self, Code};
use crate::finding::{Finding, Location, Outcome, Severity};
use crate::policy::{CheckReport, RuleResult};
use crate::waiver::{Applied, Origin, Status, WaiverStatus};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The base every result path is relative to.
pub const SRCROOT: &str = "%SRCROOT%";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A relative path as a URI reference: every byte outside the unreserved set and `/` escaped.
pub fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Where result paths are rooted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roots {
    /// The root, resolved.
    root: PathBuf,
    /// The release folder relative to the root, `/`-separated, ending in `/`; empty when the
    /// release is the root.
    pub release: String,
    /// What the root is, in words (never its absolute path).
    pub what: String,
}

/// Why the SARIF root cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RootError {
    #[error("cannot resolve `{}`", .path.display())]
    Resolve {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the release is not inside `--sarif-root {}`", .0.display())]
    Outside(PathBuf),
}

impl RootError {
    pub fn hint(&self) -> Option<String> {
        match self {
            RootError::Outside(_) => {
                Some("give the repository folder that holds the release".into())
            }
            RootError::Resolve { .. } => None,
        }
    }
}

impl Roots {
    /// The root for a release folder: `--sarif-root` when given, else the nearest folder above
    /// the release holding `.git` (a repository or a worktree), else the release itself.
    pub fn find(release: &Path, sarif_root: Option<&Path>) -> Result<Roots, RootError> {
        let resolve = |p: &Path| {
            fs_err::canonicalize(p).map_err(|e| RootError::Resolve {
                path: p.to_path_buf(),
                source: e,
            })
        };
        let release_abs = resolve(release)?;
        let (root, what) = match sarif_root {
            Some(r) => (resolve(r)?, "the folder given by `--sarif-root`".to_owned()),
            None => match release_abs.ancestors().find(|a| a.join(".git").exists()) {
                Some(repo) => (
                    repo.to_path_buf(),
                    "the git repository holding the release".into(),
                ),
                None => (release_abs.clone(), "the release folder".into()),
            },
        };
        let relative = release_abs
            .strip_prefix(&root)
            .map_err(|_| RootError::Outside(sarif_root.unwrap_or(release).to_path_buf()))?;
        let mut release = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        if !release.is_empty() {
            release.push('/');
        }
        Ok(Roots {
            root,
            release,
            what,
        })
    }

    /// Roots for a release that is its own root (unit tests, and `scan` of the root itself).
    pub fn release_only() -> Roots {
        Roots {
            root: PathBuf::new(),
            release: String::new(),
            what: "the release folder".into(),
        }
    }

    /// The root-relative path of a file named as the user gave it (a `--waivers` file), when
    /// it is inside the root.
    pub fn file(&self, given: &str) -> Option<String> {
        let abs = fs_err::canonicalize(given).ok()?;
        let rel = abs.strip_prefix(&self.root).ok()?;
        Some(
            rel.components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/"),
        )
    }

    fn bases(&self, release_name: &str) -> Value {
        let mut bases = json!({
            SRCROOT: {"description": {"text": format!("the root result paths are relative to: {}", self.what)}},
        });
        if !self.release.is_empty() {
            bases["RELEASE"] = json!({
                "uri": uri(&self.release),
                "uriBaseId": SRCROOT,
                "description": {"text": format!("the release `{release_name}`")},
            });
        }
        bases
    }

    /// A location in the release (`file` relative to the release folder).
    fn in_release(&self, l: &Location) -> Value {
        physical(&format!("{}{}", self.release, l.file), l)
    }

    /// Where a waiver is written, when that is inside the root.
    fn waiver_location(&self, status: &Applied) -> Option<Value> {
        let l = &status.waiver.location;
        match status.waiver.origin {
            Origin::Declaration => Some(self.in_release(l)),
            Origin::File => self.file(&l.file).map(|path| physical(&path, l)),
        }
    }
}

fn physical(path: &str, l: &Location) -> Value {
    let mut location = json!({
        "physicalLocation": {
            "artifactLocation": {"uri": uri(path), "uriBaseId": SRCROOT}
        }
    });
    let mut region = serde_json::Map::new();
    if let Some(line) = l.line {
        region.insert("startLine".into(), json!(line));
        if let Some(column) = l.column {
            region.insert("startColumn".into(), json!(column));
        }
    }
    if let Some(offset) = l.byte_offset {
        region.insert("byteOffset".into(), json!(offset));
    }
    if !region.is_empty() {
        location["physicalLocation"]["region"] = Value::Object(region);
    }
    location
}

/// The `suppressions` entry of a waived result.
fn suppression(applied: &Applied, roots: &Roots) -> Value {
    let w = &applied.waiver;
    let mut s = json!({
        "kind": match w.origin {
            Origin::Declaration => "inSource",
            Origin::File => "external",
        },
        "status": "accepted",
        "justification": codes::squash(&w.reason),
        "properties": {
            "approver": w.approver,
            "expires": w.expires,
            "waiverId": w.id,
        },
    });
    if !applied.covers.is_empty() {
        s["properties"]["covers"] = json!(applied.covers);
    }
    if let Some(location) = roots.waiver_location(applied) {
        s["location"] = location;
    }
    s
}

/// A rule descriptor from the code catalogue.
fn code_descriptor(c: &Code) -> Value {
    json!({
        "id": c.id,
        "name": c.id,
        "shortDescription": {"text": c.title},
        "fullDescription": {"text": codes::squash(c.means)},
        "help": {
            "text": format!("why: {}\nfix: {}", codes::squash(c.why), codes::squash(c.fix)),
            "markdown": format!("**Why it matters**: {}\n\n**Fix**: {}", codes::squash(c.why), codes::squash(c.fix)),
        },
        "helpUri": c.help_uri(),
        "defaultConfiguration": {"level": level(c.severity)},
        "properties": {"tags": [c.family(), "security"]},
    })
}

/// Rule descriptors, each with its index.
#[derive(Default)]
struct Rules {
    list: Vec<Value>,
    index: BTreeMap<String, usize>,
}

impl Rules {
    fn add(&mut self, id: &str, descriptor: Value) -> usize {
        if let Some(&i) = self.index.get(id) {
            return i;
        }
        let i = self.list.len();
        self.list.push(descriptor);
        self.index.insert(id.to_owned(), i);
        i
    }

    fn code(&mut self, id: &str) -> usize {
        let descriptor = codes::get(id).map_or_else(|| json!({"id": id}), code_descriptor);
        self.add(id, descriptor)
    }
}

/// Results for expired and unused waivers, at the waiver.
fn waiver_results(
    waivers: &[WaiverStatus],
    as_of: &str,
    roots: &Roots,
    rules: &mut Rules,
) -> Vec<Value> {
    let mut out = Vec::new();
    for w in waivers {
        let Some(f) = w.finding(as_of) else {
            continue;
        };
        let index = rules.code(&f.rule);
        let applied = Applied {
            waiver: w.waiver.clone(),
            covers: Vec::new(),
        };
        out.push(json!({
            "ruleId": f.rule,
            "ruleIndex": index,
            "level": level(f.severity),
            "message": {"text": f.message},
            "locations": roots.waiver_location(&applied).into_iter().collect::<Vec<_>>(),
            "properties": {"status": w.status, "reason": codes::squash(&w.waiver.reason), "approver": w.waiver.approver, "expires": w.waiver.expires},
        }));
    }
    out
}

fn result(r: &RuleResult, index: usize, pack: &str, roots: &Roots) -> Value {
    let text = match r.outcome {
        Outcome::Error => format!("{} could not be evaluated: {}", r.id, r.message),
        _ => r.message.clone(),
    };
    let mut properties = json!({
        "pack": pack,
        "outcome": r.outcome,
        "reference": r.reference,
        "fix": r.fix,
        "ruleSeverity": r.rule_severity.as_str(),
    });
    if let Some(note) = &r.note {
        properties["note"] = json!(note);
    }
    if !r.subjects.is_empty() {
        properties["subjects"] = json!(r.subjects);
    }
    let mut result = json!({
        "ruleId": r.id,
        "ruleIndex": index,
        "kind": "fail",
        "level": if r.outcome == Outcome::Error { "error" } else { level(r.severity) },
        "message": {"text": text},
        "locations": r.locations.iter().map(|l| roots.in_release(l)).collect::<Vec<_>>(),
        "properties": properties,
    });
    if r.waived {
        result["suppressions"] = r.waivers.iter().map(|a| suppression(a, roots)).collect();
    } else if !r.waivers.is_empty() {
        result["properties"]["waivedSubjects"] = json!(
            r.waivers
                .iter()
                .flat_map(|a| a.covers.clone())
                .collect::<Vec<_>>()
        );
    }
    result
}

/// A finding on a file, optionally waived.
fn file_result(
    f: &Finding,
    path: &str,
    waiver: Option<&Applied>,
    index: usize,
    roots: &Roots,
) -> Value {
    let location = f.location.clone().unwrap_or_else(|| Location {
        file: path.to_owned(),
        line: None,
        column: None,
        byte_offset: None,
    });
    let mut result = json!({
        "ruleId": f.rule,
        "ruleIndex": index,
        "kind": "fail",
        "level": level(f.severity),
        "message": {"text": f.message},
        "locations": [roots.in_release(&location)],
    });
    if let Some(w) = waiver {
        result["suppressions"] = json!([suppression(w, roots)]);
    }
    result
}

fn log(rules: &Rules, results: &[Value], bases: &Value, properties: &Value) -> Vec<u8> {
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "scelle",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://scelle.dev",
                "rules": rules.list,
            }},
            "originalUriBaseIds": bases,
            "invocations": [{"executionSuccessful": true}],
            "results": results,
            "properties": properties,
        }],
    });
    let mut out = serde_json::to_vec_pretty(&log).unwrap_or_default();
    out.push(b'\n');
    out
}

/// The SARIF log of a check, two-space indented, final newline.
pub fn render(report: &CheckReport, roots: &Roots) -> Vec<u8> {
    let mut rules = Rules::default();
    let mut results = Vec::new();
    for pack in &report.packs {
        for r in &pack.results {
            let mut descriptor = json!({
                "id": r.id,
                "shortDescription": {"text": r.title},
                "fullDescription": {"text": format!("{} ({})", r.title, r.reference)},
                "help": {"text": format!("fix: {}", r.fix)},
                "defaultConfiguration": {"level": level(r.rule_severity)},
                "properties": {
                    "pack": pack.name,
                    "reference": r.reference,
                    "tags": [pack.name.clone()],
                },
            });
            if let Some(help) = &r.help_uri {
                descriptor["helpUri"] = json!(help);
            }
            let index = rules.add(&r.id, descriptor);
            if matches!(r.outcome, Outcome::Fail | Outcome::Error) {
                results.push(result(r, index, &pack.name, roots));
            }
        }
    }
    for w in &report.waived_findings {
        let index = rules.code(&w.finding.rule);
        results.push(file_result(
            &w.finding,
            &w.path,
            Some(&w.waiver),
            index,
            roots,
        ));
    }
    results.extend(waiver_results(
        &report.waivers,
        &report.as_of,
        roots,
        &mut rules,
    ));
    let s = &report.summary;
    log(
        &rules,
        &results,
        &roots.bases(&report.subject.name),
        &json!({
            "asOf": report.as_of,
            "stage": report.stage,
            "subject": report.subject,
            "verification": report.verification,
            "signedBy": super::signer::signed_by(&report.verification)
                .filter(|_| report.verification.verified),
            "figures": report.figures,
            "counts": s.rules,
            "disclaimer": report.disclaimer,
        }),
    )
}

/// One finding of a scan with the waiver that covers it, if any.
#[derive(Debug, Clone)]
pub struct ScanFinding<'a> {
    pub path: &'a str,
    pub finding: &'a Finding,
    pub waiver: Option<Applied>,
}

/// The SARIF log of a scan's findings: every code of the catalogue's `file` family is a rule.
pub fn render_scan(
    release: &str,
    findings: &[ScanFinding<'_>],
    waivers: &[WaiverStatus],
    as_of: &str,
    roots: &Roots,
) -> Vec<u8> {
    let mut rules = Rules::default();
    for c in codes::CODES.iter().filter(|c| c.family() == "file") {
        rules.code(c.id);
    }
    let mut results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let index = rules.code(&f.finding.rule);
            file_result(f.finding, f.path, f.waiver.as_ref(), index, roots)
        })
        .collect();
    results.extend(waiver_results(waivers, as_of, roots, &mut rules));
    let applied = waivers
        .iter()
        .filter(|w| w.status == Status::Applied)
        .count();
    log(
        &rules,
        &results,
        &roots.bases(release),
        &json!({"release": release, "asOf": as_of, "findings": findings.len(), "waiversApplied": applied}),
    )
}
