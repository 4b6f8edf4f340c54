//! Check reports for people: a terminal table grouped by pack (failures first, each with its
//! article, where it points and the fix), Markdown for a pull request or an audit file, and the
//! JSON report for machines. The table reads the same without colour.

use std::fmt::Write as _;

use crate::finding::{Location, Outcome, Severity};
use crate::policy::{CheckReport, PackResult, RuleResult, Stage};
use crate::report::table::{self, Layout, push_wrapped};
use crate::text::escape;
use crate::waiver::Status;

mod markdown;
pub use markdown::markdown;

/// The JSON report (documented in `docs/policies.md`), two-space indented, final newline.
pub fn json(report: &CheckReport) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(report).unwrap_or_default();
    out.push(b'\n');
    out
}

fn paint(color: bool, code: &str, s: &str) -> String {
    if color {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_owned()
    }
}

/// `scelle.yaml:12:3`, or the file alone.
pub fn location(l: &Location) -> String {
    match (l.line, l.column) {
        (Some(line), Some(column)) => format!("{}:{line}:{column}", l.file),
        (Some(line), None) => format!("{}:{line}", l.file),
        _ => l.file.clone(),
    }
}

/// Every place a result points at, `file:line:column`, comma-separated.
pub fn locations(r: &RuleResult) -> String {
    r.locations
        .iter()
        .map(location)
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a result is called in the table: its severity when it failed, else its outcome.
fn label(r: &RuleResult) -> (&'static str, &'static str) {
    if r.waived {
        return ("waived", "2");
    }
    match r.outcome {
        Outcome::Fail => match r.severity {
            Severity::Error => ("error", "1;31"),
            Severity::Warning => ("warning", "1;33"),
            Severity::Info => ("info", "36"),
        },
        Outcome::Error => ("broken", "1;35"),
        Outcome::Pass => ("pass", "32"),
        Outcome::NotApplicable => ("n/a", "2"),
    }
}

/// Failures first (errors, warnings, infos), then evaluation errors, then the rest; by id.
fn order(r: &RuleResult) -> (u8, &str) {
    let rank = match (r.outcome, r.severity) {
        (Outcome::Fail, _) if r.waived => 4,
        (Outcome::Error, _) => 0,
        (Outcome::Fail, Severity::Error) => 1,
        (Outcome::Fail, Severity::Warning) => 2,
        (Outcome::Fail, Severity::Info) => 3,
        (Outcome::Pass, _) => 5,
        (Outcome::NotApplicable, _) => 6,
    };
    (rank, r.id.as_str())
}

fn sorted(pack: &PackResult) -> Vec<&RuleResult> {
    let mut results: Vec<&RuleResult> = pack.results.iter().collect();
    results.sort_by(|a, b| order(a).cmp(&order(b)));
    results
}

/// One line on the verification of the input.
pub fn verification_line(report: &CheckReport) -> String {
    let v = &report.verification;
    match (v.signed, v.verified) {
        (_, true) => {
            let files = match v.files_match {
                Some(true) => ", every file matches",
                Some(false) => ", but files differ from the signed manifest",
                None => ", files not re-hashed",
            };
            format!(
                "signed by {}{files}",
                super::signer::signed_by(v).unwrap_or_else(|| "a key ?".to_owned())
            )
        }
        (true, false) => format!(
            "signed, not verified: {}",
            v.problem
                .as_deref()
                .unwrap_or("the signature did not verify")
        ),
        (false, false) => "not signed".into(),
    }
}

/// What the stage of the check changed, when it is not the published release.
pub fn stage_line(report: &CheckReport) -> Option<String> {
    if report.stage == Stage::Release {
        return None;
    }
    let ids = report.not_applicable_at_stage();
    Some(format!(
        "stage {}: {}{}",
        report.stage.as_str(),
        report.stage.not_applicable_reason(),
        if ids.is_empty() {
            String::new()
        } else {
            format!(" for {}", ids.join(", "))
        }
    ))
}

fn status_line(pack: &PackResult) -> String {
    let c = &pack.counts;
    let mut parts = Vec::new();
    if pack.applies {
        parts.push("applies".to_owned());
    } else {
        parts.push(format!(
            "does not apply ({})",
            pack.applies_reason
                .as_deref()
                .unwrap_or("its condition is false")
        ));
    }
    if let Some(date) = &pack.effective {
        let reason = pack
            .effective_reason
            .as_deref()
            .map(|r| format!(", {r}"))
            .unwrap_or_default();
        if pack.in_effect {
            parts.push(format!("in effect since {date}{reason}"));
        } else {
            parts.push(format!(
                "in effect from {date}{reason}: failures count as warnings until then"
            ));
        }
    }
    if pack.applies {
        parts.push(format!(
            "{} pass, {} fail, {} not applicable{}",
            c.pass,
            c.fail,
            c.not_applicable,
            if c.error > 0 {
                format!(", {} could not be evaluated", c.error)
            } else {
                String::new()
            }
        ));
    }
    parts.join(" · ")
}

/// The model line of the report's header, when the release names a model or provider.
pub fn model_line(report: &CheckReport) -> Option<String> {
    let s = &report.subject;
    table::model_line(
        s.model.as_deref(),
        s.provider.as_deref(),
        s.parameters,
        &s.formats,
    )
}

/// What a waiver says, for people: `waived: reason (approved by X, expires D, at)`, one per
/// waiver, with the subjects each covers when it covers only some.
fn waiver_lines(r: &RuleResult) -> Vec<String> {
    r.waivers
        .iter()
        .map(|a| {
            let only = if a.covers.is_empty() || r.waived && r.waivers.len() == 1 {
                String::new()
            } else {
                format!(" for {}", a.covers.join(", "))
            };
            format!("waived{only}: {}", a.waiver.describe())
        })
        .collect()
}

/// The terminal report. `all` lists passing and inapplicable rules too.
pub fn table(report: &CheckReport, all: bool, layout: &Layout) -> String {
    let color = layout.color;
    let width = layout.width;
    let report = &for_people(report);
    let mut out = String::new();
    let s = &report.subject;
    let root = s
        .root
        .as_deref()
        .map(|r| format!(", root sha256:{}", r.get(..12).unwrap_or(r)))
        .unwrap_or_default();
    push_wrapped(
        &mut out,
        &format!("{} ", paint(color, "1", "check")),
        6,
        &format!(
            "{} ({}, {} files{root}) as of {}",
            s.name, s.kind, s.files, report.as_of
        ),
        2,
        width,
    );
    if let Some(line) = model_line(report) {
        push_wrapped(&mut out, "  model ", 8, &line, 4, width);
    }
    push_wrapped(&mut out, "  ", 2, &verification_line(report), 4, width);
    if let Some(line) = stage_line(report) {
        push_wrapped(&mut out, "  ", 2, &line, 4, width);
    }
    figures_section(report, color, width, &mut out);
    for pack in &report.packs {
        let _ = writeln!(out);
        push_wrapped(
            &mut out,
            &format!("{}  ", paint(color, "1", &pack.name)),
            pack.name.chars().count() + 2,
            &format!("{} ({})", pack.title, pack.version),
            4,
            width,
        );
        push_wrapped(&mut out, "  ", 2, &status_line(pack), 4, width);
        for e in &pack.errors {
            push_wrapped(
                &mut out,
                &format!("  {} ", paint(color, "1;35", "broken ")),
                10,
                e,
                10,
                width,
            );
        }
        let id_width = pack.results.iter().map(|r| r.id.len()).max().unwrap_or(0);
        for r in sorted(pack) {
            let shown = all || matches!(r.outcome, Outcome::Fail | Outcome::Error);
            if !shown || (!pack.applies && r.outcome == Outcome::NotApplicable && !all) {
                continue;
            }
            let (name, code) = label(r);
            let prefix = format!(
                "  {} {:<id_width$}  ",
                paint(color, code, &format!("{name:<7}")),
                r.id
            );
            push_wrapped(
                &mut out,
                &prefix,
                12 + id_width,
                &r.message,
                12 + id_width,
                width,
            );
            if matches!(r.outcome, Outcome::Fail | Outcome::Error) {
                let at = locations(r);
                let reference = if at.is_empty() {
                    r.reference.clone()
                } else {
                    format!("{} · {at}", r.reference)
                };
                push_wrapped(&mut out, "          ", 10, &reference, 12, width);
                if r.outcome == Outcome::Fail && !r.waived {
                    push_wrapped(&mut out, "          fix: ", 15, &r.fix, 15, width);
                }
                for line in waiver_lines(r) {
                    push_wrapped(&mut out, "          ", 10, &line, 12, width);
                }
                if let Some(note) = &r.note {
                    push_wrapped(&mut out, "          note: ", 16, note, 16, width);
                }
            }
        }
    }
    waived_findings_section(report, color, width, &mut out);
    waiver_problems_section(report, color, width, &mut out);
    summary_line(report, color, width, &mut out);
    push_wrapped(&mut out, "", 0, report.disclaimer, 0, width);
    out
}

/// The declared figures next to the counted or estimated ones (after a word on a missing
/// declaration, which leaves every declared side unknown).
fn figures_section(report: &CheckReport, color: bool, width: usize, out: &mut String) {
    if !report.subject.declared {
        let _ = writeln!(
            out,
            "  no `scelle.yaml` declaration: `scelle init` writes one to fill in"
        );
    }
    let _ = writeln!(out, "\n{}", paint(color, "1", "figures"));
    for row in report.figures.rows() {
        let prefix = format!("  {}: ", row.label);
        let indent = prefix.chars().count();
        push_wrapped(out, &prefix, indent, &row.text(), 4, width);
    }
}

/// The findings on files that waivers took out of what the packs saw.
fn waived_findings_section(report: &CheckReport, color: bool, width: usize, out: &mut String) {
    if !report.waived_findings.is_empty() {
        let _ = writeln!(
            out,
            "\n{}  findings on files that waivers cover (the packs did not see them)",
            paint(color, "1", "waived")
        );
        for w in &report.waived_findings {
            push_wrapped(
                out,
                &format!("  {} ", paint(color, "2", "waived ")),
                10,
                &format!("{}  {}  [{}]", w.path, w.finding.message, w.finding.rule),
                10,
                width,
            );
            push_wrapped(
                out,
                "          waived: ",
                18,
                &w.waiver.waiver.describe(),
                18,
                width,
            );
        }
    }
}

/// The waivers that expired or matched nothing.
fn waiver_problems_section(report: &CheckReport, color: bool, width: usize, out: &mut String) {
    let problems: Vec<_> = report
        .waivers
        .iter()
        .filter_map(|w| w.finding(&report.as_of).map(|f| (w, f)))
        .collect();
    if !problems.is_empty() {
        let _ = writeln!(out, "\n{}", paint(color, "1", "waivers"));
        for (w, f) in problems {
            let (name, code) = match w.status {
                Status::Expired => ("expired", "1;31"),
                _ => ("unused", "1;33"),
            };
            push_wrapped(
                out,
                &format!("  {} ", paint(color, code, &format!("{name:<7}"))),
                10,
                &format!("{}  {}", f.rule, f.message),
                10,
                width,
            );
            push_wrapped(out, "          ", 10, &w.waiver.at(), 12, width);
            push_wrapped(
                out,
                "          fix: ",
                15,
                f.fix.as_deref().unwrap_or_default(),
                15,
                width,
            );
        }
    }
}

/// The totals line.
fn summary_line(report: &CheckReport, color: bool, width: usize, out: &mut String) {
    let sum = &report.summary;
    let waived = if sum.rules.waived > 0 || sum.waived_findings > 0 {
        format!(
            ", {} waived{}",
            sum.rules.waived,
            if sum.waived_findings > 0 {
                format!(" (and {} on files)", count(sum.waived_findings, "finding"))
            } else {
                String::new()
            }
        )
    } else {
        String::new()
    };
    let _ = writeln!(out);
    push_wrapped(
        out,
        &format!("{} ", paint(color, "1", "summary")),
        8,
        &format!(
            "{} ({} apply), {} rules: {} pass, {} fail ({}, {}, {}){waived}, {} not applicable{}",
            count(sum.packs, "pack"),
            sum.packs_applicable,
            sum.rules.total(),
            sum.rules.pass,
            sum.rules.fail,
            count(sum.errors, "error"),
            count(sum.warnings, "warning"),
            count(sum.infos, "info"),
            sum.rules.not_applicable,
            if sum.rules.error > 0 {
                format!(", {} could not be evaluated", sum.rules.error)
            } else {
                String::new()
            }
        ),
        2,
        width,
    );
}

/// `1 error`, `2 errors`.
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// The report with every string it quotes escaped for a terminal or a Markdown file (names of
/// files, messages, notes): a name holding a newline or an escape sequence cannot forge or hide
/// a line. The JSON, SARIF and JUnit reports keep the strings as they are.
fn for_people(report: &CheckReport) -> CheckReport {
    fn esc(s: &mut String) {
        if let std::borrow::Cow::Owned(e) = escape(s) {
            *s = e;
        }
    }
    fn esc_opt(s: &mut Option<String>) {
        if let Some(s) = s {
            esc(s);
        }
    }
    let mut r = report.clone();
    esc(&mut r.subject.name);
    esc_opt(&mut r.subject.root);
    esc_opt(&mut r.verification.problem);
    esc_opt(&mut r.verification.key_id);
    esc_opt(&mut r.verification.algorithm);
    esc_opt(&mut r.verification.format);
    esc_opt(&mut r.verification.method);
    esc_opt(&mut r.verification.identity);
    esc_opt(&mut r.verification.issuer);
    esc_opt(&mut r.verification.integrated_time);
    for d in &mut r.figures.datasets {
        esc(&mut d.path);
        esc_opt(&mut d.dataset);
    }
    for p in &mut r.packs {
        for s in [&mut p.name, &mut p.title, &mut p.version, &mut p.origin] {
            esc(s);
        }
        for s in [
            &mut p.source,
            &mut p.applies_reason,
            &mut p.effective,
            &mut p.effective_reason,
        ] {
            esc_opt(s);
        }
        p.errors.iter_mut().for_each(esc);
        for rule in &mut p.results {
            for s in [
                &mut rule.id,
                &mut rule.title,
                &mut rule.message,
                &mut rule.reference,
                &mut rule.fix,
            ] {
                esc(s);
            }
            for s in [
                &mut rule.field,
                &mut rule.help_uri,
                &mut rule.effective,
                &mut rule.note,
            ] {
                esc_opt(s);
            }
            rule.subjects.iter_mut().for_each(esc);
            for l in &mut rule.locations {
                esc(&mut l.file);
            }
        }
    }
    r
}
