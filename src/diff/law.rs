//! What the law concludes from the differences between two releases, each conclusion with the
//! changes that triggered it.
//!
//! - A new public summary of training content (AI Act Art. 53(1)(d), template of 24 July 2025)
//!   when the training content changed: a training dataset added or removed, its size, its
//!   declared entry or its sealed files changed, a dataset file no declared dataset claims
//!   changed, or a `training.data*` field changed. Explanatory Notice C(2025) 8311 pt 29: the
//!   summary is updated at six-month intervals, or sooner when the additional data require a
//!   materially significant update, whichever is sooner; no update is due while the training
//!   content is unchanged.
//! - Updated documentation (Art. 53(1)(a)-(b), Annex XI and XII; Code of Practice, Transparency
//!   chapter, Measure 1.1: keep the Model Documentation Form up to date, keep previous versions
//!   ten years) when the weights, the scanned model (parameters, dtypes, architecture, formats),
//!   a declared `model.*` or `training.*` field (licence, intended uses, compute...) or the
//!   data used for training, testing or validation (Annex XI §2(c)) changed.
//!
//! Documentation files alone (the model card, policies) trigger neither.

use serde::Serialize;

use super::fields::{Change, FieldChange};
use super::files::Files;
use std::collections::BTreeSet;

use super::{Datasets, ModelChange};

/// Which obligation a conclusion is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Obligation {
    /// Publish a new public summary of training content.
    NewPublicSummary,
    /// Update the model documentation (Annex XI, Annex XII, Model Documentation Form).
    UpdatedDocumentation,
}

/// One thing the law asks because of the differences.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conclusion {
    pub obligation: Obligation,
    /// The conclusion in one sentence.
    pub title: &'static str,
    /// The legal basis.
    pub basis: &'static str,
    /// The changes that trigger it, one line each.
    pub because: Vec<String>,
}

const SUMMARY_TITLE: &str = "needs a new public summary of training content";
const SUMMARY_BASIS: &str = "AI Act Art. 53(1)(d); public summary template of 24 July 2025; Explanatory Notice C(2025) 8311 pt 29: update at six-month intervals, or sooner when the additional data require a materially significant update";
const DOCS_TITLE: &str = "needs updated documentation";
const DOCS_BASIS: &str = "AI Act Art. 53(1)(a)-(b), Annex XI and Annex XII; Code of Practice, Transparency chapter, Measure 1.1: keep the Model Documentation Form up to date and previous versions for 10 years";

/// What the conclusions are drawn from.
#[derive(Debug)]
pub(crate) struct Evidence<'a> {
    pub files: &'a Files,
    pub model: &'a ModelChange,
    pub datasets: &'a Datasets,
    pub fields: &'a [FieldChange],
    /// Every declared `datasets[].path` on either side.
    pub declared_paths: Vec<String>,
}

/// The conclusions, public summary first; none when nothing that matters changed.
pub(crate) fn conclude(e: &Evidence<'_>) -> Vec<Conclusion> {
    let mut out = Vec::new();
    let summary = summary_reasons(e);
    if !summary.is_empty() {
        out.push(Conclusion {
            obligation: Obligation::NewPublicSummary,
            title: SUMMARY_TITLE,
            basis: SUMMARY_BASIS,
            because: summary,
        });
    }
    let docs = documentation_reasons(e);
    if !docs.is_empty() {
        out.push(Conclusion {
            obligation: Obligation::UpdatedDocumentation,
            title: DOCS_TITLE,
            basis: DOCS_BASIS,
            because: docs,
        });
    }
    out
}

fn dataset_reasons(e: &Evidence<'_>, training_only: bool) -> Vec<String> {
    let mut out = Vec::new();
    for d in &e.datasets.declared {
        if training_only && !d.training {
            continue;
        }
        let what = if d.training {
            "training dataset"
        } else {
            "dataset"
        };
        match d.change {
            Change::Added => out.push(format!("{what} `{}` added", d.id)),
            Change::Removed => out.push(format!("{what} `{}` removed", d.id)),
            Change::Changed => {
                if d.fields.iter().any(|f| f == "size") {
                    out.push(format!("size of {what} `{}` changed", d.id));
                }
                let others: Vec<String> = d
                    .fields
                    .iter()
                    .filter(|f| *f != "size")
                    .map(|f| format!("`{f}`"))
                    .collect();
                if !others.is_empty() {
                    out.push(format!(
                        "{what} `{}` declared differently: {}",
                        d.id,
                        others.join(", ")
                    ));
                }
                if d.files_changed {
                    out.push(format!("sealed files of {what} `{}` changed", d.id));
                }
            }
        }
    }
    out
}

