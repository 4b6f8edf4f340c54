//! A pickle scanner that never executes anything: it walks every opcode (all 68 of `CPython`'s
//! `pickletools`), keeps a small symbolic stack and memo so that names built at load time
//! (`STACK_GLOBAL` fed by memoised strings) resolve, and lists every global the pickle would
//! import, with the callables it would call. The verdict follows `globals.rs`:
//! `weights-only` (exactly what `torch.load(weights_only=True)` accepts: its opcodes and globals),
//! `known-safe`, `suspicious`, or `dangerous` (a deny-listed global, an unresolvable name, or an
//! `EXT*` opcode, whose target nobody can see).
//!
//! The same symbolic evaluation reads the tensors a PyTorch checkpoint rebuilds
//! (`torch._utils._rebuild_tensor_v2(storage, offset, size, ...)`) for parameter counts.
//!
//! Memory is bounded: strings longer than a name could be are not kept, containers keep no
//! contents, and the stack and memo have caps; hitting one is a malformed pickle, not a crash.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::globals::{self, Class};
use super::source::{Cursor, Malformed};

/// Longest string kept on the symbolic stack (module and attribute names are short).
const MAX_KEPT_STRING: u64 = 1024;
/// Longest text argument (a GLOBAL name, an INT, a quoted STRING).
const MAX_LINE: u64 = 64 * 1024;
/// Items on the stack (each is small); a deeper pickle is refused.
const MAX_STACK: usize = 1_000_000;
/// Memo entries kept.
const MAX_MEMO: usize = 1_000_000;
/// Elements of a tuple kept (a tensor's size tuple is short).
const MAX_TUPLE: usize = 16;
/// Tuples nested deeper are not kept: a rebuild call's arguments hold the size tuple at depth 2,
/// and a value nested 100,000 deep would overflow the stack when dropped.
const MAX_TUPLE_DEPTH: usize = 3;

/// The verdict on a pickle (or a file holding pickles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    WeightsOnly,
    KnownSafe,
    Suspicious,
    Dangerous,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::WeightsOnly => "weights-only",
            Verdict::KnownSafe => "known-safe",
            Verdict::Suspicious => "suspicious",
            Verdict::Dangerous => "dangerous",
        }
    }

    fn of(class: Class) -> Self {
        match class {
            Class::WeightsOnly => Verdict::WeightsOnly,
            Class::KnownSafe => Verdict::KnownSafe,
            Class::Suspicious => Verdict::Suspicious,
            Class::Dangerous => Verdict::Dangerous,
        }
    }
}

/// A tensor a checkpoint rebuilds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorRef {
    pub dtype: String,
    pub elements: u64,
}

/// What a scan found in one or more consecutive pickles.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scan {
    /// The first protocol declared (`PROTO`).
    pub protocol: Option<u8>,
    /// Complete pickles (one per `STOP`).
    pub pickles: u32,
    /// Imported globals (canonical names) with the offset of their first import.
    pub globals: BTreeMap<String, u64>,
    /// Globals used as callables (`REDUCE`, `NEWOBJ`, `INST`, `OBJ`).
    pub calls: BTreeSet<String>,
    /// Names built at load time that could not be resolved, with their offsets.
    pub unresolved: Vec<u64>,
    /// Offsets of `EXT1/2/4` opcodes (imports through the copyreg registry).
    pub extension_imports: Vec<u64>,
    /// Opcodes `torch.load(weights_only=True)` refuses.
    pub unsafe_opcodes: BTreeSet<&'static str>,
    /// Bytes after the last complete pickle (storage data in legacy checkpoints).
    pub trailing_bytes: u64,
    /// Tensors rebuilt through `torch._utils._rebuild_tensor*`.
    pub tensors: Vec<TensorRef>,
    /// Why scanning stopped early, when it did.
    pub error: Option<Malformed>,
    /// The deepest nesting of open marks seen.
    pub max_nesting: u64,
}

