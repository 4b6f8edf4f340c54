//! What each file of a release is: its kind (weights, dataset, tokenizer...), its format, the
//! facts its header gives (tensors, parameters, dtypes, records...) and whether loading it can run
//! code.
//!
//! The format comes from the file's first bytes when they are strong evidence of one (a whole
//! valid signature or header, a pickle whose opcodes walk, a tar header whose checksum is
//! right), then from the name: a renamed safetensors file is still safetensors, a `.bin` may be
//! a zip checkpoint, a pickle of any protocol, a legacy tar checkpoint or raw tokens. Loaders
//! decide by content too (`torch.load` takes any zip and tries any other file as a tar, then as
//! pickles; `pickle.load` and `np.load(allow_pickle=True)` read whatever they are given), so
//! every file is sniffed whatever its name. A file that only looks like a format from its first
//! bytes and then breaks that format's rules is `file/malformed` at warning level, unless its
//! name also says that format (or the format is a zip, which `torch.load` opens on its first
//! four bytes alone).
//!
//! Inspectors read headers and footers only, with bounded positioned reads on the file the
//! hasher has open (archive members and compressed pickles are walked as they decompress);
//! full-file facts (line counts) come from the hashing pass. A malformed file is a finding on
//! that file, never an error that stops the scan.

pub mod compat;
pub mod compressed;
pub mod gguf;
pub mod globals;
pub mod hf;
pub mod input;
pub mod keras;
pub mod numpy;
pub mod onnx;
pub mod parquet;
pub mod pickle;
pub mod safetensors;
pub mod source;
pub mod tar;
pub mod template;
pub mod text;
pub mod torch;
pub mod zip;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::finding::{Finding, Location, Severity};
use crate::vocab::RelPath;
pub use crate::vocab::{Format, Kind, rules};
use source::{Malformed, Source};

/// Facts about one file, by name (format-specific; documented in `docs/manifest.md`).
pub type Facts = BTreeMap<String, Value>;

/// What an inspector found in one file, before it is tied to the file's path.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub facts: Facts,
    pub notes: Vec<Note>,
}

/// One finding about a file, located by byte offset when it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub rule: &'static str,
    pub severity: Severity,
    pub message: String,
    pub offset: Option<u64>,
}

impl Report {
    /// Records a fact (anything serialisable; a value that cannot be serialised is skipped).
    pub fn fact(&mut self, key: &str, value: impl Serialize) {
        if let Ok(v) = serde_json::to_value(value) {
            self.facts.insert(key.to_owned(), v);
        }
    }

    /// Records every field of a serialisable struct as a fact.
    pub fn facts_from(&mut self, facts: &impl Serialize) {
        if let Ok(Value::Object(map)) = serde_json::to_value(facts) {
            self.facts.extend(map);
        }
    }

    /// Records a finding.
    pub fn note(
        &mut self,
        rule: &'static str,
        severity: Severity,
        message: impl Into<String>,
        offset: Option<u64>,
    ) {
        self.notes.push(Note {
            rule,
            severity,
            message: message.into(),
            offset,
        });
    }

    /// Records a malformed structure as an error finding at its offset.
    pub fn malformed(&mut self, m: Malformed) {
        self.note(rules::MALFORMED, Severity::Error, m.message, Some(m.offset));
    }
}

/// Everything the scan knows about a file when it inspects it.
#[derive(Debug, Clone, Copy)]
pub struct FileInfo<'a> {
    pub path: &'a RelPath,
    pub size: u64,
    /// The first bytes, as the hasher kept them.
    pub head: &'a [u8],
    /// Newlines counted in the hashing pass, for line-based formats ([`counts_lines`]).
    pub lines: Option<crate::hash::Lines>,
}

/// A file's kind, format, facts and findings.
#[derive(Debug, Clone, PartialEq)]
pub struct Inspection {
    pub kind: Kind,
    pub format: Format,
    pub facts: Facts,
    pub findings: Vec<Finding>,
}

/// Whether the hashing pass should count this file's newlines (line-based dataset formats).
pub fn counts_lines(path: &RelPath) -> bool {
    let name = path.file_name().to_ascii_lowercase();
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    matches!(ext, "jsonl" | "ndjson" | "csv" | "tsv") || (ext == "txt" && in_data_folder(path))
}

/// Classifies a file without reading anything beyond its first bytes (`scan --no-inspect`).
pub fn classify_only(info: &FileInfo<'_>) -> Inspection {
    let (kind, format) = classify(info.path, info.size, info.head);
    Inspection {
        kind,
        format,
        facts: Facts::new(),
        findings: Vec::new(),
    }
}

