//! The human summary of a scan: what the release holds (the model, its datasets, files by kind
//! and format), every safety finding, and how fast it was hashed. Plain text that reads well
//! without colour; bold headings and coloured severities when colour is on.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::Value;

use crate::finding::{Finding, Severity};
use crate::inspect::Kind;
use crate::report::human_bytes;
use crate::scan::Scan;
use crate::text::escape;

/// `1234567` -> `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

struct Style {
    color: bool,
}

impl Style {
    fn bold(&self, s: &str) -> String {
        if self.color {
            format!("\x1b[1m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }

    fn severity(&self, s: Severity) -> String {
        let text = format!("{:<7}", s.as_str());
        if !self.color {
            return text;
        }
        let code = match s {
            Severity::Error => "1;31",
            Severity::Warning => "1;33",
            Severity::Info => "2",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }
}

/// Renders the scan summary for `release` (the folder as the user named it).
pub fn scan_summary(scan: &Scan, release: &str, color: bool) -> String {
    let style = Style { color };
    let statement = &scan.statement;
    let predicate = &statement.predicate;
    let files = &predicate.files;
    let mut out = String::new();
    let _ = writeln!(out, "{} {}", style.bold("release"), escape(release));
    let _ = writeln!(
        out,
        "  files   {} ({})",
        files.len(),
        human_bytes(scan.bytes)
    );
    let _ = writeln!(out, "  root    sha256:{}", predicate.root.sha256);
    let _ = writeln!(out, "  created {}", predicate.created);

    if let Some(model) = &predicate.model {
        let _ = writeln!(out, "\n{}", style.bold("model"));
        model_lines(model, &mut out);
    }
    if !predicate.datasets.is_empty() {
        let _ = writeln!(out, "\n{}", style.bold("datasets"));
        for d in &predicate.datasets {
            dataset_line(d, &mut out);
        }
    }

    let mut by_kind: BTreeMap<Kind, (usize, u64, BTreeSet<&str>)> = BTreeMap::new();
    for f in files {
        let row = by_kind.entry(f.kind).or_default();
        row.0 += 1;
        row.1 += f.size;
        row.2.insert(f.format.as_str());
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{}",
        style.bold(&format!(
            "{:<10} {:>6} {:>11}  formats",
            "kind", "files", "size"
        ))
    );
    for kind in Kind::ALL {
        if let Some((count, bytes, formats)) = by_kind.get(&kind) {
            let formats: Vec<&str> = formats.iter().copied().collect();
            let _ = writeln!(
                out,
                "{:<10} {count:>6} {:>11}  {}",
                kind.as_str(),
                human_bytes(*bytes),
                formats.join(", ")
            );
        }
    }

    findings_section(
        files.iter().flat_map(|f| &f.findings).collect(),
        &style,
        &mut out,
    );
    let _ = writeln!(out);
    let seconds = scan.elapsed.as_secs_f64();
    #[allow(clippy::cast_precision_loss)] // display only
    let rate = if seconds > 0.0 {
        scan.bytes as f64 / seconds / 1e9
    } else {
        0.0
    };
    #[allow(clippy::cast_precision_loss)]
    let files_rate = if seconds > 0.0 {
        files.len() as f64 / seconds
    } else {
        0.0
    };
    let _ = writeln!(
        out,
        "hashed {} in {:.3} s ({rate:.2} GB/s, {files_rate:.0} files/s, {} workers)",
        human_bytes(scan.bytes),
        seconds,
        scan.jobs
    );
    out
}

/// Every finding, most severe first.
fn findings_section(mut findings: Vec<&Finding>, style: &Style, out: &mut String) {
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.subject.cmp(&b.subject))
            .then_with(|| a.rule.cmp(&b.rule))
    });
    let _ = writeln!(out);
    if findings.is_empty() {
        let _ = writeln!(out, "{}", style.bold("findings: none"));
    } else {
        let _ = writeln!(
            out,
            "{}",
            style.bold(&format!("findings ({})", findings.len()))
        );
        for f in findings {
            let at = f
                .location
                .as_ref()
                .and_then(|l| l.byte_offset)
                .map(|o| format!(" (byte {o})"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "{} {}  {}{at}  [{}]",
                style.severity(f.severity),
                escape(f.subject.as_deref().unwrap_or("-")),
                escape(&f.message),
                escape(&f.rule)
            );
        }
    }
}

fn model_lines(model: &Value, out: &mut String) {
    let n = |v: &Value| v.as_u64().map(thousands);
    let formats: Vec<&str> = model["formats"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if let Some(count) = n(&model["parameter_count"]) {
        let source = model["parameter_source"].as_str().unwrap_or_default();
        let _ = writeln!(out, "  parameters   {count} ({source})");
        if let Some(all) = model["parameters"].as_object().filter(|m| m.len() > 1) {
            let per: Vec<String> = all
                .iter()
                .map(|(f, c)| format!("{f} {}", n(c).unwrap_or_default()))
                .collect();
            let _ = writeln!(out, "  per format   {}", escape(&per.join(", ")));
        }
    }
    if !formats.is_empty() {
        let _ = writeln!(
            out,
            "  weights      {}, {} ({})",
            files_count(model["weights_files"].as_u64().unwrap_or(0)),
            human_bytes(model["weights_bytes"].as_u64().unwrap_or(0)),
            formats.join(", ")
        );
    }
    if let Some(dtypes) = model["dtypes"].as_object().filter(|m| !m.is_empty()) {
        let per: Vec<String> = dtypes
            .iter()
            .map(|(d, c)| format!("{d} {}", n(c).unwrap_or_default()))
            .collect();
        let _ = writeln!(out, "  dtypes       {}", escape(&per.join(", ")));
    }
    let arch = &model["architecture"];
    if arch.is_object() {
        let mut parts = Vec::new();
        for (key, label) in [
            ("layers", "layers"),
            ("hidden_size", "hidden"),
            ("attention_heads", "heads"),
            ("kv_heads", "kv heads"),
            ("vocabulary", "vocabulary"),
            ("context_length", "context"),
        ] {
            if let Some(v) = n(&arch[key]) {
                parts.push(format!("{label} {v}"));
            }
        }
        let name = arch["model_type"].as_str().unwrap_or("?");
        let classes: Vec<&str> = arch["architectures"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let classes = if classes.is_empty() {
            String::new()
        } else {
            format!(" ({})", classes.join(", "))
        };
        let _ = writeln!(
            out,
            "  architecture {}: {}",
            escape(&format!("{name}{classes}")),
            parts.join(", ")
        );
    }
}

fn dataset_line(d: &Value, out: &mut String) {
    let formats: Vec<&str> = d["formats"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let records = d["records"]
        .as_u64()
        .map(|r| format!(", {} records", thousands(r)))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "  {:<12} {}, {}{records} ({})",
        escape(d["path"].as_str().unwrap_or_default()),
        files_count(d["files"].as_u64().unwrap_or(0)),
        human_bytes(d["bytes"].as_u64().unwrap_or(0)),
        formats.join(", ")
    );
}

/// `1 file`, `3 files`.
fn files_count(n: u64) -> String {
    if n == 1 {
        "1 file".to_owned()
    } else {
        format!("{} files", thousands(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(158_016), "158,016");
        assert_eq!(thousands(70_553_706_496), "70,553,706,496");
    }
}
