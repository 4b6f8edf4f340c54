//! What rule expressions see: the names of DESIGN.md §3.5 built from a manifest, as CEL values.
//!
//! `declared` is the publisher's declaration with every schema field present: a missing section
//! is an empty section, a missing list an empty list and a missing value `null`, so a rule reads
//! `declared.copyright.policy != null` without guarding each level. Numbers keep their kind
//! (integers from files, doubles for figures declared as `number`). Everything is converted
//! once per check, however many packs and rules run.

use std::collections::HashMap;
use std::sync::Arc;

use cel::objects::{Key, Value as Cel};
use cel::{Context, ExecutionError};
use serde_json::{Map, Value};

use super::derived::FileView;
use super::{derived, expr, functions};
use crate::manifest::schema::{Field, Schema, Ty, common_ref_fields};
use crate::manifest::{FileDigest, Predicate, Record, Statement};

/// The shape of a scanned or derived fact, for checking field names when a pack loads.
#[derive(Debug)]
pub enum Shape {
    /// Anything (free-form facts).
    Any,
    /// A number, string, boolean or null.
    Leaf,
    List(&'static Shape),
    Obj(&'static [(&'static str, Shape)]),
}

const FINDING: Shape = Shape::Obj(&[
    ("rule", Shape::Leaf),
    ("severity", Shape::Leaf),
    ("outcome", Shape::Leaf),
    ("message", Shape::Leaf),
    ("subject", Shape::Leaf),
    ("location", Shape::Any),
    ("reference", Shape::Leaf),
    ("fix", Shape::Leaf),
]);

const FILES: Shape = Shape::List(&Shape::Obj(&[
    ("path", Shape::Leaf),
    ("size", Shape::Leaf),
    ("sha256", Shape::Leaf),
    ("kind", Shape::Leaf),
    ("format", Shape::Leaf),
    ("facts", Shape::Any),
    ("findings", Shape::List(&FINDING)),
]));

/// The keys of `predicate.model` (see `inspect::summary::ModelSummary`).
pub const MODEL_KEYS: [&str; 9] = [
    "formats",
    "parameters",
    "parameter_count",
    "parameter_source",
    "parameter_files",
    "dtypes",
    "weights_files",
    "weights_bytes",
    "architecture",
];

const MODEL: Shape = Shape::Obj(&[
    ("formats", Shape::Leaf),
    ("parameters", Shape::Any),
    ("parameter_count", Shape::Leaf),
    ("parameter_source", Shape::Leaf),
    ("parameter_files", Shape::List(&Shape::Leaf)),
    ("dtypes", Shape::Any),
    ("weights_files", Shape::Leaf),
    ("weights_bytes", Shape::Leaf),
    ("architecture", Shape::Any),
]);

const DATASETS: Shape = Shape::List(&Shape::Obj(&[
    ("path", Shape::Leaf),
    ("files", Shape::Leaf),
    ("bytes", Shape::Leaf),
    ("records", Shape::Leaf),
    ("formats", Shape::Leaf),
]));

/// The keys of `verification`.
pub const VERIFICATION_KEYS: [&str; 12] = [
    "input",
    "signed",
    "verified",
    "format",
    "key_id",
    "algorithm",
    "method",
    "identity",
    "issuer",
    "files_checked",
    "files_match",
    "problem",
];

const VERIFICATION: Shape = Shape::Obj(&[
    ("input", Shape::Leaf),
    ("signed", Shape::Leaf),
    ("verified", Shape::Leaf),
    ("format", Shape::Leaf),
    ("key_id", Shape::Leaf),
    ("algorithm", Shape::Leaf),
    ("method", Shape::Leaf),
    ("identity", Shape::Leaf),
    ("issuer", Shape::Leaf),
    ("files_checked", Shape::Leaf),
    ("files_match", Shape::Leaf),
    ("problem", Shape::Leaf),
]);

/// The shape of each root name other than `declared` and `variables`.
pub fn shape_of_root(name: &str) -> Option<&'static Shape> {
    Some(match name {
        "files" => &FILES,
        "model" => &MODEL,
        "datasets" => &DATASETS,
        "derived" => &derived::SHAPE,
        "verification" => &VERIFICATION,
        "now" => &Shape::Leaf,
        "manifest" => &Shape::Any,
        _ => return None,
    })
}

