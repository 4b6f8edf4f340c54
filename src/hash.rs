//! Streaming SHA-256 over a release, at the speed of the hardware.
//!
//! SHA-256 is sequential within a file, so the parallelism is across files: one worker per core
//! takes files largest first, so a 10 GB shard does not start last and leave a core idle.
//! While every core has a file, each worker reads and hashes its own file with plain `read()`
//! calls. When a core falls idle (no files left for it), a worker still busy with a large file
//! hands the rest of that file to a reader thread, which then fills the next buffer on the idle
//! core while the worker hashes: the copy out of the page cache runs beside the hashing instead
//! of before it. Measured on these machines (`bench/scan.sh`), direct reads are the faster choice
//! with several files in flight and the reader thread with one. Memory is bounded by the buffers,
//! a few MiB per worker, whatever the release size. No mmap: a file truncated while mapped kills
//! the process with SIGBUS, and this crate forbids `unsafe`.
//!
//! A file that is not the one the walk saw, or that changes while it is read, is an error: a
//! digest of bytes that were never on disk all at once would seal nothing. The open file is
//! compared with the walk's stamp before reading (a file replaced by a rename has another inode;
//! a FIFO swapped in is refused without blocking) and after (size, modification time, and the
//! change time, which catches a rewrite whose modification time was put back).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

use fs_err as fs;
use sha2::{Digest as _, Sha256};

use crate::manifest::Sha256Digest;
use crate::walk::{Stamp, WalkEntry};

/// Files up to this size are read in one call; larger ones may be handed to the reader thread.
const SMALL_FILE: u64 = 1 << 20;
/// Size of every read buffer.
const CHUNK: usize = 2 << 20;
/// Buffers the reader thread keeps in flight: one being hashed, one being filled, one spare.
const BUFFERS: usize = 3;
/// Bytes kept from the start of each file for format detection.
pub const HEAD_LEN: usize = 512;

/// The digest of one file and what was seen on the way.
#[derive(Debug, Clone)]
pub struct FileHash {
    pub sha256: Sha256Digest,
    /// Bytes hashed.
    pub size: u64,
    /// The first [`HEAD_LEN`] bytes (fewer for a shorter file).
    pub head: Vec<u8>,
    /// Newlines, when they were asked for.
    pub lines: Option<Lines>,
    /// The git blob SHA-1 (`sha1("blob <size>\0" + content)`), for Hugging Face cache blobs
    /// named by it.
    pub git_sha1: Option<[u8; 20]>,
}

/// What [`hash_files`] keeps of each file once `after` has seen its [`FileHash`]: a release of a
/// million files holds a million of these until the manifest is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Digested {
    pub sha256: Sha256Digest,
    /// Bytes hashed.
    pub size: u64,
}

/// A newline count taken on the hashing buffers (so a 100 GB JSONL file is read once).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Lines {
    pub newlines: u64,
    /// Whether the last byte is a newline (otherwise the last record has none).
    pub ends_with_newline: bool,
}

impl Lines {
    /// Records: newline-terminated lines, plus a final line without one.
    pub fn records(&self, size: u64) -> u64 {
        self.newlines + u64::from(size > 0 && !self.ends_with_newline)
    }
}

/// What to do besides hashing.
pub struct Hashing<'a, T> {
    pub jobs: usize,
    /// Called with the number of bytes just hashed.
    pub progress: &'a (dyn Fn(u64) + Sync),
    /// Whether to count newlines in this file as it is hashed.
    pub count_lines: &'a (dyn Fn(&WalkEntry) -> bool + Sync),
    /// Run on each file once it is hashed and checked, with the file still open (inspection).
    pub after: &'a (dyn Fn(&WalkEntry, &std::fs::File, &FileHash) -> T + Sync),
}

impl<T> std::fmt::Debug for Hashing<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Hashing(jobs {})", self.jobs)
    }
}

/// Plain hashing: no line counts, nothing after.
pub fn plain(jobs: usize, progress: &(dyn Fn(u64) + Sync)) -> Hashing<'_, ()> {
    Hashing {
        jobs,
        progress,
        count_lines: &|_| false,
        after: &|_, _, _| (),
    }
}

/// Why a file could not be hashed.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("`{}` changed while it was being hashed", .0.display())]
    Changed(PathBuf),
}

