//! Every file scelle reads whole (bundles, manifests, keys, declarations, policy packs and their
//! test cases) comes in through here, so that no input can make scelle wait forever or hold more
//! memory than its kind can need.
//!
//! A file is opened without blocking (a FIFO with no writer would otherwise hang the open), then
//! its type is read from the open descriptor, not from the path: a FIFO, a device (`/dev/zero`),
//! a socket or a folder is refused before a single byte is read, and what is checked is what gets
//! read, with no window for a swap in between. Each kind of input has a cap ([`Kind`]), checked
//! against the size before reading and enforced while reading (a file that grows past it is
//! refused too). Release files being hashed follow their own rules (`hash.rs`).

use std::fmt;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};

use crate::report::human_bytes;

const KIB: u64 = 1 << 10;
const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

/// The largest statement (manifest, signed payload) scelle writes or reads: about ten million
/// files of a typical release. Every other statement-related cap derives from this one, so
/// whatever `scan` and `sign` write, `verify` and `check` accept.
pub const MAX_STATEMENT: u64 = 4 * GIB;
/// What a bundle holds besides its base64 payload: media type, key hint, payload type,
/// signatures, and whatever a real bundle carries (a `model_signing` key in `rawBytes`).
pub const MAX_BUNDLE_ENVELOPE: u64 = MIB;
/// The largest bundle: the base64 of the largest statement plus its envelope.
pub const MAX_BUNDLE: u64 = base64_len(MAX_STATEMENT) + MAX_BUNDLE_ENVELOPE;

/// The length of the padded base64 text of `n` bytes.
pub const fn base64_len(n: u64) -> u64 {
    n.div_ceil(3) * 4
}

/// A kind of input and the most bytes scelle reads of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    /// What the file is, in messages ("a key", "a manifest").
    pub what: &'static str,
    pub max: u64,
}

impl Kind {
    /// A signed bundle (scelle's or an OMS one).
    pub const BUNDLE: Kind = Kind {
        what: "bundle",
        max: MAX_BUNDLE,
    };
    /// A manifest written by `scan` (an unsigned statement).
    pub const MANIFEST: Kind = Kind {
        what: "manifest",
        max: MAX_STATEMENT,
    };
    /// A PEM key file.
    pub const KEY: Kind = Kind {
        what: "key",
        max: 64 * KIB,
    };
    /// A publisher's declaration, `scelle.yaml` (about 130 fields; a long dataset list fits
    /// many times over).
    pub const DECLARATION: Kind = Kind {
        what: "declaration",
        max: 8 * MIB,
    };
    /// A policy pack (the largest built-in pack is a few dozen KiB).
    pub const PACK: Kind = Kind {
        what: "policy pack",
        max: 8 * MIB,
    };
    /// A test case of a pack (a manifest read whole into a tree, so kept smaller).
    pub const TEST_CASE: Kind = Kind {
        what: "pack test case",
        max: 64 * MIB,
    };
    /// A release's model card (`README.md`), read for its front matter.
    pub const MODEL_CARD: Kind = Kind {
        what: "model card",
        max: 16 * MIB,
    };
    /// A release's configuration file read by `init` (`config.json`, `tokenizer_config.json`).
    pub const CONFIG: Kind = Kind {
        what: "configuration",
        max: 16 * MIB,
    };
    /// A certificate file or a Sigstore trusted root: small by nature.
    pub const TRUST: Kind = Kind {
        what: "certificate or trusted root",
        max: 4 * MIB,
    };
}

/// Why an input could not be read. Every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("`{}` does not exist", .path.display())]
    Missing { path: PathBuf },
    #[error("`{}` is a folder, not a {} file", .path.display(), .kind.what)]
    Folder { path: PathBuf, kind: Kind },
    #[error("`{}` is a {what}, not a regular file", .path.display())]
    NotRegular { path: PathBuf, what: &'static str },
    #[error("`{}` is a symbolic link", .path.display())]
    Symlink { path: PathBuf },
    #[error("`{}` is {}, larger than any {} scelle reads ({})", .path.display(), size_text(*.size, *.at_least), .kind.what, limit_text(.kind.max))]
    TooLarge {
        path: PathBuf,
        size: u64,
        /// The size is a lower bound (the file grew while it was read).
        at_least: bool,
        kind: Kind,
    },
    #[error("`{}` is not UTF-8 text", .path.display())]
    NotText { path: PathBuf },
    #[error("cannot read `{}`", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn size_text(size: u64, at_least: bool) -> String {
    let more = if at_least { "more than " } else { "" };
    format!("{more}{} ({size} bytes)", human_bytes(size))
}