/// Dataset files that no declared dataset claims, added, removed or modified: they may be
/// training data, so they count as such.
fn unclaimed_data(e: &Evidence<'_>) -> Vec<String> {
    let declared: BTreeSet<&str> = e
        .declared_paths
        .iter()
        .map(|d| d.trim_end_matches('/'))
        .filter(|d| !d.is_empty())
        .collect();
    // A path is claimed when it or one of its folders is a declared path: a look-up per
    // folder, however many datasets the declaration lists.
    let claimed = |path: &str| {
        declared.contains(path)
            || path
                .match_indices('/')
                .any(|(i, _)| declared.contains(&path[..i]))
    };
    let is_data = |kind: Option<&str>| kind == Some("dataset");
    let mut out = Vec::new();
    for f in &e.files.added {
        if is_data(f.kind) && !claimed(&f.path) {
            out.push(format!(
                "dataset file `{}` added, claimed by no declared dataset",
                f.path
            ));
        }
    }
    for f in &e.files.removed {
        if is_data(f.kind) && !claimed(&f.path) {
            out.push(format!(
                "dataset file `{}` removed, claimed by no declared dataset",
                f.path
            ));
        }
    }
    for f in &e.files.modified {
        if is_data(f.kind) && !claimed(&f.path) {
            out.push(format!(
                "dataset file `{}` modified, claimed by no declared dataset",
                f.path
            ));
        }
    }
    out
}

fn summary_reasons(e: &Evidence<'_>) -> Vec<String> {
    let mut out = dataset_reasons(e, true);
    out.extend(unclaimed_data(e));
    for f in e.fields {
        if f.path.starts_with("training.data") {
            out.push(format!("declared field `{}` {}", f.path, f.change.as_str()));
        }
    }
    out
}

fn documentation_reasons(e: &Evidence<'_>) -> Vec<String> {
    let mut out = Vec::new();
    let weights = |kind: Option<&str>| kind == Some("weights");
    for f in &e.files.added {
        if weights(f.kind) {
            out.push(format!("weights file `{}` added", f.path));
        }
    }
    for f in &e.files.removed {
        if weights(f.kind) {
            out.push(format!("weights file `{}` removed", f.path));
        }
    }
    for f in &e.files.modified {
        if weights(f.kind) {
            out.push(format!("weights file `{}` modified", f.path));
        }
    }
    for aspect in &e.model.changed {
        out.push(format!(
            "scanned model {} changed",
            aspect.replace('_', " ")
        ));
    }
    for f in e.fields {
        if f.path.starts_with("model.") || f.path.starts_with("training.") {
            out.push(format!("declared field `{}` {}", f.path, f.change.as_str()));
        }
    }
    out.extend(dataset_reasons(e, false));
    out.extend(unclaimed_data(e));
    out
}

#[cfg(test)]
mod tests {
    use super::super::files::{Entry, Modified};
    use super::super::{DeclaredDataset, ModelChange};
    use super::*;