impl HashError {
    pub fn hint(&self) -> Option<String> {
        match self {
            HashError::Changed(_) => {
                Some("stop whatever is writing to the release, then run again".into())
            }
            HashError::Io(e) if e.kind() == std::io::ErrorKind::PermissionDenied => Some(
                "give the current user read access, or leave the file out with `--ignore PATH`"
                    .into(),
            ),
            HashError::Io(_) => None,
        }
    }
}

/// State shared by the workers of one `hash_files` call.
struct Shared<'a, T> {
    entries: &'a [WalkEntry],
    /// Entry indices, largest file first.
    order: Vec<usize>,
    next: AtomicUsize,
    /// Cores with nothing to do: a busy worker may give its reading to one of them.
    idle_cores: AtomicUsize,
    abort: AtomicBool,
    results: Mutex<Vec<Option<(Digested, T)>>>,
    errors: Mutex<Vec<(usize, HashError)>>,
}

/// Hashes every entry; results come back in the order of `entries`, each with what
/// `hashing.after` returned for it.
pub fn hash_files<T: Send>(
    entries: &[WalkEntry],
    hashing: &Hashing<'_, T>,
) -> Result<Vec<(Digested, T)>, HashError> {
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by(|&a, &b| entries[b].size.cmp(&entries[a].size).then(a.cmp(&b)));
    let jobs = hashing.jobs.max(1);
    let workers = jobs.min(entries.len().max(1));
    let shared = Shared {
        entries,
        order,
        next: AtomicUsize::new(0),
        idle_cores: AtomicUsize::new(jobs - workers),
        abort: AtomicBool::new(false),
        results: Mutex::new(entries.iter().map(|_| None).collect()),
        errors: Mutex::new(Vec::new()),
    };

    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| run_worker(&shared, hashing));
        }
    });

    let mut errors = shared
        .errors
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !errors.is_empty() {
        // The error of the first file in manifest order, whichever worker saw it first.
        errors.sort_by_key(|(index, _)| *index);
        return Err(errors.swap_remove(0).1);
    }
    let results = shared
        .results
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    Ok(results.into_iter().flatten().collect())
}

