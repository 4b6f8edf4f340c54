//! The scan's findings as a release is sealed and verified: `sign` lists them and refuses a
//! release with errors unless told otherwise; the findings stay in the signed manifest, and
//! `verify` counts them so an auditor sees what the publisher knowingly sealed.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::finding::{Finding, Severity};
use crate::manifest::Record;

/// How many findings a manifest carries, by severity and by rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FindingCounts {
    pub total: usize,
    pub error: usize,
    pub warning: usize,
    pub info: usize,
    /// One entry per rule and severity, most severe first, then by rule.
    pub rules: Vec<RuleCount>,
}

/// How many findings of one rule at one severity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleCount {
    pub rule: String,
    pub severity: Severity,
    pub count: usize,
}

impl FindingCounts {
    /// Counts `findings`.
    pub fn of<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Self {
        let mut counts = FindingCounts::default();
        let mut by_rule: BTreeMap<(std::cmp::Reverse<Severity>, &str), usize> = BTreeMap::new();
        for f in findings {
            counts.total += 1;
            match f.severity {
                Severity::Error => counts.error += 1,
                Severity::Warning => counts.warning += 1,
                Severity::Info => counts.info += 1,
            }
            *by_rule
                .entry((std::cmp::Reverse(f.severity), f.rule.as_str()))
                .or_default() += 1;
        }
        counts.rules = by_rule
            .into_iter()
            .map(|((severity, rule), count)| RuleCount {
                rule: rule.to_owned(),
                severity: severity.0,
                count,
            })
            .collect();
        counts
    }

    /// The findings of every file record.
    pub fn of_files<R: Record>(files: &[R]) -> Self {
        Self::of(files.iter().flat_map(Record::findings))
    }

    /// `2 errors (file/code-on-load, file/malformed), 1 warning (file/suspicious-import)`, for
    /// the severities at or above `at_least`; empty when there are none.
    pub fn summary(&self, at_least: Severity) -> String {
        let mut parts = Vec::new();
        for (severity, n, one, many) in [
            (Severity::Error, self.error, "error", "errors"),
            (Severity::Warning, self.warning, "warning", "warnings"),
            (Severity::Info, self.info, "note", "notes"),
        ] {
            if n == 0 || severity < at_least {
                continue;
            }
            let rules: Vec<&str> = self
                .rules
                .iter()
                .filter(|r| r.severity == severity)
                .map(|r| r.rule.as_str())
                .collect();
            parts.push(format!(
                "{n} {} ({})",
                if n == 1 { one } else { many },
                rules.join(", ")
            ));
        }
        parts.join(", ")
    }
}

/// The findings of `files` at warning level or above, most severe first, then by file and rule:
/// the order `sign` lists them in.
pub fn worth_showing<R: Record>(files: &[R]) -> Vec<&Finding> {
    let mut findings: Vec<&Finding> = files
        .iter()
        .flat_map(Record::findings)
        .filter(|f| f.severity >= Severity::Warning)
        .collect();
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.subject.cmp(&b.subject))
            .then_with(|| a.rule.cmp(&b.rule))
    });
    findings
}

/// One line for a finding: severity, file, message and rule.
pub fn line(f: &Finding) -> String {
    format!(
        "  {:<8} {}: {} [{}]",
        f.severity.as_str(),
        f.subject.as_deref().unwrap_or("-"),
        f.message,
        f.rule
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_severity_and_rule_most_severe_first() {
        let findings = [
            Finding::fail("file/note", Severity::Info, "n"),
            Finding::fail("file/malformed", Severity::Error, "m"),
            Finding::fail("file/code-on-load", Severity::Error, "c"),
            Finding::fail("file/malformed", Severity::Error, "m2"),
            Finding::fail("file/suspicious-import", Severity::Warning, "s"),
        ];
        let counts = FindingCounts::of(&findings);
        assert_eq!(
            (counts.total, counts.error, counts.warning, counts.info),
            (5, 3, 1, 1)
        );
        let rules: Vec<(&str, usize)> = counts
            .rules
            .iter()
            .map(|r| (r.rule.as_str(), r.count))
            .collect();
        assert_eq!(
            rules,
            [
                ("file/code-on-load", 1),
                ("file/malformed", 2),
                ("file/suspicious-import", 1),
                ("file/note", 1)
            ]
        );
        assert_eq!(
            counts.summary(Severity::Warning),
            "3 errors (file/code-on-load, file/malformed), 1 warning (file/suspicious-import)"
        );
    }
}
