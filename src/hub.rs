//! The Hugging Face hub cache layout: which folder of a cache is the release.
//!
//! `huggingface_hub` keeps each repository as `<type>s--<org>--<name>/` holding `refs/<branch>`
//! (a commit hash), `snapshots/<commit>/` (the files, as links into `blobs/`) and `blobs/`. A user
//! who points scelle at the repository folder means the files of one revision, not the cache's
//! bookkeeping: the folder resolves to the snapshot `refs/main` names, or the one `--revision`
//! names (a branch under `refs/` or a commit under `snapshots/`). The repository id (`org/name`)
//! names the model, where a snapshot folder would only give its commit hash.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use fs_err as fs;
use serde::{Deserialize, Serialize};

/// The repository kinds of the cache, by folder prefix.
const KINDS: [(&str, &str); 3] = [
    ("models--", "model"),
    ("datasets--", "dataset"),
    ("spaces--", "space"),
];

/// A `refs/<branch>` file holds a 40-hex commit and a newline at most; anything longer is not one.
const MAX_REF: u64 = 256;
/// The part of a model card read for its title.
const MAX_CARD: u64 = 64 * 1024;

/// A release that is a snapshot of a hub cache repository, as recorded in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubSnapshot {
    /// `model`, `dataset` or `space`.
    pub kind: String,
    /// The repository id, `org/name` (or `name` for repositories without an organisation).
    pub repo: String,
    /// The branch the snapshot was reached through, when it was (`main`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// The snapshot's commit.
    pub commit: String,
}

/// Why a hub cache folder could not be resolved to a snapshot.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("`{}` has no revision `{revision}` (branches: {branches}; snapshots: {snapshots})", .repo.display())]
    NoRevision {
        repo: PathBuf,
        revision: String,
        branches: String,
        snapshots: String,
    },
    #[error("`{}` names commit `{commit}`, but `{}` is not in the cache", .reference.display(), .snapshot.display())]
    MissingSnapshot {
        reference: PathBuf,
        commit: String,
        snapshot: PathBuf,
    },
    #[error("`{}` does not hold a commit hash", .0.display())]
    BadRef(PathBuf),
    #[error("`--revision {revision}`: `{}` is not a Hugging Face cache folder (`models--ORG--NAME` with `refs/` and `snapshots/`)", .path.display())]
    NotARepo { path: PathBuf, revision: String },
    #[error("`--revision {0}` is not a branch or commit name")]
    BadRevision(String),
}

impl HubError {
    pub fn hint(&self) -> Option<String> {
        match self {
            HubError::NoRevision { .. } | HubError::BadRevision(_) => Some(
                "pass `--revision` with a branch under `refs/` or a commit under `snapshots/`"
                    .into(),
            ),
            HubError::MissingSnapshot { .. } => Some(
                "download the revision again (`hf download REPO`), or pick another with `--revision`"
                    .into(),
            ),
            HubError::NotARepo { .. } => {
                Some("leave out `--revision`, or point at the `models--ORG--NAME` folder".into())
            }
            _ => None,
        }
    }
}

/// The kind and id of a cache repository folder name (`models--org--name` gives `model`,
/// `org/name`), or `None` when the name is not one.
pub fn repo_id(folder_name: &str) -> Option<(&'static str, String)> {
    let (kind, rest) = KINDS
        .iter()
        .find_map(|(prefix, kind)| folder_name.strip_prefix(prefix).map(|rest| (*kind, rest)))?;
    if rest.is_empty() {
        return None;
    }
    // The hub forbids `--` inside names, so the cache's separator is unambiguous.
    Some((kind, rest.replacen("--", "/", 1)))
}

/// Whether `dir` is a repository folder of a hub cache (not one of its snapshots).
pub fn is_repo_folder(dir: &Path) -> bool {
    let named = dir
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(repo_id)
        .is_some();
    named
        && dir.join("snapshots").is_dir()
        && (dir.join("refs").is_dir() || dir.join("blobs").is_dir())
}

/// For a snapshot folder (`…/<type>s--org--name/snapshots/<commit>`, canonical), what it is a
/// snapshot of.
pub fn snapshot_of(canonical: &Path) -> Option<HubSnapshot> {
    let commit = canonical.file_name()?.to_str()?;
    let snapshots = canonical.parent()?;
    if snapshots.file_name()? != "snapshots" {
        return None;
    }
    let (kind, repo) = repo_id(snapshots.parent()?.file_name()?.to_str()?)?;
    Some(HubSnapshot {
        kind: kind.into(),
        repo,
        revision: None,
        commit: commit.into(),
    })
}

