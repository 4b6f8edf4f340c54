//! Release-relative file paths, the names every manifest, bundle and report uses.
//!
//! A `RelPath` is the only form a path takes once it leaves the walker: `/`-separated, valid
//! UTF-8, relative, with no empty, `.` or `..` component and no NUL. The same check guards the
//! verifier against bundles that list unsafe paths, so a signed manifest can never steer a
//! verifier outside the release root.
//!
//! Ordering is by path components, the order the OpenSSF Model Signing reference uses for its
//! root digest (`a/b` before `a-b`), so our root digest equals the OMS subject digest.

use std::cmp::Ordering;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a string is not a safe release-relative path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("the path is empty")]
    Empty,
    #[error("the path is absolute")]
    Absolute,
    #[error("the path has an empty component (`//` or a trailing `/`)")]
    EmptyComponent,
    #[error("the path has a `.` or `..` component")]
    DotComponent,
    #[error("the path contains a NUL byte")]
    Nul,
    #[error("the path contains a backslash, which other systems read as a separator")]
    Backslash,
}

/// A validated, release-relative, `/`-separated path.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RelPath(String);

impl RelPath {
    /// Validates `s` as a release-relative path.
    pub fn new(s: impl Into<String>) -> Result<Self, PathError> {
        let s = s.into();
        if s.is_empty() {
            return Err(PathError::Empty);
        }
        if s.starts_with('/') {
            return Err(PathError::Absolute);
        }
        if s.contains('\0') {
            return Err(PathError::Nul);
        }
        if s.contains('\\') {
            return Err(PathError::Backslash);
        }
        for component in s.split('/') {
            match component {
                "" => return Err(PathError::EmptyComponent),
                "." | ".." => return Err(PathError::DotComponent),
                _ => {}
            }
        }
        Ok(Self(s))
    }

    /// Appends one file name (already checked by the caller to be a single component).
    pub fn join(&self, name: &str) -> Result<Self, PathError> {
        Self::new(format!("{}/{name}", self.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The path's components.
    pub fn components(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }

    /// The last component.
    pub fn file_name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or(&self.0)
    }

    /// True when `self` equals `ancestor` or lies below it (component-wise, no globbing).
    pub fn starts_with(&self, ancestor: &RelPath) -> bool {
        self.0 == ancestor.0
            || (self.0.len() > ancestor.0.len()
                && self.0.starts_with(&ancestor.0)
                && self.0.as_bytes()[ancestor.0.len()] == b'/')
    }

    /// The path on this system under `root`.
    pub fn to_path(&self, root: &Path) -> PathBuf {
        let mut p = root.to_path_buf();
        for c in self.components() {
            p.push(c);
        }
        p
    }
}

impl Ord for RelPath {
    /// Component order: comparing with `/` ranked below every other byte is the same as
    /// comparing the lists of components, because no component contains `/` or NUL. Only the
    /// first differing byte needs ranking; the common prefix is compared as plain bytes.
    fn cmp(&self, other: &Self) -> Ordering {
        let rank = |b: u8| if b == b'/' { 0 } else { u16::from(b) + 1 };
        let (a, b) = (self.0.as_bytes(), other.0.as_bytes());
        match a.iter().zip(b).position(|(x, y)| x != y) {
            Some(i) => rank(a[i]).cmp(&rank(b[i])),
            None => a.len().cmp(&b.len()),
        }
    }
}

impl PartialOrd for RelPath {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for RelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl Serialize for RelPath {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for RelPath {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        RelPath::new(s.clone())
            .map_err(|e| serde::de::Error::custom(format_args!("unsafe path {s:?}: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> RelPath {
        RelPath::new(s).unwrap()
    }

    #[test]
    fn rejects_unsafe_paths() {
        assert_eq!(RelPath::new(""), Err(PathError::Empty));
        assert_eq!(RelPath::new("/etc/passwd"), Err(PathError::Absolute));
        assert_eq!(RelPath::new("../x"), Err(PathError::DotComponent));
        assert_eq!(RelPath::new("a/./b"), Err(PathError::DotComponent));
        assert_eq!(RelPath::new("a//b"), Err(PathError::EmptyComponent));
        assert_eq!(RelPath::new("a/"), Err(PathError::EmptyComponent));
        assert_eq!(RelPath::new("a\0b"), Err(PathError::Nul));
        assert_eq!(RelPath::new("a\\b"), Err(PathError::Backslash));
        assert!(RelPath::new(".hidden/..x/y.").is_ok());
    }

    #[test]
    fn orders_by_components_like_the_oms_reference() {
        // The order model_signing 1.1.1 produced for these names (reference/oms.md §3.3).
        let expected = [
            ".hidden",
            "B",
            "Z10",
            "Z9",
            "_x",
            "a/b",
            "a-b",
            "a.txt",
            "sub/.git/cfg",
            "é",
        ];
        let mut shuffled: Vec<RelPath> = expected.iter().rev().map(|s| p(s)).collect();
        shuffled.sort();
        let got: Vec<&str> = shuffled.iter().map(RelPath::as_str).collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn order_matches_component_list_comparison() {
        let names = [
            "ab", "a/c", "a/b/c", "a", "a b", "a/b", "a.b/c", "a/b-c", "a0",
        ];
        let mut by_rel: Vec<RelPath> = names.iter().map(|s| p(s)).collect();
        by_rel.sort();
        let mut by_parts: Vec<&str> = names.to_vec();
        by_parts.sort_by(|x, y| x.split('/').cmp(y.split('/')));
        let got: Vec<&str> = by_rel.iter().map(RelPath::as_str).collect();
        assert_eq!(got, by_parts);
    }

    #[test]
    fn starts_with_is_component_wise() {
        assert!(p("a/b").starts_with(&p("a")));
        assert!(p("a").starts_with(&p("a")));
        assert!(!p("ab").starts_with(&p("a")));
        assert!(!p("a").starts_with(&p("a/b")));
    }

    #[test]
    fn deserializing_an_unsafe_path_fails_with_the_reason() {
        let err = serde_json::from_str::<RelPath>("\"../x\"").unwrap_err();
        assert!(err.to_string().contains("unsafe path \"../x\""), "{err}");
    }
}
