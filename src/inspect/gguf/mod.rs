//! GGUF, the llama.cpp / ggml weights format: header, metadata and tensor table, read with the
//! checks of ggml's own reader (`gguf_init_from_file_impl`) plus the ones it lacks: every count
//! and length is checked against a cap and the bytes that remain before anything is read, and
//! every tensor's data must lie inside the file. Metadata arrays (a 150k-token vocabulary) are
//! walked and skipped; only the keys worth recording are kept, as scalars and short lists. The
//! chat templates are Jinja programs that loaders run: each is hashed and analysed (`template`).
//!
//! What stops the reading is a [`Malformed`]: a truncation, a cap, an unknown value type, a
//! nested array, an unsupported version, an invalid `general.alignment`, impossible dimensions,
//! or tensor data past the end of the file. Rules ggml enforces but whose breach leaves the file
//! readable (duplicate keys or tensor names, tensor names of 64 bytes or more, offsets out of
//! order, removed tensor types) are `file/nonconforming` warnings, so the rest is still described.
//! Big-endian files (the byte-swapped version tells them apart) are read as big-endian and noted,
//! since ggml refuses them on little-endian hosts.

use std::collections::{BTreeMap, HashSet};
use tables::{file_type_name, ggml_type, ggml_type_name};

use serde::Serialize;
use serde_json::Value as Json;
use sha2::{Digest, Sha256};

use super::source::{Cursor, Malformed, Source};
use super::template::{self, Anchor, MAX_TEMPLATE};
use super::{Report, rules};
use crate::finding::Severity;
use crate::vocab::Sha256Digest;

/// Longest key, in bytes; tensor names share it (ggml's own limit for them is far lower).
const MAX_KEY: u64 = 65_535;
/// ggml's `GGUF_MAX_STRING_LENGTH`.
const MAX_STRING: u64 = 1 << 30;
/// ggml's `GGUF_MAX_ARRAY_ELEMENTS`.
const MAX_ARRAY: u64 = 1 << 30;
/// A data section aligned to more than this is a trick, not a layout.
const MAX_ALIGNMENT: u64 = 1 << 20;
const DEFAULT_ALIGNMENT: u64 = 32;
/// Real files have tens of keys and at most thousands of tensors; the cap keeps the sets used
/// for duplicate checks small whatever the header claims.
const MAX_ENTRIES: u64 = 1 << 20;
/// ggml's `GGML_MAX_NAME`: a tensor name must be shorter.
const MAX_TENSOR_NAME: usize = 64;
/// ggml's `GGML_MAX_DIMS`.
const MAX_DIMS: u32 = 4;
/// ggml counts elements in an `int64_t`.
const MAX_ELEMENTS: u64 = u64::MAX >> 1;
/// Longest list recorded as a fact, and the highest `general.base_model.{i}` index kept.
const KEPT_LIST: u64 = 64;
/// Longest text recorded as a fact, in bytes; longer values are cut.
const KEPT_TEXT: u64 = 1024;
/// Findings listed per rule; the rest are counted in one summary finding.
const NOTES_PER_RULE: usize = 16;
/// Smallest metadata entry: key length, value type, a one-byte value.
const MIN_KV: u64 = 8 + 4 + 1;
/// Smallest tensor info: name length, dimension count, type, offset.
const MIN_TENSOR_INFO: u64 = 8 + 4 + 4 + 8;
/// Long values (chat templates, boolean arrays) are read in pieces of this size.
const CHUNK: u64 = 64 * 1024;

/// Text keys recorded as they are (cut to [`KEPT_TEXT`]), and their fact names. `general.version`
/// becomes `model_version` because `version` is the GGUF version.
const TEXT_FACTS: [(&str, &str); 19] = [
    ("general.name", "name"),
    ("general.license", "license"),
    ("general.license.name", "license_name"),
    ("general.license.link", "license_link"),
    ("general.author", "author"),
    ("general.version", "model_version"),
    ("general.organization", "organization"),
    ("general.basename", "basename"),
    ("general.finetune", "finetune"),
    ("general.size_label", "size_label"),
    ("general.quantized_by", "quantized_by"),
    ("general.type", "type"),
    ("general.url", "url"),
    ("general.repo_url", "repo_url"),
    ("general.doi", "doi"),
    ("general.source.url", "source_url"),
    ("general.source.repo_url", "source_repo_url"),
    ("general.description", "description"),
    ("tokenizer.ggml.model", "tokenizer_model"),
];

/// Lists of strings recorded as they are.
const LIST_FACTS: [(&str, &str); 2] =
    [("general.tags", "tags"), ("general.languages", "languages")];

/// `[arch].<field>` keys recorded for the file's own architecture: a count, or a list of counts
/// per layer.
const ARCH_FACTS: [(&str, &str); 8] = [
    ("context_length", "context_length"),
    ("embedding_length", "embedding_length"),
    ("block_count", "block_count"),
    ("feed_forward_length", "feed_forward_length"),
    ("attention.head_count", "head_count"),
    ("attention.head_count_kv", "head_count_kv"),
    ("expert_count", "expert_count"),
    ("expert_used_count", "expert_used_count"),
];

