//! PyTorch checkpoints, and any other file a loader would unpickle: what loading them would
//! import and call, and the tensors a checkpoint holds.
//!
//! Files are read by content, whatever their name, the way the loaders read them:
//! - a zip (`torch.save`, `.npz`, any other archive): `torch.load` unpickles
//!   `<folder of the first member>/data.pkl`, which miniz finds by central-directory name,
//!   case-insensitively; every other member that is a pickle by content (or by name) is scanned
//!   too, since another loader may unpickle it, and so is the data of every object array. A
//!   member that cannot be read is a finding, never a skip. `TorchScript` archives carry a
//!   program (`code/`).
//! - a raw pickle stream (`.pkl`, legacy `.bin`/`.pt` checkpoints: five pickles, then raw storage
//!   data, the first being a magic number).
//! - bytes a pickle hands to `torch.storage._load_from_bytes` (a second `torch.load` without
//!   `weights_only`), inspected the same way, recursively, to a bounded depth.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::globals::{Class, Global};
use super::input::{ReadInput, SourceInput};
use super::pickle::{self, Blob, Payload, Scan, Verdict};
use super::source::{Malformed, Source};
use super::{Report, compressed, numpy, rules, zip};
use crate::finding::Severity;

/// Largest text transcoded for a nested load (`_codecs.encode(text, "latin1")`).
const MAX_NESTED_TEXT: u64 = 64 * 1024 * 1024;
/// Globals and calls listed in the facts (the full count is always given).
const MAX_LISTED: usize = 64;
/// Nesting (open marks) beyond which a pickle is reported: real state dicts nest a few levels.
const DEEP_NESTING: u64 = 1000;
/// Nested loads followed (a checkpoint inside bytes inside a checkpoint...).
const MAX_NESTED_DEPTH: u32 = 4;
/// Bytes of each archive member sniffed for a pickle or an array.
const SNIFF: u64 = 512;

/// The pickle facts recorded for a file (its members merged).
#[derive(Debug, Serialize)]
pub(crate) struct PickleFacts {
    pub verdict: Verdict,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<u8>,
    pub pickles: u32,
    pub globals: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub calls: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unsafe_opcodes: Vec<&'static str>,
}

/// Tensor facts from the rebuild calls a checkpoint makes.
#[derive(Debug, Serialize)]
struct TensorFacts {
    tensors: u64,
    parameters: u64,
    dtypes: BTreeMap<String, u64>,
}

/// The scans of several pickles (the members of one archive, nested loads), merged.
#[derive(Debug, Default)]
pub(crate) struct Merged {
    scans: Vec<(Option<String>, Scan)>,
}

impl Merged {
    /// Adds a scan whose nested loads were resolved (or are left dangerous).
    fn add(&mut self, member: Option<String>, scan: Scan) {
        self.scans.push((member, scan));
    }

    /// Adds the scan of a stream (read once): nested loads of copied bytes are inspected; ranges
    /// of a stream cannot be read again, so those stay dangerous.
    pub(crate) fn add_stream(&mut self, label: String, mut scan: Scan, report: &mut Report) {
        resolve_nested(None, &mut scan, Some(&label), 0, self, report);
        self.add(Some(label), scan);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.scans.is_empty()
    }

    pub(crate) fn verdict(&self) -> Verdict {
        self.scans
            .iter()
            .map(|(_, s)| s.verdict())
            .max()
            .unwrap_or(Verdict::WeightsOnly)
    }

