//! The files of two releases compared by path and digest: added, removed, modified (same path,
//! other digest or size) and renamed (a removed path's digest found under an added path).
//!
//! A rename is a pairing, so ties need a rule that does not depend on the order files were
//! listed in: among the removed and added paths of one digest, paths with the same file name
//! pair first (`a/x.bin` moved to `b/x.bin`), then the rest pair in path order. Whatever is left
//! over stays added or removed.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::Serialize;

use crate::vocab::{Kind, Sha256Digest};

/// One file as the comparison sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    pub path: String,
    pub size: u64,
    /// Raw, not hex: a comparison of 200,000 files holds two lists of them.
    pub sha256: Sha256Digest,
    /// What the file is, when the record says.
    pub kind: Option<Kind>,
}

/// A file present on one side only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    pub size: u64,
    pub sha256: String,
}

/// A file at the same path with other content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Modified {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    pub old_size: u64,
    pub new_size: u64,
    pub old_sha256: String,
    pub new_sha256: String,
}

/// The same content under another path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Renamed {
    pub from: String,
    pub to: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    pub size: u64,
    pub sha256: String,
}

/// Every file difference, each list sorted by path (renames by their new path).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Files {
    pub added: Vec<Entry>,
    pub removed: Vec<Entry>,
    pub modified: Vec<Modified>,
    pub renamed: Vec<Renamed>,
    /// Files with the same path, size and digest on both sides.
    pub unchanged: usize,
}

impl Files {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.modified.is_empty()
            && self.renamed.is_empty()
    }
}

fn kind_name(kind: Option<Kind>) -> Option<&'static str> {
    kind.map(Kind::as_str)
}

fn entry(f: &FileInfo) -> Entry {
    Entry {
        path: f.path.clone(),
        kind: kind_name(f.kind),
        size: f.size,
        sha256: f.sha256.to_hex(),
    }
}

/// The file differences from `old` to `new`. A path listed twice on one side (a malformed
/// manifest) counts once, its first record.
pub fn compare(old: &[FileInfo], new: &[FileInfo]) -> Files {
    let (old, new) = (by_path(old), by_path(new));
    let mut files = Files::default();
    let mut removed: Vec<&FileInfo> = Vec::new();
    for (path, o) in &old {
        match new.get(path) {
            None => removed.push(o),
            Some(n) if n.sha256 != o.sha256 || n.size != o.size => {
                files.modified.push(Modified {
                    path: (*path).to_owned(),
                    kind: kind_name(n.kind.or(o.kind)),
                    old_size: o.size,
                    new_size: n.size,
                    old_sha256: o.sha256.to_hex(),
                    new_sha256: n.sha256.to_hex(),
                });
            }
            Some(_) => files.unchanged += 1,
        }
    }
    let added: Vec<&FileInfo> = new
        .iter()
        .filter(|(path, _)| !old.contains_key(*path))
        .map(|(_, f)| *f)
        .collect();
    let pairs = match_renames(&removed, &added);
    let paired_from: BTreeSet<&str> = pairs.iter().map(|(r, _)| r.path.as_str()).collect();
    let paired_to: BTreeSet<&str> = pairs.iter().map(|(_, a)| a.path.as_str()).collect();
    files.renamed = pairs
        .iter()
        .map(|(r, a)| Renamed {
            from: r.path.clone(),
            to: a.path.clone(),
            kind: kind_name(a.kind.or(r.kind)),
            size: a.size,
            sha256: a.sha256.to_hex(),
        })
        .collect();
    files.renamed.sort_by(|a, b| a.to.cmp(&b.to));
    files.removed = removed
        .iter()
        .filter(|f| !paired_from.contains(f.path.as_str()))
        .map(|f| entry(f))
        .collect();
    files.added = added
        .iter()
        .filter(|f| !paired_to.contains(f.path.as_str()))
        .map(|f| entry(f))
        .collect();
    files
}

fn by_path(files: &[FileInfo]) -> BTreeMap<&str, &FileInfo> {
    let mut map = BTreeMap::new();
    for f in files {
        map.entry(f.path.as_str()).or_insert(f);
    }
    map
}

