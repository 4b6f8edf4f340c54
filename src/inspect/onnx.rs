//! ONNX models (`*.onnx`): a protobuf wire-format walker over `ModelProto` that records what the
//! model is (IR version, producer, opsets, operators, initializers, parameter count) and what
//! loading it needs besides the file (external data files, operators outside the ONNX standard),
//! and flags external data locations that point outside the model's folder (CVE-2022-25882,
//! CVE-2024-27318).
//!
//! A model is one protobuf message of up to 2 GB, most of it tensor payloads. Generated protobuf
//! code would decode those payloads into memory, so this walker reads tags and lengths only,
//! checks every length against what is left of the enclosing message, and seeks over every field
//! it does not need (`raw_data` above all). Memory stays bounded whatever the file holds: strings
//! are read up to a cap and every collection has a limit. Field numbers are those of
//! `onnx/onnx.proto` in onnx 1.23.2. As in protobuf, fields may come in any order, a field with
//! an unexpected wire type is an unknown field, and a repeated message (`graph` twice) merges.
//!
//! Counts (`node_count`, `op_types`, initializers, `parameters`) describe the main graph, as
//! `onnx.load(...).graph` shows it. Operator domains and external data are gathered everywhere
//! the ONNX loader looks: the main graph, subgraphs of `If`/`Loop`/`Scan` attributes, tensor
//! attributes (`Constant`), model-local functions and training graphs.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::source::{Cursor, Malformed, Source};
use super::{Report, rules};
use crate::finding::Severity;

/// Protobuf field numbers are 29 bits; 0 is not a field.
const MAX_FIELD_NUMBER: u64 = (1 << 29) - 1;
/// A varint holds 64 bits in at most 10 bytes.
const MAX_VARINT_BYTES: u32 = 10;
/// Graphs nest through node attributes (`If`, `Loop`, `Scan`). Protobuf's own parsers stop at 100
/// message levels, about 33 graphs, so no loadable model nests deeper than this.
const MAX_GRAPH_DEPTH: u32 = 32;
/// Names (operators, domains, keys) are read up to this many bytes; longer ones are truncated.
const MAX_NAME: u64 = 256;
/// External data locations longer than this are no file path any system accepts.
const MAX_LOCATION: u64 = 4096;
/// Distinct operator types listed in `op_types`; the rest are counted in `op_types_other`.
const MAX_OP_TYPES: usize = 256;
/// Limits on the other collections, so that a hostile graph cannot grow them without bound.
const MAX_DTYPES: usize = 64;
const MAX_DOMAINS: usize = 64;
const MAX_CUSTOM_OPS: usize = 4096;
const MAX_FUNCTIONS: usize = 4096;
const MAX_OPSETS: usize = 256;
const MAX_METADATA_KEYS: usize = 1024;
const MAX_LOCATIONS: usize = 1024;
/// Findings of one rule reported one by one; the rest are summed up in a last finding.
const MAX_NOTES_PER_RULE: u64 = 16;
/// External data files named in the `file/note` finding.
const NAMED_LOCATIONS: usize = 5;

/// `TensorProto.DataType` names, by value (onnx 1.23.2).
const DATA_TYPES: [&str; 29] = [
    "UNDEFINED",
    "FLOAT",
    "UINT8",
    "INT8",
    "UINT16",
    "INT16",
    "INT32",
    "INT64",
    "STRING",
    "BOOL",
    "FLOAT16",
    "DOUBLE",
    "UINT32",
    "UINT64",
    "COMPLEX64",
    "COMPLEX128",
    "BFLOAT16",
    "FLOAT8E4M3FN",
    "FLOAT8E4M3FNUZ",
    "FLOAT8E5M2",
    "FLOAT8E5M2FNUZ",
    "UINT4",
    "INT4",
    "FLOAT4E2M1",
    "FLOAT8E8M0",
    "UINT2",
    "INT2",
    "FLOAT6E2M3",
    "FLOAT6E3M2",
];

/// `TensorProto.DataLocation.EXTERNAL`.
const EXTERNAL: u64 = 1;

/// Reads the ONNX structure of `source` into `report`.
pub fn inspect(source: Source<'_>, report: &mut Report) -> Result<(), Malformed> {
    let mut cursor = source.cursor(0);
    let mut walker = Walker::new(report);
    let result = walker.model(&mut cursor, source.size());
    walker.finish(result.is_ok());
    result
}

// ---------------------------------------------------------------------------------------------
// Wire format

/// A field's value as the wire gives it. For `Bytes`, the cursor stands at the payload.
#[derive(Debug, Clone, Copy)]
enum Wire {
    Varint(u64),
    Fixed,
    Bytes,
}

/// One field of a message.
#[derive(Debug, Clone, Copy)]
struct Field {
    number: u64,
    /// Offset of the field's tag.
    at: u64,
    wire: Wire,
    /// Offset just past the field's value.
    end: u64,
}

impl Field {
    fn is_bytes(&self) -> bool {
        matches!(self.wire, Wire::Bytes)
    }
}

