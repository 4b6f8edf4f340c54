//! Where data goes: stdout, or a file written atomically. Renderers live in the submodules;
//! nothing outside `report` writes to stdout.
//!
//! A file is written to a temporary file in the same folder, flushed, then renamed into place, so
//! an interrupted run never leaves half a manifest behind, and an existing file is only replaced
//! with `--force`.

pub mod attest;
pub mod check;
pub mod diff;
pub mod junit;
pub mod sarif;
pub mod signer;
pub mod table;
pub mod verify;

use std::io::Write;
use std::path::{Path, PathBuf};

/// Where a command's data goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    Stdout,
    File { path: PathBuf, force: bool },
}

impl Output {
    pub fn new(path: Option<PathBuf>, force: bool) -> Self {
        match path {
            Some(p) if p.as_os_str() != "-" => Output::File { path: p, force },
            _ => Output::Stdout,
        }
    }

    /// Refuses early, before any work, when the target is not a regular file (whatever
    /// `--force` says), exists and `--force` is not given, or would go in a folder that does
    /// not exist.
    pub fn check_writable(&self) -> Result<(), OutputError> {
        match self {
            Output::File { path, force } => {
                check_replaceable(path)?;
                if !force && path.exists() {
                    return Err(OutputError::Exists(path.clone()));
                }
                if !folder_of(path).is_dir() {
                    return Err(OutputError::NoFolder {
                        path: path.clone(),
                        folder: folder_of(path).to_path_buf(),
                    });
                }
                Ok(())
            }
            Output::Stdout => Ok(()),
        }
    }

    /// Streams what `write` writes to stdout or, atomically, to the file: a manifest or a
    /// bundle of a million files is never held whole to be written.
    pub fn write_with(
        &self,
        write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> Result<(), OutputError> {
        match self {
            Output::Stdout => {
                let stdout = std::io::stdout().lock();
                let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout);
                write(&mut out)
                    .and_then(|()| out.flush())
                    .map_err(OutputError::Stdout)
            }
            Output::File { path, force } => write_atomic_with(path, *force, 0o666, write),
        }
    }

    /// Writes `bytes` to stdout or, atomically, to the file.
    pub fn write(&self, bytes: &[u8]) -> Result<(), OutputError> {
        match self {
            Output::Stdout => {
                let mut out = std::io::stdout().lock();
                out.write_all(bytes)
                    .and_then(|()| out.flush())
                    .map_err(OutputError::Stdout)
            }
            Output::File { path, force } => write_atomic(path, bytes, *force),
        }
    }
}

/// Why output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("`{}` already exists", .0.display())]
    Exists(PathBuf),
    #[error("cannot write `{}`", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write to stdout")]
    Stdout(#[source] std::io::Error),
    #[error("`{}` is a {what}, not a regular file: scelle replaces regular files only", .path.display())]
    NotRegular { path: PathBuf, what: String },
    #[error("cannot write `{}`: the folder `{}` does not exist", .path.display(), .folder.display())]
    NoFolder { path: PathBuf, folder: PathBuf },
}

impl OutputError {
    pub fn hint(&self) -> Option<String> {
        match self {
            OutputError::Exists(_) => Some("pass `--force` to replace it".into()),
            OutputError::NotRegular { .. } => {
                Some("write to another path, or to stdout with `-o -`".into())
            }
            OutputError::NoFolder { folder, .. } => {
                Some(format!("create it first (`mkdir -p {}`)", folder.display()))
            }
            _ => None,
        }
    }

