//! The release walker: which files belong to a release, under which names.
//!
//! A provenance tool must not skip a file silently, so this walker has none of the usual
//! conveniences: no gitignore filtering, dotfiles included, and only a short list of top-level
//! ignores that match the OpenSSF Model Signing reference (`.git`, `.gitattributes`, `.github`,
//! `.gitignore`) plus scelle's own cache folder, the output being written and what the user names
//! with `--ignore`. Anything that cannot be recorded faithfully (a name that is not UTF-8, a FIFO,
//! a symbolic link when links are not allowed, a link leaving the release) stops the walk with an
//! error naming the path, rather than being dropped.
//!
//! Two kinds of folder are left out by content, each recorded among the ignored paths and named
//! on stderr: a folder holding a `CACHEDIR.TAG` with the standard signature (tools' caches, such
//! as the `.cache/huggingface` download metadata `hf download --local-dir` leaves), and, at the
//! top, a file named like a signature bundle (`scelle.sigstore.json`, `model.sig`) that is one:
//! a release can carry a scelle bundle and an OMS bundle, and neither is part of the other.
//!
//! A release can also be a single file (named by its file name), or a Hugging Face cache
//! repository folder, which stands for one of its snapshots ([`crate::hub`]).
//!
//! Entries come back sorted by path components, the order of the manifest and the root digest.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use fs_err as fs;

use crate::hub::{self, HubError, HubSnapshot};
use crate::manifest::{PathError, RelPath};

/// Top-level names ignored by default: the reference tool's git entries plus scelle's cache.
pub const DEFAULT_IGNORES: [&str; 5] =
    [".git", ".gitattributes", ".github", ".gitignore", CACHE_DIR];

/// scelle's own cache folder at the top of a release (reserved; never hashed).
pub const CACHE_DIR: &str = ".scelle";

/// The default names of the two bundle formats at the top of a release folder.
pub const BUNDLE_NAMES: [&str; 2] = ["scelle.sigstore.json", "model.sig"];

/// The start of every `CACHEDIR.TAG` (<https://bford.info/cachedir/>); a file without it is not
/// a tag.
const CACHEDIR_SIGNATURE: &[u8] = b"Signature: 8a477f597d28d172789f06886806bc55";

/// How symbolic links inside a release are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SymlinkPolicy {
    /// Any link is an error (the default: a link can change what a name means after sealing).
    #[default]
    Reject,
    /// Links are followed when their target stays inside the release root.
    FollowInside,
}

impl SymlinkPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            SymlinkPolicy::Reject => "reject",
            SymlinkPolicy::FollowInside => "follow-inside",
        }
    }
}

/// What to walk and how.
#[derive(Debug, Clone, Default)]
pub struct WalkOptions {
    /// Paths to leave out (a path and everything below it); the defaults are added by `walk`.
    pub ignore: Vec<RelPath>,
    /// Whether to keep the default ignores ([`DEFAULT_IGNORES`]).
    pub no_default_ignores: bool,
    pub symlinks: SymlinkPolicy,
    /// Return an empty list rather than an error when there are no files (a verifier must be
    /// able to say "every signed file is missing").
    pub allow_empty: bool,
    /// In a Hugging Face cache repository folder, the branch or commit to walk (default `main`).
    pub revision: Option<String>,
}

/// One file of the release.
#[derive(Debug, Clone)]
pub struct WalkEntry {
    /// The name recorded in the manifest.
    pub rel: RelPath,
    /// Where to read it (under the root as given, so links are followed by the OS).
    pub path: PathBuf,
    /// Size seen by the walk; the hasher re-checks it.
    pub size: u64,
    /// What the walk saw of the file; the hasher compares the open file with it before and
    /// after reading.
    pub stamp: Stamp,
    /// In a Hugging Face cache snapshot: the name of the blob the link points to (its `ETag`:
    /// the SHA-256 of an LFS file, the git blob SHA-1 of a small one).
    pub hub_blob: Option<String>,
}

/// What identifies one version of a file: its size, modification and status-change times,
/// and inode. A file rewritten in place changes its change time even when its modification
/// time is put back (`touch -d`, `utime`); a file replaced by a rename has another inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stamp {
    pub len: u64,
    /// Modification time: seconds and nanoseconds since 1970.
    pub modified: (i64, i64),
    /// Status change time (ctime), which no user call can set.
    pub changed: (i64, i64),
    pub inode: u64,
    pub device: u64,
}