/// Reads a varint that must end before `end`.
/// The error says what is wrong with the varint; callers name the field with [`within`].
fn varint(cur: &mut Cursor<'_>, end: u64) -> Result<u64, Malformed> {
    let at = cur.pos();
    let mut value = 0u64;
    for i in 0..MAX_VARINT_BYTES {
        if cur.pos() >= end {
            return Err(Malformed::new(
                at,
                "varint runs past the end of its message",
            ));
        }
        let byte = cur.u8("varint")?;
        if i == MAX_VARINT_BYTES - 1 && byte > 1 {
            let problem = if byte & 0x80 == 0 {
                "overflows 64 bits"
            } else {
                "is longer than 10 bytes"
            };
            return Err(Malformed::new(at, format!("varint {problem}")));
        }
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(Malformed::new(at, "varint is longer than 10 bytes"))
}

/// Prefixes an error with the name of what was being read; the name is only built on error,
/// so that walking millions of fields formats nothing.
fn within(what: impl FnOnce() -> String) -> impl FnOnce(Malformed) -> Malformed {
    move |m| Malformed::new(m.offset, format!("{}: {}", what(), m.message))
}

/// Reads the next field's tag and, for a length-delimited field, its length (checked against the
/// rest of the message, which ends at `end`); skips fixed-size values.
fn next_field(cur: &mut Cursor<'_>, end: u64, message: &str) -> Result<Field, Malformed> {
    let at = cur.pos();
    let tag = varint(cur, end).map_err(within(|| format!("`{message}` field tag")))?;
    let number = tag >> 3;
    if number == 0 || number > MAX_FIELD_NUMBER {
        return Err(Malformed::new(
            at,
            format!("`{message}`: field number {number} is out of range"),
        ));
    }
    let what = || format!("`{message}` field {number}");
    let wire = match tag & 7 {
        0 => Wire::Varint(varint(cur, end).map_err(within(what))?),
        1 | 5 => {
            let len = if tag & 7 == 1 { 8 } else { 4 };
            let left = end.saturating_sub(cur.pos());
            if len > left {
                return Err(Malformed::new(
                    at,
                    format!(
                        "{}: {len}-byte value, but only {left} bytes remain in the message",
                        what()
                    ),
                ));
            }
            cur.skip(len, "fixed-width field")?;
            Wire::Fixed
        }
        2 => {
            let len = varint(cur, end).map_err(within(what))?;
            let left = end.saturating_sub(cur.pos());
            if len > left {
                return Err(Malformed::new(
                    at,
                    format!(
                        "{}: {len} bytes declared, but only {left} remain in the message",
                        what()
                    ),
                ));
            }
            let start = cur.pos();
            return Ok(Field {
                number,
                at,
                wire: Wire::Bytes,
                end: start.saturating_add(len),
            });
        }
        kind @ (3 | 4) => {
            return Err(Malformed::new(
                at,
                format!(
                    "{}: group (wire type {kind}) is not allowed in ONNX",
                    what()
                ),
            ));
        }
        kind => {
            return Err(Malformed::new(
                at,
                format!("{}: invalid wire type {kind}", what()),
            ));
        }
    };
    Ok(Field {
        number,
        at,
        wire,
        end: cur.pos(),
    })
}

/// Calls `on` for each field of the message that ends at `end`, then moves past the field,
/// whatever `on` read of it (so a handler can never lose the walker's place).
fn each_field(
    cur: &mut Cursor<'_>,
    end: u64,
    message: &str,
    mut on: impl FnMut(&mut Cursor<'_>, &Field) -> Result<(), Malformed>,
) -> Result<(), Malformed> {
    while cur.pos() < end {
        let field = next_field(cur, end, message)?;
        on(cur, &field)?;
        cur.seek(field.end)?;
    }
    Ok(())
}

/// A string or bytes value, read up to `cap` bytes.
struct Text {
    bytes: Vec<u8>,
    /// The full length as the file declares it.
    len: u64,
}

impl Text {
    fn string(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

/// Reads the payload of a length-delimited field (the cursor stands at it), up to `cap` bytes.
fn text(cur: &mut Cursor<'_>, field: &Field, cap: u64, what: &str) -> Result<Text, Malformed> {
    let len = field.end.saturating_sub(cur.pos());
    let bytes = cur.bytes(len.min(cap), what)?;
    Ok(Text { bytes, len })
}

/// A string field's value when it has the length-delimited wire type (else it is unknown).
fn string_field(
    cur: &mut Cursor<'_>,
    field: &Field,
    what: &str,
) -> Result<Option<String>, Malformed> {
    if !field.is_bytes() {
        return Ok(None);
    }
    Ok(Some(text(cur, field, MAX_NAME, what)?.string()))
}

/// A `StringStringEntryProto`: its key (read up to [`MAX_NAME`] bytes) and its value (up to
/// [`MAX_LOCATION`]), with the offset of the value's field.
struct Entry {
    key: Option<Text>,
    value: Option<(Text, u64)>,
}

fn entry(cur: &mut Cursor<'_>, end: u64, what: &str) -> Result<Entry, Malformed> {
    let mut found = Entry {
        key: None,
        value: None,
    };
    each_field(cur, end, "StringStringEntryProto", |cur, f| {
        match (f.number, f.wire) {
            (1, Wire::Bytes) => found.key = Some(text(cur, f, MAX_NAME, what)?),
            (2, Wire::Bytes) => found.value = Some((text(cur, f, MAX_LOCATION, what)?, f.at)),
            _ => {}
        }
        Ok(())
    })?;
    Ok(found)
}

/// A name as shown in a message: one line, control characters escaped, long names shortened.
fn shown(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if i >= 120 {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// What the walk gathers

/// A tensor's shape, as its `dims` arrive (packed or one by one).
#[derive(Debug, Clone, Copy)]
struct Shape {
    /// Product of the dimensions so far; `None` once a dimension is negative or it overflows.
    elements: Option<u64>,
    problem: Option<ShapeProblem>,
}

#[derive(Debug, Clone, Copy)]
enum ShapeProblem {
    Negative(i64),
    Overflow,
}

impl Shape {
    fn new() -> Self {
        Shape {
            elements: Some(1),
            problem: None,
        }
    }

    fn push(&mut self, raw: u64) {
        let dim = raw.cast_signed();
        if dim < 0 {
            self.elements = None;
            self.problem.get_or_insert(ShapeProblem::Negative(dim));
            return;
        }
        self.elements = self.elements.and_then(|n| n.checked_mul(raw));
        if self.elements.is_none() {
            self.problem.get_or_insert(ShapeProblem::Overflow);
        }
    }

    /// Takes one dimension (varint) or a packed run of them.
    fn field(&mut self, cur: &mut Cursor<'_>, field: &Field) -> Result<(), Malformed> {
        match field.wire {
            Wire::Varint(v) => self.push(v),
            Wire::Bytes => {
                while cur.pos() < field.end {
                    let dim =
                        varint(cur, field.end).map_err(within(|| "packed `dims`".to_owned()))?;
                    self.push(dim);
                }
            }
            Wire::Fixed => {}
        }
        Ok(())
    }
}

/// Statistics of the main graph.
#[derive(Debug, Default)]
struct GraphStats {
    nodes: u64,
    op_types: BTreeMap<String, u64>,
    op_types_other: u64,
    initializers: u64,
    sparse_initializers: u64,
    /// `None` once an initializer's element count is unknown (negative dimension, overflow).
    parameters: Option<u64>,
    dtypes: BTreeMap<String, u64>,
}

/// An external data file as the tensors name it.
#[derive(Debug)]
struct ExternalFile {
    tensors: u64,
    /// Sum of the tensors' `length` entries; `None` when one has none (or the sum overflows).
    length: Option<u64>,
    at: u64,
}

/// How many findings of one rule and severity were reported, and how many were held back.
#[derive(Debug)]
struct NoteCount {
    rule: &'static str,
    severity: Severity,
    shown: u64,
    held: u64,
}

/// How much of the main graph was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GraphState {
    Absent,
    /// Being read, or its reading failed: its statistics are incomplete.
    Partial,
    /// Every `graph` field was read to its end.
    Complete,
}

/// Which collections reached their limit.
#[derive(Debug, Default)]
struct Full {
    /// More than [`MAX_DOMAINS`] custom domains were seen.
    custom_domains: bool,
    /// Which custom operators local functions define is not fully known.
    custom_ops: bool,
    /// More than [`MAX_LOCATIONS`] external data files were named.
    external: bool,
}

/// What one tensor says about itself.
#[derive(Debug)]
struct TensorSummary {
    elements: Option<u64>,
    data_type: i32,
}

struct Walker<'r> {
    report: &'r mut Report,
    notes: Vec<NoteCount>,
    full: Full,
    saw_ir_version: bool,
    main_state: GraphState,
    main: GraphStats,
    opsets: Vec<Value>,
    metadata_keys: BTreeSet<String>,
    functions: u64,
    /// `(domain, name)` of model-local functions: nodes calling them need no operator library.
    local_functions: BTreeSet<(String, String)>,
    /// Non-standard node domains, with the offset of the first node using each.
    custom_domains: BTreeMap<String, u64>,
    /// `(domain, op_type)` of nodes in non-standard domains.
    custom_ops: BTreeSet<(String, String)>,
    external: BTreeMap<String, ExternalFile>,
    /// Locations already reported as escaping.
    escaping: BTreeSet<Vec<u8>>,
}

/// Domains defined by the ONNX standard itself (the `onnx` package has their schemas).
fn is_standard_domain(domain: &str) -> bool {
    matches!(
        domain,
        "" | "ai.onnx" | "ai.onnx.ml" | "ai.onnx.preview" | "ai.onnx.preview.training"
    )
}

fn bump(count: &mut u64) {
    *count = count.saturating_add(1);
}

fn dtype_name(data_type: i32) -> String {
    usize::try_from(data_type)
        .ok()
        .and_then(|i| DATA_TYPES.get(i))
        .map_or_else(|| format!("type_{data_type}"), |name| (*name).to_owned())
}

/// Why an external data location leaves the model's folder, if it does.
fn escape_reason(location: &[u8]) -> Option<&'static str> {
    if location.contains(&0) {
        return Some("contains a NUL byte");
    }
    if location.contains(&b'\\') {
        return Some("contains a backslash");
    }
    if location.first() == Some(&b'/') {
        return Some("is an absolute path");
    }
    if let [drive, b':', ..] = location
        && drive.is_ascii_alphabetic()
    {
        return Some("starts with a drive letter");
    }
    if location.split(|b| *b == b'/').any(|part| part == b"..") {
        return Some("has a `..` component");
    }
    None
}

impl<'r> Walker<'r> {
    fn new(report: &'r mut Report) -> Self {
        Walker {
            report,
            notes: Vec::new(),
            full: Full::default(),
            saw_ir_version: false,
            main_state: GraphState::Absent,
            main: GraphStats {
                parameters: Some(0),
                ..GraphStats::default()
            },
            opsets: Vec::new(),
            metadata_keys: BTreeSet::new(),
            functions: 0,
            local_functions: BTreeSet::new(),
            custom_domains: BTreeMap::new(),
            custom_ops: BTreeSet::new(),
            external: BTreeMap::new(),
            escaping: BTreeSet::new(),
        }
    }

    /// Records a finding, up to [`MAX_NOTES_PER_RULE`] per rule and severity; the rest are
    /// counted and summed up by [`Walker::finish`].
    fn note(&mut self, rule: &'static str, severity: Severity, message: String, offset: u64) {
        let index = self
            .notes
            .iter()
            .position(|n| n.rule == rule && n.severity == severity)
            .unwrap_or_else(|| {
                self.notes.push(NoteCount {
                    rule,
                    severity,
                    shown: 0,
                    held: 0,
                });
                self.notes.len() - 1
            });
        let Some(count) = self.notes.get_mut(index) else {
            return;
        };
        if count.shown < MAX_NOTES_PER_RULE {
            count.shown += 1;
            self.report.note(rule, severity, message, Some(offset));
        } else {
            count.held = count.held.saturating_add(1);
        }
    }

    fn model(&mut self, cur: &mut Cursor<'_>, end: u64) -> Result<(), Malformed> {
        each_field(cur, end, "ModelProto", |cur, f| {
            match (f.number, f.wire) {
                (1, Wire::Varint(v)) => {
                    self.saw_ir_version = true;
                    self.report.fact("ir_version", v.cast_signed());
                }
                (2..=4, Wire::Bytes) => {
                    let key = match f.number {
                        2 => "producer_name",
                        3 => "producer_version",
                        _ => "domain",
                    };
                    // The last value wins, as in protobuf; an empty one says nothing.
                    let value = text(cur, f, MAX_NAME, key)?.string();
                    if value.is_empty() {
                        self.report.facts.remove(key);
                    } else {
                        self.report.fact(key, value);
                    }
                }
                (5, Wire::Varint(v)) => self.report.fact("model_version", v.cast_signed()),
                (7, Wire::Bytes) => {
                    self.main_state = GraphState::Partial;
                    self.graph(cur, f.end, 0)?;
                    self.main_state = GraphState::Complete;
                }
                (8, Wire::Bytes) => self.opset(cur, f.end)?,
                (14, Wire::Bytes) => self.metadata(cur, f)?,
                (20, Wire::Bytes) => self.training_info(cur, f.end)?,
                (25, Wire::Bytes) => self.function(cur, f.end)?,
                _ => {}
            }
            Ok(())
        })
    }

    fn opset(&mut self, cur: &mut Cursor<'_>, end: u64) -> Result<(), Malformed> {
        let mut domain = String::new();
        let mut version: Option<i64> = None;
        each_field(cur, end, "OperatorSetIdProto", |cur, f| {
            match (f.number, f.wire) {
                (1, Wire::Bytes) => domain = text(cur, f, MAX_NAME, "opset `domain`")?.string(),
                (2, Wire::Varint(v)) => version = Some(v.cast_signed()),
                _ => {}
            }
            Ok(())
        })?;
        if self.opsets.len() < MAX_OPSETS {
            let domain = if domain.is_empty() {
                "ai.onnx".to_owned()
            } else {
                domain
            };
            self.opsets
                .push(json!({ "domain": domain, "version": version }));
        }
        Ok(())
    }

    fn metadata(&mut self, cur: &mut Cursor<'_>, field: &Field) -> Result<(), Malformed> {
        let key = entry(cur, field.end, "`metadata_props` entry")?
            .key
            .map(|k| k.string())
            .unwrap_or_default();
        if self.metadata_keys.contains(&key) {
            // The ONNX checker rejects a model whose metadata repeats a key.
            self.note(
                rules::NONCONFORMING,
                Severity::Warning,
                format!("`metadata_props` repeats the key `{}`", shown(&key)),
                field.at,
            );
        } else if self.metadata_keys.len() < MAX_METADATA_KEYS {
            self.metadata_keys.insert(key);
        }
        Ok(())
    }

    fn training_info(&mut self, cur: &mut Cursor<'_>, end: u64) -> Result<(), Malformed> {
        each_field(cur, end, "TrainingInfoProto", |cur, f| {
            if matches!(f.number, 1 | 2) && f.is_bytes() {
                self.graph(cur, f.end, 1)?;
            }
            Ok(())
        })
    }

    fn function(&mut self, cur: &mut Cursor<'_>, end: u64) -> Result<(), Malformed> {
        self.functions = self.functions.saturating_add(1);
        let mut name = String::new();
        let mut domain = String::new();
        each_field(cur, end, "FunctionProto", |cur, f| {
            match (f.number, f.wire) {
                (1, Wire::Bytes) => name = text(cur, f, MAX_NAME, "function `name`")?.string(),
                (10, Wire::Bytes) => domain = text(cur, f, MAX_NAME, "function `domain`")?.string(),
                // A function's body is not the main graph, like a subgraph.
                (7, Wire::Bytes) => self.node(cur, f, 1)?,
                _ => {}
            }
            Ok(())
        })?;
        if self.local_functions.len() < MAX_FUNCTIONS {
            self.local_functions.insert((domain, name));
        } else {
            self.full.custom_ops = true;
        }
        Ok(())
    }

    /// Walks a graph; `depth` 0 is the main graph, whose statistics are kept.
    fn graph(&mut self, cur: &mut Cursor<'_>, end: u64, depth: u32) -> Result<(), Malformed> {
        each_field(cur, end, "GraphProto", |cur, f| {
            match (f.number, f.wire) {
                (1, Wire::Bytes) => self.node(cur, f, depth)?,
                (2, Wire::Bytes) if depth == 0 => {
                    let name = text(cur, f, MAX_NAME, "graph `name`")?.string();
                    self.report.fact("graph_name", name);
                }
                (5, Wire::Bytes) => {
                    let tensor = self.tensor(cur, f.end, f.at, "initializer")?;
                    if depth == 0 {
                        self.count_initializer(&tensor);
                    }
                }
                (15, Wire::Bytes) => {
                    let elements = self.sparse_tensor(cur, f.end, f.at)?;
                    if depth == 0 {
                        self.main.sparse_initializers =
                            self.main.sparse_initializers.saturating_add(1);
                        self.add_parameters(elements);
                    }
                }
                _ => {}
            }
            Ok(())
        })
    }

    fn count_initializer(&mut self, tensor: &TensorSummary) {
        let stats = &mut self.main;
        stats.initializers = stats.initializers.saturating_add(1);
        let name = dtype_name(tensor.data_type);
        if stats.dtypes.len() < MAX_DTYPES || stats.dtypes.contains_key(&name) {
            bump(stats.dtypes.entry(name).or_default());
        } else {
            bump(stats.dtypes.entry("other".to_owned()).or_default());
        }
        self.add_parameters(tensor.elements);
    }

    fn add_parameters(&mut self, elements: Option<u64>) {
        self.main.parameters = self
            .main
            .parameters
            .and_then(|p| elements.and_then(|e| p.checked_add(e)));
    }

    fn node(&mut self, cur: &mut Cursor<'_>, field: &Field, depth: u32) -> Result<(), Malformed> {
        let (at, end) = (field.at, field.end);
        let mut op_type = String::new();
        let mut domain = String::new();
        each_field(cur, end, "NodeProto", |cur, f| {
            match f.number {
                4 => {
                    if let Some(s) = string_field(cur, f, "node `op_type`")? {
                        op_type = s;
                    }
                }
                7 => {
                    if let Some(s) = string_field(cur, f, "node `domain`")? {
                        domain = s;
                    }
                }
                5 if f.is_bytes() => self.attribute(cur, f.end, depth)?,
                _ => {}
            }
            Ok(())
        })?;
        if depth == 0 {
            let stats = &mut self.main;
            stats.nodes = stats.nodes.saturating_add(1);
            if let Some(count) = stats.op_types.get_mut(&op_type) {
                bump(count);
            } else if stats.op_types.len() < MAX_OP_TYPES {
                stats.op_types.insert(op_type.clone(), 1);
            } else {
                stats.op_types_other = stats.op_types_other.saturating_add(1);
            }
        }
        if !is_standard_domain(&domain) {
            if self.custom_ops.len() < MAX_CUSTOM_OPS {
                self.custom_ops.insert((domain.clone(), op_type));
            } else {
                self.full.custom_ops = true;
            }
            if self.custom_domains.len() < MAX_DOMAINS {
                self.custom_domains.entry(domain).or_insert(at);
            } else if !self.custom_domains.contains_key(&domain) {
                self.full.custom_domains = true;
            }
        }
        Ok(())
    }

    /// An attribute's tensors and subgraphs (the only parts that hold tensors or nodes).
    fn attribute(&mut self, cur: &mut Cursor<'_>, end: u64, depth: u32) -> Result<(), Malformed> {
        each_field(cur, end, "AttributeProto", |cur, f| {
            if !f.is_bytes() {
                return Ok(());
            }
            match f.number {
                5 | 10 => {
                    self.tensor(cur, f.end, f.at, "attribute tensor")?;
                }
                22 | 23 => {
                    self.sparse_tensor(cur, f.end, f.at)?;
                }
                6 | 11 => {
                    let inner = depth.saturating_add(1);
                    if inner > MAX_GRAPH_DEPTH {
                        return Err(Malformed::new(
                            f.at,
                            format!("graphs nested more than {MAX_GRAPH_DEPTH} deep"),
                        ));
                    }
                    self.graph(cur, f.end, inner)?;
                }
                _ => {}
            }
            Ok(())
        })
    }

    /// A `SparseTensorProto`: its dense element count; its `values` and `indices` may be external.
    fn sparse_tensor(
        &mut self,
        cur: &mut Cursor<'_>,
        end: u64,
        at: u64,
    ) -> Result<Option<u64>, Malformed> {
        let mut shape = Shape::new();
        each_field(cur, end, "SparseTensorProto", |cur, f| {
            match f.number {
                1 | 2 if f.is_bytes() => {
                    self.tensor(cur, f.end, f.at, "sparse tensor part")?;
                }
                3 => shape.field(cur, f)?,
                _ => {}
            }
            Ok(())
        })?;
        self.shape_problem(shape, "sparse tensor", at);
        Ok(shape.elements)
    }

    fn shape_problem(&mut self, shape: Shape, what: &str, at: u64) {
        let message = match shape.problem {
            None => return,
            Some(ShapeProblem::Negative(dim)) => format!("{what} has a negative dimension {dim}"),
            Some(ShapeProblem::Overflow) => format!("{what} has more than 2^64 elements"),
        };
        self.note(rules::NONCONFORMING, Severity::Warning, message, at);
    }

    /// A `TensorProto`: shape, data type and external data, seeking past every payload.
    fn tensor(
        &mut self,
        cur: &mut Cursor<'_>,
        end: u64,
        at: u64,
        what: &str,
    ) -> Result<TensorSummary, Malformed> {
        let mut shape = Shape::new();
        let mut data_type = 0i32;
        let mut name = String::new();
        let mut marked_external = false;
        // The last `location` and `length` win, as in `onnx.external_data_helper`.
        let mut location: Option<(String, u64)> = None;
        let mut length: Option<u64> = None;
        each_field(cur, end, "TensorProto", |cur, f| {
            match (f.number, f.wire) {
                (1, _) => shape.field(cur, f)?,
                // int32 on the wire: the low 32 bits of the varint.
                (2, Wire::Varint(v)) => {
                    data_type = u32::try_from(v & 0xffff_ffff).unwrap_or(0).cast_signed();
                }
                (8, Wire::Bytes) => name = text(cur, f, MAX_NAME, "tensor `name`")?.string(),
                (13, Wire::Bytes) => {
                    let Entry { key, value } = entry(cur, f.end, "`external_data` entry")?;
                    let (value, value_at) = match value {
                        Some((value, value_at)) => (value, value_at),
                        None => (
                            Text {
                                bytes: Vec::new(),
                                len: 0,
                            },
                            f.at,
                        ),
                    };
                    match key.as_ref().map(|k| k.bytes.as_slice()) {
                        Some(b"location") => {
                            if let Some(loc) = self.location(&value, value_at) {
                                location = Some((loc, value_at));
                            }
                        }
                        Some(b"length") => {
                            length = std::str::from_utf8(&value.bytes)
                                .ok()
                                .and_then(|s| s.trim().parse().ok());
                        }
                        _ => {}
                    }
                }
                (14, Wire::Varint(v)) => marked_external = v == EXTERNAL,
                _ => {}
            }
            Ok(())
        })?;
        let label = if name.is_empty() {
            what.to_owned()
        } else {
            format!("{what} `{}`", shown(&name))
        };
        self.shape_problem(shape, &label, at);
        match location {
            Some((location, location_at)) => self.add_external(location, length, location_at),
            None if marked_external => {
                self.note(
                    rules::NONCONFORMING,
                    Severity::Warning,
                    format!("{label} is stored externally but names no `location`"),
                    at,
                );
            }
            None => {}
        }
        Ok(TensorSummary {
            elements: shape.elements,
            data_type,
        })
    }

    /// Checks one external data location; returns it when it can be listed.
    fn location(&mut self, value: &Text, at: u64) -> Option<String> {
        let shown_location = shown(&value.string());
        if value.len > MAX_LOCATION {
            self.note(
                rules::NONCONFORMING,
                Severity::Warning,
                format!(
                    "external data `location` of {} bytes is longer than any file path",
                    value.len
                ),
                at,
            );
            return None;
        }
        if value.bytes.is_empty() {
            self.note(
                rules::NONCONFORMING,
                Severity::Warning,
                "external data `location` is empty".to_owned(),
                at,
            );
            return None;
        }
        if let Some(reason) = escape_reason(&value.bytes)
            && !self.escaping.contains(&value.bytes)
        {
            if self.escaping.len() < MAX_LOCATIONS {
                self.escaping.insert(value.bytes.clone());
            }
            self.note(
                rules::ESCAPING_REFERENCE,
                Severity::Error,
                format!(
                    "external data `location` `{shown_location}` {reason}: loading would read a file outside the model's folder"
                ),
                at,
            );
        }
        Some(value.string())
    }

    fn add_external(&mut self, location: String, length: Option<u64>, at: u64) {
        if let Some(file) = self.external.get_mut(&location) {
            file.tensors = file.tensors.saturating_add(1);
            file.length = file
                .length
                .and_then(|total| length.and_then(|l| total.checked_add(l)));
        } else if self.external.len() < MAX_LOCATIONS {
            self.external.insert(
                location,
                ExternalFile {
                    tensors: 1,
                    length,
                    at,
                },
            );
        } else {
            self.full.external = true;
        }
    }

    /// Records the facts gathered and the findings that need the whole walk. Main-graph
    /// statistics are recorded only when the graph was read to its end (partial counts would
    /// mislead); lists of what was seen are recorded even after an error.
    fn finish(mut self, complete: bool) {
        if !self.opsets.is_empty() {
            self.report.fact("opset_import", &self.opsets);
        }
        if self.main_state == GraphState::Complete {
            let stats = &self.main;
            self.report.fact("node_count", stats.nodes);
            self.report.fact("op_types", &stats.op_types);
            if stats.op_types_other > 0 {
                self.report.fact("op_types_other", stats.op_types_other);
            }
            self.report.fact("initializer_count", stats.initializers);
            if stats.sparse_initializers > 0 {
                self.report
                    .fact("sparse_initializer_count", stats.sparse_initializers);
            }
            if let Some(parameters) = stats.parameters {
                self.report.fact("parameters", parameters);
            }
            if !stats.dtypes.is_empty() {
                self.report.fact("initializer_dtypes", &stats.dtypes);
            }
        }
        if !self.metadata_keys.is_empty() {
            self.report.fact("metadata_keys", &self.metadata_keys);
        }
        if self.functions > 0 {
            self.report.fact("functions", self.functions);
        }
        self.custom_domain_findings();
        self.external_findings();
        if complete {
            if !self.saw_ir_version {
                self.report.note(
                    rules::NONCONFORMING,
                    Severity::Warning,
                    "the model has no `ir_version`",
                    Some(0),
                );
            }
            if self.main_state == GraphState::Absent {
                self.report.note(
                    rules::NONCONFORMING,
                    Severity::Warning,
                    "the model has no `graph`",
                    Some(0),
                );
            }
        }
        for count in &self.notes {
            if count.held > 0 {
                self.report.note(
                    count.rule,
                    count.severity,
                    format!(
                        "{} more findings like the above in this file are not listed",
                        count.held
                    ),
                    None,
                );
            }
        }
    }

    fn custom_domain_findings(&mut self) {
        if self.custom_domains.is_empty() {
            return;
        }
        let domains: Vec<&String> = self.custom_domains.keys().collect();
        self.report.fact("custom_domains", &domains);
        // A domain whose every operator is a function defined in the model needs no library.
        let needs_library: Vec<(&String, u64)> = self
            .custom_domains
            .iter()
            .filter(|(domain, _)| {
                self.full.custom_ops
                    || self.custom_ops.iter().any(|(d, op)| {
                        d == *domain && !self.local_functions.contains(&(d.clone(), op.clone()))
                    })
            })
            .map(|(domain, at)| (domain, *at))
            .collect();
        let Some(first) = needs_library.iter().map(|(_, at)| *at).min() else {
            return;
        };
        let mut names: Vec<String> = needs_library
            .iter()
            .map(|(d, _)| format!("`{}`", shown(d)))
            .collect();
        if self.full.custom_domains {
            names.push("and more".to_owned());
        }
        let message = format!(
            "nodes use operators outside the ONNX standard, in {}: loading needs a runtime that implements them, usually a custom-op library (native code)",
            names.join(", ")
        );
        self.report.note(
            rules::SUSPICIOUS_IMPORT,
            Severity::Warning,
            message,
            Some(first),
        );
    }

    fn external_findings(&mut self) {
        if self.external.is_empty() {
            return;
        }
        let list: Vec<Value> = self
            .external
            .iter()
            .map(|(location, file)| {
                let mut entry = json!({ "location": location, "tensors": file.tensors });
                if let (Some(length), Some(map)) = (file.length, entry.as_object_mut()) {
                    map.insert("length".to_owned(), json!(length));
                }
                entry
            })
            .collect();
        self.report.fact("external_data", &list);
        let first = self.external.values().map(|f| f.at).min();
        let listed = self.external.len();
        let mut names: Vec<String> = self
            .external
            .keys()
            .take(NAMED_LOCATIONS)
            .map(|l| format!("`{}`", shown(l)))
            .collect();
        if self.full.external {
            names.push("and more".to_owned());
        } else if listed > NAMED_LOCATIONS {
            names.push(format!("and {} more", listed - NAMED_LOCATIONS));
        }
        let count = if self.full.external {
            format!("more than {listed}")
        } else {
            listed.to_string()
        };
        let files = if listed == 1 && !self.full.external {
            "file"
        } else {
            "files"
        };
        self.report.note(
            rules::NOTE,
            Severity::Info,
            format!(
                "tensors are stored in {count} external data {files} that must sit beside the model: {}",
                names.join(", ")
            ),
            first,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    // Protobuf encoding, written out by hand so the tests do not share code with the walker.

    fn varint_bytes(mut v: u64) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let low = u8::try_from(v & 0x7f).unwrap();
            v >>= 7;
            if v == 0 {
                out.push(low);
                return out;
            }
            out.push(low | 0x80);
        }
    }

    fn int(number: u64, v: u64) -> Vec<u8> {
        let mut out = varint_bytes(number << 3);
        out.extend(varint_bytes(v));
        out
    }

    fn len(number: u64, payload: impl AsRef<[u8]>) -> Vec<u8> {
        let payload = payload.as_ref();
        let mut out = varint_bytes((number << 3) | 2);
        out.extend(varint_bytes(payload.len() as u64));
        out.extend_from_slice(payload);
        out
    }

    fn cat(parts: &[Vec<u8>]) -> Vec<u8> {
        parts.concat()
    }

    fn node(op_type: &str, domain: &str) -> Vec<u8> {
        cat(&[len(1, "x"), len(2, "y"), len(4, op_type), len(7, domain)])
    }

    fn entry(key: &str, value: impl AsRef<[u8]>) -> Vec<u8> {
        cat(&[len(1, key), len(2, value)])
    }

    /// A FLOAT tensor with unpacked `dims` and `raw_data` of the right size.
    fn raw_tensor(name: &str, dims: &[u64]) -> Vec<u8> {
        let mut parts: Vec<Vec<u8>> = dims.iter().map(|d| int(1, *d)).collect();
        let elements: u64 = dims.iter().product();
        parts.push(int(2, 1));
        parts.push(len(8, name));
        parts.push(len(9, vec![0u8; usize::try_from(elements * 4).unwrap()]));
        cat(&parts)
    }

    fn external_tensor(name: &str, location: impl AsRef<[u8]>) -> Vec<u8> {
        cat(&[
            int(1, 4),
            int(2, 1),
            len(8, name),
            len(13, entry("location", location)),
            len(13, entry("offset", "0")),
            len(13, entry("length", "16")),
            int(14, 1),
        ])
    }

    fn opset(domain: &str, version: u64) -> Vec<u8> {
        cat(&[len(1, domain), int(2, version)])
    }

    fn model(graph: &[u8]) -> Vec<u8> {
        cat(&[
            int(1, 10),
            len(2, "test"),
            len(7, graph),
            len(8, opset("", 21)),
        ])
    }

    fn run(data: &[u8]) -> (Report, Result<(), Malformed>) {
        let mut report = Report::default();
        let result = inspect(Source::bytes(data), &mut report);
        (report, result)
    }

    fn notes(report: &Report, rule: &str) -> Vec<(Severity, String, Option<u64>)> {
        report
            .notes
            .iter()
            .filter(|n| n.rule == rule)
            .map(|n| (n.severity, n.message.clone(), n.offset))
            .collect()
    }

    fn fact<'a>(report: &'a Report, key: &str) -> &'a Value {
        report
            .facts
            .get(key)
            .unwrap_or_else(|| panic!("no fact `{key}` in {:?}", report.facts))
    }

    #[test]
    fn minimal_model_facts() {
        let graph = cat(&[
            len(1, node("MatMul", "")),
            len(1, node("Relu", "")),
            len(1, node("Relu", "ai.onnx")),
            len(2, "main"),
            len(5, raw_tensor("w", &[2, 3])),
            len(
                5,
                cat(&[len(1, varint_bytes(5)), int(2, 7), len(8, "shape")]),
            ),
        ]);
        let data = cat(&[
            int(1, 9),
            len(2, "pytorch"),
            len(3, "2.9.0"),
            len(4, "org.example"),
            int(5, 3),
            len(7, graph),
            len(8, opset("", 17)),
            len(8, opset("ai.onnx.ml", 3)),
            len(14, entry("license", "mit")),
            len(14, entry("author", "someone")),
        ]);
        let (report, result) = run(&data);
        assert_eq!(result, Ok(()));
        let expected = json!({
            "ir_version": 9,
            "producer_name": "pytorch",
            "producer_version": "2.9.0",
            "domain": "org.example",
            "model_version": 3,
            "graph_name": "main",
            "node_count": 3,
            "op_types": {"MatMul": 1, "Relu": 2},
            "initializer_count": 2,
            "parameters": 11,
            "initializer_dtypes": {"FLOAT": 1, "INT64": 1},
            "opset_import": [
                {"domain": "ai.onnx", "version": 17},
                {"domain": "ai.onnx.ml", "version": 3}
            ],
            "metadata_keys": ["author", "license"],
        });
        assert_eq!(serde_json::to_value(&report.facts).unwrap(), expected);
        assert_eq!(report.notes, vec![]);
    }

    #[test]
    fn fields_in_any_order_give_the_same_facts() {
        // Graph name after the nodes, opsets and metadata before the graph, packed `dims`.
        let tensor = cat(&[
            len(8, "w"),
            int(2, 16),
            len(1, cat(&[varint_bytes(4), varint_bytes(300)])),
        ]);
        let graph = cat(&[len(5, tensor), len(1, node("Gemm", "")), len(2, "g")]);
        let data = cat(&[len(8, opset("", 13)), len(7, graph), int(1, 8)]);
        let (report, result) = run(&data);
        assert_eq!(result, Ok(()));
        assert_eq!(fact(&report, "ir_version"), &json!(8));
        assert_eq!(fact(&report, "graph_name"), &json!("g"));
        assert_eq!(fact(&report, "parameters"), &json!(1200));
        assert_eq!(fact(&report, "initializer_dtypes"), &json!({"BFLOAT16": 1}));
        assert_eq!(fact(&report, "op_types"), &json!({"Gemm": 1}));
    }

    #[test]
    fn a_repeated_graph_merges_like_protobuf() {
        let data = cat(&[
            len(7, cat(&[len(1, node("Add", "")), len(2, "first")])),
            len(7, cat(&[len(1, node("Add", "")), len(2, "second")])),
            int(1, 7),
        ]);
        let (report, result) = run(&data);
        assert_eq!(result, Ok(()));
        assert_eq!(fact(&report, "node_count"), &json!(2));
        assert_eq!(fact(&report, "graph_name"), &json!("second"));
    }

    #[test]
    fn a_length_past_the_end_is_malformed_and_earlier_facts_stay() {
        let data = cat(&[int(1, 7), vec![0x3a, 10], b"abc".to_vec()]);
        let (report, result) = run(&data);
        assert_eq!(
            result,
            Err(Malformed::new(
                2,
                "`ModelProto` field 7: 10 bytes declared, but only 3 remain in the message"
            ))
        );
        assert_eq!(fact(&report, "ir_version"), &json!(7));
        assert!(
            !report.facts.contains_key("node_count"),
            "no counts from a graph that was not read"
        );
    }

    #[test]
    fn a_length_is_bounded_by_its_message_not_by_the_file() {
        // The graph is 4 bytes long; the node inside it claims 10, which the file still has.
        let data = cat(&[
            len(7, [0x0a, 10, 0, 0]),
            len(6, "a doc string that follows"),
        ]);
        let (_, result) = run(&data);
        assert_eq!(
            result,
            Err(Malformed::new(
                2,
                "`GraphProto` field 1: 10 bytes declared, but only 2 remain in the message"
            ))
        );
    }

    #[test]
    fn a_varint_of_more_than_10_bytes_is_malformed() {
        let mut data = vec![0x08];
        data.extend([0xff; 10]);
        data.push(0x01);
        let (_, result) = run(&data);
        assert_eq!(
            result,
            Err(Malformed::new(
                1,
                "`ModelProto` field 1: varint is longer than 10 bytes"
            ))
        );

        let mut data = vec![0x08];
        data.extend([0xff; 9]);
        data.push(0x02);
        let (_, result) = run(&data);
        assert_eq!(
            result,
            Err(Malformed::new(
                1,
                "`ModelProto` field 1: varint overflows 64 bits"
            ))
        );

        // The largest value still fits: ten bytes ending in 0x01.
        let mut data = vec![0x08];
        data.extend([0xff; 9]);
        data.push(0x01);
        let (report, result) = run(&data);
        assert_eq!(result, Ok(()));
        assert_eq!(fact(&report, "ir_version"), &json!(-1));
    }

    #[test]
    fn a_varint_cut_by_its_message_end_is_malformed() {
        // A graph of one byte holding the start of a tag.
        let data = cat(&[len(7, [0x88]), int(1, 7)]);
        let (_, result) = run(&data);
        assert_eq!(
            result,
            Err(Malformed::new(
                2,
                "`GraphProto` field tag: varint runs past the end of its message"
            ))
        );
    }

    #[test]
    fn groups_and_unknown_wire_types_are_malformed() {
        let (_, result) = run(&[0x08, 0x07, 0x3b, 0x3c]);
        assert_eq!(
            result,
            Err(Malformed::new(
                2,
                "`ModelProto` field 7: group (wire type 3) is not allowed in ONNX"
            ))
        );
        let (_, result) = run(&[0x0c]);
        assert_eq!(
            result,
            Err(Malformed::new(
                0,
                "`ModelProto` field 1: group (wire type 4) is not allowed in ONNX"
            ))
        );
        let (_, result) = run(&[0x0e]);
        assert_eq!(
            result,
            Err(Malformed::new(
                0,
                "`ModelProto` field 1: invalid wire type 6"
            ))
        );
        let (_, result) = run(&len(7, [0x0f]));
        assert_eq!(
            result,
            Err(Malformed::new(
                2,
                "`GraphProto` field 1: invalid wire type 7"
            ))
        );
        let (_, result) = run(&[0x02, 0x00]);
        assert_eq!(
            result,
            Err(Malformed::new(
                0,
                "`ModelProto`: field number 0 is out of range"
            ))
        );
    }

    #[test]
    fn a_huge_declared_length_fails_before_anything_is_read() {
        for number in [6u64, 7] {
            let mut data = varint_bytes((number << 3) | 2);
            data.extend(varint_bytes(1 << 60));
            let (_, result) = run(&data);
            assert_eq!(
                result,
                Err(Malformed::new(
                    0,
                    format!(
                        "`ModelProto` field {number}: 1152921504606846976 bytes declared, but only 0 remain in the message"
                    )
                ))
            );
        }
        // Inside a tensor: `raw_data` claims 2^60 bytes within a 12-byte message.
        let tensor = cat(&[int(2, 1), varint_bytes((9 << 3) | 2), varint_bytes(1 << 60)]);
        let (_, result) = run(&model(&len(5, tensor)));
        let err = result.unwrap_err();
        assert!(
            err.message
                .starts_with("`TensorProto` field 9: 1152921504606846976 bytes declared"),
            "{err}"
        );
    }

    #[test]
    fn fixed_width_fields_are_skipped_and_bounded() {
        // A float attribute (fixed32) and an unknown fixed64 field, then one cut short.
        let attribute = cat(&[
            len(1, "alpha"),
            vec![0x15, 0, 0, 0x80, 0x3f],
            vec![0x19],
            vec![0; 8],
        ]);
        let graph = len(1, cat(&[len(4, "LeakyRelu"), len(5, attribute)]));
        let (report, result) = run(&model(&graph));
        assert_eq!(result, Ok(()));
        assert_eq!(fact(&report, "op_types"), &json!({"LeakyRelu": 1}));
        let (_, result) = run(&[0x09, 0, 0, 0]);
        assert_eq!(
            result,
            Err(Malformed::new(
                0,
                "`ModelProto` field 1: 8-byte value, but only 3 bytes remain in the message"
            ))
        );
    }

    #[test]
    fn known_fields_with_another_wire_type_are_unknown_fields() {
        // `graph` as a varint and `ir_version` as bytes: protobuf skips both.
        let data = cat(&[int(7, 5), len(1, "x")]);
        let (report, result) = run(&data);
        assert_eq!(result, Ok(()));
        assert!(report.facts.is_empty(), "{:?}", report.facts);
        let rules: Vec<&str> = report.notes.iter().map(|n| n.rule).collect();
        assert_eq!(rules, [rules::NONCONFORMING, rules::NONCONFORMING]);
        assert_eq!(report.notes[1].message, "the model has no `graph`");
    }

    /// A model whose main graph holds `extra` nested subgraphs (node attribute `g`), and the
    /// offset of the innermost `g` field.
    fn nested(extra: u32) -> (Vec<u8>, u64) {
        let name = len(1, "then_branch");
        let mut graph = len(1, node("Identity", ""));
        for _ in 0..extra {
            let attribute = cat(&[name.clone(), len(6, &graph)]);
            graph = len(1, cat(&[len(4, "If"), len(5, attribute)]));
        }
        let data = cat(&[int(1, 10), len(7, &graph)]);
        // Each attribute's name comes before its graph, so the innermost name is the last one.
        let last_name = data
            .windows(name.len())
            .rposition(|w| w == name.as_slice())
            .unwrap();
        (data, (last_name + name.len()) as u64)
    }

    #[test]
    fn nesting_is_bounded() {
        let (data, _) = nested(MAX_GRAPH_DEPTH);
        let (report, result) = run(&data);
        assert_eq!(result, Ok(()));
        assert_eq!(fact(&report, "node_count"), &json!(1));
        let (data, at) = nested(MAX_GRAPH_DEPTH + 1);
        let (report, result) = run(&data);
        assert_eq!(
            result,
            Err(Malformed::new(at, "graphs nested more than 32 deep"))
        );
        assert_eq!(
            fact(&report, "ir_version"),
            &json!(10),
            "facts before the error stay"
        );
    }

    #[test]
    fn subgraphs_and_attribute_tensors_are_searched_but_not_counted() {
        let constant = cat(&[
            len(4, "Constant"),
            len(
                5,
                cat(&[len(1, "value"), len(5, external_tensor("c", "/abs.bin"))]),
            ),
        ]);
        let body = cat(&[
            len(1, node("Custom", "com.example")),
            len(5, raw_tensor("inner", &[10])),
            len(1, constant),
        ]);
        let branch = cat(&[
            len(4, "If"),
            len(5, cat(&[len(1, "then_branch"), len(6, body)])),
        ]);
        let (report, result) = run(&model(&len(1, branch)));
        assert_eq!(result, Ok(()));
        assert_eq!(fact(&report, "node_count"), &json!(1));
        assert_eq!(fact(&report, "op_types"), &json!({"If": 1}));
        assert_eq!(fact(&report, "initializer_count"), &json!(0));
        assert_eq!(fact(&report, "parameters"), &json!(0));
        assert_eq!(fact(&report, "custom_domains"), &json!(["com.example"]));
        assert_eq!(
            fact(&report, "external_data"),
            &json!([{"location": "/abs.bin", "tensors": 1, "length": 16}])
        );
        assert_eq!(notes(&report, rules::ESCAPING_REFERENCE).len(), 1);
        assert_eq!(notes(&report, rules::SUSPICIOUS_IMPORT).len(), 1);
    }

    /// The offset of the `value` field of the first `location` entry in `data`.
    fn location_value_at(data: &[u8], location: &[u8]) -> u64 {
        let needle = len(2, location);
        data.windows(needle.len())
            .position(|w| w == needle.as_slice())
            .unwrap() as u64
    }

    #[test]
    fn external_data_escaping_the_model_folder_is_an_error() {
        let cases: [(&[u8], &str); 7] = [
            (b"../../etc/passwd", "has a `..` component"),
            (b"/etc/passwd", "is an absolute path"),
            (b"weights/../../../x.bin", "has a `..` component"),
            (b"..", "has a `..` component"),
            (b"..\\x.bin", "contains a backslash"),
            (b"w.bin\0.txt", "contains a NUL byte"),
            (b"C:/x.bin", "starts with a drive letter"),
        ];
        for (location, reason) in cases {
            let data = model(&len(5, external_tensor("w", location)));
            let (report, result) = run(&data);
            assert_eq!(result, Ok(()));
            let shown_location = shown(&String::from_utf8_lossy(location));
            assert_eq!(
                notes(&report, rules::ESCAPING_REFERENCE),
                vec![(
                    Severity::Error,
                    format!(
                        "external data `location` `{shown_location}` {reason}: loading would read a file outside the model's folder"
                    ),
                    Some(location_value_at(&data, location)),
                )],
                "{shown_location}"
            );
            assert_eq!(notes(&report, rules::NOTE).len(), 1);
        }
    }

    #[test]
    fn external_data_inside_the_folder_is_a_note() {
        let graph = cat(&[
            len(5, external_tensor("a", "weights.bin")),
            len(5, external_tensor("b", "weights.bin")),
            len(5, external_tensor("c", "more/other..name.bin")),
            len(
                5,
                cat(&[
                    len(8, "d"),
                    len(13, entry("location", "nolength.bin")),
                    int(14, 1),
                ]),
            ),
        ]);
        let data = model(&graph);
        let (report, result) = run(&data);
        assert_eq!(result, Ok(()));
        assert_eq!(
            fact(&report, "external_data"),
            &json!([
                {"location": "more/other..name.bin", "tensors": 1, "length": 16},
                {"location": "nolength.bin", "tensors": 1},
                {"location": "weights.bin", "tensors": 2, "length": 32},
            ])
        );
        assert_eq!(
            fact(&report, "parameters"),
            &json!(13),
            "three tensors of 4 elements, and `d` with no dims is a scalar"
        );
        assert_eq!(
            notes(&report, rules::NOTE),
            vec![(
                Severity::Info,
                "tensors are stored in 3 external data files that must sit beside the model: `more/other..name.bin`, `nolength.bin`, `weights.bin`".to_owned(),
                Some(location_value_at(&data, b"weights.bin")),
            )]
        );
        assert!(notes(&report, rules::ESCAPING_REFERENCE).is_empty());
    }

    #[test]
    fn an_external_tensor_without_location_is_nonconforming() {
        let data = model(&len(5, cat(&[len(8, "w"), int(14, 1)])));
        let (report, result) = run(&data);
        assert_eq!(result, Ok(()));
        // The offset is the initializer field's, the first byte of the graph (after 10 bytes).
        assert_eq!(
            notes(&report, rules::NONCONFORMING),
            vec![(
                Severity::Warning,
                "initializer `w` is stored externally but names no `location`".to_owned(),
                Some(10)
            )]
        );
        assert!(!report.facts.contains_key("external_data"));
    }

    #[test]
    fn custom_domains_warn_unless_local_functions_define_them() {
        let graph = cat(&[
            len(1, node("Attention", "com.microsoft")),
            len(1, node("Block", "local.fn")),
            len(1, node("Gradient", "ai.onnx.preview.training")),
            len(1, node("LabelEncoder", "ai.onnx.ml")),
        ]);
        let function = cat(&[
            len(1, "Block"),
            len(10, "local.fn"),
            len(7, node("Relu", "")),
        ]);
        let data = cat(&[model(&graph), len(25, function)]);
        let (report, result) = run(&data);
        assert_eq!(result, Ok(()));
        assert_eq!(
            fact(&report, "custom_domains"),
            &json!(["com.microsoft", "local.fn"])
        );
        assert_eq!(fact(&report, "functions"), &json!(1));
        let warnings = notes(&report, rules::SUSPICIOUS_IMPORT);
        assert_eq!(warnings.len(), 1);
        assert_eq!(
            warnings[0].1,
            "nodes use operators outside the ONNX standard, in `com.microsoft`: loading needs a runtime that implements them, usually a custom-op library (native code)"
        );
    }

    #[test]
    fn shapes_that_cannot_be_counted_are_nonconforming() {
        let huge = cat(&[int(1, 1 << 40), int(1, 1 << 40), len(8, "big")]);
        let negative = cat(&[int(1, (-3i64).cast_unsigned()), len(8, "neg")]);
        let graph = cat(&[
            len(5, huge),
            len(5, negative),
            len(5, raw_tensor("ok", &[2])),
        ]);
        let (report, result) = run(&model(&graph));
        assert_eq!(result, Ok(()));
        let messages: Vec<String> = notes(&report, rules::NONCONFORMING)
            .into_iter()
            .map(|n| n.1)
            .collect();
        assert_eq!(
            messages,
            [
                "initializer `big` has more than 2^64 elements",
                "initializer `neg` has a negative dimension -3"
            ]
        );
        assert_eq!(fact(&report, "initializer_count"), &json!(3));
        assert!(
            !report.facts.contains_key("parameters"),
            "an unknown count is left out, not guessed"
        );
    }

    #[test]
    fn sparse_initializers_count_their_dense_shape() {
        let sparse = cat(&[
            len(1, raw_tensor("values", &[3])),
            len(2, raw_tensor("indices", &[3])),
            int(3, 10),
            int(3, 10),
        ]);
        let (report, result) = run(&model(&cat(&[
            len(15, sparse),
            len(5, raw_tensor("w", &[4])),
        ])));
        assert_eq!(result, Ok(()));
        assert_eq!(fact(&report, "sparse_initializer_count"), &json!(1));
        assert_eq!(fact(&report, "initializer_count"), &json!(1));
        assert_eq!(fact(&report, "parameters"), &json!(104));
    }

    #[test]
    fn collections_are_bounded() {
        let mut graph = Vec::new();
        for i in 0..300 {
            graph.extend(len(1, node(&format!("Op{i}"), "")));
        }
        for i in 0..40 {
            graph.extend(len(5, external_tensor("w", format!("../{i}.bin"))));
        }
        let (report, result) = run(&model(&graph));
        assert_eq!(result, Ok(()));
        assert_eq!(fact(&report, "node_count"), &json!(300));
        assert_eq!(
            fact(&report, "op_types").as_object().unwrap().len(),
            MAX_OP_TYPES
        );
        assert_eq!(fact(&report, "op_types_other"), &json!(300 - MAX_OP_TYPES));
        let escaping = notes(&report, rules::ESCAPING_REFERENCE);
        assert_eq!(escaping.len(), 17, "16 listed, then a summary");
        assert_eq!(
            escaping[16],
            (
                Severity::Error,
                "24 more findings like the above in this file are not listed".to_owned(),
                None
            )
        );
        assert_eq!(
            notes(&report, rules::NOTE)[0].1,
            "tensors are stored in 40 external data files that must sit beside the model: `../0.bin`, `../1.bin`, `../10.bin`, `../11.bin`, `../12.bin`, and 35 more"
        );
    }

    #[test]
    fn raw_data_is_skipped_not_read() {
        use std::io::Write;
        // 300 MB of `raw_data` (a sparse file): reading it would exceed the 100 MB read cap.
        let payload: u64 = 300 * 1000 * 1000;
        let mut tensor = cat(&[int(1, payload / 4), int(2, 1), len(8, "big")]);
        tensor.extend(varint_bytes((9 << 3) | 2));
        tensor.extend(varint_bytes(payload));
        let tensor_len = tensor.len() as u64 + payload;
        let mut graph = varint_bytes((5 << 3) | 2);
        graph.extend(varint_bytes(tensor_len));
        graph.extend(&tensor);
        let graph_len = graph.len() as u64 + payload;
        let mut head = int(1, 10);
        head.extend(varint_bytes((7 << 3) | 2));
        head.extend(varint_bytes(graph_len));
        head.extend(&graph);
        let tail = cat(&[len(8, opset("", 21)), len(14, entry("k", "v"))]);

        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&head).unwrap();
        let size = head.len() as u64 + payload + tail.len() as u64;
        file.set_len(size - tail.len() as u64).unwrap();
        std::io::Seek::seek(&mut file, std::io::SeekFrom::End(0)).unwrap();
        file.write_all(&tail).unwrap();

        let mut report = Report::default();
        assert_eq!(inspect(Source::file(&file, size), &mut report), Ok(()));
        assert_eq!(fact(&report, "parameters"), &json!(payload / 4));
        assert_eq!(fact(&report, "metadata_keys"), &json!(["k"]));
    }

    #[test]
    fn empty_and_repeated_metadata() {
        let (report, result) = run(&[]);
        assert_eq!(result, Ok(()));
        let messages: Vec<String> = notes(&report, rules::NONCONFORMING)
            .into_iter()
            .map(|n| n.1)
            .collect();
        assert_eq!(
            messages,
            ["the model has no `ir_version`", "the model has no `graph`"]
        );

        let data = cat(&[
            model(&[]),
            len(14, entry("k", "1")),
            len(14, entry("k", "2")),
        ]);
        let (report, _) = run(&data);
        assert_eq!(fact(&report, "metadata_keys"), &json!(["k"]));
        let messages: Vec<String> = notes(&report, rules::NONCONFORMING)
            .into_iter()
            .map(|n| n.1)
            .collect();
        assert_eq!(messages, ["`metadata_props` repeats the key `k`"]);
    }

    #[test]
    fn dtype_names() {
        assert_eq!(dtype_name(1), "FLOAT");
        assert_eq!(dtype_name(16), "BFLOAT16");
        assert_eq!(dtype_name(28), "FLOAT6E3M2");
        assert_eq!(dtype_name(29), "type_29");
        assert_eq!(dtype_name(-1), "type_-1");
    }

    fn sample() -> Vec<u8> {
        let graph = cat(&[
            len(1, node("Conv", "")),
            len(1, node("Mine", "x.y")),
            len(5, raw_tensor("w", &[2, 2])),
            len(5, external_tensor("e", "../e.bin")),
            len(15, cat(&[len(1, raw_tensor("v", &[1])), int(3, 4)])),
        ]);
        cat(&[
            model(&graph),
            len(14, entry("a", "b")),
            len(25, cat(&[len(1, "f"), len(7, node("Relu", ""))])),
        ])
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = run(&bytes);
        }

        #[test]
        fn mutated_models_never_panic(
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
            cut in any::<prop::sample::Index>(),
        ) {
            let mut bytes = sample();
            for (i, b) in edits {
                let i = i.index(bytes.len());
                bytes[i] = b;
            }
            let cut = cut.index(bytes.len() + 1);
            bytes.truncate(cut);
            let _ = run(&bytes);
        }
    }
}