    /// True when the reader of stdout went away (`scelle ... | head`): not worth an error.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, OutputError::Stdout(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

/// Refuses a target that is not a regular file (a device, a FIFO, a socket, a folder, or a
/// symbolic link to one): replacing it would destroy a device node or a folder entry the user
/// never meant as an output. A missing target, a regular file, a link to one and a dangling
/// link (replaced, not followed) are fine.
pub fn check_replaceable(path: &Path) -> Result<(), OutputError> {
    let refused = |what: String| OutputError::NotRegular {
        path: path.to_path_buf(),
        what,
    };
    let meta = match fs_err::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(OutputError::Write {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    if meta.is_file() {
        return Ok(());
    }
    if !meta.file_type().is_symlink() {
        return Err(refused(crate::input::type_name(meta.file_type()).into()));
    }
    match fs_err::metadata(path) {
        Ok(target) if target.is_file() => Ok(()),
        Ok(target) => Err(refused(format!(
            "symbolic link to a {}",
            crate::input::type_name(target.file_type())
        ))),
        Err(_) => Ok(()),
    }
}

/// Temporary file beside `path`, then rename; `persist_noclobber` keeps "never overwrite"
/// race-free when `force` is off. The file gets mode 0666 less the umask, like any output.
pub fn write_atomic(path: &Path, bytes: &[u8], force: bool) -> Result<(), OutputError> {
    write_atomic_with_mode(path, bytes, force, 0o666)
}

/// [`write_atomic`] with the mode the file is created with (0600 for a private key: the file
/// is never readable by others, not even for a moment).
pub fn write_atomic_with_mode(
    path: &Path,
    bytes: &[u8],
    force: bool,
    mode: u32,
) -> Result<(), OutputError> {
    write_atomic_with(path, force, mode, |w| w.write_all(bytes))
}

/// [`write_atomic_with_mode`] with the content streamed by `write`.
fn write_atomic_with(
    path: &Path,
    force: bool,
    mode: u32,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), OutputError> {
    // The temporary file's name never reaches a message: the user knows only the target.
    let wrap = |source: std::io::Error| OutputError::Write {
        path: path.to_path_buf(),
        source: without_temporary_path(source),
    };
    check_replaceable(path)?;
    let dir = folder_of(path);
    if !dir.is_dir() {
        return Err(OutputError::NoFolder {
            path: path.to_path_buf(),
            folder: dir.to_path_buf(),
        });
    }
    let mut tmp = tempfile::Builder::new()
        .prefix(".scelle-tmp-")
        // tempfile's default is 0600; the umask still applies to the mode given here.
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(mode))
        .tempfile_in(dir)
        .map_err(wrap)?;
    {
        let mut out = std::io::BufWriter::with_capacity(1 << 16, &mut tmp);
        write(&mut out).and_then(|()| out.flush()).map_err(wrap)?;
    }
    tmp.as_file().sync_all().map_err(wrap)?;
    // Again at the last moment: the target may have been swapped while the output was made.
    check_replaceable(path)?;
    let persisted = if force {
        tmp.persist(path)
    } else {
        tmp.persist_noclobber(path)
    };
    match persisted {
        Ok(_) => Ok(()),
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => {
            Err(OutputError::Exists(path.to_path_buf()))
        }
        Err(e) => Err(wrap(e.error)),
    }
}

/// The folder a file is written in (`.` for a bare file name).
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// `tempfile` adds the temporary file's absolute path to its errors; keep only the OS error.
fn without_temporary_path(e: std::io::Error) -> std::io::Error {
    let os = e
        .get_ref()
        .and_then(|inner| inner.source())
        .and_then(|source| source.downcast_ref::<std::io::Error>())
        .and_then(std::io::Error::raw_os_error)
        .or_else(|| e.raw_os_error());
    match os {
        Some(code) => std::io::Error::from_raw_os_error(code),
        None => e,
    }
}

/// Bytes for people: `0 B`, `4.0 KiB`, `1.5 GiB`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    #[allow(clippy::cast_precision_loss)] // display only
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_bytes_uses_binary_units() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(4096), "4.0 KiB");
        assert_eq!(human_bytes(3 << 30), "3.0 GiB");
    }

    #[test]
    fn atomic_write_refuses_to_clobber_without_force() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.json");
        write_atomic(&target, b"first", false).unwrap();
        let err = write_atomic(&target, b"second", false).unwrap_err();
        assert!(matches!(err, OutputError::Exists(_)), "{err}");
        assert_eq!(fs_err::read(&target).unwrap(), b"first");
        write_atomic(&target, b"third", true).unwrap();
        assert_eq!(fs_err::read(&target).unwrap(), b"third");
        // No temporary files left behind.
        assert_eq!(fs_err::read_dir(dir.path()).unwrap().count(), 1);
    }
}