impl Stamp {
    pub fn of(meta: &std::fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt;
        Stamp {
            len: meta.len(),
            modified: (meta.mtime(), meta.mtime_nsec()),
            changed: (meta.ctime(), meta.ctime_nsec()),
            inode: meta.ino(),
            device: meta.dev(),
        }
    }
}

/// The outcome of a walk.
#[derive(Debug, Clone)]
pub struct Walk {
    /// Files, sorted by path components.
    pub entries: Vec<WalkEntry>,
    /// Every ignore rule that was in force (sorted), recorded in the manifest.
    pub ignore: Vec<RelPath>,
    /// The root is a Hugging Face cache snapshot (`<repo>/snapshots/<revision>`).
    pub hub_snapshot: bool,
    /// Which hub repository and commit the snapshot is.
    pub hub: Option<HubSnapshot>,
    /// The release is one file, not a folder.
    pub single_file: bool,
    /// What was left out by content (also in `ignore`), for the command to say so.
    pub left_out: Vec<LeftOut>,
}

/// A path left out because of what it is rather than by an ignore rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeftOut {
    pub rel: RelPath,
    pub reason: LeftOutReason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeftOutReason {
    /// A folder holding a `CACHEDIR.TAG`: a tool's cache, not release content.
    CacheTag,
    /// A signature bundle of the release (the other format's, or an earlier one).
    Bundle,
}

impl LeftOut {
    /// Whether a user should hear about it without `-v`: a left-out cache folder might hold
    /// something they meant to seal; a bundle never does.
    pub fn worth_a_note(&self) -> bool {
        self.reason == LeftOutReason::CacheTag
    }
}

impl std::fmt::Display for LeftOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.reason {
            LeftOutReason::CacheTag => write!(
                f,
                "left out `{}/`: it holds a `CACHEDIR.TAG` (a cache, such as download metadata)",
                self.rel
            ),
            LeftOutReason::Bundle => {
                write!(
                    f,
                    "left out `{}`: a signature bundle, not release content",
                    self.rel
                )
            }
        }
    }
}

/// A release as named on the command line, resolved: a hub cache repository folder becomes the
/// snapshot of the requested revision.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The folder or file to walk.
    pub path: PathBuf,
    /// The hub repository and commit, when the release is a cache snapshot.
    pub hub: Option<HubSnapshot>,
}

/// Resolves `path` (a folder, a file, or a hub cache repository folder) for `revision`.
pub fn resolve_release(path: &Path, revision: Option<&str>) -> Result<Resolved, WalkError> {
    // The parent of a bare file name is the empty path: the current folder.
    let path = if path.as_os_str().is_empty() {
        Path::new(".")
    } else {
        path
    };
    let meta = existing(path)?;
    if meta.is_dir() && hub::is_repo_folder(path) {
        let wanted = revision.unwrap_or("main");
        let snapshot = hub::resolve(path, wanted)?;
        let mut hub = fs::canonicalize(&snapshot)
            .ok()
            .and_then(|c| hub::snapshot_of(&c));
        if let Some(h) = &mut hub
            && h.commit != wanted
        {
            h.revision = Some(wanted.to_owned());
        }
        return Ok(Resolved {
            path: snapshot,
            hub,
        });
    }
    if let Some(revision) = revision {
        return Err(HubError::NotARepo {
            path: path.into(),
            revision: revision.into(),
        }
        .into());
    }
    let hub = if meta.is_dir() {
        fs::canonicalize(path)
            .ok()
            .and_then(|c| hub::snapshot_of(&c))
    } else {
        None
    };
    Ok(Resolved {
        path: path.into(),
        hub,
    })
}

/// The metadata of a path the user named, following links; a missing one is named as missing.
pub fn existing(path: &Path) -> Result<std::fs::Metadata, WalkError> {
    match fs::metadata(path) {
        Ok(m) => Ok(m),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(WalkError::Missing(path.to_path_buf()))
        }
        Err(e) => Err(e.into()),
    }
}

/// Checks that a file the user named as input exists and is not a folder (`what` says what it
/// should be: "a manifest").
pub fn input_file(path: &Path, what: &'static str) -> Result<(), WalkError> {
    if existing(path)?.is_dir() {
        return Err(WalkError::Folder {
            path: path.into(),
            what,
        });
    }
    Ok(())
}