/// Pairs removed files with added files of the same digest and size: same file name first,
/// then in path order (both lists are in path order already).
fn match_renames<'a>(
    removed: &[&'a FileInfo],
    added: &[&'a FileInfo],
) -> Vec<(&'a FileInfo, &'a FileInfo)> {
    // Per content (digest, size): the removed files, then the added ones.
    type Candidates<'f> = (Vec<&'f FileInfo>, Vec<&'f FileInfo>);
    let mut by_content: BTreeMap<(&Sha256Digest, u64), Candidates<'a>> = BTreeMap::new();
    for r in removed {
        by_content.entry((&r.sha256, r.size)).or_default().0.push(r);
    }
    for a in added {
        if let Some(slot) = by_content.get_mut(&(&a.sha256, a.size)) {
            slot.1.push(a);
        }
    }
    // Linear in the candidates whatever a manifest holds (thousands of copies of one file):
    // each added file waits in a queue per file name, taken in path order.
    let mut pairs = Vec::new();
    for (gone, came) in by_content.into_values() {
        let mut by_name: BTreeMap<&str, VecDeque<&FileInfo>> = BTreeMap::new();
        for a in &came {
            by_name.entry(file_name(&a.path)).or_default().push_back(a);
        }
        let mut taken: BTreeSet<&str> = BTreeSet::new();
        let mut unpaired = Vec::new();
        for r in gone {
            match by_name
                .get_mut(file_name(&r.path))
                .and_then(VecDeque::pop_front)
            {
                Some(a) => {
                    taken.insert(a.path.as_str());
                    pairs.push((r, a));
                }
                None => unpaired.push(r),
            }
        }
        let rest = came
            .into_iter()
            .filter(|a| !taken.contains(a.path.as_str()));
        pairs.extend(unpaired.into_iter().zip(rest));
    }
    pairs
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(path: &str, content: &str) -> FileInfo {
        FileInfo {
            path: path.into(),
            size: content.len() as u64,
            sha256: Sha256Digest::of(content.as_bytes()),
            kind: None,
        }
    }

    #[test]
    fn added_removed_modified_and_unchanged_are_told_apart() {
        let old = [f("a", "1"), f("b", "2"), f("c", "3")];
        let new = [f("a", "1"), f("b", "22"), f("d", "4")];
        let files = compare(&old, &new);
        assert_eq!(files.unchanged, 1);
        assert_eq!(files.modified.len(), 1);
        assert_eq!(files.modified[0].path, "b");
        assert_eq!(
            (files.modified[0].old_size, files.modified[0].new_size),
            (1, 2)
        );
        assert_eq!(files.removed, vec![entry(&f("c", "3"))]);
        assert_eq!(files.added, vec![entry(&f("d", "4"))]);
        assert!(files.renamed.is_empty());
    }

    #[test]
    fn a_removed_digest_under_an_added_path_is_a_rename() {
        let old = [f("weights/model.bin", "w"), f("x", "x")];
        let new = [f("model.bin", "w"), f("x", "x")];
        let files = compare(&old, &new);
        assert_eq!(files.renamed.len(), 1);
        assert_eq!(files.renamed[0].from, "weights/model.bin");
        assert_eq!(files.renamed[0].to, "model.bin");
        assert!(files.added.is_empty() && files.removed.is_empty());
    }

    #[test]
    fn ties_pair_by_file_name_then_by_path_whatever_the_input_order() {
        // Three removed copies of one content, two added: `b/y` keeps its name, then the
        // first removed path in order (`a/x`) takes the other; `c/z` stays removed.
        let old = [f("c/z", "same"), f("a/x", "same"), f("b/y", "same")];
        let new = [f("n/q", "same"), f("m/y", "same")];
        let expected = vec![("a/x", "n/q"), ("b/y", "m/y")];
        for (old, new) in [
            (old.to_vec(), new.to_vec()),
            (
                old.iter().rev().cloned().collect(),
                new.iter().rev().cloned().collect(),
            ),
        ] {
            let files = compare(&old, &new);
            let mut got: Vec<(&str, &str)> = files
                .renamed
                .iter()
                .map(|r| (r.from.as_str(), r.to.as_str()))
                .collect();
            got.sort_unstable();
            assert_eq!(got, expected);
            assert_eq!(files.removed, vec![entry(&f("c/z", "same"))]);
            assert!(files.added.is_empty());
        }
    }

    #[test]
    fn same_digest_at_the_same_path_is_no_rename_and_other_sizes_never_pair() {
        // A copy added next to an unchanged file is an addition, not a rename.
        let files = compare(&[f("a", "1")], &[f("a", "1"), f("b", "1")]);
        assert!(files.renamed.is_empty());
        assert_eq!(files.added.len(), 1);
        let mut odd = f("b", "1");
        odd.size = 9;
        let files = compare(&[f("a", "1")], &[odd]);
        assert!(files.renamed.is_empty());
    }

    #[test]
    fn many_copies_of_one_content_pair_in_linear_time() {
        // 20,000 removed and 20,000 added copies: quadratic pairing would take minutes.
        let n = 20_000;
        let old: Vec<FileInfo> = (0..n).map(|i| f(&format!("old/{i:05}"), "same")).collect();
        let new: Vec<FileInfo> = (0..n).map(|i| f(&format!("new/{i:05}"), "same")).collect();
        let files = compare(&old, &new);
        assert_eq!(files.renamed.len(), n);
        assert!(
            files
                .renamed
                .iter()
                .all(|r| file_name(&r.from) == file_name(&r.to))
        );
    }

    #[test]
    fn a_path_listed_twice_counts_once() {
        let files = compare(&[f("a", "1"), f("a", "2")], &[f("a", "1")]);
        assert!(files.is_empty());
        assert_eq!(files.unchanged, 1);
    }
}
