//! The differences between two releases: their files, the scanned model, the datasets (as
//! declared and as sealed), every declared field, the policy packs' results, and what the law
//! concludes from them (a new public summary of training content, updated documentation).
//!
//! Both releases come from [`Release::open`], so each says how far it was verified; the packs
//! run on both with the same options, so a rule that changes outcome changed because the
//! release did, not because the date or the packs did.

pub mod fields;
pub mod files;
pub mod law;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

pub use fields::{Change, FieldChange};
pub use files::{FileInfo, Files};
pub use law::{Conclusion, Obligation};

use crate::Error;
use crate::finding::{Outcome, Severity};
use crate::manifest::{Generator, Record};
use crate::policy::check::CheckReport;
use crate::policy::{Subject, VerificationFacts};
use crate::release::{CheckOptions, Parsed, Release};

/// The version of the JSON form (`docs/diff.md`); bumped when a field changes meaning.
pub const SCHEMA_VERSION: u32 = 1;

/// What a diff is not.
pub const DISCLAIMER: &str =
    "scelle compares declared and verified evidence; this is not a legal opinion";

/// Everything that differs between two releases.
#[derive(Debug, Clone, Serialize)]
pub struct Diff {
    pub schema_version: u32,
    pub generator: Generator,
    /// The day both releases' packs were judged as of.
    pub as_of: String,
    pub old: Side,
    pub new: Side,
    pub files: Files,
    pub model: ModelChange,
    pub datasets: Datasets,
    /// Every declared field added, removed or changed, sorted by path.
    pub fields: Vec<FieldChange>,
    /// Every rule whose outcome or severity changed, sorted by pack then rule.
    pub rules: Vec<RuleChange>,
    pub conclusions: Vec<Conclusion>,
    pub summary: Summary,
    pub disclaimer: &'static str,
}

/// One release as compared: what it is and how far it was verified.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    pub release: Subject,
    pub verification: VerificationFacts,
}

/// The scanned model (`predicate.model`) before and after.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ModelChange {
    pub old: Option<ModelSummary>,
    pub new: Option<ModelSummary>,
    /// Which of `parameter_count`, `dtypes`, `architecture`, `formats` differ.
    pub changed: Vec<&'static str>,
}

/// What the scan found about the model's weights.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ModelSummary {
    pub parameter_count: Option<u64>,
    /// Parameters per dtype.
    pub dtypes: BTreeMap<String, u64>,
    pub architecture: Option<Value>,
    pub formats: Vec<String>,
    pub weights_bytes: Option<u64>,
    pub weights_files: Option<u64>,
}

impl ModelSummary {
    fn of(model: &Value) -> Self {
        let (parameter_count, formats) = crate::policy::check::scanned_figures(Some(model));
        let dtypes = model
            .get("dtypes")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_u64()?)))
                    .collect()
            })
            .unwrap_or_default();
        ModelSummary {
            parameter_count,
            dtypes,
            architecture: model.get("architecture").cloned(),
            formats,
            weights_bytes: model.get("weights_bytes").and_then(Value::as_u64),
            weights_files: model.get("weights_files").and_then(Value::as_u64),
        }
    }
}

/// Datasets as the declaration lists them (by `id`) and as the scan sealed them (by folder).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Datasets {
    pub declared: Vec<DeclaredDataset>,
    pub sealed: Vec<SealedDataset>,
}

/// A declared dataset (`datasets[]`) that was added, removed or changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeclaredDataset {
    pub id: String,
    pub change: Change,
    /// `datasets[].role`, from the later release when it has the dataset.
    pub role: Option<String>,
    /// Whether the dataset trained the model (any role but validation, test and eval; a
    /// dataset with no role counts as training, the reading that misses no obligation).
    pub training: bool,
    pub old_size: Option<Value>,
    pub new_size: Option<Value>,
    /// The top-level fields of the entry that differ (`size`, `acquired_at`...).
    pub fields: Vec<String>,
    /// The sealed files under `datasets[].path` on each side, when it names one.
    pub old_files: Option<FileSet>,
    pub new_files: Option<FileSet>,
    /// Whether those files differ (a file added, removed or changed under the path).
    pub files_changed: bool,
}

/// The files sealed under a dataset's path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FileSet {
    pub files: usize,
    pub bytes: u64,
}

/// A dataset the scan summarised (`predicate.datasets`, by folder) that was added, removed or
/// changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SealedDataset {
    pub path: String,
    pub change: Change,
    pub old: Option<Value>,
    pub new: Option<Value>,
}

/// A rule's result on one side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RuleState {
    pub outcome: Outcome,
    pub severity: Severity,
}