fn limit_text(max: u64) -> String {
    format!("{}, {max} bytes", human_bytes(max))
}

impl InputError {
    pub fn hint(&self) -> Option<String> {
        match self {
            InputError::NotRegular { .. } => {
                Some("scelle reads regular files only: save the input to a file first".into())
            }
            _ => None,
        }
    }

    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            InputError::Missing { path }
            | InputError::Folder { path, .. }
            | InputError::NotRegular { path, .. }
            | InputError::Symlink { path }
            | InputError::TooLarge { path, .. }
            | InputError::NotText { path }
            | InputError::Io { path, .. } => path,
        }
    }

    fn io(path: &Path, source: std::io::Error) -> Self {
        InputError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// What a file type is called in messages.
pub fn type_name(file_type: std::fs::FileType) -> &'static str {
    if file_type.is_dir() {
        "folder"
    } else if file_type.is_fifo() {
        "FIFO"
    } else if file_type.is_socket() {
        "socket"
    } else if file_type.is_block_device() {
        "block device"
    } else if file_type.is_char_device() {
        "character device"
    } else if file_type.is_symlink() {
        "symbolic link"
    } else if file_type.is_file() {
        "regular file"
    } else {
        "special file"
    }
}

/// An input file, open, known to be a regular file within its kind's cap.
#[derive(Debug)]
pub struct Input {
    file: std::fs::File,
    path: PathBuf,
    size: u64,
    kind: Kind,
}

/// Opens `path` as a `kind` input, following symbolic links (the user named it).
pub fn open(path: &Path, kind: Kind) -> Result<Input, InputError> {
    open_with(path, kind, true)
}

/// Opens `path` as a `kind` input, refusing a symbolic link: for files scelle finds by name
/// inside a release, where a link would make the name mean another file.
pub fn open_no_follow(path: &Path, kind: Kind) -> Result<Input, InputError> {
    open_with(path, kind, false)
}

fn open_with(path: &Path, kind: Kind, follow: bool) -> Result<Input, InputError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    // O_NONBLOCK: opening a FIFO without a writer returns at once, to be refused below.
    // O_NOCTTY: a terminal device never becomes the controlling terminal.
    let mut flags = libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC;
    if !follow {
        flags |= libc::O_NOFOLLOW;
    }
    options.custom_flags(flags);
    // std rather than fs_err: the error kinds must be told apart, and the message is ours.
    #[allow(clippy::disallowed_methods)]
    let file = match options.open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(InputError::Missing { path: path.into() });
        }
        Err(e) if !follow && e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(InputError::Symlink { path: path.into() });
        }
        Err(e) => return Err(InputError::io(path, e)),
    };
    let meta = file.metadata().map_err(|e| InputError::io(path, e))?;
    let file_type = meta.file_type();
    if file_type.is_dir() {
        return Err(InputError::Folder {
            path: path.into(),
            kind,
        });
    }
    if !file_type.is_file() {
        return Err(InputError::NotRegular {
            path: path.into(),
            what: type_name(file_type),
        });
    }
    if meta.len() > kind.max {
        return Err(InputError::TooLarge {
            path: path.into(),
            size: meta.len(),
            at_least: false,
            kind,
        });
    }
    Ok(Input {
        file,
        path: path.into(),
        size: meta.len(),
        kind,
    })
}

/// Reads the whole of `path` as a `kind` input.
pub fn read(path: &Path, kind: Kind) -> Result<Vec<u8>, InputError> {
    open(path, kind)?.read_all()
}

/// Reads the whole of `path` as UTF-8 text.
pub fn read_text(path: &Path, kind: Kind) -> Result<String, InputError> {
    open(path, kind)?.read_text()
}

impl Input {
    /// The size the open file had (at most its kind's cap).
    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The open file, for positioned reads.
    pub fn file(&self) -> &std::fs::File {
        &self.file
    }

    /// Reads everything, never more than the cap.
    pub fn read_all(self) -> Result<Vec<u8>, InputError> {
        let capacity = usize::try_from(self.size).unwrap_or(0);
        let mut out = Vec::with_capacity(capacity);
        let mut reader = self.reader();
        reader.read_to_end(&mut out).map_err(|e| reader.error(e))?;
        Ok(out)
    }

    /// Reads everything as UTF-8 text.
    pub fn read_text(self) -> Result<String, InputError> {
        let path = self.path.clone();
        String::from_utf8(self.read_all()?).map_err(|_| InputError::NotText { path })
    }

    /// A reader that fails once more than the cap has been read.
    pub fn reader(self) -> Bounded {
        Bounded {
            remaining: self.kind.max,
            input: self,
            over: false,
        }
    }
}