const CHAT_TEMPLATE: &str = "tokenizer.chat_template";

/// Reads the GGUF structure of `source` into `report`.
pub fn inspect(source: Source<'_>, report: &mut Report) -> Result<(), Malformed> {
    let mut parser = Parser::new(source, report);
    let result = parser.run();
    parser.finish();
    result
}

/// A metadata value type (`gguf_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    U8,
    I8,
    U16,
    I16,
    U32,
    I32,
    F32,
    Bool,
    Str,
    Array,
    U64,
    I64,
    F64,
}

impl Ty {
    fn from_id(id: u32) -> Option<Ty> {
        Some(match id {
            0 => Ty::U8,
            1 => Ty::I8,
            2 => Ty::U16,
            3 => Ty::I16,
            4 => Ty::U32,
            5 => Ty::I32,
            6 => Ty::F32,
            7 => Ty::Bool,
            8 => Ty::Str,
            9 => Ty::Array,
            10 => Ty::U64,
            11 => Ty::I64,
            12 => Ty::F64,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Ty::U8 => "UINT8",
            Ty::I8 => "INT8",
            Ty::U16 => "UINT16",
            Ty::I16 => "INT16",
            Ty::U32 => "UINT32",
            Ty::I32 => "INT32",
            Ty::F32 => "FLOAT32",
            Ty::Bool => "BOOL",
            Ty::Str => "STRING",
            Ty::Array => "ARRAY",
            Ty::U64 => "UINT64",
            Ty::I64 => "INT64",
            Ty::F64 => "FLOAT64",
        }
    }

    /// The fewest bytes one value takes (a string's length prefix, an array's type and count).
    fn min_size(self) -> u64 {
        match self {
            Ty::U8 | Ty::I8 | Ty::Bool => 1,
            Ty::U16 | Ty::I16 => 2,
            Ty::U32 | Ty::I32 | Ty::F32 => 4,
            Ty::U64 | Ty::I64 | Ty::F64 | Ty::Str => 8,
            Ty::Array => 12,
        }
    }
}

/// A metadata value as far as it was kept.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Uint(u64),
    Int(i64),
    Float(f64),
    Bool(bool),
    Text(String),
    List(Vec<Value>),
    /// A string or array that was skipped (not recorded, or too long to keep).
    Omitted,
}

impl Value {
    fn as_count(&self) -> Option<u64> {
        match self {
            Value::Uint(n) => Some(*n),
            Value::Int(n) => u64::try_from(*n).ok(),
            _ => None,
        }
    }
}

/// What to do with a key's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Skip,
    Keep,
    Template,
}

#[derive(Debug, Serialize)]
struct FileType {
    id: u64,
    name: String,
}

#[derive(Debug, Default, Serialize)]
struct Split {
    #[serde(skip_serializing_if = "Option::is_none")]
    no: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    count: Option<u64>,
}

/// Fixed-width fields in the file's byte order.
struct Reader<'a> {
    cur: Cursor<'a>,
    big_endian: bool,
}

impl Reader<'_> {
    fn pos(&self) -> u64 {
        self.cur.pos()
    }

    /// `N` bytes in little-endian order, whatever the file's order.
    fn le<const N: usize>(&mut self, what: &str) -> Result<[u8; N], Malformed> {
        let mut bytes = self.cur.array::<N>(what)?;
        if self.big_endian {
            bytes.reverse();
        }
        Ok(bytes)
    }

    fn u32(&mut self, what: &str) -> Result<u32, Malformed> {
        Ok(u32::from_le_bytes(self.le(what)?))
    }

    fn u64(&mut self, what: &str) -> Result<u64, Malformed> {
        Ok(u64::from_le_bytes(self.le(what)?))
    }

    /// A length prefix, checked against `cap` and the bytes that follow it.
    fn len(&mut self, cap: u64, what: &str) -> Result<u64, Malformed> {
        let at = self.pos();
        let len = self.u64(what)?;
        if len > cap {
            return fail(
                at,
                format!("{what}: length {len} is over the {cap}-byte limit"),
            );
        }
        if len > self.cur.remaining() {
            return fail(
                at,
                format!(
                    "{what}: length {len}, but only {} bytes remain",
                    self.cur.remaining()
                ),
            );
        }
        Ok(len)
    }

    fn ty(&mut self, what: &str) -> Result<Ty, Malformed> {
        let at = self.pos();
        let id = self.u32(what)?;
        Ty::from_id(id)
            .ok_or_else(|| Malformed::new(at, format!("{what}: unknown value type {id}")))
    }
}

/// One tensor info, checked for what makes it unreadable.
struct TensorInfo {
    at: u64,
    name: Vec<u8>,
    elements: u64,
    ty: u32,
    offset: u64,
    /// Unknown for removed and unknown types.
    nbytes: Option<u64>,
    quantised: bool,
}