/// Whether the file at `path` is a Sigstore bundle: a regular file holding a JSON object whose
/// first member is the bundle media type, as scelle and `model_signing` write them. Only the
/// first bytes are read; the verifier checks the rest of whichever bundle it is given.
pub fn is_bundle_file(path: &Path) -> bool {
    const PREFIX: &[&[u8]] = &[
        b"{",
        b"\"mediaType\"",
        b":",
        b"\"application/vnd.dev.sigstore.bundle",
    ];
    let regular = fs::symlink_metadata(path).is_ok_and(|m| m.is_file());
    let mut head = Vec::with_capacity(256);
    let read = regular
        && fs::File::open(path)
            .and_then(|f| f.take(256).read_to_end(&mut head))
            .is_ok();
    if !read {
        return false;
    }
    let mut rest = head.as_slice();
    for token in PREFIX {
        rest = rest.trim_ascii_start();
        match rest.strip_prefix(*token) {
            Some(after) => rest = after,
            None => return false,
        }
    }
    true
}

/// Whether `dir` holds a cache directory tag with the standard signature.
fn cache_tagged(dir: &Path) -> bool {
    let tag = dir.join("CACHEDIR.TAG");
    if !fs::symlink_metadata(&tag).is_ok_and(|m| m.is_file()) {
        return false;
    }
    let mut head = Vec::with_capacity(CACHEDIR_SIGNATURE.len());
    fs::File::open(&tag)
        .and_then(|f| {
            f.take(CACHEDIR_SIGNATURE.len() as u64)
                .read_to_end(&mut head)
        })
        .is_ok_and(|_| head == CACHEDIR_SIGNATURE)
}

/// For a Hugging Face cache snapshot (`…/models--ORG--NAME/snapshots/REV`), the repository's
/// `blobs/` folder, where the snapshot's links point.
fn hub_blobs(canonical_root: &Path) -> Option<PathBuf> {
    let snapshots = canonical_root.parent()?;
    let repo = snapshots.parent()?;
    let repo_name = repo.file_name()?.to_str()?;
    let is_repo = ["models--", "datasets--", "spaces--"]
        .iter()
        .any(|p| repo_name.starts_with(p));
    (snapshots.file_name()? == "snapshots" && is_repo).then(|| repo.join("blobs"))
}

