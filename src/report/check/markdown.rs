//! The check report as Markdown, for a pull request or an audit file: the same content as the
//! table, every quoted string escaped.

use std::fmt::Write as _;

use super::{
    for_people, label, locations, model_line, sorted, stage_line, verification_line, waiver_lines,
};
use crate::finding::Outcome;
use crate::policy::{CheckReport, RuleResult};
use crate::waiver::Status;

/// The Markdown sections on waived findings and on the waivers.
fn markdown_waivers(report: &CheckReport, out: &mut String) {
    if !report.waived_findings.is_empty() {
        let _ = writeln!(out, "\n## Waived findings on files\n");
        let _ = writeln!(out, "| File | Code | Finding | Waiver |");
        let _ = writeln!(out, "|---|---|---|---|");
        for w in &report.waived_findings {
            let _ = writeln!(
                out,
                "| `{}` | `{}` | {} | waived: {} |",
                md_escape(&w.path),
                w.finding.rule,
                md_escape(&w.finding.message),
                md_escape(&w.waiver.waiver.describe())
            );
        }
    }
    if !report.waivers.is_empty() {
        let _ = writeln!(out, "\n## Waivers\n");
        let _ = writeln!(
            out,
            "| Waiver | Subjects | Status | Reason | Approver | Expires | Where |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|---|");
        for w in &report.waivers {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} | {} | `{}` |",
                w.waiver.id,
                md_escape(&w.waiver.subjects.join(", ")),
                match w.status {
                    Status::Applied => format!("applied ({})", w.matched),
                    Status::Expired => "**expired**".to_owned(),
                    Status::Unused => "unused".to_owned(),
                },
                md_escape(&crate::codes::squash(&w.waiver.reason)),
                md_escape(&w.waiver.approver),
                w.waiver.expires,
                w.waiver.at()
            );
        }
    }
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The Markdown report: a summary table, then each applicable pack's findings.
pub fn markdown(report: &CheckReport, all: bool) -> String {
    let report = &for_people(report);
    let mut out = String::new();
    let s = &report.subject;
    let _ = writeln!(out, "# scelle check: {}\n", s.name);
    if let Some(line) = model_line(report) {
        let _ = writeln!(out, "- Model: {}", md_escape(&line));
    }
    let _ = writeln!(
        out,
        "- Checked: {} ({} files), as of {}",
        s.kind, s.files, report.as_of
    );
    if let Some(root) = &s.root {
        let _ = writeln!(out, "- Root digest: `sha256:{root}`");
    }
    let _ = writeln!(out, "- Verification: {}", verification_line(report));
    if let Some(line) = stage_line(report) {
        let _ = writeln!(out, "- Stage: {}", md_escape(&line));
    }
    let _ = writeln!(out, "- Generator: scelle {}\n", report.generator.version);
    let _ = writeln!(
        out,
        "| Pack | Applies | In effect | Pass | Fail | N/A | Could not evaluate |"
    );
    let _ = writeln!(out, "|---|---|---|---:|---:|---:|---:|");
    for p in &report.packs {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} | {} |",
            p.name,
            if p.applies { "yes" } else { "no" },
            match (&p.effective, p.in_effect) {
                (Some(d), true) => format!("since {d}"),
                (Some(d), false) => format!("from {d}"),
                (None, _) => "yes".into(),
            },
            p.counts.pass,
            p.counts.fail,
            p.counts.not_applicable,
            p.counts.error
        );
    }
    markdown_figures(report, &mut out);
    for p in &report.packs {
        let _ = writeln!(out, "\n## `{}`: {}\n", p.name, md_escape(&p.title));
        if !p.applies {
            let _ = writeln!(
                out,
                "Does not apply: {}.",
                md_escape(
                    p.applies_reason
                        .as_deref()
                        .unwrap_or("its condition is false")
                )
            );
            continue;
        }
        let shown: Vec<&RuleResult> = sorted(p)
            .into_iter()
            .filter(|r| all || matches!(r.outcome, Outcome::Fail | Outcome::Error))
            .collect();
        if shown.is_empty() {
            let _ = writeln!(
                out,
                "No failures ({} rules pass, {} do not apply).",
                p.counts.pass, p.counts.not_applicable
            );
            continue;
        }
        let _ = writeln!(out, "| Result | Rule | Finding | Reference | Where | Fix |");
        let _ = writeln!(out, "|---|---|---|---|---|---|");
        for r in shown {
            let (name, _) = label(r);
            let at = locations(r);
            let mut notes: Vec<String> = waiver_lines(r);
            notes.extend(r.note.clone());
            let note = if notes.is_empty() {
                String::new()
            } else {
                format!(" ({})", notes.join("; "))
            };
            let _ = writeln!(
                out,
                "| {name} | `{}` | {}{} | {} | {} | {} |",
                r.id,
                md_escape(&r.message),
                md_escape(&note),
                md_escape(&r.reference),
                if at.is_empty() {
                    String::new()
                } else {
                    format!("`{at}`")
                },
                md_escape(&r.fix)
            );
        }
    }
    markdown_waivers(report, &mut out);
    let _ = writeln!(out, "\n---\n\n{}", report.disclaimer);
    out
}

/// The figures section of the Markdown report.
fn markdown_figures(report: &CheckReport, out: &mut String) {
    let _ = writeln!(out, "\n## Figures\n");
    let _ = writeln!(out, "| Figure | Declared | Counted or estimated | |");
    let _ = writeln!(out, "|---|---:|---:|---|");
    for row in report.figures.rows() {
        let _ = writeln!(
            out,
            "| {} | {} | {} ({}) | {} |",
            md_escape(&row.label),
            row.declared,
            row.other,
            row.measured,
            md_escape(&row.verdict)
        );
    }
}