    /// Records the facts and findings of every scan in `report`.
    pub(crate) fn record(&self, report: &mut Report) {
        if self.scans.is_empty() {
            return;
        }
        let mut globals = BTreeSet::new();
        let mut calls = BTreeSet::new();
        let mut opcodes = BTreeSet::new();
        for (member, scan) in &self.scans {
            globals.extend(scan.globals.keys().map(ToString::to_string));
            calls.extend(scan.calls.iter().map(ToString::to_string));
            opcodes.extend(scan.unsafe_opcodes.iter().copied());
            findings(scan, member.as_deref(), report);
        }
        let facts = PickleFacts {
            verdict: self.verdict(),
            protocol: self.scans.iter().find_map(|(_, s)| s.protocol),
            pickles: self.scans.iter().map(|(_, s)| s.pickles).sum(),
            globals: globals.into_iter().take(MAX_LISTED).collect(),
            calls: calls.into_iter().take(MAX_LISTED).collect(),
            unsafe_opcodes: opcodes.into_iter().collect(),
        };
        report.fact("pickle", &facts);
        let tensors: Vec<&pickle::TensorRef> =
            self.scans.iter().flat_map(|(_, s)| &s.tensors).collect();
        if !tensors.is_empty() {
            let mut dtypes = BTreeMap::new();
            for t in &tensors {
                *dtypes.entry(t.dtype.clone()).or_insert(0u64) += t.elements;
            }
            report.facts_from(&TensorFacts {
                tensors: tensors.len() as u64,
                parameters: tensors
                    .iter()
                    .map(|t| t.elements)
                    .fold(0, u64::saturating_add),
                dtypes,
            });
        }
    }
}

/// Where a finding is inside an archive member, in words (a finding on the file itself carries
/// its offset in its location instead).
fn place(member: Option<&str>, offset: u64) -> String {
    match member {
        Some(m) => format!(" (byte {offset} of {m})"),
        None => String::new(),
    }
}

fn within(member: Option<&str>) -> String {
    member.map(|m| format!(" (in {m})")).unwrap_or_default()
}

/// The findings of one pickle scan.
#[allow(clippy::too_many_lines)] // one finding per kind of problem, in order of gravity
fn findings(scan: &Scan, member: Option<&str>, report: &mut Report) {
    let offset = |o: u64| if member.is_some() { None } else { Some(o) };
    let specific = !scan.nested.is_empty() || !scan.opaque_loads.is_empty();
    for (global, at) in scan.globals_of(Class::Dangerous) {
        if global.is_nested_loader() && specific {
            // Said more precisely below.
            continue;
        }
        let called = if scan.calls.contains(global) {
            "calls"
        } else {
            "imports"
        };
        let how = if global.name.contains('.') {
            " (an attribute path walked from the module)"
        } else {
            ""
        };
        report.note(
            rules::CODE_ON_LOAD,
            Severity::Error,
            format!(
                "loading it {called} `{global}`{how}{}, which can run arbitrary code",
                place(member, at)
            ),
            offset(at),
        );
    }
    for &at in &scan.unresolved {
        report.note(
            rules::CODE_ON_LOAD,
            Severity::Error,
            format!(
                "loading it imports a name built at load time that cannot be resolved{}",
                place(member, at)
            ),
            offset(at),
        );
    }
    for &at in &scan.extension_imports {
        report.note(
            rules::CODE_ON_LOAD,
            Severity::Error,
            format!(
                "loading it imports through the copyreg extension registry (`EXT` opcode){}",
                place(member, at)
            ),
            offset(at),
        );
    }
    for (global, at) in &scan.mutated {
        report.note(
            rules::CODE_ON_LOAD,
            Severity::Error,
            format!(
                "loading it changes the imported `{global}` itself{} (sets its attributes or items), which alters code that runs later",
                place(member, *at)
            ),
            offset(*at),
        );
    }
    for &at in &scan.opaque_loads {
        report.note(
            rules::CODE_ON_LOAD,
            Severity::Error,
            format!(
                "loading it uses `torch.storage._load_from_bytes` (a second `torch.load` without `weights_only`) other than on bytes of the pickle{}",
                place(member, at)
            ),
            offset(at),
        );
    }
    if !scan.nested_inspected {
        for n in &scan.nested {
            report.note(
                rules::CODE_ON_LOAD,
                Severity::Error,
                format!(
                    "loading it calls `torch.storage._load_from_bytes` (a second `torch.load` without `weights_only`) on bytes scelle could not inspect{}",
                    place(member, n.at)
                ),
                offset(n.at),
            );
        }
    }
    let suspicious = scan.globals_of(Class::Suspicious);
    if !suspicious.is_empty() {
        let names: Vec<String> = suspicious
            .iter()
            .take(16)
            .map(|(g, _)| format!("`{g}`"))
            .collect();
        let more = if suspicious.len() > 16 {
            format!(" and {} more", suspicious.len() - 16)
        } else {
            String::new()
        };
        report.note(
            rules::SUSPICIOUS_IMPORT,
            Severity::Warning,
            format!(
                "loading it imports {}{more}, on no known-safe list{}",
                names.join(", "),
                within(member)
            ),
            offset(suspicious[0].1),
        );
    }
    if scan.max_nesting > DEEP_NESTING {
        report.note(
            rules::NONCONFORMING,
            Severity::Warning,
            format!(
                "the pickle nests {} levels deep{}, a resource-exhaustion pattern no checkpoint needs",
                scan.max_nesting,
                within(member)
            ),
            None,
        );
    }
    if scan.trailing_unparsed {
        report.note(
            rules::NONCONFORMING,
            Severity::Warning,
            format!(
                "{} bytes after the last complete pickle are not a pickle{}: a loader reading on would run them up to where they break",
                scan.trailing_bytes,
                within(member)
            ),
            None,
        );
    }
    if let Some(e) = &scan.error {
        let message = match member {
            Some(m) => format!("{m}: {}", e.message),
            None => e.message.clone(),
        };
        report.note(rules::MALFORMED, Severity::Error, message, offset(e.offset));
    }
}