/// What the signature check found, as rules see it.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct VerificationFacts {
    /// `folder`, `manifest` or `bundle`.
    pub input: String,
    pub signed: bool,
    pub verified: bool,
    /// `scelle` or `oms`.
    pub format: Option<String>,
    pub key_id: Option<String>,
    pub algorithm: Option<String>,
    /// How the bundle was signed: `key`, `certificate` or `keyless` (once verified).
    pub method: Option<String>,
    /// Who signed: the key id, the certificate's subject, or the keyless identity (an email
    /// address or a workflow URI).
    pub identity: Option<String>,
    /// Who vouched for `identity`: the certificate's issuer, or the OIDC issuer.
    pub issuer: Option<String>,
    /// A keyless signer's transparency-log index and integrated time (RFC 3339): for reports
    /// (an audit names the log entry), not for packs, so absent rather than null otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_index: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integrated_time: Option<String>,
    /// The files on disk were hashed against the manifest.
    pub files_checked: bool,
    /// They all matched (`None` when not checked).
    pub files_match: Option<bool>,
    pub problem: Option<String>,
}

/// Everything expressions can read, as JSON (pack tests build it from small files).
#[derive(Debug, Clone)]
pub struct Facts {
    pub declared: Value,
    /// The file records, kept only when a pack reads `files` (they grow with the release).
    pub files: Option<Value>,
    pub model: Value,
    pub datasets: Value,
    pub derived: Value,
    pub verification: Value,
    pub now: String,
    /// The whole statement, kept only when a pack reads `manifest` (it repeats `files`).
    pub manifest: Option<Value>,
}

/// What a check reads: a manifest as JSON (pack test cases), or a parsed scelle manifest, whose
/// thousands of file records are not turned into JSON unless a rule reads them.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    Json(&'a Value),
    Manifest(&'a Statement),
    /// A manifest read without what each file is: `files` and `manifest` then lack `kind`,
    /// `format` and `facts`, so it is for packs that read neither name.
    Light(&'a Statement<FileDigest>),
}

impl<'a> Source<'a> {
    /// The file records as `derived` reads them.
    pub fn files(self) -> Vec<FileView<'a>> {
        match self {
            Source::Json(statement) => FileView::from_json(
                statement
                    .pointer("/predicate/files")
                    .unwrap_or(&Value::Null),
            ),
            Source::Manifest(statement) => FileView::from_records(&statement.predicate.files),
            Source::Light(statement) => FileView::from_records(&statement.predicate.files),
        }
    }

    /// The paths of the file records, in manifest order.
    pub fn paths(self) -> Vec<&'a str> {
        match self {
            Source::Json(statement) => statement
                .pointer("/predicate/files")
                .and_then(Value::as_array)
                .map_or(&[][..], Vec::as_slice)
                .iter()
                .filter_map(|f| f.get("path")?.as_str())
                .collect(),
            Source::Manifest(statement) => paths_of(&statement.predicate.files),
            Source::Light(statement) => paths_of(&statement.predicate.files),
        }
    }

    /// The whole statement as JSON.
    fn to_json(self) -> Value {
        match self {
            Source::Json(statement) => statement.clone(),
            Source::Manifest(statement) => json(statement),
            Source::Light(statement) => json(statement),
        }
    }

    /// `predicate.files` as JSON.
    fn files_json(self) -> Value {
        match self {
            Source::Json(statement) => statement
                .pointer("/predicate/files")
                .cloned()
                .unwrap_or_else(|| Value::Array(Vec::new())),
            Source::Manifest(statement) => json(&statement.predicate.files),
            Source::Light(statement) => json(&statement.predicate.files),
        }
    }

    /// The predicate without its file records.
    fn predicate(self) -> Value {
        match self {
            Source::Json(statement) => {
                let mut p = statement.get("predicate").cloned().unwrap_or(Value::Null);
                if let Some(m) = p.as_object_mut() {
                    m.remove("files");
                }
                p
            }
            Source::Manifest(statement) => summary(&statement.predicate),
            Source::Light(statement) => summary(&statement.predicate),
        }
    }
}

fn paths_of<F: Record>(files: &[F]) -> Vec<&str> {
    files.iter().map(|f| f.path().as_str()).collect()
}