    fn evidence<'a>(
        files: &'a Files,
        model: &'a ModelChange,
        datasets: &'a Datasets,
        fields: &'a [FieldChange],
    ) -> Evidence<'a> {
        Evidence {
            files,
            model,
            datasets,
            fields,
            declared_paths: vec!["data/train/".into(), "single.jsonl".into()],
        }
    }

    fn dataset(id: &str, role: &str, change: Change) -> DeclaredDataset {
        DeclaredDataset {
            id: id.into(),
            change,
            role: Some(role.into()),
            training: crate::training_content::is_training_role(Some(role)),
            old_size: None,
            new_size: None,
            fields: Vec::new(),
            old_files: None,
            new_files: None,
            files_changed: false,
        }
    }

    fn field(path: &str) -> FieldChange {
        FieldChange {
            path: path.into(),
            change: Change::Changed,
            old: None,
            new: None,
        }
    }

    #[test]
    fn nothing_changed_concludes_nothing_and_docs_alone_neither() {
        let model = ModelChange::default();
        let datasets = Datasets::default();
        assert!(conclude(&evidence(&Files::default(), &model, &datasets, &[])).is_empty());
        let files = Files {
            modified: vec![Modified {
                path: "README.md".into(),
                kind: Some("docs"),
                old_size: 1,
                new_size: 2,
                old_sha256: "a".into(),
                new_sha256: "b".into(),
            }],
            ..Files::default()
        };
        let fields = [field("copyright.policy.sha256")];
        assert!(conclude(&evidence(&files, &model, &datasets, &fields)).is_empty());
    }

    #[test]
    fn a_training_dataset_added_needs_a_summary_and_documentation() {
        let model = ModelChange::default();
        let datasets = Datasets {
            declared: vec![dataset("new", "sft", Change::Added)],
            sealed: Vec::new(),
        };
        let got = conclude(&evidence(&Files::default(), &model, &datasets, &[]));
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].obligation, Obligation::NewPublicSummary);
        assert_eq!(got[0].because, ["training dataset `new` added"]);
        assert!(got[0].basis.contains("pt 29"));
        assert_eq!(got[1].obligation, Obligation::UpdatedDocumentation);
        assert!(got[1].basis.contains("Measure 1.1"));
    }

    #[test]
    fn an_eval_dataset_changes_the_documentation_not_the_summary() {
        let model = ModelChange::default();
        let datasets = Datasets {
            declared: vec![dataset("held-out", "eval", Change::Removed)],
            sealed: Vec::new(),
        };
        let got = conclude(&evidence(&Files::default(), &model, &datasets, &[]));
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].obligation, Obligation::UpdatedDocumentation);
        assert_eq!(got[0].because, ["dataset `held-out` removed"]);
    }

    #[test]
    fn weights_and_model_fields_need_documentation_only() {
        let files = Files {
            added: vec![Entry {
                path: "extra.safetensors".into(),
                kind: Some("weights"),
                size: 1,
                sha256: "x".into(),
            }],
            ..Files::default()
        };
        let model = ModelChange {
            changed: vec!["parameter_count"],
            ..ModelChange::default()
        };
        let datasets = Datasets::default();
        let fields = [field("model.license.spdx"), field("training.compute.flops")];
        let got = conclude(&evidence(&files, &model, &datasets, &fields));
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].obligation, Obligation::UpdatedDocumentation);
        assert_eq!(
            got[0].because,
            [
                "weights file `extra.safetensors` added",
                "scanned model parameter count changed",
                "declared field `model.license.spdx` changed",
                "declared field `training.compute.flops` changed",
            ]
        );
    }

    #[test]
    fn unclaimed_data_files_and_training_data_fields_need_a_summary() {
        let files = Files {
            added: vec![
                Entry {
                    path: "extra/more.jsonl".into(),
                    kind: Some("dataset"),
                    size: 1,
                    sha256: "x".into(),
                },
                Entry {
                    path: "data/train/claimed.jsonl".into(),
                    kind: Some("dataset"),
                    size: 1,
                    sha256: "y".into(),
                },
                Entry {
                    path: "single.jsonl".into(),
                    kind: Some("dataset"),
                    size: 1,
                    sha256: "z".into(),
                },
                Entry {
                    path: "data/training.jsonl".into(),
                    kind: Some("dataset"),
                    size: 1,
                    sha256: "w".into(),
                },
            ],
            ..Files::default()
        };
        let model = ModelChange::default();
        let datasets = Datasets::default();
        let fields = [field("training.data_tokens_total")];
        let got = conclude(&evidence(&files, &model, &datasets, &fields));
        assert_eq!(got[0].obligation, Obligation::NewPublicSummary);
        assert_eq!(
            got[0].because,
            [
                "dataset file `extra/more.jsonl` added, claimed by no declared dataset",
                "dataset file `data/training.jsonl` added, claimed by no declared dataset",
                "declared field `training.data_tokens_total` changed",
            ]
        );
    }
}