/// Inspects the payloads of the nested loads of `scan` (ranges of `source`, or copies) and
/// marks them inspected when every one could be read.
fn resolve_nested(
    source: Option<Source<'_>>,
    scan: &mut Scan,
    label: Option<&str>,
    depth: u32,
    merged: &mut Merged,
    report: &mut Report,
) {
    if scan.nested.is_empty() || depth >= MAX_NESTED_DEPTH {
        return;
    }
    let mut all = true;
    for n in &scan.nested {
        let name = format!(
            "the bytes passed to `torch.storage._load_from_bytes` at byte {}{}",
            n.at,
            label.map(|l| format!(" of {l}")).unwrap_or_default()
        );
        let bytes: Option<Vec<u8>> = match (&n.payload, source) {
            (Payload::Bytes(Blob::Range { start, len }), Some(source)) => {
                match source.slice(*start, *len, "nested bytes") {
                    Ok(slice) => {
                        torch_load_bytes(slice, &name, depth + 1, merged, report);
                        continue;
                    }
                    Err(_) => None,
                }
            }
            (Payload::Bytes(Blob::Owned(b)), _) => Some(b.to_vec()),
            (Payload::Latin1(Blob::Range { start, len }), Some(source))
                if *len <= MAX_NESTED_TEXT =>
            {
                source
                    .read(*start, *len, "nested text")
                    .ok()
                    .and_then(|t| latin1(&t))
            }
            (Payload::Latin1(Blob::Owned(t)), _) => latin1(t),
            _ => None,
        };
        match bytes {
            Some(b) => torch_load_bytes(Source::bytes(&b), &name, depth + 1, merged, report),
            None => all = false,
        }
    }
    scan.nested_inspected = all;
}

/// UTF-8 text whose characters are all Latin-1, as the bytes `encode("latin1")` makes.
fn latin1(text: &[u8]) -> Option<Vec<u8>> {
    std::str::from_utf8(text)
        .ok()?
        .chars()
        .map(|c| u8::try_from(u32::from(c)).ok())
        .collect()
}

/// What `torch.load` does with bytes it is given in memory: a zip when they start like one,
/// pickles otherwise.
fn torch_load_bytes(
    source: Source<'_>,
    label: &str,
    depth: u32,
    merged: &mut Merged,
    report: &mut Report,
) {
    let head = source
        .read(0, source.size().min(4), label)
        .unwrap_or_default();
    if head.starts_with(b"PK\x03\x04") {
        if let Err(m) = zip_members(source, Some(label), depth, merged, report) {
            report.note(
                rules::MALFORMED,
                Severity::Error,
                format!("{label}: {}", m.message),
                None,
            );
        }
    } else {
        scan_source(source, Some(label.to_owned()), depth, merged, report);
    }
}

/// Scans the pickle stream in `source`, inspecting its nested loads.
pub(crate) fn scan_source(
    source: Source<'_>,
    label: Option<String>,
    depth: u32,
    merged: &mut Merged,
    report: &mut Report,
) -> Scan {
    scan_source_from(source, 0, label, depth, merged, report)
}