struct Parser<'a, 'r> {
    r: Reader<'a>,
    size: u64,
    report: &'r mut Report,
    listed: BTreeMap<&'static str, usize>,
    unlisted: BTreeMap<&'static str, (usize, Severity)>,
    /// Fingerprints, not the keys: a key may be 64 KiB long.
    keys: HashSet<[u8; 16]>,
    arch: Option<String>,
    /// `[arch].*` facts seen before `general.architecture`: (prefix, fact, value).
    pending: Vec<(String, &'static str, Json)>,
    alignment: u64,
    base_models: BTreeMap<u64, String>,
    datasets: BTreeMap<u64, String>,
    dataset_list: Vec<String>,
    split: Split,
    has_quantization_version: bool,
}

impl<'a, 'r> Parser<'a, 'r> {
    fn new(source: Source<'a>, report: &'r mut Report) -> Self {
        Parser {
            r: Reader {
                cur: source.cursor(0),
                big_endian: false,
            },
            size: source.size(),
            report,
            listed: BTreeMap::new(),
            unlisted: BTreeMap::new(),
            keys: HashSet::new(),
            arch: None,
            pending: Vec::new(),
            alignment: DEFAULT_ALIGNMENT,
            base_models: BTreeMap::new(),
            datasets: BTreeMap::new(),
            dataset_list: Vec::new(),
            split: Split::default(),
            has_quantization_version: false,
        }
    }

    fn run(&mut self) -> Result<(), Malformed> {
        let (n_tensors, n_kv) = self.header()?;
        for _ in 0..n_kv {
            self.kv()?;
        }
        self.after_metadata();
        self.tensors(n_tensors)
    }

    /// Records a finding; past [`NOTES_PER_RULE`] of one rule, only counts it.
    fn note(
        &mut self,
        rule: &'static str,
        severity: Severity,
        message: String,
        offset: Option<u64>,
    ) {
        let listed = self.listed.entry(rule).or_insert(0);
        if *listed < NOTES_PER_RULE {
            *listed += 1;
            self.report.note(rule, severity, message, offset);
        } else {
            let (count, worst) = self.unlisted.entry(rule).or_insert((0, severity));
            *count += 1;
            *worst = (*worst).max(severity);
        }
    }

    fn nonconforming(&mut self, offset: u64, message: String) {
        self.note(
            rules::NONCONFORMING,
            Severity::Warning,
            message,
            Some(offset),
        );
    }

    fn finish(self) {
        for (rule, (count, severity)) in self.unlisted {
            let message = format!("{count} more findings of this kind in this file are not listed");
            self.report.note(rule, severity, message, None);
        }
    }

    /// Magic, version and counts; returns (tensor count, metadata count).
    fn header(&mut self) -> Result<(u64, u64), Malformed> {
        if &self.r.cur.array::<4>("magic")? != b"GGUF" {
            return fail(0, "no `GGUF` magic");
        }
        let raw = self.r.cur.array::<4>("version")?;
        let le = u32::from_le_bytes(raw);
        // ggml's test: a version whose low half is zero was written in the other byte order.
        let version = if le != 0 && le.trailing_zeros() >= 16 {
            self.r.big_endian = true;
            u32::from_be_bytes(raw)
        } else {
            le
        };
        let order = if self.r.big_endian {
            " (read as big-endian)"
        } else {
            ""
        };
        match version {
            2 | 3 => {}
            1 => {
                return fail(
                    4,
                    "GGUF version 1 is obsolete and not supported (ggml reads versions 2 and 3)",
                );
            }
            v => {
                return fail(
                    4,
                    format!(
                        "GGUF version {v}{order} is not supported (ggml reads versions 2 and 3)"
                    ),
                );
            }
        }
        self.report.fact("version", version);
        if self.r.big_endian {
            self.report.fact("byte_order", "big-endian");
            self.note(
                rules::NOTE,
                Severity::Info,
                "big-endian GGUF file: ggml refuses it on little-endian hosts".to_owned(),
                Some(4),
            );
        }
        let n_tensors = self.r.u64("tensor count")?;
        let n_kv = self.r.u64("metadata count")?;
        check_count(n_kv, MIN_KV, self.r.cur.remaining(), "metadata count", 16)?;
        check_count(
            n_tensors,
            MIN_TENSOR_INFO,
            self.r.cur.remaining(),
            "tensor count",
            8,
        )?;
        self.report.fact("tensor_count", n_tensors);
        self.report.fact("metadata_count", n_kv);
        Ok((n_tensors, n_kv))
    }