/// Reads an open input from its start with positioned reads, leaving the file's own position
/// alone (to look at a file before reading it).
#[derive(Debug)]
pub struct At<'a> {
    input: &'a Input,
    pos: u64,
}

impl<'a> At<'a> {
    pub fn new(input: &'a Input) -> Self {
        At { input, pos: 0 }
    }
}

impl Read for At<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.input.size.saturating_sub(self.pos);
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = std::os::unix::fs::FileExt::read_at(&self.input.file, &mut buf[..want], self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

/// Reads an input up to its kind's cap; reading past it is an error.
#[derive(Debug)]
pub struct Bounded {
    input: Input,
    remaining: u64,
    over: bool,
}

impl Bounded {
    /// The error to report for an I/O error this reader returned.
    pub fn error(&self, e: std::io::Error) -> InputError {
        if self.over {
            InputError::TooLarge {
                path: self.input.path.clone(),
                size: self.input.kind.max,
                at_least: true,
                kind: self.input.kind,
            }
        } else {
            InputError::io(&self.input.path, e)
        }
    }

    pub fn path(&self) -> &Path {
        &self.input.path
    }
}

impl Read for Bounded {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.remaining == 0 {
            // One byte more tells a file exactly at the cap from one that grew past it.
            let mut probe = [0u8; 1];
            if (&self.input.file).read(&mut probe)? == 0 {
                return Ok(0);
            }
            self.over = true;
            return Err(std::io::Error::other(TooLargeRead(self.input.kind)));
        }
        let want = buf
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        let n = (&self.input.file).read(&mut buf[..want])?;
        self.remaining -= n as u64;
        Ok(n)
    }
}

/// The I/O error a [`Bounded`] reader returns past the cap (seen through a parser's error).
#[derive(Debug)]
struct TooLargeRead(Kind);

impl fmt::Display for TooLargeRead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the file is larger than any {} scelle reads ({})",
            self.0.what,
            limit_text(self.0.max)
        )
    }
}

impl std::error::Error for TooLargeRead {}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: Kind = Kind {
        what: "thing",
        max: 8,
    };

    #[test]
    fn reads_a_regular_file_within_its_cap() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        fs_err::write(&path, b"12345678").unwrap();
        assert_eq!(read(&path, SMALL).unwrap(), b"12345678");
        assert_eq!(read_text(&path, SMALL).unwrap(), "12345678");
    }

    #[test]
    fn refuses_by_type_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let err = read(dir.path(), SMALL).unwrap_err();
        assert!(matches!(err, InputError::Folder { .. }), "{err}");
        let err = read(Path::new("/dev/zero"), SMALL).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`/dev/zero` is a character device, not a regular file"
        );
        let err = read(&dir.path().join("nothing"), SMALL).unwrap_err();
        assert!(err.to_string().ends_with("does not exist"), "{err}");
    }

    #[test]
    fn a_fifo_without_a_writer_is_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let err = read(&fifo, SMALL).unwrap_err();
        assert!(
            err.to_string().ends_with("is a FIFO, not a regular file"),
            "{err}"
        );
    }

    #[test]
    fn too_large_names_the_size_and_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        fs_err::write(&path, b"123456789").unwrap();
        let err = read(&path, SMALL).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("is 9 B (9 bytes), larger than any thing scelle reads (8 B, 8 bytes)"),
            "{err}"
        );
    }

    #[test]
    fn a_file_that_grows_past_the_cap_while_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("grows");
        fs_err::write(&path, b"1234").unwrap();
        let input = open(&path, SMALL).unwrap();
        fs_err::write(&path, b"123456789012").unwrap();
        let err = input.read_all().unwrap_err();
        assert!(
            matches!(err, InputError::TooLarge { at_least: true, .. }),
            "{err}"
        );
    }

    #[test]
    fn no_follow_refuses_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("t");
        fs_err::write(&target, b"x").unwrap();
        let link = dir.path().join("l");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert_eq!(read(&link, SMALL).unwrap(), b"x");
        let err = open_no_follow(&link, SMALL).unwrap_err();
        assert!(matches!(err, InputError::Symlink { .. }), "{err}");
    }

    #[test]
    fn the_bundle_cap_holds_the_largest_statement() {
        assert_eq!(base64_len(0), 0);
        assert_eq!(base64_len(1), 4);
        assert_eq!(base64_len(3), 4);
        assert_eq!(base64_len(4), 8);
        assert!(Kind::BUNDLE.max >= base64_len(Kind::MANIFEST.max) + MAX_BUNDLE_ENVELOPE);
    }
}