/// Scans the pickle stream that starts at `offset` of `source`.
pub(crate) fn scan_source_from(
    source: Source<'_>,
    offset: u64,
    label: Option<String>,
    depth: u32,
    merged: &mut Merged,
    report: &mut Report,
) -> Scan {
    let mut scan = pickle::scan(&mut SourceInput::new(source, offset));
    resolve_nested(
        Some(source),
        &mut scan,
        label.as_deref(),
        depth,
        merged,
        report,
    );
    let summary = scan.clone();
    merged.add(label, scan);
    summary
}

/// A raw pickle file (`.pkl`, legacy `.bin`/`.pt` checkpoints, any file whose bytes are one).
pub fn inspect_pickle(source: Source<'_>, report: &mut Report) -> Result<(), Malformed> {
    let mut merged = Merged::default();
    let scan = scan_source(source, None, 0, &mut merged, report);
    if scan.legacy_torch {
        report.fact("legacy_checkpoint", true);
    }
    if scan.pickles > 1 || scan.trailing_bytes > 0 {
        report.fact("trailing_bytes", scan.trailing_bytes);
    }
    merged.record(report);
    Ok(())
}

/// A file whose first bytes walk like a pickle though its name does not say so: recorded when
/// it is one (framed, or pickles from end to end), or when the walk imports a dangerous name
/// before it breaks (the unpickler runs everything up to the break). Otherwise returns false and records
/// nothing: random bytes that happen to start like opcodes are not a pickle.
pub fn inspect_sniffed_pickle(source: Source<'_>, report: &mut Report) -> bool {
    let mut merged = Merged::default();
    let mut own = Report::default();
    let scan = scan_source(source, None, 0, &mut merged, &mut own);
    let head = source
        .read(0, source.size().min(2), "pickle")
        .unwrap_or_default();
    let framed = head.len() == 2 && head[0] == 0x80 && (2..=5).contains(&head[1]);
    // A framed pickle, a file that is nothing but pickles, a complete pickle that imports
    // something; or a stream that imports a dangerous name or one spelt like a real import (a
    // loader imports it, and runs what it calls, before anything breaks). Anything else is
    // random bytes that happened to start like opcodes.
    let whole = scan.pickles > 0 && (framed || !scan.trailing_unparsed || scan.first_imports > 0);
    if !whole
        && scan.globals_of(Class::Dangerous).is_empty()
        && !scan.globals.keys().any(Global::is_plausible)
    {
        return false;
    }
    report.facts.extend(own.facts);
    report.notes.extend(own.notes);
    if scan.legacy_torch {
        report.fact("legacy_checkpoint", true);
    }
    if scan.pickles > 1 || scan.trailing_bytes > 0 {
        report.fact("trailing_bytes", scan.trailing_bytes);
    }
    merged.record(report);
    true
}

/// A zip archive, whatever its name: a `torch.save` checkpoint, a `TorchScript` archive, or any
/// zip whose members a loader may unpickle. `checkpoint` when the name says PyTorch.
pub fn inspect_zip(
    source: Source<'_>,
    checkpoint: bool,
    report: &mut Report,
) -> Result<(), Malformed> {
    let mut merged = Merged::default();
    let found = zip_members(source, None, 0, &mut merged, report)?;
    if checkpoint && merged.is_empty() && found.unreadable == 0 {
        report.note(
            rules::NOTE,
            Severity::Info,
            "a zip checkpoint without any pickle member",
            None,
        );
    }
    merged.record(report);
    Ok(())
}

/// Whether a member's name says a loader unpickles it (`pickle`, `joblib`, `np.load`,
/// `torch.load` of a nested checkpoint).
fn read_as_pickle_by_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [
        ".pkl", ".pickle", ".joblib", ".npy", ".npz", ".pt", ".pth", ".ckpt", ".bin", ".dat",
        ".data",
    ]
    .iter()
    .any(|ext| name.ends_with(ext))
}

/// What the walk of an archive's members found.
#[derive(Debug, Default)]
struct Members {
    unreadable: u64,
}