    /// One metadata entry.
    fn kv(&mut self) -> Result<(), Malformed> {
        let at = self.r.pos();
        let len = self.r.len(MAX_KEY, "key")?;
        let key = self.r.cur.bytes(len, "key")?;
        let shown = shown(&key);
        let what = format!("value of `{shown}`");
        let ty = self.r.ty(&what)?;
        let fresh = self.keys.insert(fingerprint(&key));
        if key.is_empty() {
            self.nonconforming(at, "empty key (ggml refuses the file)".to_owned());
        }
        if !fresh {
            self.nonconforming(
                at,
                format!("duplicate key `{shown}` (ggml refuses the file; other readers keep either value)"),
            );
        }
        let name = std::str::from_utf8(&key).ok();
        match role(name) {
            Role::Template if ty == Ty::Str => return self.template(&shown, at, fresh),
            Role::Template => {
                self.nonconforming(at, format!("`{shown}` is {}, expected STRING", ty.name()));
                self.value(ty, false, &what)?;
            }
            Role::Keep if fresh => {
                let value = self.value(ty, true, &what)?;
                if let Some(name) = name {
                    self.record(name, ty, value, at)?;
                }
            }
            Role::Keep | Role::Skip => {
                self.value(ty, false, &what)?;
            }
        }
        Ok(())
    }

    fn value(&mut self, ty: Ty, keep: bool, what: &str) -> Result<Value, Malformed> {
        match ty {
            Ty::Str => {
                let len = self.r.len(MAX_STRING, what)?;
                if !keep {
                    self.r.cur.skip(len, what)?;
                    return Ok(Value::Omitted);
                }
                let take = len.min(KEPT_TEXT);
                let bytes = self.r.cur.bytes(take, what)?;
                self.r.cur.skip(len - take, what)?;
                Ok(Value::Text(text(&bytes, take < len)))
            }
            Ty::Array => self.array(keep, what),
            _ => self.scalar(ty, what),
        }
    }

    fn scalar(&mut self, ty: Ty, what: &str) -> Result<Value, Malformed> {
        let r = &mut self.r;
        Ok(match ty {
            Ty::U8 => Value::Uint(u8::from_le_bytes(r.le(what)?).into()),
            Ty::I8 => Value::Int(i8::from_le_bytes(r.le(what)?).into()),
            Ty::U16 => Value::Uint(u16::from_le_bytes(r.le(what)?).into()),
            Ty::I16 => Value::Int(i16::from_le_bytes(r.le(what)?).into()),
            Ty::U32 => Value::Uint(u32::from_le_bytes(r.le(what)?).into()),
            Ty::I32 => Value::Int(i32::from_le_bytes(r.le(what)?).into()),
            Ty::U64 => Value::Uint(u64::from_le_bytes(r.le(what)?)),
            Ty::I64 => Value::Int(i64::from_le_bytes(r.le(what)?)),
            Ty::F32 => Value::Float(f32::from_le_bytes(r.le(what)?).into()),
            Ty::F64 => Value::Float(f64::from_le_bytes(r.le(what)?)),
            Ty::Bool => {
                let at = r.pos();
                let byte = u8::from_le_bytes(r.le(what)?);
                if byte > 1 {
                    self.nonconforming(at, format!("{what}: boolean byte {byte}, not 0 or 1"));
                }
                Value::Bool(byte != 0)
            }
            Ty::Str | Ty::Array => Value::Omitted,
        })
    }

    /// An array: element type and count checked before any element is read; elements kept only
    /// for short recorded lists, otherwise skipped while their lengths are still checked.
    fn array(&mut self, keep: bool, what: &str) -> Result<Value, Malformed> {
        let at = self.r.pos();
        let elem = self.r.ty(what)?;
        if elem == Ty::Array {
            return fail(
                at,
                format!("{what}: array of arrays (ggml refuses nested arrays)"),
            );
        }
        let count = self.r.u64(what)?;
        if count > MAX_ARRAY {
            return fail(
                at,
                format!("{what}: array of {count} elements, over ggml's limit of {MAX_ARRAY}"),
            );
        }
        let need = u128::from(count) * u128::from(elem.min_size());
        let remaining = self.r.cur.remaining();
        if need > u128::from(remaining) {
            return fail(
                at,
                format!(
                    "{what}: array of {count} {} elements needs at least {need} bytes, but only {remaining} remain",
                    elem.name()
                ),
            );
        }
        if keep && count <= KEPT_LIST {
            let mut items = Vec::new();
            for _ in 0..count {
                items.push(self.value(elem, true, what)?);
            }
            return Ok(Value::List(items));
        }
        match elem {
            Ty::Str => {
                for _ in 0..count {
                    let len = self.r.len(MAX_STRING, what)?;
                    self.r.cur.skip(len, what)?;
                }
            }
            Ty::Bool => self.skip_bools(count, what)?,
            // `need` fits: it is at most the bytes that remain.
            _ => self
                .r
                .cur
                .skip(u64::try_from(need).unwrap_or(u64::MAX), what)?,
        }
        Ok(Value::Omitted)
    }