/// Inspects one file: classifies it, then runs its format's inspector over `source`.
pub fn inspect(info: &FileInfo<'_>, source: Source<'_>) -> Inspection {
    let (mut kind, mut format) = classify(info.path, info.size, info.head);
    let mut report = Report::default();
    if format == Format::Pickle
        && !claims(info.path, format)
        && !torch::inspect_sniffed_pickle(source, &mut report)
    {
        // The first bytes walked like a pickle, the rest does not: not one after all.
        let name = name_of(info.path);
        let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
        format = format_from_name(&name, ext);
        kind = kind_of(info.path, &name, ext, format);
    }
    let r = &mut report;
    let result = match format {
        Format::Pickle if !claims(info.path, format) => Ok(()),
        Format::Safetensors => safetensors::inspect(source, r),
        Format::Gguf => gguf::inspect(source, r),
        Format::Onnx => onnx::inspect(source, r),
        Format::Parquet => parquet::inspect(source, r),
        Format::PytorchZip => torch::inspect_zip(source, true, r),
        Format::Zip => torch::inspect_zip(source, false, r),
        Format::Pickle => torch::inspect_pickle(source, r),
        Format::Tar => tar::inspect(source, r),
        Format::Compressed => compressed::inspect(&name_of(info.path), info.head, source, r),
        Format::Npy => numpy::inspect_npy(source, r),
        Format::Npz => numpy::inspect_npz(source, r),
        Format::Keras => keras::inspect_keras(source, r),
        Format::Hdf5 => keras::inspect_h5(source, r),
        Format::LfsPointer => hf::inspect_lfs_pointer(source, r),
        Format::Json => hf::inspect_json(info.path, source, r),
        Format::Jsonl | Format::Csv | Format::Tsv | Format::Text => {
            text::inspect_lines(info, format, source, r)
        }
        Format::Python => {
            text::inspect_python(r);
            Ok(())
        }
        _ if template::is_template_file(info.path) => template::inspect_file(info.path, source, r),
        _ => Ok(()),
    };
    if let Err(m) = result {
        report.malformed(m);
    }
    if format == Format::Gguf && report.facts.get("tensor_count") == Some(&Value::from(0u64)) {
        // llama.cpp ships vocabularies as GGUF files without tensors (`ggml-vocab-*.gguf`):
        // a tokenizer, not weights, and no part of the parameter count.
        kind = Kind::Tokenizer;
    }
    if !claims(info.path, format) {
        // The format came from the first bytes alone: breaking its rules further on is worth a
        // warning, not an error (code-on-load findings keep their severity).
        for note in &mut report.notes {
            if note.rule == rules::MALFORMED && note.severity == Severity::Error {
                note.severity = Severity::Warning;
                note.message = format!(
                    "{} (its first bytes look like {}, but its name does not say so)",
                    note.message,
                    format.as_str()
                );
            }
        }
    }
    if let Some(compression) = compressed::unopenable_pickle(&name_of(info.path)) {
        report.note(
            rules::UNSCANNABLE,
            Severity::Error,
            format!(
                "its name says a {compression}-compressed pickle, which scelle cannot open: whether loading it runs code is unknown"
            ),
            None,
        );
    }
    Inspection {
        kind,
        format,
        facts: report.facts,
        findings: findings_for(info.path, report.notes),
    }
}

fn name_of(path: &RelPath) -> String {
    path.file_name().to_ascii_lowercase()
}

/// Whether a malformed `format` is an error: the name says that format, or the format is one a
/// loader opens on its signature alone (a zip, for `torch.load`), or one whose signature is a
/// whole line of its specification (a Git LFS pointer).
fn claims(path: &RelPath, format: Format) -> bool {
    let name = name_of(path);
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    // A Git LFS pointer is recognised by the whole first line of its specification, which no
    // other file starts with: a broken one stands in place of content all the same.
    if matches!(
        format,
        Format::PytorchZip | Format::Zip | Format::Npz | Format::Keras | Format::LfsPointer
    ) {
        return true;
    }
    format_from_name(&name, ext) == format
        || (format == Format::Pickle
            && matches!(ext, "bin" | "mar")
            && name.starts_with("pytorch_model"))
}

/// One finding about a file, located at the file.
pub fn file_finding(
    path: &RelPath,
    rule: &'static str,
    severity: Severity,
    message: String,
) -> Finding {
    findings_for(
        path,
        vec![Note {
            rule,
            severity,
            message,
            offset: None,
        }],
    )
    .remove(0)
}

/// Ties notes to the file they are about.
fn findings_for(path: &RelPath, notes: Vec<Note>) -> Vec<Finding> {
    notes
        .into_iter()
        .map(|n| {
            let mut f = Finding::fail(n.rule, n.severity, n.message).with_subject(path.to_string());
            f.location = Some(Location {
                file: path.to_string(),
                line: None,
                column: None,
                byte_offset: n.offset,
            });
            f
        })
        .collect()
}