/// Typed manifest parts as JSON (they serialise infallibly: no maps with non-string keys).
fn json(value: &impl serde::Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// A predicate's model, datasets, declaration, model card and public summary.
fn summary<F>(p: &Predicate<F>) -> Value {
    let mut m = Map::new();
    if let Some(model) = &p.model {
        m.insert("model".into(), model.clone());
    }
    m.insert("datasets".into(), Value::Array(p.datasets.clone()));
    if let Some(declared) = &p.declared {
        m.insert("declared".into(), declared.clone());
    }
    if let Some(card) = &p.card {
        m.insert("card".into(), card.clone());
    }
    if let Some(summary) = &p.public_summary {
        m.insert("public_summary".into(), summary.clone());
    }
    Value::Object(m)
}

impl Facts {
    /// The facts of a manifest, checked `as_of` a date. `files` and `manifest`, which grow with
    /// the release, are `null` unless `reads` says a pack reads them.
    pub fn new(
        source: Source<'_>,
        verification: &VerificationFacts,
        as_of: &str,
        reads: impl Fn(&str) -> bool,
    ) -> Self {
        let predicate = source.predicate();
        let declared = predicate.get("declared").unwrap_or(&Value::Null);
        let mut model = match predicate.get("model") {
            Some(Value::Object(m)) => m.clone(),
            _ => Map::new(),
        };
        for key in MODEL_KEYS {
            model.entry(key).or_insert(Value::Null);
        }
        Self {
            derived: derived::derive(&predicate, declared, &source.files()),
            declared: view(declared),
            files: reads("files").then(|| with_defaults(source.files_json())),
            model: Value::Object(model),
            datasets: predicate
                .get("datasets")
                .cloned()
                .unwrap_or_else(|| Value::Array(Vec::new())),
            verification: serde_json::to_value(verification).unwrap_or(Value::Null),
            now: as_of.to_owned(),
            manifest: reads("manifest").then(|| source.to_json()),
        }
    }

    /// A root CEL context holding scelle's functions and every name; `files` and `manifest`
    /// only when they were kept (a pack that does not read them never names them).
    pub fn context(&self) -> Context<'static, 'static> {
        let mut ctx = Context::with_env(expr::env());
        functions::register(&mut ctx);
        // The name cannot be taken: `@` starts no CEL identifier.
        let _ = ctx.add_function(
            super::budget::FUNCTION,
            super::budget::function(super::budget::limit(self.size())),
        );
        for (name, value) in [
            ("declared", Some(&self.declared)),
            ("files", self.files.as_ref()),
            ("model", Some(&self.model)),
            ("datasets", Some(&self.datasets)),
            ("derived", Some(&self.derived)),
            ("verification", Some(&self.verification)),
            ("manifest", self.manifest.as_ref()),
        ] {
            if let Some(value) = value {
                ctx.add_variable_from_value(name, to_cel(value));
            }
        }
        ctx.add_variable_from_value("now", Cel::String(Arc::new(self.now.clone())));
        ctx
    }
}

impl Facts {
    /// The number of JSON values an expression can reach, which its budget scales with.
    pub fn size(&self) -> u64 {
        [
            Some(&self.declared),
            self.files.as_ref(),
            Some(&self.model),
            Some(&self.datasets),
            Some(&self.derived),
            Some(&self.verification),
            self.manifest.as_ref(),
        ]
        .into_iter()
        .flatten()
        .map(super::budget::count_values)
        .sum()
    }
}

/// Every file record with `facts` and `findings` present.
fn with_defaults(files: Value) -> Value {
    match files {
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|f| match f {
                    Value::Object(mut m) => {
                        m.entry("facts")
                            .or_insert_with(|| Value::Object(Map::new()));
                        m.entry("findings")
                            .or_insert_with(|| Value::Array(Vec::new()));
                        Value::Object(m)
                    }
                    other => other,
                })
                .collect(),
        ),
        other => other,
    }
}