    /// Skips `count` booleans, checking each is 0 or 1.
    fn skip_bools(&mut self, count: u64, what: &str) -> Result<(), Malformed> {
        let mut left = count;
        while left > 0 {
            let at = self.r.pos();
            let take = left.min(CHUNK);
            let bytes = self.r.cur.bytes(take, what)?;
            if let Some(byte) = bytes.iter().find(|b| **b > 1) {
                self.nonconforming(at, format!("{what}: boolean byte {byte}, not 0 or 1"));
                return self.r.cur.skip(left - take, what);
            }
            left -= take;
        }
        Ok(())
    }

    /// A chat template: hashed, and analysed when it is no larger than [`MAX_TEMPLATE`] (a larger
    /// one is hashed in pieces, never held whole, and reported as not analysed).
    fn template(&mut self, key: &str, at: u64, fresh: bool) -> Result<(), Malformed> {
        let what = format!("value of `{key}`");
        let len = self.r.len(MAX_STRING, &what)?;
        let label = format!("`{key}`");
        let mut hasher = Sha256::new();
        let mut found = Report::default();
        if len <= MAX_TEMPLATE as u64 {
            let bytes = self.r.cur.bytes(len, &what)?;
            hasher.update(&bytes);
            let text = String::from_utf8_lossy(&bytes);
            if matches!(text, std::borrow::Cow::Owned(_)) {
                self.nonconforming(at, format!("{label} is not valid UTF-8"));
            }
            template::inspect_text(&label, &text, Anchor::At(at), &mut found);
        } else {
            let mut left = len;
            while left > 0 {
                let take = left.min(CHUNK);
                hasher.update(&self.r.cur.bytes(take, &what)?);
                left -= take;
            }
            template::oversized(&label, len, Some(at), &mut found);
        }
        if fresh && key == CHAT_TEMPLATE {
            self.report.fact(
                "chat_template_sha256",
                Sha256Digest(hasher.finalize().into()).to_hex(),
            );
        }
        for n in found.notes {
            self.note(n.rule, n.severity, n.message, n.offset);
        }
        Ok(())
    }

    /// Records the fact a kept key gives (first occurrence only).
    fn record(&mut self, key: &str, ty: Ty, value: Value, at: u64) -> Result<(), Malformed> {
        match key {
            "general.alignment" => self.set_alignment(ty, &value, at)?,
            "general.architecture" => {
                if let Some(arch) = self.expect_text(key, ty, value, at) {
                    self.report.fact("architecture", &arch);
                    for (prefix, fact, value) in std::mem::take(&mut self.pending) {
                        if prefix == arch {
                            self.report.fact(fact, value);
                        }
                    }
                    self.arch = Some(arch);
                }
            }
            "general.file_type" => {
                if let Some(id) = self.expect_count(key, &value, at) {
                    self.report.fact(
                        "file_type",
                        FileType {
                            id,
                            name: file_type_name(id),
                        },
                    );
                }
            }
            "general.quantization_version" => {
                self.has_quantization_version = true;
                if let Some(n) = self.expect_count(key, &value, at) {
                    self.report.fact("quantization_version", n);
                }
            }
            "split.no" => self.split.no = self.expect_count(key, &value, at),
            "split.count" => self.split.count = self.expect_count(key, &value, at),
            "general.datasets" => {
                self.dataset_list = self.expect_list(key, ty, value, at).unwrap_or_default();
            }
            _ => self.record_other(key, ty, value, at),
        }
        Ok(())
    }

    fn record_other(&mut self, key: &str, ty: Ty, value: Value, at: u64) {
        if let Some((_, fact)) = TEXT_FACTS.iter().find(|(k, _)| *k == key) {
            if let Some(text) = self.expect_text(key, ty, value, at) {
                self.report.fact(fact, text);
            }
        } else if let Some((_, fact)) = LIST_FACTS.iter().find(|(k, _)| *k == key) {
            if let Some(list) = self.expect_list(key, ty, value, at) {
                self.report.fact(fact, list);
            }
        } else if let Some(i) = indexed(key, "general.base_model.") {
            if let Some(name) = self.expect_text(key, ty, value, at) {
                self.base_models.insert(i, name);
            }
        } else if let Some(i) = indexed(key, "general.dataset.") {
            if let Some(name) = self.expect_text(key, ty, value, at) {
                self.datasets.insert(i, name);
            }
        } else if let Some((prefix, fact)) = arch_fact(key) {
            let Some(json) = self.expect_counts(key, value, at) else {
                return;
            };
            if let Some(arch) = &self.arch {
                if arch == prefix {
                    self.report.fact(fact, json);
                }
            } else if self.pending.len() < ARCH_FACTS.len() * 8 {
                self.pending.push((prefix.to_owned(), fact, json));
            }
        }
    }

