//! How complete an export is for an auditor: of the items the AI Act's documentation annexes ask
//! for (Annex XI, the technical documentation for the AI Office; Annex XII, the information for
//! downstream providers), how many the release fills. Measured by building those two documents
//! exactly as `scelle report` does and counting their items that are not "not declared", so an
//! export and a report can never disagree on what is missing.
//!
//! An item "not applicable" with its reason counts as filled: the law asks nothing more of it.

use crate::document::{self, Context, Item, Kind, Section, Value};
use crate::release::Release;

/// One document's share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// `annex-xi` or `annex-xii`.
    pub document: &'static str,
    pub filled: usize,
    pub total: usize,
    /// The declaration's fields the document needed and did not find, in order of use.
    pub missing: Vec<String>,
}

/// The completeness of a release's evidence for Annex XI and XII.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completeness {
    pub parts: Vec<Part>,
}

impl Completeness {
    pub fn filled(&self) -> usize {
        self.parts.iter().map(|p| p.filled).sum()
    }

    pub fn total(&self) -> usize {
        self.parts.iter().map(|p| p.total).sum()
    }

    /// Filled items as a whole percentage, rounded down (so 79.9 % does not pass a gate of 80).
    pub fn percent(&self) -> u8 {
        let total = self.total();
        if total == 0 {
            return 100;
        }
        u8::try_from(self.filled() * 100 / total).unwrap_or(100)
    }

    /// Every field missing from either document, each once, in order of first use.
    pub fn missing(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for field in self.parts.iter().flat_map(|p| &p.missing) {
            if !out.contains(&field.as_str()) {
                out.push(field);
            }
        }
        out
    }

    /// One line for stderr: `completeness 64 % (Annex XI 14 of 22 items, Annex XII 10 of 15)`.
    pub fn line(&self) -> String {
        let parts: Vec<String> = self
            .parts
            .iter()
            .map(|p| format!("{} {} of {} items", title(p.document), p.filled, p.total))
            .collect();
        format!(
            "completeness {} % ({}) of what the AI Act's documentation annexes ask for",
            self.percent(),
            parts.join(", ")
        )
    }
}

/// How a document is named in messages.
pub(crate) fn title(document: &str) -> &str {
    match document {
        "annex-xi" => "Annex XI",
        "annex-xii" => "Annex XII",
        other => other,
    }
}

/// Measures `release` by building its Annex XI and XII documents as of `today`.
pub(crate) fn measure(release: &Release, today: &str) -> Completeness {
    let parts = [Kind::AnnexXi, Kind::AnnexXii]
        .into_iter()
        .filter_map(|kind| {
            let cx = Context::new(release, today.to_owned(), None);
            let doc = document::build(kind, cx, None).ok()?;
            let (filled, total) = count(&doc.sections);
            Some(Part {
                document: kind.as_str(),
                filled,
                total,
                missing: doc.not_declared,
            })
        })
        .collect();
    Completeness { parts }
}

/// `(filled, total)` items in `sections` and their subsections.
fn count(sections: &[Section]) -> (usize, usize) {
    sections.iter().fold((0, 0), |(filled, total), s| {
        let own = s.items.iter().filter(|i| is_filled(i)).count();
        let (f, t) = count(&s.sections);
        (filled + own + f, total + s.items.len() + t)
    })
}

fn is_filled(item: &Item) -> bool {
    !matches!(item.value, Value::NotDeclared { .. })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn of(declared: serde_json::Value) -> Completeness {
        let release = crate::release::tests::from_declaration(declared);
        measure(&release, "2026-12-03")
    }

    #[test]
    fn declaring_more_fills_more_and_names_what_is_missing() {
        let bare = of(json!({}));
        let more = of(json!({
            "model": {"name": "m", "version": "1", "license": {"spdx": "Apache-2.0"},
                      "architecture": {"family": "llama"}},
            "training": {"energy": {"kwh": 3.0}, "compute": {"flops": 1e20}},
        }));
        assert_eq!(bare.total(), more.total(), "the same items are asked for");
        assert!(bare.total() > 0);
        assert!(more.filled() > bare.filled(), "{more:?} vs {bare:?}");
        assert!(bare.missing().contains(&"model.license.spdx"));
        assert!(!more.missing().contains(&"model.license.spdx"));
        assert!(more.percent() > bare.percent());
        assert_eq!(
            bare.parts.iter().map(|p| p.document).collect::<Vec<_>>(),
            ["annex-xi", "annex-xii"]
        );
    }

    #[test]
    fn the_percentage_rounds_down() {
        let c = Completeness {
            parts: vec![Part {
                document: "annex-xi",
                filled: 799,
                total: 1000,
                missing: vec![],
            }],
        };
        assert_eq!(c.percent(), 79);
        assert!(
            c.line()
                .starts_with("completeness 79 % (Annex XI 799 of 1000 items)")
        );
    }
}
