//! The human summary of a scan: what the release holds (the model, its datasets, files by kind
//! and format), every safety finding, and how fast it was hashed. Plain text that reads well
//! without colour; bold headings and coloured severities when colour is on.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::IsTerminal as _;

use serde_json::Value;

use crate::finding::Severity;
use crate::inspect::Kind;
use crate::report::sarif::ScanFinding;
use crate::report::{Output, human_bytes};
use crate::scan::Scan;
use crate::waiver::{Status, WaiverStatus};

/// The width reports wrap to when nothing says otherwise (not a terminal, no `COLUMNS`).
pub const DEFAULT_WIDTH: usize = 100;

/// How a human report is laid out: its width and whether it is coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    pub width: usize,
    pub color: bool,
}

impl Layout {
    /// `COLUMNS` when set, else the terminal's width when the report goes to a terminal, else
    /// [`DEFAULT_WIDTH`]; never under 40.
    pub fn for_output(output: &Output, color: bool) -> Self {
        let columns = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<usize>().ok())
            .filter(|w| *w > 0);
        let terminal = || {
            (*output == Output::Stdout && std::io::stdout().is_terminal())
                .then(terminal_size::terminal_size)
                .flatten()
                .map(|(w, _)| usize::from(w.0))
        };
        Layout {
            width: columns.or_else(terminal).unwrap_or(DEFAULT_WIDTH).max(40),
            color,
        }
    }

    /// A fixed width, for tests.
    pub fn fixed(width: usize, color: bool) -> Self {
        Layout { width, color }
    }
}

/// Appends `prefix` (`visible` characters wide once colour codes are left out) and `text`
/// broken at spaces so no line is wider than `width`; continuation lines start with `indent`
/// spaces. A word longer than a line (a path) is kept whole.
pub fn push_wrapped(
    out: &mut String,
    prefix: &str,
    visible: usize,
    text: &str,
    indent: usize,
    width: usize,
) {
    out.push_str(prefix);
    let mut column = visible;
    let mut limit = visible + width.saturating_sub(visible).max(20);
    let mut first = true;
    // Runs of spaces inside the text are kept, except where a line breaks.
    let mut pending = 0;
    for word in text.split(' ') {
        if word.is_empty() {
            pending += 1;
            continue;
        }
        let len = word.chars().count();
        let mut gap = if first { 0 } else { 1 + pending };
        if !first && column + gap + len > limit {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            column = indent;
            limit = indent + width.saturating_sub(indent).max(20);
            gap = 0;
        }
        out.push_str(&" ".repeat(gap));
        out.push_str(word);
        column += gap + len;
        first = false;
        pending = 0;
    }
    out.push('\n');
}

/// The waivers of a scan and the finding each covers.
#[derive(Debug, Clone, Copy)]
pub struct Waived<'a> {
    pub findings: &'a [ScanFinding<'a>],
    pub waivers: &'a [WaiverStatus],
}