/// JSON to CEL. Integers are CEL `int` (as literals in rules are), so `x > 2` and `x + 1` work.
pub fn to_cel(value: &Value) -> Cel {
    match value {
        Value::Null => Cel::Null,
        Value::Bool(b) => Cel::Bool(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Cel::Int(i)
            } else if let Some(u) = n.as_u64() {
                Cel::UInt(u)
            } else {
                Cel::Float(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        Value::String(s) => Cel::String(Arc::new(s.clone())),
        Value::Array(items) => Cel::List(Arc::new(items.iter().map(to_cel).collect())),
        Value::Object(map) => {
            let entries: HashMap<Key, Cel> = map
                .iter()
                .map(|(k, v)| (Key::String(Arc::new(k.clone())), to_cel(v)))
                .collect();
            Cel::Map(cel::objects::Map {
                map: Arc::new(entries),
            })
        }
    }
}

/// CEL to JSON, for reports (variables) and messages.
pub fn from_cel(value: &Cel) -> Value {
    match value {
        Cel::Null => Value::Null,
        Cel::Bool(b) => Value::Bool(*b),
        Cel::Int(i) => Value::from(*i),
        Cel::UInt(u) => Value::from(*u),
        Cel::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        Cel::String(s) => Value::String(s.to_string()),
        Cel::List(items) => Value::Array(items.iter().map(from_cel).collect()),
        Cel::Map(map) => {
            let mut out: Vec<(String, Value)> = map
                .map
                .iter()
                .map(|(k, v)| {
                    let key = match k {
                        Key::String(s) => s.to_string(),
                        Key::Int(i) => i.to_string(),
                        Key::Uint(u) => u.to_string(),
                        Key::Bool(b) => b.to_string(),
                    };
                    (key, from_cel(v))
                })
                .collect();
            out.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(out.into_iter().collect())
        }
        other => Value::String(format!("{other:?}")),
    }
}

/// The declaration with every schema field present (see the module comment).
pub fn view(declared: &Value) -> Value {
    match Schema::get() {
        Ok(schema) => fill(&schema.root, declared),
        Err(_) => declared.clone(),
    }
}

fn fill(field: &Field, value: &Value) -> Value {
    match &field.ty {
        Ty::Object(fields) => fill_fields(fields.iter(), value),
        Ty::Ref(extra) => match value {
            Value::Object(_) => fill_fields(common_ref_fields().iter().chain(extra.iter()), value),
            _ => Value::Null,
        },
        Ty::List(item) => match value {
            Value::Array(items) => Value::Array(items.iter().map(|v| fill(item, v)).collect()),
            _ => Value::Array(Vec::new()),
        },
        _ => value.clone(),
    }
}

fn fill_fields<'a>(fields: impl Iterator<Item = &'a (String, Field)>, value: &Value) -> Value {
    let given = value.as_object();
    let mut out = Map::new();
    for (name, field) in fields {
        let v = given.and_then(|m| m.get(name)).unwrap_or(&Value::Null);
        out.insert(name.clone(), fill(field, v));
    }
    if let Some(m) = given {
        for (k, v) in m {
            if k.starts_with("x-") {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Value::Object(out)
}

/// Turns an evaluation error into words for a report.
pub fn describe_error(e: &ExecutionError) -> String {
    match e {
        ExecutionError::NoSuchKey(key) => format!("no field `{key}`"),
        ExecutionError::UndeclaredReference(name) => format!("unknown name `{name}`"),
        ExecutionError::FunctionError { function, message } => format!("`{function}`: {message}"),
        other => {
            let text = format!("{other:?}");
            if text.contains("null_type") {
                format!("a value the rule needs is null ({text})")
            } else {
                text
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_view_has_every_field() {
        let v = view(
            &json!({"copyright": {"complaint_contact": "legal@example.com"},
                              "datasets": [{"id": "a", "lia": {"uri": "lia.pdf"}}],
                              "x-note": 1}),
        );
        assert_eq!(v["copyright"]["policy"], Value::Null);
        assert_eq!(v["copyright"]["complaint_contact"], "legal@example.com");
        assert_eq!(v["model"]["base_models"], json!([]));
        assert_eq!(v["training"]["compute"]["basis"]["tokens"], Value::Null);
        assert_eq!(v["datasets"][0]["personal_data"]["present"], Value::Null);
        assert_eq!(v["datasets"][0]["lia"]["sha256"], Value::Null);
        assert_eq!(v["datasets"][0]["lia"]["steps"], json!([]));
        assert_eq!(v["x-note"], 1);
    }

    #[test]
    fn json_and_cel_convert_both_ways() {
        let j = json!({"a": [1, 2.5, "x", null, true], "b": {"c": 18_446_744_073_709_551_615_u64}});
        assert_eq!(from_cel(&to_cel(&j)), j);
        assert_eq!(to_cel(&json!(3)), Cel::Int(3));
    }
}
