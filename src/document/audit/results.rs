//! Sections 5 to 7 of the audit: every pack with each rule's result (article, severity,
//! outcome, line in `scelle.yaml`, finding and fix), the waivers of the run, and the totals.

use serde_json::Value as Json;

use super::{array, cell, count, from_check, text};
use crate::document::{Item, Section, Value};

/// 5: every pack, and under it every rule's result.
pub(super) fn packs(check: &Json) -> Section {
    let list = array(check, "/packs");
    let overview: Vec<Vec<String>> = list
        .iter()
        .map(|p| {
            let applies = match p.get("applies").and_then(Json::as_bool) {
                Some(true) => "yes".to_owned(),
                _ => format!(
                    "no{}",
                    text(p, "/applies_reason").map_or(String::new(), |r| format!(": {r}"))
                ),
            };
            vec![
                text(p, "/name").unwrap_or_default(),
                text(p, "/version").unwrap_or_default(),
                applies,
                text(p, "/in_effect").unwrap_or_default(),
                count(p, "/counts/pass"),
                count(p, "/counts/fail"),
                count(p, "/counts/waived"),
                count(p, "/counts/not_applicable"),
                count(p, "/counts/error"),
            ]
        })
        .collect();
    let mut s = Section::new(Some("5"), "Policy packs and their results").item(
        Item::new(
            "Packs run",
            Value::table(
                &[
                    "Pack",
                    "Version",
                    "Applies",
                    "In effect",
                    "Pass",
                    "Fail",
                    "Waived",
                    "Not applicable",
                    "Error",
                ],
                overview,
            ),
        )
        .from(from_check("packs")),
    );
    for (i, p) in list.iter().enumerate() {
        s = s.section(pack(p, &format!("5.{}", i + 1)));
    }
    s
}

fn pack(p: &Json, number: &str) -> Section {
    let name = text(p, "/name").unwrap_or_default();
    let title = format!(
        "{name} {}: {}",
        text(p, "/version").unwrap_or_default(),
        text(p, "/title").unwrap_or_default()
    );
    let mut s = Section::new(Some(number), &title);
    if let Some(source) = text(p, "/source") {
        s = s.note(format!("Reads: {source}"));
    }
    let applies = match p.get("applies").and_then(Json::as_bool) {
        Some(true) => Value::flag(true),
        _ => Value::text(format!(
            "no{}",
            text(p, "/applies_reason").map_or(String::new(), |r| format!(": {r}"))
        )),
    };
    s = s.item(Item::new("Applies to this release", applies));
    let effective = match (text(p, "/effective"), text(p, "/in_effect")) {
        (Some(d), Some(e)) => format!("from {d} (in effect on the date used: {e})"),
        (None, Some(e)) => format!("in effect: {e}"),
        _ => "unknown".to_owned(),
    };
    s = s.item(Item::new("Effective", Value::text(effective)));
    let rows: Vec<Vec<String>> = array(p, "/results")
        .iter()
        .map(|r| {
            let outcome = text(r, "/outcome").unwrap_or_default();
            let waived = r.get("waived").and_then(Json::as_bool) == Some(true);
            let failed = outcome == "fail" || outcome == "error";
            let lines: Vec<String> = array(r, "/locations")
                .iter()
                .map(|l| match (text(l, "/file"), text(l, "/line")) {
                    (Some(f), Some(n)) => format!("{f}:{n}"),
                    (Some(f), None) => f,
                    _ => String::new(),
                })
                .collect();
            let mut finding = if failed {
                text(r, "/message").unwrap_or_default()
            } else {
                String::new()
            };
            if let Some(note) = text(r, "/note") {
                if !finding.is_empty() {
                    finding.push_str(" — ");
                }
                finding.push_str(&note);
            }
            vec![
                text(r, "/id").unwrap_or_default(),
                if waived {
                    "fail (waived)".to_owned()
                } else {
                    outcome.replace('_', " ")
                },
                text(r, "/severity").unwrap_or_default(),
                text(r, "/reference").unwrap_or_default(),
                lines.join(", "),
                finding,
                if failed {
                    text(r, "/fix").unwrap_or_default()
                } else {
                    String::new()
                },
            ]
        })
        .collect();
    s.item(
        Item::new(
            "Rules",
            Value::table(
                &[
                    "Rule", "Outcome", "Severity", "Article", "Location", "Finding", "Fix",
                ],
                rows,
            ),
        )
        .from(from_check(&format!("packs[{name}].results"))),
    )
}

/// 6: the waivers of the run and the file findings they took out.
pub(super) fn waivers(check: &Json) -> Section {
    let location = |w: &Json| match (text(w, "/location/file"), text(w, "/location/line")) {
        (Some(f), Some(n)) => format!("{f}:{n}"),
        (Some(f), None) => f,
        _ => String::new(),
    };
    let rows: Vec<Vec<String>> = array(check, "/waivers")
        .iter()
        .map(|w| {
            vec![
                text(w, "/id").unwrap_or_default(),
                cell(w.get("subjects")),
                text(w, "/status").unwrap_or_default(),
                count(w, "/matched"),
                text(w, "/expires").unwrap_or_default(),
                text(w, "/approver").unwrap_or_default(),
                text(w, "/reason").unwrap_or_default(),
                location(w),
            ]
        })
        .collect();
    let findings: Vec<Vec<String>> = array(check, "/waived_findings")
        .iter()
        .map(|w| {
            vec![
                text(w, "/path").unwrap_or_default(),
                text(w, "/finding/rule").unwrap_or_default(),
                text(w, "/finding/severity").unwrap_or_default(),
                text(w, "/finding/message").unwrap_or_default(),
                text(w, "/waiver/id").unwrap_or_default(),
                location(w.get("waiver").unwrap_or(&Json::Null)),
            ]
        })
        .collect();
    Section::new(Some("6"), "Waivers")
        .item(
            Item::new(
                "Waivers of the run",
                Value::table(
                    &[
                        "Waives",
                        "Subjects",
                        "Status",
                        "Matched",
                        "Expires",
                        "Approver",
                        "Reason",
                        "Written at",
                    ],
                    rows,
                ),
            )
            .from(from_check("waivers")),
        )
        .item(
            Item::new(
                "Findings on files waived",
                Value::table(
                    &[
                        "File",
                        "Finding",
                        "Severity",
                        "Message",
                        "Waiver",
                        "Written at",
                    ],
                    findings,
                ),
            )
            .from(from_check("waived_findings")),
        )
}

/// 7: the totals.
pub(super) fn summary(check: &Json) -> Section {
    let row = |label: &str, pointer: &str| vec![label.to_owned(), count(check, pointer)];
    Section::new(Some("7"), "Summary").item(
        Item::new(
            "Totals",
            Value::table(
                &["Count", "Value"],
                vec![
                    row("Packs", "/summary/packs"),
                    row("Packs that apply", "/summary/packs_applicable"),
                    row("Rules passed", "/summary/rules/pass"),
                    row("Rules failed", "/summary/rules/fail"),
                    row("Rules failed and waived", "/summary/rules/waived"),
                    row("Rules not applicable", "/summary/rules/not_applicable"),
                    row("Rules that could not be evaluated", "/summary/rules/error"),
                    row("Failures at error severity", "/summary/errors"),
                    row("Failures at warning severity", "/summary/warnings"),
                    row("Failures at info severity", "/summary/infos"),
                    row("File findings waived", "/summary/waived_findings"),
                    row("Waivers expired", "/summary/waivers_expired"),
                    row("Waivers unused", "/summary/waivers_unused"),
                ],
            ),
        )
        .from(from_check("summary")),
    )
}
