//! Datasets compared: the declared ones (`datasets[]`) by `id`, with the sealed files under
//! each one's `path`, and the folders the scan summarised (`predicate.datasets`) by path. Whether
//! a dataset trained the model is decided here, since the public summary depends on it.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use super::fields::Change;
use super::files::FileInfo;
use crate::training_content::is_training_role;
use crate::vocab::Sha256Digest;

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
pub(crate) fn declared_paths(old: Option<&Value>, new: Option<&Value>) -> Vec<String> {
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
fn file_set<'a>(files: &ByPath<'a>, dir: &str) -> (FileSet, BTreeSet<(&'a str, &'a Sha256Digest)>) {
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
            .map(|f| (f.path.as_str(), &f.sha256))
            .collect(),
    )
}

fn path_of(d: Option<&Value>) -> Option<&str> {
    d.and_then(|d| d.get("path")).and_then(Value::as_str)
}

pub(crate) fn declared(
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
        let Some(change) = Change::between(o, n, files_changed) else {
            continue;
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
            training: is_training_role(role.as_deref()),
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

pub(crate) fn sealed(old: &[Value], new: &[Value]) -> Vec<SealedDataset> {
    let (old, new) = (sealed_by_path(old), sealed_by_path(new));
    let paths: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    paths
        .into_iter()
        .filter_map(|path| {
            let (o, n) = (old.get(path).copied(), new.get(path).copied());
            let change = Change::between(o, n, false)?;
            Some(SealedDataset {
                path: path.clone(),
                change,
                old: o.cloned(),
                new: n.cloned(),
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
            sha256: Sha256Digest::of(path.as_bytes()),
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
            sha256: Sha256Digest::of(digest.as_bytes()),
            kind: None,
        };
        let old = [f("data/train/a.jsonl", "1"), f("data/eval/e.jsonl", "9")];
        let new = [f("data/train/a.jsonl", "2"), f("data/eval/e.jsonl", "9")];
        let got = declared(Some(&decl), Some(&decl), &old, &new);
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
        assert!(declared(Some(&decl), Some(&decl), &old, &old).is_empty());
    }

    #[test]
    fn evaluation_roles_are_not_training_and_a_missing_role_is() {
        for role in ["validation", "test", "eval"] {
            assert!(!is_training_role(Some(role)));
        }
        for role in ["pretraining", "sft", "rl", "preference", "midtraining"] {
            assert!(is_training_role(Some(role)));
        }
        assert!(is_training_role(None));
    }
}
