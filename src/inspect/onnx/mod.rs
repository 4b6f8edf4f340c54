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

mod wire;

use wire::{Entry, Field, Text, Wire, each_field, entry, string_field, text, varint, within};

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
    /// Initializers per data type.
    dtypes: BTreeMap<String, u64>,
    /// Elements per data type, sparse initializers under their values' type: the same set as
    /// `parameters`, so that a quantised model shows as one.
    elements: BTreeMap<String, u64>,
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
                    let (elements, data_type) = self.sparse_tensor(cur, f.end, f.at)?;
                    if depth == 0 {
                        self.main.sparse_initializers =
                            self.main.sparse_initializers.saturating_add(1);
                        self.add_parameters(data_type, elements);
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
        self.add_parameters(Some(tensor.data_type), tensor.elements);
    }

    fn add_parameters(&mut self, data_type: Option<i32>, elements: Option<u64>) {
        let stats = &mut self.main;
        stats.parameters = stats
            .parameters
            .and_then(|p| elements.and_then(|e| p.checked_add(e)));
        if let Some(e) = elements {
            let name = data_type.map_or_else(|| "UNDEFINED".to_owned(), dtype_name);
            let key = if stats.elements.len() < MAX_DTYPES || stats.elements.contains_key(&name) {
                name
            } else {
                "other".to_owned()
            };
            let n = stats.elements.entry(key).or_default();
            *n = n.saturating_add(e);
        }
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
    ) -> Result<(Option<u64>, Option<i32>), Malformed> {
        let mut shape = Shape::new();
        let mut data_type = None;
        each_field(cur, end, "SparseTensorProto", |cur, f| {
            match f.number {
                1 if f.is_bytes() => {
                    data_type = Some(
                        self.tensor(cur, f.end, f.at, "sparse tensor part")?
                            .data_type,
                    );
                }
                2 if f.is_bytes() => {
                    self.tensor(cur, f.end, f.at, "sparse tensor part")?;
                }
                3 => shape.field(cur, f)?,
                _ => {}
            }
            Ok(())
        })?;
        self.shape_problem(shape, "sparse tensor", at);
        Ok((shape.elements, data_type))
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
                if !stats.elements.is_empty() {
                    self.report.fact("dtypes", &stats.elements);
                }
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
mod tests;