impl Scan {
    /// The verdict: the worst of the globals' classes, unresolved names and `EXT*` opcodes
    /// being dangerous, and non-weights-only opcodes lowering `weights-only` to `known-safe`.
    pub fn verdict(&self) -> Verdict {
        if !self.unresolved.is_empty() || !self.extension_imports.is_empty() {
            return Verdict::Dangerous;
        }
        let mut verdict = self
            .globals
            .keys()
            .map(|g| Verdict::of(globals::classify(g)))
            .max()
            .unwrap_or(Verdict::WeightsOnly);
        if verdict == Verdict::WeightsOnly && !self.unsafe_opcodes.is_empty() {
            verdict = Verdict::KnownSafe;
        }
        verdict
    }

    /// Globals of a given class, with their offsets.
    pub fn globals_of(&self, class: Class) -> Vec<(&str, u64)> {
        self.globals
            .iter()
            .filter(|(g, _)| globals::classify(g) == class)
            .map(|(g, o)| (g.as_str(), *o))
            .collect()
    }

    /// Parameters per dtype, from the rebuilt tensors.
    pub fn parameters_by_dtype(&self) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        for t in &self.tensors {
            *out.entry(t.dtype.clone()).or_insert(0u64) += t.elements;
        }
        out
    }
}

/// A value on the symbolic stack: only what naming and tensor counting need.
#[derive(Debug, Clone, PartialEq)]
enum V {
    Int(i64),
    Str(String),
    Global(String),
    Tuple(Vec<V>),
    /// A storage persistent id: `('storage', <storage class>, key, location, numel)`.
    Storage(String),
    Tensor(TensorRef),
    /// Anything else (containers, objects, numbers we do not need, long strings).
    Other,
}

/// Opcodes `torch.load(weights_only=True)` accepts (`torch/_weights_only_unpickler.py`).
const WEIGHTS_ONLY_OPCODES: &[u8] = &[
    b'c', 0x81, b'R', b'b', b'a', b'e', b's', b'u', b'(', b't', 0x85, 0x86, 0x87, b'N', 0x89, 0x88,
    b')', b']', b'}', 0x8f, b'J', b'K', b'M', b'G', b'X', b'U', b'Q', b'h', b'j', b'q', b'r', 0x8a,
    0x80, b'.',
];

struct Machine {
    stack: Vec<V>,
    marks: Vec<usize>,
    memo: BTreeMap<u64, V>,
    protocol: u8,
}

impl Machine {
    fn push(&mut self, v: V, at: u64) -> Result<(), Malformed> {
        if self.stack.len() >= MAX_STACK {
            return Err(Malformed::new(
                at,
                format!("pickle stack deeper than {MAX_STACK} items"),
            ));
        }
        self.stack.push(v);
        Ok(())
    }

    fn pop(&mut self, at: u64) -> Result<V, Malformed> {
        if self.marks.last().is_some_and(|&m| m >= self.stack.len()) {
            return Err(Malformed::new(at, "pickle pops past a mark"));
        }
        self.stack
            .pop()
            .ok_or_else(|| Malformed::new(at, "pickle stack underflow"))
    }

    fn top(&self, at: u64) -> Result<&V, Malformed> {
        self.stack
            .last()
            .ok_or_else(|| Malformed::new(at, "pickle stack underflow"))
    }

    fn pop_mark(&mut self, at: u64) -> Result<Vec<V>, Malformed> {
        let mark = self
            .marks
            .pop()
            .ok_or_else(|| Malformed::new(at, "pickle uses a mark that was never set"))?;
        if mark > self.stack.len() {
            return Err(Malformed::new(at, "pickle mark past the stack"));
        }
        Ok(self.stack.split_off(mark))
    }