fn run_worker<T: Send>(shared: &Shared<'_, T>, hashing: &Hashing<'_, T>) {
    let mut worker = Worker { buf: Vec::new() };
    std::thread::scope(|scope| {
        let mut reader: Option<ReaderHandle> = None;
        loop {
            if shared.abort.load(Ordering::Relaxed) {
                break;
            }
            let slot = shared.next.fetch_add(1, Ordering::Relaxed);
            let Some(&index) = shared.order.get(slot) else {
                break;
            };
            let entry = &shared.entries[index];
            let count_lines = (hashing.count_lines)(entry);
            match worker.hash(
                entry,
                shared,
                count_lines,
                &mut reader,
                scope,
                hashing.progress,
            ) {
                Ok((hash, file)) => {
                    let extra = (hashing.after)(entry, file.file(), &hash);
                    // The head and the rest served the inspection; kept for every file of a
                    // large release they would be most of the memory of a scan.
                    let digested = Digested {
                        sha256: hash.sha256,
                        size: hash.size,
                    };
                    lock(&shared.results)[index] = Some((digested, extra));
                }
                Err(e) => {
                    shared.abort.store(true, Ordering::Relaxed);
                    lock(&shared.errors).push((index, e));
                }
            }
        }
        // This core is free from now on; dropping the reader handle ends the reader thread.
        shared.idle_cores.fetch_add(1, Ordering::Relaxed);
        drop(reader);
    });
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A digest in progress, with the head kept for classification.
struct Digesting {
    hasher: Sha256,
    head: Vec<u8>,
    total: u64,
    lines: Option<Lines>,
    git: Option<sha1::Sha1>,
}

impl Digesting {
    fn update(&mut self, bytes: &[u8], progress: &(dyn Fn(u64) + Sync)) {
        self.hasher.update(bytes);
        if let Some(git) = &mut self.git {
            sha1::Digest::update(git, bytes);
        }
        if let (Some(lines), Some(&last)) = (&mut self.lines, bytes.last()) {
            lines.newlines += memchr::memchr_iter(b'\n', bytes).count() as u64;
            lines.ends_with_newline = last == b'\n';
        }
        if self.head.len() < HEAD_LEN {
            let take = (HEAD_LEN - self.head.len()).min(bytes.len());
            self.head.extend_from_slice(&bytes[..take]);
        }
        self.total += bytes.len() as u64;
        progress(bytes.len() as u64);
    }
}

struct Worker {
    buf: Vec<u8>,
}

impl Worker {
    fn hash<'scope, T>(
        &mut self,
        entry: &WalkEntry,
        shared: &Shared<'_, T>,
        count_lines: bool,
        reader: &mut Option<ReaderHandle>,
        scope: &'scope std::thread::Scope<'scope, '_>,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<(FileHash, fs::File), HashError> {
        // What the walk saw is the reference: any change from then to the end of hashing is
        // caught, before reading and by the final check.
        let mut file = open_entry(entry)?;
        let before = entry.stamp;
        let mut state = Digesting {
            hasher: Sha256::new(),
            head: Vec::new(),
            total: 0,
            lines: count_lines.then(Lines::default),
            // Small, non-LFS files in the hub cache are named by their git blob SHA-1.
            git: entry.hub_blob.as_ref().filter(|b| b.len() == 40).map(|_| {
                let mut git = <sha1::Sha1 as sha1::Digest>::new();
                sha1::Digest::update(&mut git, format!("blob {}\0", entry.size).as_bytes());
                git
            }),
        };
        self.buf.resize(CHUNK, 0);
        let handed_off = if before.len <= SMALL_FILE {
            // Exactly the expected bytes: the final stat tells whether the file grew.
            let want = usize::try_from(before.len).unwrap_or(CHUNK).min(CHUNK);
            let n = fill(&mut file, &mut self.buf[..want])?;
            state.update(&self.buf[..n], progress);
            false
        } else {
            loop {
                if shared.idle_cores.load(Ordering::Relaxed) > 0 {
                    break true;
                }
                let n = fill(&mut file, &mut self.buf)?;
                state.update(&self.buf[..n], progress);
                if n < self.buf.len() {
                    break false;
                }
            }
        };
        if handed_off {
            let reader = reader.get_or_insert_with(|| ReaderHandle::start(scope));
            file = reader.finish(file, &entry.path, &mut state, progress)?;
        }
        let after = Stamp::of(&file.metadata()?);
        if after != before || state.total != before.len {
            return Err(HashError::Changed(entry.path.clone()));
        }
        let hash = FileHash {
            sha256: Sha256Digest(state.hasher.finalize().into()),
            size: state.total,
            head: state.head,
            lines: state.lines,
            git_sha1: state.git.map(|g| sha1::Digest::finalize(g).into()),
        };
        Ok((hash, file))
    }
}

/// What a reader thread sends back for one file.
enum Chunk {
    Data(Vec<u8>),
    End,
    Failed(std::io::Error),
}

/// The worker's side of its reader thread.
struct ReaderHandle {
    requests: mpsc::Sender<fs::File>,
    chunks: mpsc::Receiver<Chunk>,
    free: mpsc::Sender<Vec<u8>>,
}

impl ReaderHandle {
    fn start<'scope>(scope: &'scope std::thread::Scope<'scope, '_>) -> Self {
        let (requests, request_rx) = mpsc::channel::<fs::File>();
        let (chunk_tx, chunks) = mpsc::sync_channel::<Chunk>(BUFFERS);
        let (free, free_rx) = mpsc::channel::<Vec<u8>>();
        scope.spawn(move || reader_thread(&request_rx, &chunk_tx, &free_rx));
        for _ in 0..BUFFERS {
            // Allocated by the reader on first use.
            let _ = free.send(Vec::new());
        }
        Self {
            requests,
            chunks,
            free,
        }
    }

    /// Lets the reader thread read the rest of `file` while this thread hashes it. Returns a
    /// handle on the same open file for the final size and time check.
    fn finish(
        &self,
        file: fs::File,
        path: &Path,
        state: &mut Digesting,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<fs::File, HashError> {
        let check = file.file().try_clone().map_err(|e| named(&e, path))?;
        let stopped = || HashError::Io(std::io::Error::other("the reader thread stopped"));
        self.requests.send(file).map_err(|_| stopped())?;
        loop {
            match self.chunks.recv() {
                Ok(Chunk::Data(buf)) => {
                    state.update(&buf, progress);
                    let _ = self.free.send(buf);
                }
                Ok(Chunk::End) => break,
                Ok(Chunk::Failed(e)) => return Err(e.into()),
                Err(_) => return Err(stopped()),
            }
        }
        Ok(fs::File::from_parts(check, path))
    }
}

