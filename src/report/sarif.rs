//! SARIF 2.1.0 for code-scanning dashboards: one run, one rule descriptor per rule of the packs
//! that ran (with its article in `helpUri` and `properties`), one result per failing rule,
//! located at the `scelle.yaml` line of the field it concerns or at the file it names. Rules that
//! pass or do not apply are counted in the run's properties, not listed as results.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::finding::{Location, Outcome, Severity};
use crate::policy::{CheckReport, RuleResult};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

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

fn physical(l: &Location) -> Value {
    let mut location = json!({
        "physicalLocation": {
            "artifactLocation": {"uri": uri(&l.file), "uriBaseId": "RELEASE"}
        }
    });
    if let Some(line) = l.line {
        let mut region = json!({"startLine": line});
        if let Some(column) = l.column {
            region["startColumn"] = json!(column);
        }
        location["physicalLocation"]["region"] = region;
    }
    location
}

fn result(r: &RuleResult, index: usize, pack: &str) -> Value {
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
    json!({
        "ruleId": r.id,
        "ruleIndex": index,
        "kind": "fail",
        "level": if r.outcome == Outcome::Error { "error" } else { level(r.severity) },
        "message": {"text": text},
        "locations": r.locations.iter().map(physical).collect::<Vec<_>>(),
        "properties": properties,
    })
}

/// The SARIF log, two-space indented, final newline.
pub fn render(report: &CheckReport) -> Vec<u8> {
    let mut rules = Vec::new();
    let mut results = Vec::new();
    for pack in &report.packs {
        for r in &pack.results {
            let index = rules.len();
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
            rules.push(descriptor);
            if matches!(r.outcome, Outcome::Fail | Outcome::Error) {
                results.push(result(r, index, &pack.name));
            }
        }
    }
    let s = &report.summary;
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "scelle",
                "version": report.generator.version,
                "informationUri": "https://scelle.dev",
                "rules": rules,
            }},
            "originalUriBaseIds": {
                "RELEASE": {"description": {"text": format!("the release `{}`", report.subject.name)}}
            },
            "invocations": [{"executionSuccessful": true}],
            "results": results,
            "properties": {
                "asOf": report.as_of,
                "subject": report.subject,
                "verification": report.verification,
                "counts": s.rules,
                "disclaimer": report.disclaimer,
            },
        }],
    });
    let mut out = serde_json::to_vec_pretty(&log).unwrap_or_default();
    out.push(b'\n');
    out
}