/// A rule whose result differs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleChange {
    pub pack: String,
    pub rule: String,
    pub title: String,
    pub old: Option<RuleState>,
    pub new: Option<RuleState>,
    /// The later release's message for the rule, when it has a result.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Counts of what differs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Nothing differs: same files, same declaration, same results.
    pub identical: bool,
    pub files_added: usize,
    pub files_removed: usize,
    pub files_modified: usize,
    pub files_renamed: usize,
    pub files_unchanged: usize,
    pub datasets_changed: usize,
    pub fields_changed: usize,
    pub rules_changed: usize,
}

/// Compares `old` with `new`, running the packs on both with `options`.
pub fn compare(
    old: &mut Release,
    new: &mut Release,
    options: &CheckOptions<'_>,
) -> Result<Diff, Error> {
    let old_check = old.check(options)?;
    let new_check = new.check(options)?;
    Ok(between(old, new, &old_check, &new_check, options.as_of))
}

/// The diff of two releases whose packs ran already.
pub fn between(
    old: &Release,
    new: &Release,
    old_check: &CheckReport,
    new_check: &CheckReport,
    as_of: &str,
) -> Diff {
    let (old_files, new_files) = (file_infos(&old.statement), file_infos(&new.statement));
    let files = files::compare(&old_files, &new_files);
    let model = model_change(
        predicate_model(&old.statement),
        predicate_model(&new.statement),
    );
    let datasets = Datasets {
        declared: declared_datasets(old.declared(), new.declared(), &old_files, &new_files),
        sealed: sealed_datasets(sealed(&old.statement), sealed(&new.statement)),
    };
    let fields = fields::compare(old.declared(), new.declared());
    let rules = rule_changes(old_check, new_check);
    let conclusions = law::conclude(&law::Evidence {
        files: &files,
        model: &model,
        datasets: &datasets,
        fields: &fields,
        declared_paths: declared_paths(old.declared(), new.declared()),
    });
    let summary = Summary {
        identical: files.is_empty()
            && model.changed.is_empty()
            && datasets.declared.is_empty()
            && datasets.sealed.is_empty()
            && fields.is_empty()
            && rules.is_empty(),
        files_added: files.added.len(),
        files_removed: files.removed.len(),
        files_modified: files.modified.len(),
        files_renamed: files.renamed.len(),
        files_unchanged: files.unchanged,
        datasets_changed: datasets.declared.len() + datasets.sealed.len(),
        fields_changed: fields.len(),
        rules_changed: rules.len(),
    };
    Diff {
        schema_version: SCHEMA_VERSION,
        generator: Generator::this(),
        as_of: as_of.to_owned(),
        old: Side {
            release: old.subject.clone(),
            verification: old.verification.clone(),
        },
        new: Side {
            release: new.subject.clone(),
            verification: new.verification.clone(),
        },
        files,
        model,
        datasets,
        fields,
        rules,
        conclusions,
        summary,
        disclaimer: DISCLAIMER,
    }
}

fn file_infos(statement: &Parsed) -> Vec<FileInfo> {
    fn info<F: Record>(f: &F, kind: Option<crate::vocab::Kind>) -> FileInfo {
        FileInfo {
            path: f.path().as_str().to_owned(),
            size: f.size(),
            sha256: f.sha256().to_hex(),
            kind,
        }
    }
    match statement {
        Parsed::Full(s) => s
            .predicate
            .files
            .iter()
            .map(|f| info(f, Some(f.kind)))
            .collect(),
        Parsed::Light(s) => s.predicate.files.iter().map(|f| info(f, None)).collect(),
    }
}

fn predicate_model(statement: &Parsed) -> Option<&Value> {
    match statement {
        Parsed::Full(s) => s.predicate.model.as_ref(),
        Parsed::Light(s) => s.predicate.model.as_ref(),
    }
}

fn sealed(statement: &Parsed) -> &[Value] {
    match statement {
        Parsed::Full(s) => &s.predicate.datasets,
        Parsed::Light(s) => &s.predicate.datasets,
    }
}

fn model_change(old: Option<&Value>, new: Option<&Value>) -> ModelChange {
    let (old, new) = (old.map(ModelSummary::of), new.map(ModelSummary::of));
    let mut changed = Vec::new();
    let blank = ModelSummary::default();
    let (o, n) = (
        old.as_ref().unwrap_or(&blank),
        new.as_ref().unwrap_or(&blank),
    );
    if o.parameter_count != n.parameter_count {
        changed.push("parameter_count");
    }
    if o.dtypes != n.dtypes {
        changed.push("dtypes");
    }
    if o.architecture != n.architecture {
        changed.push("architecture");
    }
    if o.formats != n.formats {
        changed.push("formats");
    }
    ModelChange { old, new, changed }
}