/// `model tiny 1.0 by Example SAS · 158,016 parameters (safetensors)`: the model and provider as
/// declared and the model as scanned, or `None` when nothing is known.
pub fn model_line(
    model: Option<&str>,
    provider: Option<&str>,
    parameters: Option<u64>,
    formats: &[String],
) -> Option<String> {
    let mut parts = Vec::new();
    match (model, provider) {
        (Some(m), Some(p)) => parts.push(format!("{m} by {p}")),
        (Some(m), None) => parts.push(m.to_owned()),
        (None, Some(p)) => parts.push(format!("by {p}")),
        (None, None) => {}
    }
    if let Some(n) = parameters {
        let formats = if formats.is_empty() {
            String::new()
        } else {
            format!(" ({})", formats.join(", "))
        };
        parts.push(format!("{} parameters{formats}", thousands(n)));
    }
    (!parts.is_empty()).then(|| parts.join(" · "))
}
use crate::text::{escape, thousands};

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

    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
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
pub fn scan_summary(scan: &Scan, release: &str, waived: &Waived<'_>, layout: &Layout) -> String {
    let style = Style {
        color: layout.color,
    };
    let statement = &scan.statement;
    let predicate = &statement.predicate;
    let files = &predicate.files;
    let mut out = String::new();
    let _ = writeln!(out, "{} {}", style.bold("release"), escape(release));
    let (model, provider) = crate::policy::check::declared_names(predicate.declared.as_ref());
    let (parameters, formats) = crate::policy::check::scanned_figures(predicate.model.as_ref());
    if let Some(text) = model_line(model.as_deref(), provider.as_deref(), parameters, &formats) {
        push_wrapped(&mut out, "  model   ", 10, &escape(&text), 10, layout.width);
    }
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

    findings_section(waived.findings, &style, layout.width, &mut out);
    waivers_section(waived.waivers, &style, layout.width, &mut out);
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

/// Every finding, most severe first; waived ones last, with their waiver.
fn findings_section(findings: &[ScanFinding<'_>], style: &Style, width: usize, out: &mut String) {
    let mut findings: Vec<&ScanFinding<'_>> = findings.iter().collect();
    findings.sort_by(|a, b| {
        a.waiver
            .is_some()
            .cmp(&b.waiver.is_some())
            .then_with(|| b.finding.severity.cmp(&a.finding.severity))
            .then_with(|| a.path.cmp(b.path))
            .then_with(|| a.finding.rule.cmp(&b.finding.rule))
    });
    let _ = writeln!(out);
    if findings.is_empty() {
        let _ = writeln!(out, "{}", style.bold("findings: none"));
        return;
    }
    let waived = findings.iter().filter(|f| f.waiver.is_some()).count();
    let _ = writeln!(
        out,
        "{}",
        style.bold(&if waived == 0 {
            format!("findings ({})", findings.len())
        } else {
            format!("findings ({}, {waived} waived)", findings.len())
        })
    );
    for f in findings {
        let at = f
            .finding
            .location
            .as_ref()
            .and_then(|l| l.byte_offset)
            .map(|o| format!(" (byte {o})"))
            .unwrap_or_default();
        let label = match &f.waiver {
            Some(_) => style.paint("2", &format!("{:<7}", "waived")),
            None => style.severity(f.finding.severity),
        };
        let text = format!(
            "{}  {}{at}  [{}]",
            escape(f.path),
            escape(&f.finding.message),
            escape(&f.finding.rule)
        );
        push_wrapped(out, &format!("{label} "), 8, &text, 8, width);
        if let Some(w) = &f.waiver {
            push_wrapped(
                out,
                "        waived: ",
                16,
                &escape(&w.waiver.describe()),
                16,
                width,
            );
        }
    }
}

/// The waivers that expired or matched nothing (those that applied are shown where they did).
fn waivers_section(waivers: &[WaiverStatus], style: &Style, width: usize, out: &mut String) {
    if waivers.is_empty() {
        return;
    }
    let count = |s: Status| waivers.iter().filter(|w| w.status == s).count();
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{}",
        style.bold(&format!(
            "waivers ({} applied, {} expired, {} unused)",
            count(Status::Applied),
            count(Status::Expired),
            count(Status::Unused)
        ))
    );
    for w in waivers.iter().filter(|w| w.status != Status::Applied) {
        let (label, severity) = match w.status {
            Status::Expired => ("expired", Severity::Error),
            _ => ("unused", Severity::Warning),
        };
        let label = if style.color {
            style.paint(
                if severity == Severity::Error {
                    "1;31"
                } else {
                    "1;33"
                },
                &format!("{label:<7}"),
            )
        } else {
            format!("{label:<7}")
        };
        let text = match w.status {
            Status::Expired => format!(
                "{}  expired on {}: {}",
                w.waiver.id,
                w.waiver.expires,
                w.waiver.describe()
            ),
            _ => format!("{}  matches nothing: {}", w.waiver.id, w.waiver.describe()),
        };
        push_wrapped(out, &format!("{label} "), 8, &text, 8, width);
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
    fn text_wraps_at_spaces_under_the_width_with_a_hanging_indent() {
        let mut out = String::new();
        push_wrapped(
            &mut out,
            "  error   ",
            10,
            "one two three four five six seven eight nine ten eleven  [code]",
            10,
            40,
        );
        assert_eq!(
            out,
            "  error   one two three four five six\n          seven eight nine ten eleven\n          [code]\n"
        );
        for line in out.lines() {
            assert!(line.chars().count() <= 40, "{line:?}");
            assert!(!line.ends_with(' '), "{line:?}");
        }
        let mut long = String::new();
        push_wrapped(
            &mut long,
            "",
            0,
            "a/very/long/path/that/does/not/fit",
            2,
            20,
        );
        assert_eq!(
            long, "a/very/long/path/that/does/not/fit\n",
            "a word is never cut"
        );
    }
}