fn named(e: &std::io::Error, path: &Path) -> std::io::Error {
    std::io::Error::new(e.kind(), format!("cannot read `{}`: {e}", path.display()))
}

/// Reads each requested file to its end in `CHUNK`-sized buffers.
fn reader_thread(
    requests: &mpsc::Receiver<fs::File>,
    chunks: &mpsc::SyncSender<Chunk>,
    free: &mpsc::Receiver<Vec<u8>>,
) {
    // A buffer taken but not sent (end of file, read error) stays here for the next read, so the
    // number of buffers in circulation never shrinks.
    let mut spare: Option<Vec<u8>> = None;
    while let Ok(mut file) = requests.recv() {
        loop {
            let mut buf = match spare.take() {
                Some(buf) => buf,
                None => match free.recv() {
                    Ok(buf) => buf,
                    Err(_) => return,
                },
            };
            buf.resize(CHUNK, 0);
            let last = match fill(&mut file, &mut buf) {
                Ok(0) => {
                    spare = Some(buf);
                    Chunk::End
                }
                Ok(n) => {
                    buf.truncate(n);
                    let short = n < CHUNK;
                    if chunks.send(Chunk::Data(buf)).is_err() {
                        return;
                    }
                    if !short {
                        continue;
                    }
                    Chunk::End
                }
                Err(e) => {
                    spare = Some(buf);
                    Chunk::Failed(e)
                }
            };
            if chunks.send(last).is_err() {
                return;
            }
            break;
        }
    }
}

