//! JUnit XML for CI systems that show test reports: a test suite per pack, a test case per
//! rule. A failing rule is a `failure` (its `type` is the severity), a rule that could not be
//! evaluated an `error`, a rule that does not apply or a waived failure `skipped` (with the
//! waiver's reason, approver and expiry). Findings on files that waivers cover and waivers that
//! expired or matched nothing get a suite each, and so does the figures section (as properties).

use std::fmt::Write as _;

use crate::finding::Outcome;
use crate::policy::CheckReport;
use crate::report::check::locations;

/// Escapes text for an XML attribute or element; characters XML 1.0 forbids are dropped.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// The JUnit report.
pub fn render(report: &CheckReport) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let c = &report.summary.rules;
    let _ = writeln!(
        out,
        "<testsuites name=\"scelle check {}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">",
        escape(&report.subject.name),
        c.total() + report.waived_findings.len() + report.waivers.len(),
        c.fail + report.summary.waivers_expired + report.summary.waivers_unused,
        c.error,
        c.not_applicable + c.waived + report.waived_findings.len()
    );
    for pack in &report.packs {
        let pc = &pack.counts;
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">",
            escape(&pack.name),
            pc.total(),
            pc.fail,
            pc.error,
            pc.not_applicable + pc.waived
        );
        let _ = writeln!(out, "    <properties>");
        for (name, value) in [
            ("title", pack.title.clone()),
            ("version", pack.version.clone()),
            ("applies", pack.applies.to_string()),
            ("effective", pack.effective.clone().unwrap_or_default()),
            ("as_of", report.as_of.clone()),
            // Who signed, as the other formats state it: a CI reading only JUnit sees it too.
            ("verification", super::check::verification_line(report)),
        ] {
            let _ = writeln!(
                out,
                "      <property name=\"{name}\" value=\"{}\"/>",
                escape(&value)
            );
        }
        let _ = writeln!(out, "    </properties>");
        for r in &pack.results {
            let _ = write!(
                out,
                "    <testcase name=\"{}: {}\" classname=\"{}\"",
                escape(&r.id),
                escape(&r.title),
                escape(&pack.name)
            );
            let at = locations(r);
            let mut detail = format!("{}\nreference: {}", r.message, r.reference);
            if !at.is_empty() {
                let _ = write!(detail, "\nat: {at}");
            }
            match r.outcome {
                Outcome::Fail if r.waived => {
                    let why: Vec<String> = r.waivers.iter().map(|a| a.waiver.describe()).collect();
                    let _ = writeln!(
                        out,
                        ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                        escape(&format!("waived: {}", why.join("; ")))
                    );
                }
                Outcome::Pass => {
                    let _ = writeln!(out, "/>");
                }
                Outcome::NotApplicable => {
                    let _ = writeln!(
                        out,
                        ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                        escape(&r.message)
                    );
                }
                Outcome::Fail => {
                    let _ = write!(detail, "\nfix: {}", r.fix);
                    if let Some(note) = &r.note {
                        let _ = write!(detail, "\nnote: {note}");
                    }
                    let _ = writeln!(
                        out,
                        ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                        escape(&r.message),
                        r.severity.as_str(),
                        escape(&detail)
                    );
                }
                Outcome::Error => {
                    let _ = writeln!(
                        out,
                        ">\n      <error message=\"{}\" type=\"evaluation\">{}</error>\n    </testcase>",
                        escape(&r.message),
                        escape(&detail)
                    );
                }
            }
        }
        let _ = writeln!(out, "  </testsuite>");
    }
    figures(report, &mut out);
    waived_findings(report, &mut out);
    waivers(report, &mut out);
    let _ = writeln!(out, "</testsuites>");
    out
}

/// The figures section as the properties of a suite without tests (JUnit has no other place
/// for facts that are not test results).
fn figures(report: &CheckReport, out: &mut String) {
    let _ = writeln!(
        out,
        "  <testsuite name=\"figures\" tests=\"0\" failures=\"0\" errors=\"0\" skipped=\"0\">"
    );
    let _ = writeln!(out, "    <properties>");
    for row in report.figures.rows() {
        let _ = writeln!(
            out,
            "      <property name=\"{}\" value=\"{}\"/>",
            escape(&row.label),
            escape(&row.text())
        );
    }
    let _ = writeln!(out, "    </properties>");
    let _ = writeln!(out, "  </testsuite>");
}

/// A suite of the findings on files that waivers cover, each skipped with its waiver.
fn waived_findings(report: &CheckReport, out: &mut String) {
    let n = report.waived_findings.len();
    if n == 0 {
        return;
    }
    let _ = writeln!(
        out,
        "  <testsuite name=\"waived file findings\" tests=\"{n}\" failures=\"0\" errors=\"0\" skipped=\"{n}\">"
    );
    for w in &report.waived_findings {
        let _ = writeln!(
            out,
            "    <testcase name=\"{}: {}\" classname=\"files\">\n      <skipped message=\"{}\"/>\n    </testcase>",
            escape(&w.finding.rule),
            escape(&w.path),
            escape(&format!("waived: {}", w.waiver.waiver.describe()))
        );
    }
    let _ = writeln!(out, "  </testsuite>");
}

/// A suite of the waivers: one that applied passes, one that expired is an error-type failure,
/// one that matched nothing a warning-type failure.
fn waivers(report: &CheckReport, out: &mut String) {
    let n = report.waivers.len();
    if n == 0 {
        return;
    }
    let failing = report.summary.waivers_expired + report.summary.waivers_unused;
    let _ = writeln!(
        out,
        "  <testsuite name=\"waivers\" tests=\"{n}\" failures=\"{failing}\" errors=\"0\" skipped=\"0\">"
    );
    for w in &report.waivers {
        let _ = write!(
            out,
            "    <testcase name=\"{} at {}\" classname=\"waivers\"",
            escape(&w.waiver.id),
            escape(&w.waiver.at())
        );
        match w.finding(&report.as_of) {
            None => {
                let _ = writeln!(out, "/>");
            }
            Some(f) => {
                let _ = writeln!(
                    out,
                    ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                    escape(&f.message),
                    f.severity.as_str(),
                    escape(&format!(
                        "{}\nfix: {}",
                        w.waiver.describe(),
                        f.fix.as_deref().unwrap_or_default()
                    ))
                );
            }
        }
    }
    let _ = writeln!(out, "  </testsuite>");
}