    fn set_alignment(&mut self, ty: Ty, value: &Value, at: u64) -> Result<(), Malformed> {
        if ty != Ty::U32 {
            return fail(
                at,
                format!(
                    "`general.alignment` is {}, but ggml requires UINT32",
                    ty.name()
                ),
            );
        }
        let n = value.as_count().unwrap_or(0);
        if !n.is_power_of_two() {
            return fail(
                at,
                format!("`general.alignment` is {n}, not a power of two"),
            );
        }
        if n > MAX_ALIGNMENT {
            return fail(
                at,
                format!("`general.alignment` is {n}, over the {MAX_ALIGNMENT}-byte limit"),
            );
        }
        self.alignment = n;
        Ok(())
    }

    fn expect_text(&mut self, key: &str, ty: Ty, value: Value, at: u64) -> Option<String> {
        if let Value::Text(text) = value {
            return Some(text);
        }
        self.nonconforming(at, format!("`{key}` is {}, expected STRING", ty.name()));
        None
    }

    /// A list of strings; `None` (and no finding) when it was too long to keep.
    fn expect_list(&mut self, key: &str, ty: Ty, value: Value, at: u64) -> Option<Vec<String>> {
        let list = match value {
            Value::List(items) => items
                .into_iter()
                .map(|i| {
                    if let Value::Text(t) = i {
                        Some(t)
                    } else {
                        None
                    }
                })
                .collect(),
            Value::Omitted if ty == Ty::Array => return None,
            _ => None,
        };
        if list.is_none() {
            self.nonconforming(at, format!("`{key}` is not an array of strings"));
        }
        list
    }

    fn expect_count(&mut self, key: &str, value: &Value, at: u64) -> Option<u64> {
        let count = value.as_count();
        if count.is_none() {
            self.nonconforming(at, format!("`{key}` is not a non-negative integer"));
        }
        count
    }

    /// A count, or a list of counts (one per layer).
    fn expect_counts(&mut self, key: &str, value: Value, at: u64) -> Option<Json> {
        match value {
            Value::List(items) => {
                let counts: Option<Vec<u64>> = items.iter().map(Value::as_count).collect();
                if counts.is_none() {
                    self.nonconforming(
                        at,
                        format!("`{key}` is not a list of non-negative integers"),
                    );
                }
                counts.map(Json::from)
            }
            Value::Omitted => None,
            other => self.expect_count(key, &other, at).map(Json::from),
        }
    }

    /// Facts that need the whole metadata, and the keys the spec requires.
    fn after_metadata(&mut self) {
        self.pending.clear();
        self.report.fact("alignment", self.alignment);
        if self.split.no.is_some() || self.split.count.is_some() {
            self.report.fact("split", &self.split);
        }
        if !self.base_models.is_empty() {
            let names: Vec<&String> = self.base_models.values().collect();
            self.report.fact("base_models", names);
        }
        let mut datasets = std::mem::take(&mut self.dataset_list);
        datasets.extend(std::mem::take(&mut self.datasets).into_values());
        if !datasets.is_empty() {
            self.report.fact("datasets", datasets);
        }
        if self.arch.is_none() {
            self.nonconforming(
                24,
                "no `general.architecture` string, which the GGUF specification requires"
                    .to_owned(),
            );
        }
    }

    /// The tensor infos, their totals, and the layout of the data section.
    fn tensors(&mut self, count: u64) -> Result<(), Malformed> {
        let mut names = HashSet::new();
        let mut parameters: u64 = 0;
        let mut types: BTreeMap<String, u64> = BTreeMap::new();
        let mut by_type: BTreeMap<String, u64> = BTreeMap::new();
        let mut expected = Some(0u64);
        let mut previous = 0u64;
        // The tensor whose data ends last: (end relative to the data section, name, info offset).
        let mut furthest: Option<(u64, String, u64)> = None;
        let mut sizes_known = true;
        let mut quantised = false;
        for _ in 0..count {
            let t = self.tensor_info()?;
            let shown = shown(&t.name);
            if t.name.len() >= MAX_TENSOR_NAME {
                self.nonconforming(
                    t.at,
                    format!(
                        "tensor name `{shown}` is {} bytes, ggml's limit is 63",
                        t.name.len()
                    ),
                );
            }
            if !names.insert(fingerprint(&t.name)) {
                self.nonconforming(
                    t.at,
                    format!("duplicate tensor name `{shown}` (ggml refuses the file)"),
                );
            }
            let type_name = ggml_type_name(t.ty);
            parameters = parameters
                .checked_add(t.elements)
                .ok_or_else(|| Malformed::new(t.at, "the parameter count overflows 64 bits"))?;
            *types.entry(type_name.clone()).or_insert(0) += 1;
            let per_type = by_type.entry(type_name.clone()).or_insert(0);
            *per_type = per_type.saturating_add(t.elements);
            quantised |= t.quantised;
            self.check_offset(&t, &shown, expected, previous);
            let end = t.offset.checked_add(t.nbytes.unwrap_or(0)).ok_or_else(|| {
                Malformed::new(
                    t.at,
                    format!(
                        "tensor `{shown}`: offset {} plus its size overflows",
                        t.offset
                    ),
                )
            })?;
            if furthest.as_ref().is_none_or(|(e, _, _)| end > *e) {
                furthest = Some((end, shown, t.at));
            }
            sizes_known &= t.nbytes.is_some();
            expected = t
                .nbytes
                .and_then(|n| pad(n, self.alignment))
                .and_then(|n| t.offset.checked_add(n));
            previous = t.offset;
        }
        self.report.fact("parameters", parameters);
        self.report.fact("tensor_types", types);
        self.report.fact("parameters_by_type", by_type);
        if quantised && !self.has_quantization_version {
            self.nonconforming(
                24,
                "quantised tensors but no `general.quantization_version`".to_owned(),
            );
        }
        self.data_section(count, furthest, sizes_known)
    }