/// The start of every Git LFS pointer file (git-lfs `docs/spec.md`); `hawser` is the pre-1.0 name.
const LFS_PREFIXES: [&[u8]; 2] = [
    b"version https://git-lfs.github.com/spec/v1\n",
    b"version https://hawser.github.com/spec/v1\n",
];
/// git-lfs only treats blobs smaller than this as possible pointers.
const LFS_POINTER_MAX: u64 = 1024;

/// Classifies a file from its path, size and first bytes.
pub fn classify(path: &RelPath, size: u64, head: &[u8]) -> (Kind, Format) {
    let name = path.file_name().to_ascii_lowercase();
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    if size < LFS_POINTER_MAX && LFS_PREFIXES.iter().any(|p| head.starts_with(p)) {
        return (Kind::Other, Format::LfsPointer);
    }
    let format = format_from_magic(head, size, ext).unwrap_or_else(|| format_from_name(&name, ext));
    (kind_of(path, &name, ext, format), format)
}

fn format_from_magic(head: &[u8], size: u64, ext: &str) -> Option<Format> {
    if head.starts_with(b"GGUF") {
        return Some(Format::Gguf);
    }
    if head.starts_with(b"\x93NUMPY") {
        return Some(Format::Npy);
    }
    if head.starts_with(b"\x89HDF\r\n\x1a\n") {
        return Some(Format::Hdf5);
    }
    if head.starts_with(b"PAR1") {
        return Some(Format::Parquet);
    }
    if head.starts_with(b"ARROW1") {
        return Some(Format::Arrow);
    }
    if head.starts_with(b"%PDF-") {
        return Some(Format::Pdf);
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Some(match ext {
            "npz" => Format::Npz,
            "keras" => Format::Keras,
            "bin" | "pt" | "pth" | "ckpt" | "pkl" | "pickle" | "mar" => Format::PytorchZip,
            _ => Format::Zip,
        });
    }
    if tar::looks_like_tar(head) {
        return Some(Format::Tar);
    }
    if compressed::sniff(head).is_some() {
        return Some(Format::Compressed);
    }
    if looks_like_safetensors(head, size) {
        return Some(Format::Safetensors);
    }
    if pickle::looks_like_pickle(head, size) {
        return Some(Format::Pickle);
    }
    if head.len() >= 8 && &head[4..8] == b"TFL3" {
        return Some(Format::Tflite);
    }
    None
}

/// A u64 little-endian header length that fits the file and the reference's 100 MB limit,
/// followed by a JSON object: parsed whole when the head holds it, otherwise valid as far as
/// the head goes.
fn looks_like_safetensors(head: &[u8], size: u64) -> bool {
    if head.len() < 10 {
        return false;
    }
    let mut len = [0u8; 8];
    len.copy_from_slice(&head[..8]);
    let n = u64::from_le_bytes(len);
    if !(2..=100_000_000).contains(&n) || n > size.saturating_sub(8) {
        return false;
    }
    let available = usize::try_from(n).map_or(head.len(), |n| (8 + n).min(head.len()));
    let json = &head[8..available];
    if json.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return false;
    }
    match serde_json::from_slice::<serde_json::Map<String, Value>>(json) {
        Ok(_) => true,
        // Cut off by the end of the head, not by a syntax error.
        Err(e) => e.is_eof() && available < 8 + usize::try_from(n).unwrap_or(usize::MAX),
    }
}

fn format_from_name(name: &str, ext: &str) -> Format {
    match ext {
        "safetensors" => Format::Safetensors,
        "gguf" => Format::Gguf,
        // A `.bin` is a pickle only when its first bytes say so (see `format_from_magic`):
        // plenty of raw binary files use the extension.
        "pt" | "pth" | "ckpt" | "pkl" | "pickle" | "joblib" => Format::Pickle,
        "npy" => Format::Npy,
        "npz" => Format::Npz,
        "onnx" => Format::Onnx,
        "keras" => Format::Keras,
        "h5" | "hdf5" => Format::Hdf5,
        "tflite" => Format::Tflite,
        "msgpack" => Format::Msgpack,
        "parquet" => Format::Parquet,
        "arrow" | "feather" => Format::Arrow,
        "jsonl" | "ndjson" => Format::Jsonl,
        "csv" => Format::Csv,
        "tsv" => Format::Tsv,
        "tar" => Format::Tar,
        "zip" => Format::Zip,
        "json" => Format::Json,
        "yaml" | "yml" => Format::Yaml,
        "toml" => Format::Toml,
        "md" | "markdown" => Format::Markdown,
        "txt" | "rst" | "cff" => Format::Text,
        "py" => Format::Python,
        "model" => Format::Sentencepiece,
        "tiktoken" => Format::Tiktoken,
        "pdf" => Format::Pdf,
        _ if name.starts_with("license")
            || name.starts_with("licence")
            || name.starts_with("notice")
            || name.starts_with("copying") =>
        {
            Format::Text
        }
        _ => Format::Unknown,
    }
}