/// Inspects every member of the zip in `source`: pickles (by content or name), object arrays,
/// and the record `torch.load` unpickles.
#[allow(clippy::too_many_lines)] // one pass over the members, each kind handled in turn
fn zip_members(
    source: Source<'_>,
    label: Option<&str>,
    depth: u32,
    merged: &mut Merged,
    report: &mut Report,
) -> Result<Members, Malformed> {
    let archive = zip::read(source)?;
    let prefix = label.map(|l| format!("{l}: ")).unwrap_or_default();
    for (warning, offset) in &archive.warnings {
        report.note(
            rules::NONCONFORMING,
            Severity::Warning,
            format!("{prefix}{warning}"),
            label.is_none().then_some(*offset),
        );
    }
    // `PyTorchStreamReader`: the folder of the first central entry, then `data.pkl` in it,
    // located by a case-insensitive binary search over the sorted central directory.
    let root = archive
        .entries
        .first()
        .and_then(|e| e.name.split_once('/'))
        .map(|(r, _)| format!("{r}/data.pkl"));
    let is_data_pkl = |name: &str| root.as_ref().is_some_and(|r| name.eq_ignore_ascii_case(r));
    let data_pkls = archive
        .entries
        .iter()
        .filter(|e| is_data_pkl(&e.name))
        .count();
    if data_pkls > 1 {
        report.note(
            rules::NONCONFORMING,
            Severity::Warning,
            format!(
                "{prefix}{data_pkls} members are named like `{}` (PyTorch matches names without regard to case): which one `torch.load` reads depends on the order of the directory",
                root.as_deref().unwrap_or_default()
            ),
            None,
        );
    }
    if label.is_none() {
        report.fact("members", archive.entries.len());
    }
    let mut found = Members::default();
    let mut code_members = 0u64;
    let mut storages = 0u64;
    for entry in &archive.entries {
        let inner = entry
            .name
            .split_once('/')
            .map_or(entry.name.as_str(), |(_, rest)| rest);
        if inner.starts_with("code/") && !entry.name.ends_with('/') {
            code_members += 1;
        }
        if inner.starts_with("data/") {
            storages += 1;
        }
        if entry.size == 0 && entry.compressed_size == 0 {
            continue;
        }
        let member = format!(
            "{}`{}`",
            label.map(|l| format!("{l}, member ")).unwrap_or_default(),
            entry.name
        );
        let head = match zip::prefix(source, entry, SNIFF) {
            Ok(head) => head,
            Err(m) => {
                found.unreadable += 1;
                // An error where a loader reads the member: the record `torch.load` unpickles,
                // a member named as a pickle or an array, anything in a checkpoint or nested
                // archive. A member no loader reads by itself (an image in a dataset zip) is a
                // warning: still never skipped, but not a reason to refuse the release.
                let loader_reads = label.is_some()
                    || data_pkls > 0
                    || is_data_pkl(&entry.name)
                    || read_as_pickle_by_name(&entry.name);
                report.note(
                    rules::UNSCANNABLE,
                    if loader_reads {
                        Severity::Error
                    } else {
                        Severity::Warning
                    },
                    format!(
                        "{prefix}{}: a loader may read it, but scelle cannot, so whether it runs code is unknown",
                        m.message
                    ),
                    label.is_none().then_some(m.offset),
                );
                continue;
            }
        };
        if head.starts_with(b"\x93NUMPY") {
            numpy::zip_member_array(source, entry, &member, merged, report);
            continue;
        }
        let named = [".pkl", ".pickle"].iter().any(|x| entry.name.ends_with(x));
        if !(is_data_pkl(&entry.name) || named || pickle::looks_like_pickle(&head, entry.size)) {
            continue;
        }
        if entry.method == 0 {
            match source.slice(entry.data_offset, entry.compressed_size, &entry.name) {
                Ok(slice) => {
                    scan_source(slice, Some(member), depth, merged, report);
                }
                Err(m) => report.malformed(m),
            }
        } else {
            match zip::reader(source, entry) {
                Ok(mut r) => {
                    let mut input = ReadInput::new(&mut r, compressed::MAX_DECOMPRESSED);
                    let scan = pickle::scan(&mut input);
                    merged.add_stream(member, scan, report);
                }
                Err(m) => report.malformed(m),
            }
        }
    }
    if label.is_none() {
        if storages > 0 {
            report.fact("storages", storages);
        }
        if code_members > 0 {
            report.fact("torchscript", true);
            report.note(
                rules::CODE_ON_LOAD,
                Severity::Warning,
                format!("a TorchScript program ({code_members} files under `code/`): `torch.jit.load` runs it"),
                None,
            );
        }
    }
    Ok(found)
}