/// Reads until `buf` is full or the file ends; returns the bytes read.
fn fill(file: &mut fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Opens a walked file without blocking (a FIFO swapped in since the walk would block the open)
/// and checks it is still the file the walk saw, before a byte is read.
pub fn open_entry(entry: &WalkEntry) -> Result<fs::File, HashError> {
    use std::os::unix::fs::OpenOptionsExt as _;
    // std rather than fs_err: the open flags; the error is named below.
    #[allow(clippy::disallowed_methods)]
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC)
        .open(&entry.path)
        .map_err(|e| named(&e, &entry.path))?;
    let file = fs::File::from_parts(file, &entry.path);
    let meta = file.metadata()?;
    if !meta.is_file() || Stamp::of(&meta) != entry.stamp {
        return Err(HashError::Changed(entry.path.clone()));
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::RelPath;

    fn entries_for(dir: &Path, sizes: &[usize]) -> (Vec<WalkEntry>, Vec<Vec<u8>>) {
        let mut entries = Vec::new();
        let mut contents = Vec::new();
        for (i, &size) in sizes.iter().enumerate() {
            #[allow(clippy::cast_possible_truncation)] // a test pattern
            let content: Vec<u8> = (0..size).map(|j| (j * 31 + i) as u8).collect();
            let path = dir.join(format!("f{i}"));
            fs::write(&path, &content).unwrap();
            let stamp = Stamp::of(&fs::metadata(&path).unwrap());
            entries.push(WalkEntry {
                rel: RelPath::new(format!("f{i}")).unwrap(),
                path,
                size: size as u64,
                stamp,
                hub_blob: None,
            });
            contents.push(content);
        }
        (entries, contents)
    }

    #[test]
    fn digests_match_for_sizes_around_every_buffer_boundary() {
        let dir = tempfile::tempdir().unwrap();
        let small = usize::try_from(SMALL_FILE).unwrap();
        let sizes = [
            0,
            1,
            HEAD_LEN - 1,
            HEAD_LEN + 1,
            small,
            small + 1,
            CHUNK,
            CHUNK + 1,
            2 * CHUNK,
            3 * CHUNK - 5,
        ];
        let (entries, contents) = entries_for(dir.path(), &sizes);
        // One worker never hands off; four workers on ten files hand off once cores go idle;
        // sixteen workers have idle cores from the start.
        for jobs in [1, 4, 16] {
            let hashes = hash_files(&entries, &plain(jobs, &|_| {})).unwrap();
            for (((hash, ()), content), size) in hashes.iter().zip(&contents).zip(sizes) {
                assert_eq!(
                    hash.sha256,
                    Sha256Digest::of(content),
                    "size {size}, jobs {jobs}"
                );
                assert_eq!(hash.size, size as u64);
            }
        }
    }

    #[test]
    fn progress_counts_every_byte() {
        let dir = tempfile::tempdir().unwrap();
        let (entries, _) = entries_for(dir.path(), &[10, CHUNK * 2 + 3, 5000]);
        let seen = AtomicUsize::new(0);
        let progress = |n: u64| {
            seen.fetch_add(usize::try_from(n).unwrap(), Ordering::Relaxed);
        };
        hash_files(&entries, &plain(2, &progress)).unwrap();
        assert_eq!(seen.into_inner(), 10 + CHUNK * 2 + 3 + 5000);
    }

    #[test]
    fn a_file_that_changed_since_the_walk_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        // A small file read in one go and a large one handed to the reader thread.
        for (size, seen) in [(100, 99), (CHUNK + 10, CHUNK + 11)] {
            let (mut entries, _) = entries_for(dir.path(), &[size]);
            // The walk saw another size than the file now has: it changed in between.
            entries[0].size = seen as u64;
            entries[0].stamp.len = seen as u64;
            match hash_files(&entries, &plain(2, &|_| {})).unwrap_err() {
                HashError::Changed(path) => assert!(path.ends_with("f0"), "{path:?}"),
                other @ HashError::Io(_) => panic!("expected Changed, got {other}"),
            }
        }
        // Same size, but rewritten since the walk looked at it.
        let (mut entries, _) = entries_for(dir.path(), &[100]);
        entries[0].stamp.modified = (0, 0);
        assert!(matches!(
            hash_files(&entries, &plain(1, &|_| {})),
            Err(HashError::Changed(_))
        ));
    }

    #[test]
    fn a_missing_file_is_an_io_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let (mut entries, _) = entries_for(dir.path(), &[10]);
        fs::remove_file(&entries[0].path).unwrap();
        entries[0].size = 10;
        let err = hash_files(&entries, &plain(1, &|_| {})).unwrap_err();
        assert!(err.to_string().contains("f0"), "{err}");
    }

    /// Runs `change` on a walked file between the walk and the hashing, and expects the hashing
    /// to refuse it.
    fn caught_after(change: impl Fn(&Path)) {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("model.bin"), vec![1u8; 4096]).unwrap();
        let walked = crate::walk::walk(dir.path(), &crate::walk::WalkOptions::default()).unwrap();
        change(&walked.entries[0].path);
        match hash_files(&walked.entries, &plain(1, &|_| {})) {
            Err(HashError::Changed(path)) => assert!(path.ends_with("model.bin")),
            Err(other) => panic!("expected Changed, got {other}"),
            Ok(_) => panic!("the change went unnoticed"),
        }
    }

    /// Puts the walk's modification time back on `path`.
    fn restore_mtime(path: &Path, mtime: std::time::SystemTime) {
        std::fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(mtime)
            .unwrap();
    }

    #[test]
    fn a_rewrite_whose_modification_time_was_put_back_is_caught() {
        caught_after(|path| {
            let mtime = fs::metadata(path).unwrap().modified().unwrap();
            // Same size, other content, then the old modification time, as `touch -d` would.
            fs::write(path, vec![2u8; 4096]).unwrap();
            restore_mtime(path, mtime);
            assert_eq!(fs::metadata(path).unwrap().modified().unwrap(), mtime);
        });
    }

    #[test]
    fn a_file_replaced_by_a_rename_is_caught() {
        caught_after(|path| {
            let mtime = fs::metadata(path).unwrap().modified().unwrap();
            let other = path.with_file_name("other.bin");
            fs::write(&other, vec![3u8; 4096]).unwrap();
            restore_mtime(&other, mtime);
            fs::rename(&other, path).unwrap();
        });
    }

    #[test]
    fn a_fifo_swapped_in_since_the_walk_is_refused_without_blocking() {
        caught_after(|path| {
            fs::remove_file(path).unwrap();
            let made = std::process::Command::new("mkfifo")
                .arg(path)
                .status()
                .unwrap();
            assert!(made.success());
        });
    }
}