    fn memo_put(&mut self, key: u64, at: u64) -> Result<(), Malformed> {
        let v = self.top(at)?.clone();
        if self.memo.len() >= MAX_MEMO && !self.memo.contains_key(&key) {
            return Err(Malformed::new(
                at,
                format!("pickle memo larger than {MAX_MEMO} entries"),
            ));
        }
        self.memo.insert(key, v);
        Ok(())
    }
}

fn tuple(items: Vec<V>) -> V {
    if items.len() <= MAX_TUPLE && items.iter().map(depth).max().unwrap_or(0) < MAX_TUPLE_DEPTH {
        V::Tuple(items)
    } else {
        V::Other
    }
}

fn depth(v: &V) -> usize {
    match v {
        V::Tuple(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// The dtype of a legacy storage class (`torch.FloatStorage` -> `F32`).
fn storage_dtype(class: &str) -> String {
    let name = class.rsplit('.').next().unwrap_or(class);
    match name {
        "FloatStorage" => "F32",
        "DoubleStorage" => "F64",
        "HalfStorage" => "F16",
        "BFloat16Storage" => "BF16",
        "LongStorage" => "I64",
        "IntStorage" => "I32",
        "ShortStorage" => "I16",
        "CharStorage" => "I8",
        "ByteStorage" => "U8",
        "BoolStorage" => "BOOL",
        "ComplexFloatStorage" => "C64",
        "ComplexDoubleStorage" => "C128",
        other => other,
    }
    .to_owned()
}

/// Reads one text argument: a line, as text.
fn line(cursor: &mut Cursor<'_>, what: &str) -> Result<String, Malformed> {
    let bytes = cursor.line(MAX_LINE, what)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Reads a length-prefixed string: kept when short enough to be a name.
fn counted_string(cursor: &mut Cursor<'_>, len: u64, what: &str) -> Result<V, Malformed> {
    if len <= MAX_KEPT_STRING {
        let bytes = cursor.bytes(len, what)?;
        Ok(V::Str(String::from_utf8_lossy(&bytes).into_owned()))
    } else {
        cursor.skip(len, what)?;
        Ok(V::Other)
    }
}

/// The value of a `STRING` opcode argument: a Python repr in quotes.
fn unquote(text: &str) -> V {
    let t = text.trim_end();
    match t.as_bytes() {
        [q, .., e] if (*q == b'\'' || *q == b'"') && q == e && t.len() >= 2 => {
            V::Str(t[1..t.len() - 1].to_owned())
        }
        _ => V::Other,
    }
}

/// Little-endian two's complement, as `LONG1`/`LONG4` store integers.
fn long_value(bytes: &[u8]) -> V {
    if bytes.is_empty() {
        return V::Int(0);
    }
    if bytes.len() > 8 {
        return V::Other;
    }
    let negative = bytes[bytes.len() - 1] & 0x80 != 0;
    let mut buf = if negative { [0xffu8; 8] } else { [0u8; 8] };
    buf[..bytes.len()].copy_from_slice(bytes);
    V::Int(i64::from_le_bytes(buf))
}

/// Scans consecutive pickles from the cursor to the end of its source. Structural problems in
/// the first pickle are reported in [`Scan::error`]; after at least one complete pickle, bytes
/// that do not start another are counted as trailing data (legacy checkpoints put raw storage
/// there).
pub fn scan(cursor: &mut Cursor<'_>) -> Scan {
    let mut out = Scan::default();
    loop {
        let start = cursor.pos();
        match scan_one(cursor, &mut out) {
            Ok(()) => out.pickles += 1,
            Err(e) if out.pickles == 0 => {
                out.error = Some(e);
                return out;
            }
            Err(_) => {
                // Not another pickle: what follows the last one is data.
                out.trailing_bytes = cursor.remaining() + (cursor.pos() - start);
                return out;
            }
        }
        if cursor.at_end() {
            return out;
        }
    }
}

// One arm per opcode (or opcode family) reads best as one table, even where two arms do the
// same thing to the symbolic stack.
#[allow(clippy::too_many_lines, clippy::match_same_arms)]
fn scan_one(cursor: &mut Cursor<'_>, out: &mut Scan) -> Result<(), Malformed> {
    let mut m = Machine {
        stack: Vec::new(),
        marks: Vec::new(),
        memo: BTreeMap::new(),
        protocol: 0,
    };
    loop {
        let at = cursor.pos();
        let op = cursor.u8("pickle opcode")?;
        if !WEIGHTS_ONLY_OPCODES.contains(&op)
            && let Some(name) = opcode_name(op)
        {
            out.unsafe_opcodes.insert(name);
        }
        match op {
            b'(' => {
                m.marks.push(m.stack.len());
                out.max_nesting = out.max_nesting.max(m.marks.len() as u64);
                if m.marks.len() > MAX_STACK {
                    return Err(Malformed::new(
                        at,
                        format!("pickle nests more than {MAX_STACK} marks"),
                    ));
                }
            }
            b'.' => {
                m.pop(at)?;
                return Ok(());
            }
            b'0' => drop(m.pop(at)?),
            b'1' => drop(m.pop_mark(at)?),
            b'2' => {
                let v = m.top(at)?.clone();
                m.push(v, at)?;
            }
            // Numbers and constants.
            b'F' => {
                line(cursor, "FLOAT")?;
                m.push(V::Other, at)?;
            }
            b'G' => {
                cursor.skip(8, "BINFLOAT")?;
                m.push(V::Other, at)?;
            }
            b'I' => {
                let text = line(cursor, "INT")?;
                m.push(text.trim().parse().map_or(V::Other, V::Int), at)?;
            }
            b'J' => {
                let v = cursor.i32_le("BININT")?;
                m.push(V::Int(i64::from(v)), at)?;
            }
            b'K' => {
                let v = cursor.u8("BININT1")?;
                m.push(V::Int(i64::from(v)), at)?;
            }
            b'M' => {
                let v = cursor.u16_le("BININT2")?;
                m.push(V::Int(i64::from(v)), at)?;
            }
            b'L' => {
                let text = line(cursor, "LONG")?;
                m.push(
                    text.trim()
                        .trim_end_matches('L')
                        .parse()
                        .map_or(V::Other, V::Int),
                    at,
                )?;
            }
            0x8a => {
                let len = u64::from(cursor.u8("LONG1")?);
                let bytes = cursor.bytes(len, "LONG1")?;
                m.push(long_value(&bytes), at)?;
            }
            0x8b => {
                let len = cursor.i32_le("LONG4")?;
                let len = u64::try_from(len)
                    .map_err(|_| Malformed::new(at, "LONG4 with a negative length"))?;
                if len > 8 {
                    cursor.skip(len, "LONG4")?;
                    m.push(V::Other, at)?;
                } else {
                    let bytes = cursor.bytes(len, "LONG4")?;
                    m.push(long_value(&bytes), at)?;
                }
            }
            b'N' | 0x88 | 0x89 => m.push(V::Other, at)?,
            // Strings and bytes.
            b'S' => {
                let text = line(cursor, "STRING")?;
                m.push(unquote(&text), at)?;
            }
            b'T' => {
                let len = cursor.i32_le("BINSTRING")?;
                let len = u64::try_from(len)
                    .map_err(|_| Malformed::new(at, "BINSTRING with a negative length"))?;
                let v = counted_string(cursor, len, "BINSTRING")?;
                m.push(v, at)?;
            }
            b'U' => {
                let len = u64::from(cursor.u8("SHORT_BINSTRING")?);
                let v = counted_string(cursor, len, "SHORT_BINSTRING")?;
                m.push(v, at)?;
            }
            b'V' => {
                let text = line(cursor, "UNICODE")?;
                m.push(V::Str(text), at)?;
            }
            b'X' => {
                let len = u64::from(cursor.u32_le("BINUNICODE")?);
                let v = counted_string(cursor, len, "BINUNICODE")?;
                m.push(v, at)?;
            }
            0x8c => {
                let len = u64::from(cursor.u8("SHORT_BINUNICODE")?);
                let v = counted_string(cursor, len, "SHORT_BINUNICODE")?;
                m.push(v, at)?;
            }
            0x8d => {
                let len = cursor.u64_le("BINUNICODE8")?;
                let v = counted_string(cursor, len, "BINUNICODE8")?;
                m.push(v, at)?;
            }
            b'B' => {
                let len = u64::from(cursor.u32_le("BINBYTES")?);
                cursor.skip(len, "BINBYTES")?;
                m.push(V::Other, at)?;
            }
            b'C' => {
                let len = u64::from(cursor.u8("SHORT_BINBYTES")?);
                cursor.skip(len, "SHORT_BINBYTES")?;
                m.push(V::Other, at)?;
            }
            0x8e | 0x96 => {
                let len = cursor.u64_le("BINBYTES8")?;
                cursor.skip(len, "BINBYTES8")?;
                m.push(V::Other, at)?;
            }
            0x97 => m.push(V::Other, at)?,
            0x98 => drop(m.top(at)?),
            // Containers: contents are not kept.
            b')' => m.push(V::Tuple(Vec::new()), at)?,
            b't' => {
                let items = m.pop_mark(at)?;
                m.push(tuple(items), at)?;
            }
            0x85..=0x87 => {
                let n = usize::from(op - 0x84);
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(m.pop(at)?);
                }
                items.reverse();
                m.push(tuple(items), at)?;
            }
            b']' | b'}' | 0x8f => m.push(V::Other, at)?,
            b'l' | b'd' | 0x91 => {
                m.pop_mark(at)?;
                m.push(V::Other, at)?;
            }
            b'a' => {
                m.pop(at)?;
                m.top(at)?;
            }
            b'e' | b'u' | 0x90 => {
                m.pop_mark(at)?;
                m.top(at)?;
            }
            b's' => {
                m.pop(at)?;
                m.pop(at)?;
                m.top(at)?;
            }
            // Memo.
            b'g' => {
                let key = line(cursor, "GET")?
                    .trim()
                    .parse()
                    .map_err(|_| Malformed::new(at, "GET with a bad index"))?;
                let v = m.memo.get(&key).cloned().ok_or_else(|| {
                    Malformed::new(at, format!("GET of memo {key}, which was never set"))
                })?;
                m.push(v, at)?;
            }
            b'h' | b'j' => {
                let key = if op == b'h' {
                    u64::from(cursor.u8("BINGET")?)
                } else {
                    u64::from(cursor.u32_le("LONG_BINGET")?)
                };
                let v = m.memo.get(&key).cloned().ok_or_else(|| {
                    Malformed::new(at, format!("GET of memo {key}, which was never set"))
                })?;
                m.push(v, at)?;
            }
            b'p' => {
                let key = line(cursor, "PUT")?
                    .trim()
                    .parse()
                    .map_err(|_| Malformed::new(at, "PUT with a bad index"))?;
                m.memo_put(key, at)?;
            }
            b'q' => {
                let key = u64::from(cursor.u8("BINPUT")?);
                m.memo_put(key, at)?;
            }
            b'r' => {
                let key = u64::from(cursor.u32_le("LONG_BINPUT")?);
                m.memo_put(key, at)?;
            }
            0x94 => {
                let key = m.memo.len() as u64;
                m.memo_put(key, at)?;
            }
            // Imports.
            b'c' | b'i' => {
                let module = line(cursor, "GLOBAL module")?;
                let name = line(cursor, "GLOBAL name")?;
                let global = globals::canonical(&module, &name, m.protocol);
                out.globals.entry(global.clone()).or_insert(at);
                if op == b'i' {
                    // INST: the class is called with the arguments since the mark.
                    m.pop_mark(at)?;
                    out.calls.insert(global);
                    m.push(V::Other, at)?;
                } else {
                    m.push(V::Global(global), at)?;
                }
            }
            0x93 => {
                let name = m.pop(at)?;
                let module = m.pop(at)?;
                if let (V::Str(module), V::Str(name)) = (&module, &name) {
                    let global = globals::canonical(module, name, m.protocol);
                    out.globals.entry(global.clone()).or_insert(at);
                    m.push(V::Global(global), at)?;
                } else {
                    out.unresolved.push(at);
                    m.push(V::Other, at)?;
                }
            }
            0x82..=0x84 => {
                let width = match op {
                    0x82 => 1,
                    0x83 => 2,
                    _ => 4,
                };
                cursor.skip(width, "EXT")?;
                out.extension_imports.push(at);
                m.push(V::Other, at)?;
            }
            // Calls.
            b'R' => {
                let args = m.pop(at)?;
                let callable = m.pop(at)?;
                let result = call(&callable, args, out);
                m.push(result, at)?;
            }
            0x81 => {
                let _args = m.pop(at)?;
                let class = m.pop(at)?;
                record_call(&class, out);
                m.push(V::Other, at)?;
            }
            0x92 => {
                let _kwargs = m.pop(at)?;
                let _args = m.pop(at)?;
                let class = m.pop(at)?;
                record_call(&class, out);
                m.push(V::Other, at)?;
            }
            b'o' => {
                let items = m.pop_mark(at)?;
                let class = items
                    .first()
                    .ok_or_else(|| Malformed::new(at, "OBJ without a class"))?;
                record_call(class, out);
                m.push(V::Other, at)?;
            }
            b'b' => {
                m.pop(at)?;
                m.top(at)?;
            }
            // Persistent ids (storages).
            b'P' => {
                line(cursor, "PERSID")?;
                m.push(V::Other, at)?;
            }
            b'Q' => {
                let pid = m.pop(at)?;
                let v = match pid {
                    V::Tuple(items) => match items.as_slice() {
                        [V::Str(kind), V::Global(class), ..] if kind == "storage" => {
                            V::Storage(storage_dtype(class))
                        }
                        _ => V::Other,
                    },
                    _ => V::Other,
                };
                m.push(v, at)?;
            }
            // Framing.
            0x80 => {
                let proto = cursor.u8("PROTO")?;
                if proto > 5 {
                    return Err(Malformed::new(
                        at,
                        format!("unknown pickle protocol {proto}"),
                    ));
                }
                m.protocol = proto;
                out.protocol.get_or_insert(proto);
            }
            0x95 => {
                let len = cursor.u64_le("FRAME")?;
                if len > cursor.remaining() {
                    return Err(Malformed::new(
                        at,
                        format!(
                            "FRAME of {len} bytes, but only {} remain",
                            cursor.remaining()
                        ),
                    ));
                }
            }
            other => {
                return Err(Malformed::new(
                    at,
                    format!("unknown pickle opcode 0x{other:02x}"),
                ));
            }
        }
    }
}

fn record_call(callable: &V, out: &mut Scan) {
    if let V::Global(name) = callable {
        out.calls.insert(name.clone());
    }
}

/// `REDUCE`: records the call; a tensor rebuild yields the tensor it builds.
fn call(callable: &V, args: V, out: &mut Scan) -> V {
    record_call(callable, out);
    let V::Global(name) = callable else {
        return V::Other;
    };
    match (name.as_str(), args) {
        (
            "torch._utils._rebuild_tensor_v2"
            | "torch._utils._rebuild_tensor"
            | "torch._utils._rebuild_tensor_v3",
            V::Tuple(items),
        ) => match items.as_slice() {
            [V::Storage(dtype), _offset, V::Tuple(size), ..] => {
                let elements = size.iter().try_fold(1u64, |acc, d| match d {
                    V::Int(n) => u64::try_from(*n).ok().and_then(|n| acc.checked_mul(n)),
                    _ => None,
                });
                match elements {
                    Some(elements) => {
                        let tensor = TensorRef {
                            dtype: dtype.clone(),
                            elements,
                        };
                        out.tensors.push(tensor.clone());
                        V::Tensor(tensor)
                    }
                    None => V::Other,
                }
            }
            _ => V::Other,
        },
        // A parameter wraps a tensor already counted.
        (
            "torch._utils._rebuild_parameter" | "torch._utils._rebuild_parameter_with_state",
            V::Tuple(items),
        ) => items
            .into_iter()
            .next()
            .filter(|v| matches!(v, V::Tensor(_)))
            .unwrap_or(V::Other),
        _ => V::Other,
    }
}

/// The `pickletools` name of an opcode.
fn opcode_name(op: u8) -> Option<&'static str> {
    Some(match op {
        b'(' => "MARK",
        b'.' => "STOP",
        b'0' => "POP",
        b'1' => "POP_MARK",
        b'2' => "DUP",
        b'F' => "FLOAT",
        b'I' => "INT",
        b'L' => "LONG",
        b'P' => "PERSID",
        b'S' => "STRING",
        b'T' => "BINSTRING",
        b'V' => "UNICODE",
        b'B' => "BINBYTES",
        b'C' => "SHORT_BINBYTES",
        b'd' => "DICT",
        b'g' => "GET",
        b'i' => "INST",
        b'l' => "LIST",
        b'o' => "OBJ",
        b'p' => "PUT",
        0x82 => "EXT1",
        0x83 => "EXT2",
        0x84 => "EXT4",
        0x8b => "LONG4",
        0x8c => "SHORT_BINUNICODE",
        0x8d => "BINUNICODE8",
        0x8e => "BINBYTES8",
        0x90 => "ADDITEMS",
        0x91 => "FROZENSET",
        0x92 => "NEWOBJ_EX",
        0x93 => "STACK_GLOBAL",
        0x94 => "MEMOIZE",
        0x95 => "FRAME",
        0x96 => "BYTEARRAY8",
        0x97 => "NEXT_BUFFER",
        0x98 => "READONLY_BUFFER",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::source::Source;

    fn scan_bytes(bytes: &[u8]) -> Scan {
        scan(&mut Source::bytes(bytes).cursor(0))
    }

    #[test]
    fn protocol_2_global_and_reduce_is_dangerous() {
        // pickle.dumps of a __reduce__ returning (os.system, ("id",)), protocol 2.
        let bytes = b"\x80\x02cposix\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03.";
        let s = scan_bytes(bytes);
        assert!(s.error.is_none(), "{:?}", s.error);
        assert_eq!(s.protocol, Some(2));
        assert_eq!(s.pickles, 1);
        assert!(s.globals.contains_key("posix.system"));
        assert!(s.calls.contains("posix.system"));
        assert_eq!(s.verdict(), Verdict::Dangerous);
        assert_eq!(s.globals["posix.system"], 2, "offset of the GLOBAL opcode");
    }

    #[test]
    fn stack_global_from_memoised_strings_resolves() {
        // Protocol 4: module and name memoised first, fetched back with BINGET, then STACK_GLOBAL.
        let mut p = b"\x80\x04".to_vec();
        p.extend(b"\x8c\x08builtins\x94"); // memo 0
        p.extend(b"\x8c\x04exec\x94"); // memo 1
        p.extend(b"0"); // pop the name, so the stack is clean
        p.extend(b"0");
        p.extend(b"h\x00h\x01\x93"); // STACK_GLOBAL(builtins, exec)
        p.extend(b"\x8c\x05print\x85R.");
        let s = scan_bytes(&p);
        assert!(s.error.is_none(), "{:?}", s.error);
        assert!(s.globals.contains_key("builtins.exec"), "{:?}", s.globals);
        assert_eq!(s.verdict(), Verdict::Dangerous);
        assert!(s.unsafe_opcodes.contains("STACK_GLOBAL"));
    }

    #[test]
    fn unresolvable_stack_global_is_dangerous() {
        // The module name comes from a call result: nobody can say what it will be.
        let p = b"\x80\x04)\x8c\x04name\x93.";
        let s = scan_bytes(p);
        assert_eq!(s.unresolved.len(), 1);
        assert_eq!(s.verdict(), Verdict::Dangerous);
    }

    #[test]
    fn torch_state_dict_is_weights_only_and_counts_parameters() {
        // A state dict with one F32 tensor of size (3, 4), as torch.save writes data.pkl.
        let mut p = b"\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01".to_vec();
        p.extend(b"X\x06\x00\x00\x00weightq\x02");
        p.extend(b"ctorch._utils\n_rebuild_tensor_v2\nq\x03");
        p.extend(b"((X\x07\x00\x00\x00storageq\x04ctorch\nFloatStorage\nq\x05X\x01\x00\x00\x000q\x06X\x03\x00\x00\x00cpuq\x07K\x0ctq\x08Q");
        p.extend(b"K\x00K\x03K\x04\x86q\x09K\x04K\x01\x86q\x0a\x89ccollections\nOrderedDict\nq\x0b)Rq\x0ctq\x0dRq\x0e");
        p.extend(b"s.");
        let s = scan_bytes(&p);
        assert!(s.error.is_none(), "{:?}", s.error);
        assert_eq!(
            s.verdict(),
            Verdict::WeightsOnly,
            "{:?} {:?}",
            s.globals,
            s.unsafe_opcodes
        );
        assert_eq!(
            s.tensors,
            [TensorRef {
                dtype: "F32".into(),
                elements: 12
            }]
        );
    }

    #[test]
    fn ext_opcodes_are_dangerous() {
        let s = scan_bytes(b"\x80\x02\x82\x01).");
        assert_eq!(s.extension_imports, [2]);
        assert_eq!(s.verdict(), Verdict::Dangerous);
    }

    #[test]
    fn hostile_pickles_fail_cleanly() {
        let cases: [(&[u8], &str); 6] = [
            (
                b"\x80\x02X\xff\xff\xff\xff",
                "BINUNICODE: 4294967295 bytes, but only 0 remain",
            ),
            (
                b"\x80\x04\x8d\xff\xff\xff\xff\xff\xff\xff\x0f",
                "BINUNICODE8",
            ),
            (b"\x80\x02t.", "a mark that was never set"),
            (b"\x80\x02h\x07.", "GET of memo 7, which was never set"),
            (b"\x80\x02\xff", "unknown pickle opcode 0xff"),
            (b"\x80\x02R.", "stack underflow"),
        ];
        for (bytes, needle) in cases {
            let s = scan_bytes(bytes);
            let e = s
                .error
                .unwrap_or_else(|| panic!("{bytes:?} scanned without error"));
            assert!(e.message.contains(needle), "expected {needle:?}, got {e}");
        }
    }

    #[test]
    fn deep_nesting_is_bounded() {
        // 100,000 nested marks, then closed again: valid and within the limits.
        let mut p = b"\x80\x02".to_vec();
        p.extend(std::iter::repeat_n(b'(', 100_000));
        p.extend(std::iter::repeat_n(b't', 100_000));
        p.push(b'.');
        let s = scan_bytes(&p);
        assert!(s.error.is_none(), "{:?}", s.error);
        assert_eq!(s.verdict(), Verdict::WeightsOnly);
    }

    #[test]
    fn trailing_data_after_a_pickle_is_counted_not_parsed() {
        let mut p = b"\x80\x02K\x01.".to_vec();
        p.extend(b"\x00\x01\x02raw storage bytes");
        let s = scan_bytes(&p);
        assert_eq!(s.pickles, 1);
        assert!(s.error.is_none());
        assert_eq!(s.trailing_bytes, 20);
    }
}