/// Why a release could not be walked.
#[derive(Debug, thiserror::Error)]
pub enum WalkError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Hub(#[from] HubError),
    #[error("`{}` does not exist", .0.display())]
    Missing(PathBuf),
    #[error("`{}` is a folder, not {what}", .path.display())]
    Folder { path: PathBuf, what: &'static str },
    #[error("`{}` holds no files to seal", .0.display())]
    Empty(PathBuf),
    #[error("`{}`: the file name is not valid UTF-8", .0.display())]
    NotUtf8(PathBuf),
    #[error("`{}`: the name cannot be recorded: {reason}", .path.display())]
    BadName { path: PathBuf, reason: PathError },
    #[error("`{}` is a symbolic link", .0.display())]
    Symlink(PathBuf),
    #[error("`{}` is a broken symbolic link", .0.display())]
    BrokenSymlink(PathBuf),
    #[error("`{}` is a symbolic link to `{}`, outside the release", .link.display(), .target.display())]
    SymlinkEscape { link: PathBuf, target: PathBuf },
    #[error("`{}` is a symbolic link that loops back to `{}`", .link.display(), .target.display())]
    SymlinkLoop { link: PathBuf, target: PathBuf },
    #[error("`{}` is a {what}, not a regular file", .path.display())]
    NotRegular { path: PathBuf, what: &'static str },
}

impl WalkError {
    /// The obvious fix, when there is one.
    pub fn hint(&self) -> Option<String> {
        match self {
            WalkError::Symlink(_) => Some(
                "pass `--allow-symlinks` to follow links whose target stays inside the release"
                    .into(),
            ),
            WalkError::NotUtf8(_) | WalkError::BadName { .. } => {
                Some("rename the file: manifests record portable UTF-8 names only".into())
            }
            WalkError::NotRegular { .. }
            | WalkError::BrokenSymlink(_)
            | WalkError::SymlinkEscape { .. } => {
                Some("remove it from the release or leave it out with `--ignore PATH`".into())
            }
            WalkError::Hub(e) => e.hint(),
            _ => None,
        }
    }
}

/// The canonical directories on the current logical path, to detect link loops.
struct Chain {
    dir: PathBuf,
    parent: Option<Rc<Chain>>,
}

impl Chain {
    fn contains(&self, dir: &Path) -> bool {
        let mut node = Some(self);
        while let Some(n) = node {
            if n.dir == dir {
                return true;
            }
            node = n.parent.as_deref();
        }
        false
    }
}

struct Frame {
    path: PathBuf,
    rel: Option<RelPath>,
    chain: Rc<Chain>,
}

/// Walks `root` (a folder, one file, or a hub cache repository folder, which stands for the
/// snapshot of `options.revision`) and returns its files in manifest order.
pub fn walk(root: &Path, options: &WalkOptions) -> Result<Walk, WalkError> {
    let resolved = resolve_release(root, options.revision.as_deref())?;
    let root = resolved.path.as_path();
    let meta = existing(root)?;
    if meta.is_file() {
        return single_file(root, &meta);
    }
    if !meta.is_dir() {
        return Err(WalkError::NotRegular {
            path: root.to_path_buf(),
            what: crate::input::type_name(meta.file_type()),
        });
    }
    let canonical_root = fs::canonicalize(root)?;
    let mut ignore: Vec<RelPath> = options.ignore.clone();
    if !options.no_default_ignores {
        for name in DEFAULT_IGNORES {
            let rel = RelPath::new(name);
            ignore.push(rel.map_err(|reason| WalkError::BadName {
                path: name.into(),
                reason,
            })?);
        }
    }
    ignore.sort();
    ignore.dedup();

    let hub_blobs = hub_blobs(&canonical_root).and_then(|b| fs::canonicalize(b).ok());
    let root_chain = Rc::new(Chain {
        dir: canonical_root.clone(),
        parent: None,
    });
    let mut walker = Walker {
        symlinks: options.symlinks,
        hub_blobs,
        canonical_root,
        ignore,
        entries: Vec::new(),
        stack: vec![Frame {
            path: root.to_path_buf(),
            rel: None,
            chain: root_chain,
        }],
    };
    // Leaving out by content is part of the defaults: a verifier walks with exactly the rules
    // the signed manifest records.
    let by_content = !options.no_default_ignores;
    let mut left_out = Vec::new();
    while let Some(frame) = walker.stack.pop() {
        if let Some(rel) = &frame.rel
            && by_content
            && cache_tagged(&frame.path)
        {
            left_out.push(LeftOut {
                rel: rel.clone(),
                reason: LeftOutReason::CacheTag,
            });
            continue;
        }
        for (rel, path, file_type) in walker.children(&frame)? {
            if frame.rel.is_none()
                && by_content
                && BUNDLE_NAMES.contains(&rel.as_str())
                && file_type.is_file()
                && is_bundle_file(&path)
            {
                left_out.push(LeftOut {
                    rel,
                    reason: LeftOutReason::Bundle,
                });
                continue;
            }
            walker.visit(&frame, rel, path, file_type)?;
        }
    }
    if walker.entries.is_empty() && !options.allow_empty {
        return Err(WalkError::Empty(root.to_path_buf()));
    }
    walker.entries.sort_by(|a, b| a.rel.cmp(&b.rel));
    left_out.sort_by(|a, b| a.rel.cmp(&b.rel));
    walker.ignore.extend(left_out.iter().map(|l| l.rel.clone()));
    walker.ignore.sort();
    walker.ignore.dedup();
    Ok(Walk {
        hub_snapshot: walker.hub_blobs.is_some(),
        hub: resolved.hub,
        entries: walker.entries,
        ignore: walker.ignore,
        single_file: false,
        left_out,
    })
}

/// A release of one file, named by its file name. A file reached through a Hugging Face cache
/// link is checked against its blob's name, as in a snapshot folder.
fn single_file(path: &Path, meta: &std::fs::Metadata) -> Result<Walk, WalkError> {
    let Some(name) = path.file_name() else {
        return Err(WalkError::BadName {
            path: path.into(),
            reason: PathError::Empty,
        });
    };
    let Some(name) = name.to_str() else {
        return Err(WalkError::NotUtf8(path.into()));
    };
    let rel = RelPath::new(name).map_err(|reason| WalkError::BadName {
        path: path.into(),
        reason,
    })?;
    let hub_blob = fs::canonicalize(path).ok().and_then(|target| {
        let blobs = target.parent()?;
        let repo = blobs.parent()?.file_name()?.to_str()?;
        (blobs.file_name()? == "blobs" && hub::repo_id(repo).is_some())
            .then(|| target.file_name()?.to_str().map(str::to_owned))
            .flatten()
    });
    Ok(Walk {
        entries: vec![WalkEntry {
            rel,
            path: path.into(),
            size: meta.len(),
            stamp: Stamp::of(meta),
            hub_blob,
        }],
        ignore: Vec::new(),
        hub_snapshot: false,
        hub: None,
        single_file: true,
        left_out: Vec::new(),
    })
}

/// The state of one walk: folders still to read and files found so far.
struct Walker {
    symlinks: SymlinkPolicy,
    /// The repository's `blobs/` folder when the root is a hub cache snapshot.
    hub_blobs: Option<PathBuf>,
    canonical_root: PathBuf,
    ignore: Vec<RelPath>,
    entries: Vec<WalkEntry>,
    stack: Vec<Frame>,
}

impl Walker {
    /// The entries of one folder that are not ignored, in reverse manifest order so that popping
    /// the stack visits them in order (which makes the first error reported deterministic).
    fn children(
        &self,
        frame: &Frame,
    ) -> Result<Vec<(RelPath, PathBuf, std::fs::FileType)>, WalkError> {
        let mut children = Vec::new();
        for dirent in fs::read_dir(&frame.path)? {
            let dirent = dirent?;
            let path = dirent.path();
            let name = dirent.file_name();
            let Some(name) = name.to_str() else {
                return Err(WalkError::NotUtf8(path));
            };
            let rel = match &frame.rel {
                None => RelPath::new(name),
                Some(parent) => parent.join(name),
            };
            let rel = rel.map_err(|reason| WalkError::BadName {
                path: path.clone(),
                reason,
            })?;
            if !self.ignore.contains(&rel) {
                children.push((rel, path, dirent.file_type()?));
            }
        }
        children.sort_by(|a, b| b.0.cmp(&a.0));
        Ok(children)
    }

    fn visit(
        &mut self,
        frame: &Frame,
        rel: RelPath,
        path: PathBuf,
        file_type: std::fs::FileType,
    ) -> Result<(), WalkError> {
        if file_type.is_file() {
            let meta = fs::symlink_metadata(&path)?;
            self.push_file(rel, path, &meta);
        } else if file_type.is_dir() {
            let canonical = frame.chain.dir.join(rel.file_name());
            self.push_dir(frame, rel, path, canonical);
        } else if file_type.is_symlink() {
            self.follow(frame, rel, path)?;
        } else {
            return Err(WalkError::NotRegular {
                path,
                what: crate::input::type_name(file_type),
            });
        }
        Ok(())
    }

    /// A symbolic link: an error, or followed when its target stays inside the release.
    fn follow(&mut self, frame: &Frame, rel: RelPath, path: PathBuf) -> Result<(), WalkError> {
        // A hub snapshot's links into its repository's `blobs/` are how the cache works: they
        // are followed whatever the policy, and each blob is checked against its name.
        let hub_blob = match &self.hub_blobs {
            Some(blobs) => {
                let target = resolve_link(&path)?;
                target.starts_with(blobs).then(|| {
                    (
                        target
                            .file_name()
                            .and_then(|n| n.to_str())
                            .map(str::to_owned),
                        target,
                    )
                })
            }
            None => None,
        };
        let target = if let Some((_, ref target)) = hub_blob {
            target.clone()
        } else {
            if self.symlinks == SymlinkPolicy::Reject {
                return Err(WalkError::Symlink(path));
            }
            let target = resolve_link(&path)?;
            if !target.starts_with(&self.canonical_root) {
                // The link's own text, not the canonical target: an absolute path the user never
                // typed says less than `../../elsewhere`.
                let target = fs::read_link(&path).unwrap_or(target);
                return Err(WalkError::SymlinkEscape { link: path, target });
            }
            target
        };
        let meta = fs::metadata(&path)?;
        if meta.is_file() {
            self.push_file(rel, path, &meta);
            if let Some((Some(name), _)) = hub_blob
                && let Some(last) = self.entries.last_mut()
            {
                last.hub_blob = Some(name);
            }
        } else if meta.is_dir() {
            if frame.chain.contains(&target) {
                return Err(WalkError::SymlinkLoop { link: path, target });
            }
            self.push_dir(frame, rel, path, target);
        } else {
            return Err(WalkError::NotRegular {
                path,
                what: crate::input::type_name(meta.file_type()),
            });
        }
        Ok(())
    }

    fn push_file(&mut self, rel: RelPath, path: PathBuf, meta: &std::fs::Metadata) {
        self.entries.push(WalkEntry {
            rel,
            path,
            size: meta.len(),
            stamp: Stamp::of(meta),
            hub_blob: None,
        });
    }

    fn push_dir(&mut self, frame: &Frame, rel: RelPath, path: PathBuf, canonical: PathBuf) {
        let chain = Rc::new(Chain {
            dir: canonical,
            parent: Some(frame.chain.clone()),
        });
        self.stack.push(Frame {
            path,
            rel: Some(rel),
            chain,
        });
    }
}

/// The release-relative name of `file` when it lies inside `root`, so that an output being
/// written (a manifest, a bundle) is never part of what is hashed.
pub fn relative_inside(root: &Path, file: &Path) -> Option<RelPath> {
    let root = fs::canonicalize(root).ok()?;
    let parent = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let full = fs::canonicalize(parent).ok()?.join(file.file_name()?);
    let rel = full.strip_prefix(&root).ok()?;
    let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
    RelPath::new(parts?.join("/")).ok()
}

/// `ELOOP`: too many levels of symbolic links.
const LOOP_ERRNO: i32 = 40;

/// The canonical target of the link at `path`, telling broken links and loops apart.
fn resolve_link(path: &Path) -> Result<PathBuf, WalkError> {
    // std rather than fs_err: the OS error number (ELOOP) is needed, and fs_err's wrapper hides it.
    #[allow(clippy::disallowed_methods)]
    match std::fs::canonicalize(path) {
        Ok(target) => Ok(target),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(WalkError::BrokenSymlink(path.into()))
        }
        Err(e) if e.raw_os_error() == Some(LOOP_ERRNO) => {
            let target = fs::read_link(path)?;
            Err(WalkError::SymlinkLoop {
                link: path.into(),
                target,
            })
        }
        Err(e) => Err(WalkError::Io(std::io::Error::new(
            e.kind(),
            format!("cannot resolve the symbolic link `{}`: {e}", path.display()),
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(walk: &Walk) -> Vec<&str> {
        walk.entries.iter().map(|e| e.rel.as_str()).collect()
    }

    #[test]
    fn ignores_top_level_git_only() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for p in [
            ".git/config",
            ".gitignore",
            "sub/.git/config",
            "sub/.gitignore",
            "a",
        ] {
            let path = root.join(p);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, b"x").unwrap();
        }
        let walk = walk(root, &WalkOptions::default()).unwrap();
        assert_eq!(names(&walk), ["a", "sub/.git/config", "sub/.gitignore"]);
    }

    #[test]
    fn user_ignore_prunes_a_subtree() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for p in ["keep/a", "drop/b", "drop/c/d", "dropx"] {
            let path = root.join(p);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, b"x").unwrap();
        }
        let options = WalkOptions {
            ignore: vec![RelPath::new("drop").unwrap()],
            ..Default::default()
        };
        let walk = walk(root, &options).unwrap();
        assert_eq!(names(&walk), ["dropx", "keep/a"]);
        assert!(walk.ignore.iter().any(|i| i.as_str() == "drop"));
    }

    #[test]
    fn symlinked_directory_loop_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("a")).unwrap();
        fs::write(root.join("a/f"), b"x").unwrap();
        std::os::unix::fs::symlink("..", root.join("a/up")).unwrap();
        let options = WalkOptions {
            symlinks: SymlinkPolicy::FollowInside,
            ..Default::default()
        };
        let err = walk(root, &options).unwrap_err();
        assert!(matches!(err, WalkError::SymlinkLoop { .. }), "{err}");
    }
}