/// The declared datasets by `id` (an entry without one by its position, `#0`).
fn datasets_by_id(declared: Option<&Value>) -> BTreeMap<String, &Value> {
    declared
        .and_then(|d| d.get("datasets"))
        .and_then(Value::as_array)
        .map(|list| {
            let mut map = BTreeMap::new();
            for (i, d) in list.iter().enumerate() {
                let id = d
                    .get("id")
                    .and_then(Value::as_str)
                    .map_or_else(|| format!("#{i}"), str::to_owned);
                map.entry(id).or_insert(d);
            }
            map
        })
        .unwrap_or_default()
}

/// The declared `path` of every dataset on either side.
fn declared_paths(old: Option<&Value>, new: Option<&Value>) -> Vec<String> {
    let mut paths: BTreeSet<String> = BTreeSet::new();
    for decl in [old, new] {
        for d in datasets_by_id(decl).values() {
            if let Some(p) = d.get("path").and_then(Value::as_str) {
                paths.insert(p.to_owned());
            }
        }
    }
    paths.into_iter().collect()
}

/// The files of one side by path, to find those under a folder without a scan of all.
type ByPath<'a> = BTreeMap<&'a str, &'a FileInfo>;

fn by_path(files: &[FileInfo]) -> ByPath<'_> {
    files.iter().map(|f| (f.path.as_str(), f)).collect()
}

/// The files under `dir`: the path itself, then the range of paths starting with `dir/`.
fn file_set<'a>(files: &ByPath<'a>, dir: &str) -> (FileSet, BTreeSet<(&'a str, &'a str)>) {
    let dir = dir.trim_end_matches('/');
    let mut inside: Vec<&FileInfo> = Vec::new();
    if !dir.is_empty() {
        inside.extend(files.get(dir).copied());
        let prefix = format!("{dir}/");
        inside.extend(
            files
                .range(prefix.as_str()..)
                .take_while(|(p, _)| p.starts_with(&prefix))
                .map(|(_, f)| *f),
        );
    }
    let set = FileSet {
        files: inside.len(),
        bytes: inside.iter().map(|f| f.size).sum(),
    };
    (
        set,
        inside
            .iter()
            .map(|f| (f.path.as_str(), f.sha256.as_str()))
            .collect(),
    )
}

fn is_training(role: Option<&str>) -> bool {
    !matches!(role, Some("validation" | "test" | "eval"))
}

fn path_of(d: Option<&Value>) -> Option<&str> {
    d.and_then(|d| d.get("path")).and_then(Value::as_str)
}

