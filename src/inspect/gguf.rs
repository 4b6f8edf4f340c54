//! GGUF, the llama.cpp / ggml weights format: header, metadata and tensor table, read with the
//! checks of ggml's own reader (`gguf_init_from_file_impl`) plus the ones it lacks: every count
//! and length is checked against a cap and the bytes that remain before anything is read, and
//! every tensor's data must lie inside the file. Metadata arrays (a 150k-token vocabulary) are
//! walked and skipped; only the keys worth recording are kept, as scalars and short lists. The
//! chat template is a Jinja program that loaders run, so it is hashed and searched for the
//! constructs of template-injection exploits.
//!
//! What stops the reading is a [`Malformed`]: a truncation, a cap, an unknown value type, a
//! nested array, an unsupported version, an invalid `general.alignment`, impossible dimensions,
//! or tensor data past the end of the file. Rules ggml enforces but whose breach leaves the file
//! readable (duplicate keys or tensor names, tensor names of 64 bytes or more, offsets out of
//! order, removed tensor types) are `file/nonconforming` warnings, so the rest is still described.
//! Big-endian files (the byte-swapped version tells them apart) are read as big-endian and noted,
//! since ggml refuses them on little-endian hosts.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;
use serde_json::Value as Json;
use sha2::{Digest, Sha256};

use super::source::{Cursor, Malformed, Source};
use super::{Report, rules};
use crate::finding::Severity;
use crate::manifest::Sha256Digest;

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

/// Constructs of Jinja sandbox escapes (CVE-2024-34359 and the SSTI payloads it reused): Python
/// object internals, process execution, and the escapes and `attr` filter used to spell them
/// without writing an underscore.
#[rustfmt::skip]
const INJECTION_CONSTRUCTS: [&str; 17] = [
    "__class__", "__globals__", "__subclasses__", "__builtins__", "__import__", "__mro__",
    "__base__", "__init__", "__getattribute__", "_TemplateReference__context", "os.popen",
    "os.system", "subprocess", "\\x5f", "\\u005f", "|attr(", "| attr(",
];

/// The longest entry of [`INJECTION_CONSTRUCTS`]: pieces of a template overlap by one byte less.
const LONGEST_CONSTRUCT: usize = longest(&INJECTION_CONSTRUCTS);

const fn longest(list: &[&str]) -> usize {
    let mut max = 0;
    let mut i = 0;
    while i < list.len() {
        if list[i].len() > max {
            max = list[i].len();
        }
        i += 1;
    }
    max
}

/// ggml tensor types by id (`include/ggml.h`): name, elements per block, bytes per block.
/// `None` marks removed ids (`Q4_2`, `Q4_3` and the repacked `Q4_0` / `IQ4_NL` variants).
#[rustfmt::skip]
const GGML_TYPES: [Option<(&str, u64, u64)>; 43] = [
    Some(("F32", 1, 4)), Some(("F16", 1, 2)), Some(("Q4_0", 32, 18)), Some(("Q4_1", 32, 20)),
    None, None, Some(("Q5_0", 32, 22)), Some(("Q5_1", 32, 24)), Some(("Q8_0", 32, 34)),
    Some(("Q8_1", 32, 36)), Some(("Q2_K", 256, 84)), Some(("Q3_K", 256, 110)),
    Some(("Q4_K", 256, 144)), Some(("Q5_K", 256, 176)), Some(("Q6_K", 256, 210)),
    Some(("Q8_K", 256, 292)), Some(("IQ2_XXS", 256, 66)), Some(("IQ2_XS", 256, 74)),
    Some(("IQ3_XXS", 256, 98)), Some(("IQ1_S", 256, 50)), Some(("IQ4_NL", 32, 18)),
    Some(("IQ3_S", 256, 110)), Some(("IQ2_S", 256, 82)), Some(("IQ4_XS", 256, 136)),
    Some(("I8", 1, 1)), Some(("I16", 1, 2)), Some(("I32", 1, 4)), Some(("I64", 1, 8)),
    Some(("F64", 1, 8)), Some(("IQ1_M", 256, 56)), Some(("BF16", 1, 2)), None, None, None,
    Some(("TQ1_0", 256, 54)), Some(("TQ2_0", 256, 66)), None, None, None,
    Some(("MXFP4", 32, 17)), Some(("NVFP4", 64, 36)), Some(("Q1_0", 128, 18)),
    Some(("Q2_0", 64, 18)),
];