/// The snapshot folder of the repository folder `repo` for `revision` (a branch under `refs/`,
/// else a commit under `snapshots/`).
pub fn resolve(repo: &Path, revision: &str) -> Result<PathBuf, HubError> {
    let safe = !revision.is_empty()
        && !revision.starts_with('/')
        && revision
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..");
    if !safe {
        return Err(HubError::BadRevision(revision.into()));
    }
    let reference = repo.join("refs").join(revision);
    if reference.is_file() {
        let commit = read_ref(&reference)?;
        let snapshot = repo.join("snapshots").join(&commit);
        if !snapshot.is_dir() {
            return Err(HubError::MissingSnapshot {
                reference,
                commit,
                snapshot,
            });
        }
        return Ok(snapshot);
    }
    let snapshot = repo.join("snapshots").join(revision);
    if !revision.contains('/') && snapshot.is_dir() {
        return Ok(snapshot);
    }
    Err(HubError::NoRevision {
        repo: repo.into(),
        revision: revision.into(),
        branches: listing(&repo.join("refs")),
        snapshots: listing(&repo.join("snapshots")),
    })
}

/// The commit a `refs/<branch>` file holds.
fn read_ref(path: &Path) -> Result<String, HubError> {
    let mut text = String::new();
    let file = fs::File::open(path)?;
    if file.metadata()?.len() > MAX_REF {
        return Err(HubError::BadRef(path.into()));
    }
    file.take(MAX_REF)
        .read_to_string(&mut text)
        .map_err(|_| HubError::BadRef(path.into()))?;
    let commit = text.trim();
    let hex = |c: char| c.is_ascii_digit() || ('a'..='f').contains(&c);
    if commit.len() == 40 && commit.chars().all(hex) {
        Ok(commit.to_owned())
    } else {
        Err(HubError::BadRef(path.into()))
    }
}

/// The sorted entry names of a folder, for an error message (`none` when empty or absent).
fn listing(dir: &Path) -> String {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.file_name().to_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

/// The title of a model card (`README.md`): the first `# ` heading after any YAML front
/// matter. Only the first 64 KiB are read.
pub fn card_title(release: &Path) -> Option<String> {
    let path = release.join("README.md");
    if !fs::symlink_metadata(&path).ok()?.is_file() {
        return None;
    }
    let mut text = String::new();
    fs::File::open(&path)
        .ok()?
        .take(MAX_CARD)
        .read_to_string(&mut text)
        .ok()?;
    let mut lines = text.lines();
    let mut body: Vec<&str> = Vec::new();
    if text.starts_with("---") {
        lines.next();
        for line in lines.by_ref() {
            if line.trim_end() == "---" {
                break;
            }
        }
    }
    body.extend(lines);
    body.iter()
        .find_map(|l| l.strip_prefix("# "))
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty() && !t.chars().any(char::is_control))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_ids_come_from_the_folder_name() {
        assert_eq!(
            repo_id("models--Qwen--Qwen2.5-0.5B"),
            Some(("model", "Qwen/Qwen2.5-0.5B".to_owned()))
        );
        assert_eq!(
            repo_id("datasets--org--a-b"),
            Some(("dataset", "org/a-b".to_owned()))
        );
        assert_eq!(repo_id("models--gpt2"), Some(("model", "gpt2".to_owned())));
        assert_eq!(repo_id("models--"), None);
        assert_eq!(repo_id("my-model"), None);
    }

    #[test]
    fn revisions_resolve_through_refs_or_snapshots() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("models--org--m");
        let commit = "0123456789abcdef0123456789abcdef01234567";
        fs::create_dir_all(repo.join("snapshots").join(commit)).unwrap();
        fs::create_dir_all(repo.join("refs/pr")).unwrap();
        fs::write(repo.join("refs/main"), commit).unwrap();
        fs::write(repo.join("refs/pr/1"), format!("{commit}\n")).unwrap();
        assert!(is_repo_folder(&repo));
        let snapshot = repo.join("snapshots").join(commit);
        assert_eq!(resolve(&repo, "main").unwrap(), snapshot);
        assert_eq!(resolve(&repo, "pr/1").unwrap(), snapshot);
        assert_eq!(resolve(&repo, commit).unwrap(), snapshot);
        assert!(matches!(
            resolve(&repo, "../x"),
            Err(HubError::BadRevision(_))
        ));
        let err = resolve(&repo, "dev").unwrap_err().to_string();
        assert!(err.contains("branches: main, pr; snapshots: 0123"), "{err}");
        fs::write(repo.join("refs/bad"), "not a commit").unwrap();
        assert!(matches!(resolve(&repo, "bad"), Err(HubError::BadRef(_))));
    }

    #[test]
    fn the_card_title_skips_front_matter() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("README.md"),
            "---\nlicense: mit\n# not a title\n---\n\nText\n# Tiny Model\n",
        )
        .unwrap();
        assert_eq!(card_title(dir.path()).as_deref(), Some("Tiny Model"));
    }
}