/// Tokenizer files by their conventional Hugging Face names.
const TOKENIZER_NAMES: [&str; 9] = [
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "vocab.json",
    "vocab.txt",
    "merges.txt",
    "chat_template.jinja",
    "chat_template.json",
];

fn kind_of(path: &RelPath, name: &str, ext: &str, format: Format) -> Kind {
    if TOKENIZER_NAMES.contains(&name) || matches!(format, Format::Sentencepiece | Format::Tiktoken)
    {
        return Kind::Tokenizer;
    }
    match format {
        Format::Safetensors
        | Format::Gguf
        | Format::PytorchZip
        | Format::Pickle
        | Format::Npy
        | Format::Npz
        | Format::Onnx
        | Format::Keras
        | Format::Hdf5
        | Format::Tflite
        | Format::Msgpack => Kind::Weights,
        Format::Parquet
        | Format::Arrow
        | Format::Jsonl
        | Format::Csv
        | Format::Tsv
        | Format::Tar => Kind::Dataset,
        Format::Compressed if in_data_folder(path) => Kind::Dataset,
        Format::Python => Kind::Code,
        Format::Text if ext == "txt" && in_data_folder(path) => Kind::Dataset,
        Format::Markdown | Format::Pdf | Format::Text => Kind::Docs,
        Format::Json | Format::Yaml | Format::Toml => {
            if in_data_folder(path) && ext == "json" {
                Kind::Dataset
            } else {
                Kind::Config
            }
        }
        Format::Sentencepiece | Format::Tiktoken => Kind::Tokenizer,
        Format::Zip | Format::Compressed | Format::LfsPointer | Format::Unknown => match ext {
            "sh" | "js" | "ts" | "rs" | "c" | "cc" | "cpp" | "cu" | "h" | "ipynb" | "jinja" => {
                Kind::Code
            }
            _ => Kind::Other,
        },
    }
}

/// True when a folder on the path is conventionally a dataset folder.
fn in_data_folder(path: &RelPath) -> bool {
    let components: Vec<&str> = path.components().collect();
    components[..components.len().saturating_sub(1)]
        .iter()
        .any(|c| {
            matches!(
                c.to_ascii_lowercase().as_str(),
                "data" | "dataset" | "datasets" | "train" | "test" | "validation"
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(path: &str, head: &[u8]) -> (Kind, Format) {
        classify(&RelPath::new(path).unwrap(), head.len() as u64, head)
    }

    #[test]
    fn magic_bytes_win_over_the_name() {
        let mut st = 2u64.to_le_bytes().to_vec();
        st.extend_from_slice(b"{}");
        assert_eq!(of("weights.bin", &st), (Kind::Weights, Format::Safetensors));
        assert_eq!(
            of("pytorch_model.bin", b"PK\x03\x04rest"),
            (Kind::Weights, Format::PytorchZip)
        );
        assert_eq!(
            of("model.bin", b"\x80\x02}q\x00."),
            (Kind::Weights, Format::Pickle)
        );
        assert_eq!(
            of("x.dat", b"GGUF\x03\x00\x00\x00"),
            (Kind::Weights, Format::Gguf)
        );
        assert_eq!(
            of("rows.dat", b"PAR1...."),
            (Kind::Dataset, Format::Parquet)
        );
    }

    #[test]
    fn names_decide_when_there_is_no_signature() {
        assert_eq!(of("tokenizer.json", b"{}"), (Kind::Tokenizer, Format::Json));
        assert_eq!(of("config.json", b"{}"), (Kind::Config, Format::Json));
        assert_eq!(of("README.md", b"# x"), (Kind::Docs, Format::Markdown));
        assert_eq!(of("LICENSE", b"Apache"), (Kind::Docs, Format::Text));
        assert_eq!(
            of("modeling_x.py", b"import torch"),
            (Kind::Code, Format::Python)
        );
        assert_eq!(
            of("data/train.jsonl", b"{}\n"),
            (Kind::Dataset, Format::Jsonl)
        );
        assert_eq!(
            of("tokenizer.model", b"\x0a\x0b"),
            (Kind::Tokenizer, Format::Sentencepiece)
        );
        assert_eq!(of("blob", b"\x00\x01"), (Kind::Other, Format::Unknown));
    }

    #[test]
    fn lfs_pointer_is_not_weights() {
        let pointer = b"version https://git-lfs.github.com/spec/v1\noid sha256:0000\nsize 12\n";
        assert_eq!(
            of("model.safetensors", pointer),
            (Kind::Other, Format::LfsPointer)
        );
    }
}