fn declared_datasets(
    old: Option<&Value>,
    new: Option<&Value>,
    old_files: &[FileInfo],
    new_files: &[FileInfo],
) -> Vec<DeclaredDataset> {
    let (old, new) = (datasets_by_id(old), datasets_by_id(new));
    let ids: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let (old_index, new_index) = (by_path(old_files), by_path(new_files));
    // Many entries may name one folder: each folder's files are gathered once per side.
    let mut old_sets = BTreeMap::new();
    let mut new_sets = BTreeMap::new();
    let mut out = Vec::new();
    for id in ids {
        let (o, n) = (old.get(id).copied(), new.get(id).copied());
        let old_set = path_of(o).map(|p| {
            old_sets
                .entry(p)
                .or_insert_with(|| file_set(&old_index, p))
                .clone()
        });
        let new_set = path_of(n).map(|p| {
            new_sets
                .entry(p)
                .or_insert_with(|| file_set(&new_index, p))
                .clone()
        });
        let files_changed = match (&old_set, &new_set) {
            (Some((_, a)), Some((_, b))) => a != b,
            (None, None) => false,
            _ => true,
        };
        let change = match (o, n) {
            (None, Some(_)) => Change::Added,
            (Some(_), None) => Change::Removed,
            (Some(a), Some(b)) if a != b || files_changed => Change::Changed,
            _ => continue,
        };
        let top = |d: Option<&Value>| d.and_then(Value::as_object).cloned().unwrap_or_default();
        let (to, tn) = (top(o), top(n));
        let fields: Vec<String> = if change == Change::Changed {
            to.keys()
                .chain(tn.keys())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .filter(|k| to.get(*k) != tn.get(*k))
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        let role = n
            .or(o)
            .and_then(|d| d.get("role"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let size = |d: Option<&Value>| d.and_then(|d| d.get("size")).cloned();
        out.push(DeclaredDataset {
            id: id.clone(),
            change,
            training: is_training(role.as_deref()),
            role,
            old_size: size(o),
            new_size: size(n),
            fields,
            old_files: old_set.map(|(s, _)| s),
            new_files: new_set.map(|(s, _)| s),
            files_changed,
        });
    }
    out
}

/// The scan's dataset summaries by folder (an entry without one by its position, `#0`).
fn sealed_by_path(list: &[Value]) -> BTreeMap<String, &Value> {
    let mut map = BTreeMap::new();
    for (i, d) in list.iter().enumerate() {
        let path = d
            .get("path")
            .and_then(Value::as_str)
            .map_or_else(|| format!("#{i}"), str::to_owned);
        map.entry(path).or_insert(d);
    }
    map
}

fn sealed_datasets(old: &[Value], new: &[Value]) -> Vec<SealedDataset> {
    let (old, new) = (sealed_by_path(old), sealed_by_path(new));
    let paths: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    paths
        .into_iter()
        .filter_map(|path| {
            let (o, n) = (old.get(path).copied(), new.get(path).copied());
            let change = match (o, n) {
                (None, Some(_)) => Change::Added,
                (Some(_), None) => Change::Removed,
                (Some(a), Some(b)) if a != b => Change::Changed,
                _ => return None,
            };
            Some(SealedDataset {
                path: path.clone(),
                change,
                old: o.cloned(),
                new: n.cloned(),
            })
        })
        .collect()
}

fn rule_states(report: &CheckReport) -> BTreeMap<(String, String), (String, RuleState, String)> {
    let mut map = BTreeMap::new();
    for pack in &report.packs {
        for r in &pack.results {
            map.entry((pack.name.clone(), r.id.clone())).or_insert((
                r.title.clone(),
                RuleState {
                    outcome: r.outcome,
                    severity: r.severity,
                },
                r.message.clone(),
            ));
        }
    }
    map
}

fn rule_changes(old: &CheckReport, new: &CheckReport) -> Vec<RuleChange> {
    let (old, new) = (rule_states(old), rule_states(new));
    let keys: BTreeSet<&(String, String)> = old.keys().chain(new.keys()).collect();
    keys.into_iter()
        .filter_map(|key| {
            let (o, n) = (old.get(key), new.get(key));
            if o.map(|x| x.1) == n.map(|x| x.1) {
                return None;
            }
            let title = n.or(o).map(|x| x.0.clone()).unwrap_or_default();
            Some(RuleChange {
                pack: key.0.clone(),
                rule: key.1.clone(),
                title,
                old: o.map(|x| x.1),
                new: n.map(|x| x.1),
                message: n.map(|x| x.2.clone()).filter(|m| !m.is_empty()),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_holds_its_files_and_not_a_longer_sibling() {
        let f = |path: &str, size: u64| FileInfo {
            path: path.into(),
            size,
            sha256: format!("d-{path}"),
            kind: None,
        };
        let files = [
            f("data/eval", 1),
            f("data/eval-x/a", 2),
            f("data/eval/a.jsonl", 4),
            f("data/eval/b/c.jsonl", 8),
            f("data/evaluation/a", 16),
            f("data/f", 32),
        ];
        let index = by_path(&files);
        for dir in ["data/eval", "data/eval/"] {
            let (set, members) = file_set(&index, dir);
            assert_eq!(
                set,
                FileSet {
                    files: 3,
                    bytes: 13
                }
            );
            let paths: Vec<&str> = members.iter().map(|m| m.0).collect();
            assert_eq!(
                paths,
                ["data/eval", "data/eval/a.jsonl", "data/eval/b/c.jsonl"]
            );
        }
        assert_eq!(file_set(&index, "").0, FileSet { files: 0, bytes: 0 });
        assert_eq!(file_set(&index, "nowhere").0.files, 0);
    }

    #[test]
    fn a_dataset_whose_sealed_files_changed_is_changed_though_declared_the_same() {
        let decl = serde_json::json!({"datasets": [
            {"id": "train", "role": "sft", "path": "data/train", "size": {"records": 2}},
            {"id": "held", "role": "eval", "path": "data/eval"}
        ]});
        let f = |path: &str, digest: &str| FileInfo {
            path: path.into(),
            size: 10,
            sha256: digest.into(),
            kind: None,
        };
        let old = [f("data/train/a.jsonl", "1"), f("data/eval/e.jsonl", "9")];
        let new = [f("data/train/a.jsonl", "2"), f("data/eval/e.jsonl", "9")];
        let got = declared_datasets(Some(&decl), Some(&decl), &old, &new);
        assert_eq!(got.len(), 1, "{got:#?}");
        let d = &got[0];
        assert_eq!((d.id.as_str(), d.change), ("train", Change::Changed));
        assert!(d.files_changed && d.training && d.fields.is_empty());
        assert_eq!(
            d.old_files,
            Some(FileSet {
                files: 1,
                bytes: 10
            })
        );
        assert_eq!(d.old_size, d.new_size);
        assert!(declared_datasets(Some(&decl), Some(&decl), &old, &old).is_empty());
    }

    #[test]
    fn evaluation_roles_are_not_training_and_a_missing_role_is() {
        for role in ["validation", "test", "eval"] {
            assert!(!is_training(Some(role)));
        }
        for role in ["pretraining", "sft", "rl", "preference", "midtraining"] {
            assert!(is_training(Some(role)));
        }
        assert!(is_training(None));
    }
}