    /// ggml requires each offset to be the padded sum of the sizes before it: in order,
    /// contiguous and aligned. After a mismatch, checking resumes from the actual offset so that
    /// one misplaced tensor gives one finding.
    fn check_offset(&mut self, t: &TensorInfo, shown: &str, expected: Option<u64>, previous: u64) {
        let a = self.alignment;
        let aligned = t.offset.is_multiple_of(a);
        let message = match expected {
            Some(e) if t.offset != e => {
                let how = if t.offset < e {
                    "overlaps the tensor before it or is out of order"
                } else {
                    "leaves a gap before it"
                };
                let aligned = if aligned { "" } else { ", and is not aligned" };
                format!(
                    "tensor `{shown}` has offset {}, expected {e}: it {how}{aligned} (ggml refuses the file)",
                    t.offset
                )
            }
            None if t.offset < previous => {
                format!(
                    "tensor `{shown}` has offset {}, before the tensor preceding it",
                    t.offset
                )
            }
            None if !aligned => {
                format!(
                    "tensor `{shown}` has offset {}, not aligned to {a} bytes",
                    t.offset
                )
            }
            _ => return,
        };
        self.nonconforming(t.at, message);
    }

    /// Every tensor's data must lie inside the file (an out-of-bounds read in loaders otherwise);
    /// bytes after the last tensor are noted.
    fn data_section(
        &mut self,
        count: u64,
        furthest: Option<(u64, String, u64)>,
        sizes_known: bool,
    ) -> Result<(), Malformed> {
        let header_end = self.r.pos();
        let start = pad(header_end, self.alignment)
            .ok_or_else(|| Malformed::new(header_end, "the data section start overflows"))?;
        let end = match furthest {
            Some((end, name, at)) if count > 0 => {
                let absolute = start.checked_add(end).filter(|e| *e <= self.size);
                absolute.ok_or_else(|| {
                    Malformed::new(
                        at,
                        format!(
                            "tensor `{name}` data ends at byte {}, past the end of the file ({} bytes)",
                            u128::from(start) + u128::from(end),
                            self.size
                        ),
                    )
                })?
            }
            _ => start,
        };
        let padded = pad(end, self.alignment).unwrap_or(end);
        if sizes_known && self.size > padded {
            self.note(
                rules::NOTE,
                Severity::Info,
                format!(
                    "{} bytes follow the tensor data, which loaders ignore",
                    self.size - padded
                ),
                Some(padded),
            );
        }
        Ok(())
    }