/// llama.cpp's `llama_ftype` (`general.file_type`) by number, without the `LLAMA_FTYPE_` prefix
/// (1024 is `GUESSED`). Not ggml's `GGML_FTYPE`, which numbers differently.
#[rustfmt::skip]
const FILE_TYPES: [Option<&str>; 42] = [
    Some("ALL_F32"), Some("MOSTLY_F16"), Some("MOSTLY_Q4_0"), Some("MOSTLY_Q4_1"),
    Some("MOSTLY_Q4_1_SOME_F16"), None, None, Some("MOSTLY_Q8_0"), Some("MOSTLY_Q5_0"),
    Some("MOSTLY_Q5_1"), Some("MOSTLY_Q2_K"), Some("MOSTLY_Q3_K_S"), Some("MOSTLY_Q3_K_M"),
    Some("MOSTLY_Q3_K_L"), Some("MOSTLY_Q4_K_S"), Some("MOSTLY_Q4_K_M"), Some("MOSTLY_Q5_K_S"),
    Some("MOSTLY_Q5_K_M"), Some("MOSTLY_Q6_K"), Some("MOSTLY_IQ2_XXS"), Some("MOSTLY_IQ2_XS"),
    Some("MOSTLY_Q2_K_S"), Some("MOSTLY_IQ3_XS"), Some("MOSTLY_IQ3_XXS"), Some("MOSTLY_IQ1_S"),
    Some("MOSTLY_IQ4_NL"), Some("MOSTLY_IQ3_S"), Some("MOSTLY_IQ3_M"), Some("MOSTLY_IQ2_S"),
    Some("MOSTLY_IQ2_M"), Some("MOSTLY_IQ4_XS"), Some("MOSTLY_IQ1_M"), Some("MOSTLY_BF16"),
    None, None, None, Some("MOSTLY_TQ1_0"), Some("MOSTLY_TQ2_0"), Some("MOSTLY_MXFP4_MOE"),
    Some("MOSTLY_NVFP4"), Some("MOSTLY_Q1_0"), Some("MOSTLY_Q2_0"),
];

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

    /// A chat template: streamed, hashed and searched, never held whole.
    fn template(&mut self, key: &str, at: u64, fresh: bool) -> Result<(), Malformed> {
        let what = format!("value of `{key}`");
        let len = self.r.len(MAX_STRING, &what)?;
        let mut hasher = Sha256::new();
        let mut found = [false; INJECTION_CONSTRUCTS.len()];
        // The tail of the previous piece, so that a construct split across two pieces is seen.
        let mut window: Vec<u8> = Vec::new();
        let mut left = len;
        while left > 0 {
            let take = left.min(CHUNK);
            let piece = self.r.cur.bytes(take, &what)?;
            hasher.update(&piece);
            window.extend_from_slice(&piece);
            let text = String::from_utf8_lossy(&window);
            for (hit, construct) in found.iter_mut().zip(INJECTION_CONSTRUCTS) {
                *hit |= text.contains(construct);
            }
            let cut = window.len().saturating_sub(LONGEST_CONSTRUCT - 1);
            window.drain(..cut);
            left -= take;
        }
        if fresh && key == CHAT_TEMPLATE {
            self.report.fact(
                "chat_template_sha256",
                Sha256Digest(hasher.finalize().into()).to_hex(),
            );
        }
        self.note(
            rules::NOTE,
            Severity::Info,
            format!("`{key}` is a Jinja template ({len} bytes) that loaders run to format chats"),
            Some(at),
        );
        let hits: Vec<String> = INJECTION_CONSTRUCTS
            .iter()
            .zip(found)
            .filter(|(_, hit)| *hit)
            .map(|(construct, _)| format!("`{}`", construct.escape_default()))
            .collect();
        if !hits.is_empty() {
            self.note(
                rules::CODE_ON_LOAD,
                Severity::Error,
                format!(
                    "`{key}` contains {}, constructs of Jinja template-injection exploits (CVE-2024-34359)",
                    hits.join(", ")
                ),
                Some(at),
            );
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

fn ggml_type(id: u32) -> Option<(&'static str, u64, u64)> {
    GGML_TYPES.get(usize::try_from(id).ok()?).copied().flatten()
}

/// A ggml type's name; removed and unknown ids print as `type_<n>`.
fn ggml_type_name(id: u32) -> String {
    ggml_type(id).map_or_else(|| format!("type_{id}"), |(name, _, _)| name.to_owned())
}

fn file_type_name(id: u64) -> String {
    let known = match id {
        1024 => Some("GUESSED"),
        _ => usize::try_from(id)
            .ok()
            .and_then(|i| FILE_TYPES.get(i).copied().flatten()),
    };
    known.map_or_else(|| format!("ftype_{id}"), str::to_owned)
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

#[cfg(test)]
mod tests {
    use super::*;

    const F32: u32 = 0;
    const F16: u32 = 1;
    const Q8_0: u32 = 8;

    /// A GGUF file written field by field.
    struct File {
        bytes: Vec<u8>,
        big_endian: bool,
    }

    impl File {
        fn new(version: u32, tensors: u64, kvs: u64) -> Self {
            let mut f = File {
                bytes: b"GGUF".to_vec(),
                big_endian: false,
            };
            f.u32(version).u64(tensors).u64(kvs);
            f
        }

        fn big_endian(version: u32, tensors: u64, kvs: u64) -> Self {
            let mut f = File {
                bytes: b"GGUF".to_vec(),
                big_endian: true,
            };
            f.u32(version).u64(tensors).u64(kvs);
            f
        }

        fn raw(&mut self, bytes: &[u8]) -> &mut Self {
            self.bytes.extend_from_slice(bytes);
            self
        }

        fn u32(&mut self, v: u32) -> &mut Self {
            let b = if self.big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            };
            self.raw(&b)
        }

        fn u64(&mut self, v: u64) -> &mut Self {
            let b = if self.big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            };
            self.raw(&b)
        }

        fn str(&mut self, s: &str) -> &mut Self {
            self.u64(s.len() as u64).raw(s.as_bytes())
        }

        fn key(&mut self, key: &str, ty: u32) -> &mut Self {
            self.str(key).u32(ty)
        }

        fn kv_str(&mut self, key: &str, value: &str) -> &mut Self {
            self.key(key, 8).str(value)
        }

        fn kv_u32(&mut self, key: &str, value: u32) -> &mut Self {
            self.key(key, 4).u32(value)
        }

        fn kv_strs(&mut self, key: &str, values: &[&str]) -> &mut Self {
            self.key(key, 9).u32(8).u64(values.len() as u64);
            for v in values {
                self.str(v);
            }
            self
        }

        fn tensor(&mut self, name: &str, ne: &[u64], ty: u32, offset: u64) -> &mut Self {
            self.str(name).u32(u32::try_from(ne.len()).unwrap());
            for d in ne {
                self.u64(*d);
            }
            self.u32(ty).u64(offset)
        }

        /// Zero padding to `align`, then `n` bytes of tensor data.
        fn data(&mut self, align: usize, n: usize) -> &mut Self {
            let len = self.bytes.len().next_multiple_of(align) + n;
            self.bytes.resize(len, 0);
            self
        }
    }

    fn inspect_bytes(bytes: &[u8]) -> (Report, Result<(), Malformed>) {
        let mut report = Report::default();
        let result = inspect(Source::bytes(bytes), &mut report);
        (report, result)
    }

    fn malformed(bytes: &[u8]) -> Malformed {
        let (_, result) = inspect_bytes(bytes);
        result.expect_err("the file must be refused")
    }

    /// The messages of the findings of `rule`.
    fn notes(report: &Report, rule: &str) -> Vec<String> {
        report
            .notes
            .iter()
            .filter(|n| n.rule == rule)
            .map(|n| n.message.clone())
            .collect()
    }

    /// Two tensors (F32 4x2 and F16 16) and three metadata entries, every rule kept.
    fn minimal() -> Vec<u8> {
        let mut f = File::new(3, 2, 3);
        f.kv_str("general.architecture", "llama")
            .kv_u32("llama.context_length", 4096)
            .kv_str("general.name", "Tiny")
            .tensor("a", &[4, 2], F32, 0)
            .tensor("b", &[16], F16, 32)
            .data(32, 64);
        f.bytes
    }

    #[test]
    fn a_minimal_file_gives_its_facts_and_no_findings() {
        let (report, result) = inspect_bytes(&minimal());
        assert_eq!(result, Ok(()));
        assert_eq!(report.notes, vec![]);
        let facts = serde_json::to_value(&report.facts).unwrap();
        assert_eq!(
            facts,
            serde_json::json!({
                "version": 3,
                "tensor_count": 2,
                "metadata_count": 3,
                "alignment": 32,
                "architecture": "llama",
                "context_length": 4096,
                "name": "Tiny",
                "parameters": 24,
                "tensor_types": {"F16": 1, "F32": 1},
                "parameters_by_type": {"F16": 16, "F32": 8},
            })
        );
    }

    #[test]
    fn a_truncated_header_is_malformed_where_it_ends() {
        let m = malformed(b"GGUF\x03\x00\x00\x00\x02\x00");
        assert_eq!(m.offset, 8);
        assert!(
            m.message
                .contains("tensor count: needs 8 bytes, but only 2 remain"),
            "{m}"
        );
        let m = malformed(b"GGU");
        assert_eq!(m.offset, 0);
        let m = malformed(b"GGML\x03\x00\x00\x00");
        assert_eq!(m.message, "no `GGUF` magic");
    }

    #[test]
    fn a_huge_tensor_count_is_refused_before_any_work() {
        let m = malformed(&File::new(3, 1 << 60, 0).bytes);
        assert_eq!(
            (m.offset, m.message.as_str()),
            (
                8,
                "tensor count 1152921504606846976 is over this reader's limit of 1048576"
            )
        );
        let m = malformed(&File::new(3, 1000, 0).data(1, 100).bytes);
        assert_eq!(
            m.message,
            "tensor count 1000 needs at least 24000 bytes, but only 100 remain"
        );
        let m = malformed(&File::new(3, 0, 1 << 60).bytes);
        assert_eq!(m.offset, 16);
        assert!(
            m.message.starts_with("metadata count 1152921504606846976"),
            "{m}"
        );
    }

    #[test]
    fn a_huge_string_length_is_refused_without_allocating() {
        let mut f = File::new(3, 0, 1);
        f.key("general.name", 8).u64(1 << 60).raw(b"abc");
        let m = malformed(&f.bytes);
        assert_eq!(m.offset, 48);
        assert_eq!(
            m.message,
            "value of `general.name`: length 1152921504606846976 is over the 1073741824-byte limit"
        );
        let mut f = File::new(3, 0, 1);
        f.key("general.name", 8).u64(1 << 29).raw(b"abc");
        assert_eq!(
            malformed(&f.bytes).message,
            "value of `general.name`: length 536870912, but only 3 bytes remain"
        );
        let mut f = File::new(3, 0, 1);
        f.u64(1 << 60).raw(b"general.name");
        assert!(
            malformed(&f.bytes)
                .message
                .starts_with("key: length 1152921504606846976 is over the 65535-byte limit")
        );
    }

    #[test]
    fn a_huge_array_count_is_refused_before_reading_elements() {
        let mut f = File::new(3, 0, 1);
        f.key("tokenizer.ggml.tokens", 9).u32(8).u64(1 << 60);
        let m = malformed(&f.bytes);
        assert_eq!(
            m.message,
            "value of `tokenizer.ggml.tokens`: array of 1152921504606846976 elements, over ggml's limit of 1073741824"
        );
        let mut f = File::new(3, 0, 1);
        f.key("tokenizer.ggml.scores", 9)
            .u32(6)
            .u64(1 << 29)
            .raw(&[0; 64]);
        let m = malformed(&f.bytes);
        assert_eq!(
            m.message,
            "value of `tokenizer.ggml.scores`: array of 536870912 FLOAT32 elements needs at least 2147483648 bytes, but only 64 remain"
        );
    }

    #[test]
    fn nested_arrays_and_unknown_value_types_are_refused() {
        let mut f = File::new(3, 0, 1);
        f.key("x.nested", 9).u32(9).u64(1).u32(4).u64(1).u32(7);
        let m = malformed(&f.bytes);
        assert_eq!(
            m.message,
            "value of `x.nested`: array of arrays (ggml refuses nested arrays)"
        );
        let mut f = File::new(3, 0, 1);
        f.key("x.y", 13).u32(0);
        assert_eq!(
            malformed(&f.bytes).message,
            "value of `x.y`: unknown value type 13"
        );
        let mut f = File::new(3, 0, 1);
        f.key("x.y", 9).u32(99).u64(0);
        assert_eq!(
            malformed(&f.bytes).message,
            "value of `x.y`: unknown value type 99"
        );
    }

    #[test]
    fn a_duplicate_key_is_noted_and_the_first_value_kept() {
        let mut f = File::new(3, 0, 3);
        f.kv_str("general.architecture", "llama")
            .kv_str("general.name", "first")
            .kv_str("general.name", "second")
            .data(32, 0);
        let (report, result) = inspect_bytes(&f.bytes);
        assert_eq!(result, Ok(()));
        assert_eq!(report.facts["name"], "first");
        let found = notes(&report, rules::NONCONFORMING);
        assert_eq!(found.len(), 1);
        assert!(
            found[0].starts_with("duplicate key `general.name`"),
            "{found:?}"
        );
        assert_eq!(report.notes[0].offset, Some(106));
    }

    #[test]
    fn a_duplicate_tensor_name_is_noted() {
        let mut f = File::new(3, 2, 1);
        f.kv_str("general.architecture", "llama")
            .tensor("w", &[8], F32, 0)
            .tensor("w", &[8], F32, 32)
            .data(32, 64);
        let (report, result) = inspect_bytes(&f.bytes);
        assert_eq!(result, Ok(()));
        assert_eq!(
            notes(&report, rules::NONCONFORMING),
            ["duplicate tensor name `w` (ggml refuses the file)"]
        );
        assert_eq!(report.facts["parameters"], 16);
    }

    #[test]
    fn offsets_out_of_order_overlapping_or_with_gaps_are_noted_once_each() {
        let mut f = File::new(3, 3, 1);
        f.kv_str("general.architecture", "llama")
            .tensor("a", &[8], F32, 32)
            .tensor("b", &[8], F32, 0)
            .tensor("c", &[8], F32, 32)
            .data(32, 64);
        let (report, result) = inspect_bytes(&f.bytes);
        assert_eq!(result, Ok(()));
        assert_eq!(
            notes(&report, rules::NONCONFORMING),
            [
                "tensor `a` has offset 32, expected 0: it leaves a gap before it (ggml refuses the file)",
                "tensor `b` has offset 0, expected 64: it overlaps the tensor before it or is out of order (ggml refuses the file)",
            ]
        );
        let mut f = File::new(3, 2, 1);
        f.kv_str("general.architecture", "llama")
            .tensor("a", &[1], F32, 0)
            .tensor("b", &[1], F32, 4)
            .data(32, 40);
        let (report, _) = inspect_bytes(&f.bytes);
        assert_eq!(
            notes(&report, rules::NONCONFORMING),
            [
                "tensor `b` has offset 4, expected 32: it overlaps the tensor before it or is out of order, and is not aligned (ggml refuses the file)"
            ]
        );
    }

    #[test]
    fn tensor_data_past_the_end_of_the_file_is_malformed() {
        let mut f = File::new(3, 1, 1);
        f.kv_str("general.architecture", "llama")
            .tensor("big", &[1000], F32, 0)
            .data(32, 16);
        let (report, result) = inspect_bytes(&f.bytes);
        let m = result.unwrap_err();
        assert_eq!(m.offset, 69);
        assert_eq!(
            m.message,
            format!(
                "tensor `big` data ends at byte 4128, past the end of the file ({} bytes)",
                f.bytes.len()
            )
        );
        assert_eq!(
            report.facts["parameters"], 1000,
            "facts read before the failure are kept"
        );
        let mut f = File::new(3, 1, 1);
        f.kv_str("general.architecture", "llama")
            .tensor("far", &[8], F32, u64::MAX - 8)
            .data(32, 32);
        assert_eq!(
            malformed(&f.bytes).message,
            format!(
                "tensor `far`: offset {} plus its size overflows",
                u64::MAX - 8
            )
        );
    }

    #[test]
    fn an_invalid_alignment_is_malformed() {
        for (value, message) in [
            (48, "`general.alignment` is 48, not a power of two"),
            (0, "`general.alignment` is 0, not a power of two"),
            (
                1 << 21,
                "`general.alignment` is 2097152, over the 1048576-byte limit",
            ),
        ] {
            let mut f = File::new(3, 0, 1);
            f.kv_u32("general.alignment", value);
            let m = malformed(&f.bytes);
            assert_eq!((m.offset, m.message.as_str()), (24, message));
        }
        let mut f = File::new(3, 0, 1);
        f.key("general.alignment", 10).u64(64);
        assert_eq!(
            malformed(&f.bytes).message,
            "`general.alignment` is UINT64, but ggml requires UINT32"
        );
    }

    #[test]
    fn a_custom_alignment_moves_the_data_section() {
        let mut f = File::new(3, 2, 2);
        f.kv_str("general.architecture", "llama")
            .kv_u32("general.alignment", 256)
            .tensor("a", &[3], F32, 0)
            .tensor("b", &[3], F32, 256)
            .data(256, 268);
        let (report, result) = inspect_bytes(&f.bytes);
        assert_eq!(result, Ok(()));
        assert_eq!(report.notes, vec![]);
        assert_eq!(report.facts["alignment"], 256);
    }

    #[test]
    fn unsupported_versions_are_named() {
        let m = malformed(&File::new(1, 0, 0).bytes);
        assert_eq!(
            (m.offset, m.message.as_str()),
            (
                4,
                "GGUF version 1 is obsolete and not supported (ggml reads versions 2 and 3)"
            )
        );
        assert_eq!(
            malformed(&File::new(4, 0, 0).bytes).message,
            "GGUF version 4 is not supported (ggml reads versions 2 and 3)"
        );
        assert_eq!(
            malformed(&File::new(0, 0, 0).bytes).message,
            "GGUF version 0 is not supported (ggml reads versions 2 and 3)"
        );
        let m = malformed(&File::big_endian(7, 0, 0).bytes);
        assert_eq!(
            m.message,
            "GGUF version 7 (read as big-endian) is not supported (ggml reads versions 2 and 3)"
        );
    }

    #[test]
    fn version_2_reads_like_version_3() {
        let mut bytes = minimal();
        bytes[4] = 2;
        let (report, result) = inspect_bytes(&bytes);
        assert_eq!(result, Ok(()));
        assert_eq!(report.facts["version"], 2);
        assert_eq!(report.facts["parameters"], 24);
    }

    #[test]
    fn a_big_endian_file_is_read_as_such_and_noted() {
        let mut f = File::big_endian(3, 1, 2);
        f.kv_str("general.architecture", "llama")
            .kv_u32("llama.block_count", 2)
            .tensor("a", &[4, 2], F32, 0)
            .data(32, 32);
        let (report, result) = inspect_bytes(&f.bytes);
        assert_eq!(result, Ok(()));
        assert_eq!(report.facts["byte_order"], "big-endian");
        assert_eq!(report.facts["block_count"], 2);
        assert_eq!(report.facts["parameters"], 8);
        assert_eq!(
            notes(&report, rules::NOTE),
            ["big-endian GGUF file: ggml refuses it on little-endian hosts"]
        );
    }

    #[test]
    fn impossible_shapes_are_malformed() {
        let mut f = File::new(3, 1, 0);
        f.tensor("five", &[1, 1, 1, 1, 1], F32, 0);
        assert_eq!(
            malformed(&f.bytes).message,
            "tensor `five` has 5 dimensions, over ggml's limit of 4"
        );
        let mut f = File::new(3, 1, 0);
        f.tensor("neg", &[u64::MAX], F32, 0);
        assert_eq!(
            malformed(&f.bytes).message,
            "tensor `neg` dimension 0 is negative (-1)"
        );
        let mut f = File::new(3, 1, 0);
        f.tensor("huge", &[1 << 32, 1 << 32], F32, 0);
        assert!(malformed(&f.bytes).message.starts_with(
            "tensor `huge` with shape [4294967296, 4294967296, 1, 1] has more elements"
        ));
        let mut f = File::new(3, 1, 0);
        f.tensor("q", &[40], Q8_0, 0);
        assert_eq!(
            malformed(&f.bytes).message,
            "tensor `q` of type `Q8_0` has 40 elements per row, not a multiple of its block size 32"
        );
        let mut f = File::new(3, 1, 0);
        f.tensor("bytes", &[1 << 62, 1], F32, 0);
        assert_eq!(
            malformed(&f.bytes).message,
            "tensor `bytes`: its size in bytes overflows 64 bits"
        );
    }

    #[test]
    fn a_zero_dimension_means_no_elements_as_in_ggml() {
        let mut f = File::new(3, 1, 1);
        f.kv_str("general.architecture", "llama")
            .tensor("empty", &[1 << 40, 0, 1 << 40], F32, 0)
            .data(32, 0);
        let (report, result) = inspect_bytes(&f.bytes);
        assert_eq!(result, Ok(()));
        assert_eq!(report.facts["parameters"], 0);
    }

    #[test]
    fn removed_and_unknown_tensor_types_are_named_and_noted() {
        let mut f = File::new(3, 2, 1);
        f.kv_str("general.architecture", "llama")
            .tensor("old", &[32], 4, 0)
            .tensor("new", &[32], 99, 64)
            .data(32, 128);
        let (report, result) = inspect_bytes(&f.bytes);
        assert_eq!(result, Ok(()));
        assert_eq!(
            report.facts["tensor_types"],
            serde_json::json!({"type_4": 1, "type_99": 1})
        );
        assert_eq!(report.facts["parameters"], 64);
        let found = notes(&report, rules::NONCONFORMING);
        assert_eq!(found.len(), 2);
        assert!(
            found[0].starts_with("tensor `old` has ggml type 4, which ggml removed"),
            "{found:?}"
        );
    }

    #[test]
    fn a_long_tensor_name_is_noted_not_refused() {
        let name = "n".repeat(64);
        let mut f = File::new(3, 1, 1);
        f.kv_str("general.architecture", "llama")
            .tensor(&name, &[8], F32, 0)
            .data(32, 32);
        let (report, result) = inspect_bytes(&f.bytes);
        assert_eq!(result, Ok(()));
        assert_eq!(
            notes(&report, rules::NONCONFORMING),
            [format!(
                "tensor name `{name}` is 64 bytes, ggml's limit is 63"
            )]
        );
    }

    #[test]
    fn a_chat_template_is_hashed_and_noted() {
        let template = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}";
        let mut f = File::new(3, 0, 2);
        f.kv_str("general.architecture", "llama")
            .kv_str("tokenizer.chat_template", template)
            .data(32, 0);
        let (report, result) = inspect_bytes(&f.bytes);
        assert_eq!(result, Ok(()));
        assert_eq!(
            report.facts["chat_template_sha256"],
            Sha256Digest::of(template.as_bytes()).to_hex()
        );
        let found = notes(&report, rules::NOTE);
        assert_eq!(
            found,
            [format!(
                "`tokenizer.chat_template` is a Jinja template ({} bytes) that loaders run to format chats",
                template.len()
            )]
        );
        assert_eq!(notes(&report, rules::CODE_ON_LOAD), Vec::<String>::new());
    }

    #[test]
    fn template_injection_constructs_are_errors_even_across_pieces() {
        let payload = "{{ cycler.__init__.__globals__.os.popen('id').read() }}";
        let mut f = File::new(3, 0, 2);
        f.kv_str("general.architecture", "llama")
            .kv_str("tokenizer.chat_template.tool_use", payload)
            .data(32, 0);
        let (report, _) = inspect_bytes(&f.bytes);
        let found = notes(&report, rules::CODE_ON_LOAD);
        assert_eq!(
            found,
            [
                "`tokenizer.chat_template.tool_use` contains `__globals__`, `__init__`, `os.popen`, constructs of Jinja template-injection exploits (CVE-2024-34359)"
            ]
        );
        assert_eq!(
            report
                .notes
                .iter()
                .find(|n| n.rule == rules::CODE_ON_LOAD)
                .unwrap()
                .severity,
            Severity::Error
        );
        assert!(
            !report.facts.contains_key("chat_template_sha256"),
            "only the default template is hashed"
        );

        // `__subclasses__` straddles the first 64 KiB piece.
        let mut long = " ".repeat(usize::try_from(CHUNK).unwrap() - 5);
        long.push_str("{{ ''.__class__.__mro__[1].__subclasses__() }}");
        let mut f = File::new(3, 0, 1);
        f.kv_str("tokenizer.chat_template", &long);
        let (report, _) = inspect_bytes(&f.bytes);
        let found = notes(&report, rules::CODE_ON_LOAD);
        assert!(
            found[0].contains("`__class__`, `__subclasses__`, `__mro__`"),
            "{found:?}"
        );
        assert_eq!(
            report.facts["chat_template_sha256"],
            Sha256Digest::of(long.as_bytes()).to_hex()
        );

        let mut f = File::new(3, 0, 1);
        f.kv_str(
            "tokenizer.chat_template",
            r"{{ x|attr('\x5f\x5fclass\x5f\x5f') }}",
        );
        let (report, _) = inspect_bytes(&f.bytes);
        assert!(
            notes(&report, rules::CODE_ON_LOAD)[0].contains(r"`\\x5f`, `|attr(`"),
            "{:?}",
            report.notes
        );
    }

    #[test]
    fn a_duplicate_template_is_still_searched() {
        let mut f = File::new(3, 0, 2);
        f.kv_str("tokenizer.chat_template", "{{ m }}")
            .kv_str("tokenizer.chat_template", "{{ lipsum.__globals__ }}");
        let (report, _) = inspect_bytes(&f.bytes);
        assert_eq!(
            report.facts["chat_template_sha256"],
            Sha256Digest::of(b"{{ m }}").to_hex()
        );
        assert_eq!(notes(&report, rules::CODE_ON_LOAD).len(), 1);
    }

    #[test]
    fn long_arrays_are_skipped_and_short_ones_recorded() {
        let tokens: Vec<String> = (0..100).map(|i| format!("tok{i}")).collect();
        let tokens: Vec<&str> = tokens.iter().map(String::as_str).collect();
        let mut f = File::new(3, 0, 4);
        f.kv_str("general.architecture", "llama")
            .kv_strs("tokenizer.ggml.tokens", &tokens)
            .kv_strs("general.tags", &tokens)
            .kv_strs("general.languages", &["en", "fr"])
            .data(32, 0);
        let (report, result) = inspect_bytes(&f.bytes);
        assert_eq!(result, Ok(()));
        assert_eq!(report.notes, vec![]);
        assert!(
            !report.facts.contains_key("tags"),
            "a 100-element list is not recorded"
        );
        assert_eq!(report.facts["languages"], serde_json::json!(["en", "fr"]));
    }

    #[test]
    fn provenance_and_architecture_keys_are_recorded_in_any_order() {
        let mut f = File::new(3, 0, 11);
        f.kv_u32("qwen2.attention.head_count", 16)
            .kv_u32("llama.attention.head_count", 99)
            .kv_str("general.architecture", "qwen2")
            .kv_u32("qwen2.attention.head_count_kv", 2)
            .kv_u32("general.file_type", 15)
            .kv_str("general.version", "v2")
            .kv_str("general.base_model.1.name", "B")
            .kv_str("general.base_model.0.name", "A")
            .kv_str("general.description", &"é".repeat(600));
        f.key("split.no", 2)
            .raw(&[1, 0])
            .key("split.count", 2)
            .raw(&[3, 0]);
        f.data(32, 0);
        let (report, result) = inspect_bytes(&f.bytes);
        assert_eq!(result, Ok(()));
        let facts = &report.facts;
        assert_eq!(facts["head_count"], 16);
        assert_eq!(facts["head_count_kv"], 2);
        assert_eq!(
            facts["file_type"],
            serde_json::json!({"id": 15, "name": "MOSTLY_Q4_K_M"})
        );
        assert_eq!(facts["model_version"], "v2");
        assert_eq!(facts["base_models"], serde_json::json!(["A", "B"]));
        assert_eq!(facts["split"], serde_json::json!({"no": 1, "count": 3}));
        let description = facts["description"].as_str().unwrap();
        assert_eq!(description, format!("{}…", "é".repeat(512)));
        assert_eq!(file_type_name(99), "ftype_99");
        assert_eq!(file_type_name(1024), "GUESSED");
    }

    #[test]
    fn wrongly_typed_and_missing_keys_are_noted() {
        let mut f = File::new(3, 1, 2);
        f.kv_u32("general.name", 7)
            .key("x.flag", 7)
            .raw(&[2])
            .tensor("q", &[32], Q8_0, 0)
            .data(32, 64);
        let (report, result) = inspect_bytes(&f.bytes);
        assert_eq!(result, Ok(()));
        assert_eq!(
            notes(&report, rules::NONCONFORMING),
            [
                "`general.name` is UINT32, expected STRING",
                "value of `x.flag`: boolean byte 2, not 0 or 1",
                "no `general.architecture` string, which the GGUF specification requires",
                "quantised tensors but no `general.quantization_version`",
            ]
        );
    }

    #[test]
    fn bytes_after_the_tensor_data_are_noted() {
        let mut bytes = minimal();
        bytes.extend_from_slice(&[0xAA; 40]);
        let (report, result) = inspect_bytes(&bytes);
        assert_eq!(result, Ok(()));
        assert_eq!(
            notes(&report, rules::NOTE),
            ["40 bytes follow the tensor data, which loaders ignore"]
        );
    }

    #[test]
    fn many_findings_of_one_kind_are_summarised() {
        let mut f = File::new(3, 0, 40);
        for _ in 0..40 {
            f.kv_u32("x.same", 1);
        }
        let (report, _) = inspect_bytes(&f.bytes);
        let found = notes(&report, rules::NONCONFORMING);
        assert_eq!(found.len(), NOTES_PER_RULE + 1);
        assert_eq!(
            found.last().unwrap(),
            "24 more findings of this kind in this file are not listed"
        );
    }

    #[test]
    fn the_construct_window_covers_the_longest_construct() {
        assert_eq!(LONGEST_CONSTRUCT, "_TemplateReference__context".len());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 512,
            failure_persistence: None,
            ..proptest::prelude::ProptestConfig::default()
        })]

        #[test]
        fn no_input_panics(tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            let mut bytes = b"GGUF\x03\x00\x00\x00".to_vec();
            bytes.extend_from_slice(&tail);
            let _ = inspect_bytes(&bytes);
        }

        #[test]
        fn no_mutation_of_a_valid_file_panics(at in 0usize..400, byte in proptest::prelude::any::<u8>(), cut in 0usize..400) {
            let mut bytes = minimal();
            if let Some(b) = bytes.get_mut(at) {
                *b = byte;
            }
            bytes.truncate(bytes.len().saturating_sub(cut % 64));
            let _ = inspect_bytes(&bytes);
        }
    }
}
