//! PyTorch checkpoints and other pickles: what loading them would import and call, and the
//! tensors a checkpoint holds.
//!
//! `torch.save` writes a zip whose `data.pkl` rebuilds the tensors from storages kept as members
//! (`data/0`, `data/1`...). Every member that is a pickle is scanned, not only `data.pkl`: a
//! payload hidden in another member runs just the same when a loader unpickles it. `TorchScript`
//! archives carry a program (`code/`). Raw pickles (`.pkl`, legacy `.bin` checkpoints with
//! several pickles then raw storage data) are scanned from the start.

use std::collections::BTreeMap;

use serde::Serialize;

use super::globals::Class;
use super::pickle::{self, Scan, Verdict};
use super::source::{Malformed, Source};
use super::{Report, rules, zip};
use crate::finding::Severity;

/// Largest pickle member read (a `data.pkl` of a large model is a few MB).
const MAX_PICKLE_MEMBER: u64 = 256 * 1024 * 1024;
/// Globals and calls listed in the facts (the full count is always given).
const MAX_LISTED: usize = 64;
/// Nesting (open marks) beyond which a pickle is reported: real state dicts nest a few levels.
const DEEP_NESTING: u64 = 1000;

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

/// Merges the scans of several pickles (the members of one archive).
#[derive(Debug, Default)]
pub(crate) struct Merged {
    scans: Vec<(Option<String>, Scan)>,
}

impl Merged {
    pub(crate) fn add(&mut self, member: Option<String>, scan: Scan) {
        self.scans.push((member, scan));
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
        let mut globals = std::collections::BTreeSet::new();
        let mut calls = std::collections::BTreeSet::new();
        let mut opcodes = std::collections::BTreeSet::new();
        for (member, scan) in &self.scans {
            globals.extend(scan.globals.keys().cloned());
            calls.extend(scan.calls.iter().cloned());
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
        Some(m) => format!(" (byte {offset} of `{m}`)"),
        None => String::new(),
    }
}

/// The findings of one pickle scan.
fn findings(scan: &Scan, member: Option<&str>, report: &mut Report) {
    let offset = |o: u64| if member.is_some() { None } else { Some(o) };
    for (global, at) in scan.globals_of(Class::Dangerous) {
        let called = if scan.calls.contains(global) {
            "calls"
        } else {
            "imports"
        };
        report.note(
            rules::CODE_ON_LOAD,
            Severity::Error,
            format!(
                "loading it {called} `{global}`{}, which can run arbitrary code",
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
                member.map(|m| format!(" (in `{m}`)")).unwrap_or_default()
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
                member.map(|m| format!(" (in `{m}`)")).unwrap_or_default()
            ),
            None,
        );
    }
    if let Some(e) = &scan.error {
        let message = match member {
            Some(m) => format!("`{m}`: {}", e.message),
            None => e.message.clone(),
        };
        report.note(rules::MALFORMED, Severity::Error, message, offset(e.offset));
    }
}

/// True when the bytes start a pickle of protocol 2 or later.
fn is_pickle(head: &[u8]) -> bool {
    head.len() >= 2 && head[0] == 0x80 && (2..=5).contains(&head[1])
}

/// A raw pickle file (`.pkl`, legacy `.bin`/`.pt` checkpoints).
pub fn inspect_pickle(source: Source<'_>, report: &mut Report) -> Result<(), Malformed> {
    let scan = pickle::scan(&mut source.cursor(0));
    if scan.pickles > 1 || scan.trailing_bytes > 0 {
        report.fact("trailing_bytes", scan.trailing_bytes);
    }
    let mut merged = Merged::default();
    merged.add(None, scan);
    merged.record(report);
    Ok(())
}

/// A zip checkpoint as `torch.save` (or `torch.jit.save`) writes it.
pub fn inspect_zip(source: Source<'_>, report: &mut Report) -> Result<(), Malformed> {
    let archive = zip::read_noting(source, report)?;
    report.fact("members", archive.entries.len());
    let mut merged = Merged::default();
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
        let named_pickle = [".pkl", ".pickle"]
            .iter()
            .any(|ext| entry.name.ends_with(ext));
        let looks_pickle = !named_pickle
            && entry.size >= 2
            && is_pickle(&zip::prefix(source, entry, 2).unwrap_or_default());
        if !(named_pickle || looks_pickle) {
            continue;
        }
        match zip::open(source, entry, MAX_PICKLE_MEMBER) {
            Ok(member) => {
                let scan = pickle::scan(&mut member.source().cursor(0));
                merged.add(Some(entry.name.clone()), scan);
            }
            Err(m) => report.malformed(m),
        }
    }
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
    if merged.scans.is_empty() {
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