    /// Reads one tensor info; what makes it unreadable is a [`Malformed`].
    fn tensor_info(&mut self) -> Result<TensorInfo, Malformed> {
        let at = self.r.pos();
        let len = self.r.len(MAX_KEY, "tensor name")?;
        let name = self.r.cur.bytes(len, "tensor name")?;
        let shown = shown(&name);
        let what = format!("tensor `{shown}`");
        let n_dims = self.r.u32(&what)?;
        if n_dims > MAX_DIMS {
            return fail(
                at,
                format!(
                    "tensor `{shown}` has {n_dims} dimensions, over ggml's limit of {MAX_DIMS}"
                ),
            );
        }
        let mut ne = [1u64; 4];
        for (j, dim) in ne
            .iter_mut()
            .enumerate()
            .take(n_dims.try_into().unwrap_or(0))
        {
            *dim = self.r.u64(&what)?;
            if *dim > MAX_ELEMENTS {
                return fail(
                    at,
                    format!(
                        "tensor `{shown}` dimension {j} is negative ({})",
                        dim.cast_signed()
                    ),
                );
            }
        }
        // As in ggml, a tensor with a zero dimension has no elements, whatever the others say.
        let elements = if ne.contains(&0) {
            Some(0)
        } else {
            ne.iter()
                .try_fold(1u64, |acc, d| acc.checked_mul(*d))
                .filter(|e| *e <= MAX_ELEMENTS)
        };
        let elements = elements.ok_or_else(|| {
            Malformed::new(
                at,
                format!(
                    "tensor `{shown}` with shape {ne:?} has more elements than an int64 can count"
                ),
            )
        })?;
        let ty = self.r.u32(&what)?;
        let offset = self.r.u64(&what)?;
        let Some((type_name, block, size)) = ggml_type(ty) else {
            self.nonconforming(
                at,
                format!("tensor `{shown}` has ggml type {ty}, which ggml removed or does not know (its size is unknown)"),
            );
            return Ok(TensorInfo {
                at,
                name,
                elements,
                ty,
                offset,
                nbytes: None,
                quantised: false,
            });
        };
        let [row, ..] = ne;
        if !row.is_multiple_of(block) {
            return fail(
                at,
                format!(
                    "tensor `{shown}` of type `{type_name}` has {row} elements per row, not a multiple of its block size {block}"
                ),
            );
        }
        let nbytes = (elements / block).checked_mul(size).ok_or_else(|| {
            Malformed::new(
                at,
                format!("tensor `{shown}`: its size in bytes overflows 64 bits"),
            )
        })?;
        let quantised = block > 1;
        let nbytes = Some(nbytes);
        Ok(TensorInfo {
            at,
            name,
            elements,
            ty,
            offset,
            nbytes,
            quantised,
        })
    }
}

fn fail<T>(at: u64, message: impl Into<String>) -> Result<T, Malformed> {
    Err(Malformed::new(at, message))
}

/// Fails when `count` entries of at least `min` bytes each cannot fit in `remaining` bytes, or
/// when `count` is over [`MAX_ENTRIES`].
fn check_count(count: u64, min: u64, remaining: u64, what: &str, at: u64) -> Result<(), Malformed> {
    if count > MAX_ENTRIES {
        return fail(
            at,
            format!("{what} {count} is over this reader's limit of {MAX_ENTRIES}"),
        );
    }
    let need = u128::from(count) * u128::from(min);
    if need > u128::from(remaining) {
        return fail(
            at,
            format!("{what} {count} needs at least {need} bytes, but only {remaining} remain"),
        );
    }
    Ok(())
}

/// What to do with a key's value.
fn role(key: Option<&str>) -> Role {
    let Some(key) = key else { return Role::Skip };
    if key == CHAT_TEMPLATE
        || key
            .strip_prefix(CHAT_TEMPLATE)
            .is_some_and(|rest| rest.starts_with('.'))
    {
        return Role::Template;
    }
    let kept = matches!(
        key,
        "general.alignment"
            | "general.architecture"
            | "general.file_type"
            | "general.quantization_version"
            | "general.datasets"
            | "split.no"
            | "split.count"
    ) || TEXT_FACTS.iter().any(|(k, _)| *k == key)
        || LIST_FACTS.iter().any(|(k, _)| *k == key)
        || indexed(key, "general.base_model.").is_some()
        || indexed(key, "general.dataset.").is_some()
        || arch_fact(key).is_some();
    if kept { Role::Keep } else { Role::Skip }
}

/// The index `i` of `<prefix><i>.name`, when it is below [`KEPT_LIST`].
fn indexed(key: &str, prefix: &str) -> Option<u64> {
    let index = key.strip_prefix(prefix)?.strip_suffix(".name")?;
    index.parse::<u64>().ok().filter(|i| *i < KEPT_LIST)
}

/// `(arch, fact)` for a `[arch].<field>` key of [`ARCH_FACTS`].
fn arch_fact(key: &str) -> Option<(&str, &'static str)> {
    let (prefix, field) = key.split_once('.')?;
    if matches!(prefix, "general" | "tokenizer" | "split" | "") {
        return None;
    }
    ARCH_FACTS
        .iter()
        .find(|(f, _)| *f == field)
        .map(|(_, fact)| (prefix, *fact))
}

/// `x` rounded up to a multiple of `align` (a power of two).
fn pad(x: u64, align: u64) -> Option<u64> {
    Some(x.checked_add(align - 1)? & !(align - 1))
}

/// A 128-bit digest standing in for a key or name in duplicate checks.
fn fingerprint(bytes: &[u8]) -> [u8; 16] {
    let digest: [u8; 32] = Sha256::digest(bytes).into();
    let mut out = [0u8; 16];
    for (o, d) in out.iter_mut().zip(digest) {
        *o = d;
    }
    out
}

/// A key or name fit for a one-line message: control characters escaped, backticks replaced,
/// at most 80 characters.
fn shown(bytes: &[u8]) -> String {
    let mut out = String::new();
    for (i, c) in String::from_utf8_lossy(bytes).chars().enumerate() {
        if i == 80 {
            out.push('…');
            break;
        }
        match c {
            '`' => out.push('\''),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out
}

/// Text kept for a fact: the valid UTF-8 of `bytes` (a character cut at the end is dropped),
/// marked with `…` when the value was longer.
fn text(bytes: &[u8], cut: bool) -> String {
    let mut out = match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(e) if cut && e.error_len().is_none() => {
            String::from_utf8_lossy(bytes.get(..e.valid_up_to()).unwrap_or_default()).into_owned()
        }
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    };
    if cut {
        out.push('…');
    }
    out
}

mod tables;

#[cfg(test)]
mod tests;
