//! The schema of `scelle.yaml`: every field the publisher can declare, with its type, what to
//! write and the provision that asks for it. The table itself is data (`descriptor.yaml`, embedded
//! in the binary); this module reads it once and answers questions about it. The validator, the
//! policy engine's static check of field names, `scelle init` and the field reference in
//! `docs/scelle-yaml.md` all read the same table, so they cannot drift apart.

use std::fmt;
use std::fmt::Write as _;
use std::sync::OnceLock;

use serde_json::Value;

use crate::yaml::{self, Node, NodeValue};

/// The embedded table.
const SOURCE: &str = include_str!("descriptor.yaml");

/// The fields every document reference has; `uri` is required.
pub const REF_FIELDS: [(&str, &str); 5] = [
    (
        "uri",
        "where the document is: a URL, or a path inside the release",
    ),
    (
        "sha256",
        "SHA-256 of the document, so the manifest commits to its content",
    ),
    ("version", "version of the document"),
    ("last_updated", "date of its last update (YYYY-MM-DD)"),
    ("title", "title"),
];

/// A field's type.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    Str,
    Text,
    Uri,
    Path,
    /// A URL, or a path inside the release (a document that may be shipped with it).
    Location,
    Bool,
    Int,
    Number,
    Fraction,
    Percent,
    Date,
    Datetime,
    Country,
    Sha256,
    /// An SPDX licence expression, checked against the SPDX licence list.
    Spdx,
    /// A regular expression (the syntax of the policy packs' `matches`), checked to compile on
    /// its own, so that a rule wrapping it in `^(?:...)$` anchors all of it.
    Regex,
    /// One of these values (strings, or `true`/`false` for three-valued answers).
    Enum(Vec<Value>),
    /// A document reference with the common fields plus these.
    Ref(Vec<(String, Field)>),
    List(Box<Field>),
    Object(Vec<(String, Field)>),
}

/// One field of the schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub ty: Ty,
    /// What to write, in a few words.
    pub doc: String,
    /// The provisions that ask for it.
    pub law: Option<String>,
    /// An entry that declares anything must declare this field (`required: true`).
    pub required: bool,
}

/// The whole schema: a section whose fields are the top-level sections, in order.
#[derive(Debug)]
pub struct Schema {
    pub root: Field,
}

/// The embedded table is broken (a bug in this build, caught by the unit tests).
#[derive(Debug, Clone, thiserror::Error)]
#[error("the built-in `scelle.yaml` schema is invalid at {0}")]
pub struct SchemaError(String);

impl Schema {
    /// The schema of this build.
    pub fn get() -> Result<&'static Schema, SchemaError> {
        static SCHEMA: OnceLock<Result<Schema, SchemaError>> = OnceLock::new();
        SCHEMA.get_or_init(load).as_ref().map_err(Clone::clone)
    }

    /// The field at a dotted path (`datasets.personal_data.present`); list items are entered
    /// transparently, so a path never spells an index.
    pub fn lookup(&self, path: &str) -> Option<&Field> {
        path.split('.')
            .try_fold(&self.root, |field, segment| field.child(segment))
    }

    /// The top-level sections.
    pub fn sections(&self) -> &[(String, Field)] {
        match &self.root.ty {
            Ty::Object(fields) => fields,
            _ => &[],
        }
    }
}

fn find<'a>(fields: &'a [(String, Field)], name: &str) -> Option<&'a Field> {
    fields.iter().find(|(n, _)| n == name).map(|(_, f)| f)
}

/// The implicit `Field` of each common reference field.
fn ref_field(name: &str) -> Option<&'static Field> {
    find(common_ref_fields(), name)
}

/// The fields every reference has, as schema fields.
pub fn common_ref_fields() -> &'static [(String, Field)] {
    static FIELDS: OnceLock<Vec<(String, Field)>> = OnceLock::new();
    FIELDS.get_or_init(|| {
        REF_FIELDS
            .iter()
            .map(|(name, doc)| {
                let ty = match *name {
                    "sha256" => Ty::Sha256,
                    "last_updated" => Ty::Date,
                    _ => Ty::Str,
                };
                (
                    (*name).to_owned(),
                    Field {
                        ty,
                        doc: (*doc).to_owned(),
                        law: None,
                        required: false,
                    },
                )
            })
            .collect()
    })
}

impl Field {
    /// The sub-field `name` of an object or reference, looking through lists.
    pub fn child(&self, name: &str) -> Option<&Field> {
        match &self.ty {
            Ty::Object(fields) => find(fields, name),
            Ty::Ref(extra) => find(extra, name).or_else(|| ref_field(name)),
            Ty::List(item) => item.child(name),
            _ => None,
        }
    }

    /// The names of the sub-fields, for "did you mean" suggestions.
    pub fn child_names(&self) -> Vec<&str> {
        match &self.ty {
            Ty::Object(fields) => fields.iter().map(|(n, _)| n.as_str()).collect(),
            Ty::Ref(extra) => REF_FIELDS
                .iter()
                .map(|(n, _)| *n)
                .chain(extra.iter().map(|(n, _)| n.as_str()))
                .collect(),
            Ty::List(item) => item.child_names(),
            _ => Vec::new(),
        }
    }
}

impl fmt::Display for Ty {
    /// The type as the documentation names it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Str => f.write_str("string"),
            Ty::Text => f.write_str("text"),
            Ty::Uri => f.write_str("URL"),
            Ty::Path => f.write_str("path in the release"),
            Ty::Location => f.write_str("URL or path in the release"),
            Ty::Bool => f.write_str("true/false"),
            Ty::Int => f.write_str("whole number"),
            Ty::Number => f.write_str("number"),
            Ty::Fraction => f.write_str("fraction 0-1"),
            Ty::Percent => f.write_str("percent 0-100"),
            Ty::Date => f.write_str("date"),
            Ty::Datetime => f.write_str("date-time"),
            Ty::Country => f.write_str("country code"),
            Ty::Sha256 => f.write_str("SHA-256"),
            Ty::Spdx => f.write_str("SPDX licence expression"),
            Ty::Regex => f.write_str("regular expression"),
            Ty::Enum(values) => {
                let names: Vec<String> = values.iter().map(enum_name).collect();
                write!(f, "one of {}", names.join(", "))
            }
            Ty::Ref(_) => f.write_str("document {uri, sha256}"),
            Ty::List(item) => match item.ty {
                Ty::Object(_) => f.write_str("list of entries"),
                _ => write!(f, "list of {}", item.ty),
            },
            Ty::Object(_) => f.write_str("section"),
        }
    }
}

/// An enum value as written in YAML.
pub fn enum_name(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn load() -> Result<Schema, SchemaError> {
    let root = yaml::parse(SOURCE).map_err(|e| SchemaError(e.to_string()))?;
    Ok(Schema {
        root: Field {
            ty: Ty::Object(fields_of(&root, "")?),
            doc: "the declaration".into(),
            law: None,
            required: false,
        },
    })
}

fn fields_of(node: &Node, at: &str) -> Result<Vec<(String, Field)>, SchemaError> {
    let NodeValue::Map(entries) = &node.value else {
        return Err(SchemaError(format!("`{at}`: expected a mapping of fields")));
    };
    entries
        .iter()
        .map(|(key, value)| {
            let path = if at.is_empty() {
                key.name.clone()
            } else {
                format!("{at}.{}", key.name)
            };
            Ok((key.name.clone(), field_of(value, &path)?))
        })
        .collect()
}

fn field_of(node: &Node, path: &str) -> Result<Field, SchemaError> {
    let bad = |what: &str| SchemaError(format!("`{path}`: {what}"));
    // `items: string` is shorthand for `items: {type: string}`.
    if let Some(name) = node.as_str() {
        return Ok(Field {
            ty: scalar(name).ok_or_else(|| bad("unknown type"))?,
            doc: String::new(),
            law: None,
            required: false,
        });
    }
    if let NodeValue::Map(entries) = &node.value
        && let Some((key, _)) = entries.iter().find(|(k, _)| {
            ![
                "type", "doc", "law", "fields", "items", "values", "required",
            ]
            .contains(&k.name.as_str())
        })
    {
        // Usually a comma inside an unquoted flow value split it in two.
        return Err(bad(&format!(
            "unknown key `{}` at line {}",
            key.name, key.pos.line
        )));
    }
    let text = |key: &str| node.get(key).and_then(Node::as_str).map(str::to_owned);
    let doc = text("doc").unwrap_or_default();
    let law = text("law");
    let required = matches!(
        node.get("required").map(|n| &n.value),
        Some(NodeValue::Bool(true))
    );
    let ty = match text("type").as_deref() {
        None | Some("object") => Ty::Object(fields_of(
            node.get("fields")
                .ok_or_else(|| bad("no `type` and no `fields`"))?,
            path,
        )?),
        Some("ref") => Ty::Ref(match node.get("fields") {
            Some(fields) => fields_of(fields, path)?,
            None => Vec::new(),
        }),
        Some("list") => Ty::List(Box::new(field_of(
            node.get("items")
                .ok_or_else(|| bad("a list without `items`"))?,
            path,
        )?)),
        Some("enum") => {
            let Some(NodeValue::Seq(values)) = node.get("values").map(|v| &v.value) else {
                return Err(bad("an enum without `values`"));
            };
            Ty::Enum(values.iter().map(Node::to_json).collect())
        }
        Some(name) => scalar(name).ok_or_else(|| bad("unknown type"))?,
    };
    Ok(Field {
        ty,
        doc,
        law,
        required,
    })
}

fn scalar(name: &str) -> Option<Ty> {
    Some(match name {
        "string" => Ty::Str,
        "text" => Ty::Text,
        "uri" => Ty::Uri,
        "path" => Ty::Path,
        "location" => Ty::Location,
        "bool" => Ty::Bool,
        "int" => Ty::Int,
        "number" => Ty::Number,
        "fraction" => Ty::Fraction,
        "percent" => Ty::Percent,
        "date" => Ty::Date,
        "datetime" => Ty::Datetime,
        "country" => Ty::Country,
        "sha256" => Ty::Sha256,
        "spdx" => Ty::Spdx,
        "regex" => Ty::Regex,
        _ => return None,
    })
}

/// The field reference of `docs/scelle-yaml.md`: one table per section, one row per field,
/// written from the schema so the documentation cannot drift from what is validated.
pub fn reference_markdown(schema: &Schema) -> String {
    let mut out = String::new();
    for (name, field) in schema.sections() {
        let _ = writeln!(
            out,
            "### `{name}`
"
        );
        let _ = writeln!(out, "{}.", capitalise(&field.doc));
        if let Some(law) = &field.law {
            let _ = writeln!(out, "Provisions: {law}.");
        }
        let _ = writeln!(
            out,
            "
| field | type | what to write | provision |"
        );
        let _ = writeln!(out, "|---|---|---|---|");
        let rows = match &field.ty {
            Ty::List(item) => match &item.ty {
                Ty::Object(children) => rows(children, &format!("{name}[]")),
                _ => Vec::new(),
            },
            Ty::Object(children) => rows(children, name),
            _ => Vec::new(),
        };
        for row in rows {
            out.push_str(&row);
        }
        out.push('\n');
    }
    out
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

fn rows(fields: &[(String, Field)], at: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (name, field) in fields {
        let path = format!("{at}.{name}");
        let law = field.law.as_deref().map(cell).unwrap_or_default();
        match &field.ty {
            Ty::Object(children) => {
                out.push(format!(
                    "| `{path}` | section | {} | {law} |\n",
                    cell(&field.doc)
                ));
                out.extend(rows(children, &path));
            }
            Ty::List(item) if matches!(item.ty, Ty::Object(_)) => {
                out.push(format!(
                    "| `{path}[]` | list of entries | {} | {law} |\n",
                    cell(&field.doc)
                ));
                if let Ty::Object(children) = &item.ty {
                    out.extend(rows(children, &format!("{path}[]")));
                }
            }
            Ty::Ref(extra) => {
                out.push(format!(
                    "| `{path}` | {} | {} | {law} |\n",
                    field.ty,
                    cell(&field.doc)
                ));
                out.extend(rows(extra, &path));
            }
            ty => out.push(format!(
                "| `{path}` | {} | {}{} | {law} |\n",
                cell(&ty.to_string()),
                if field.required { "required: " } else { "" },
                cell(&field.doc)
            )),
        }
    }
    out
}

/// Counts the leaf fields (everything but sections and lists of entries), for the docs.
pub fn count_leaves(fields: &[(String, Field)]) -> usize {
    fields
        .iter()
        .map(|(_, f)| match &f.ty {
            Ty::Object(children) => count_leaves(children),
            Ty::List(item) => match &item.ty {
                Ty::Object(children) => count_leaves(children),
                _ => 1,
            },
            _ => 1,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_schema_loads_and_covers_the_catalogue_sections() {
        let schema = Schema::get().unwrap();
        let names: Vec<&str> = schema.sections().iter().map(|(n, _)| n.as_str()).collect();
        for section in [
            "provider",
            "model",
            "classification",
            "training",
            "datasets",
            "copyright",
            "public_summary",
            "docs",
            "gdpr",
            "transparency",
            "release",
        ] {
            assert!(names.contains(&section), "section `{section}` missing");
        }
        // legal.md §5 lists about 130 fields; sub-fields of references and entries add more.
        assert!(
            count_leaves(schema.sections()) > 200,
            "{}",
            count_leaves(schema.sections())
        );
    }

    #[test]
    fn every_named_field_says_what_to_write() {
        fn walk(fields: &[(String, Field)], at: &str, missing: &mut Vec<String>) {
            for (name, field) in fields {
                let path = format!("{at}{name}");
                if field.doc.is_empty() {
                    missing.push(path.clone());
                }
                match &field.ty {
                    Ty::Object(children) | Ty::Ref(children) => {
                        walk(children, &format!("{path}."), missing);
                    }
                    Ty::List(item) => {
                        if let Ty::Object(children) = &item.ty {
                            walk(children, &format!("{path}."), missing);
                        }
                    }
                    _ => {}
                }
            }
        }
        let mut missing = Vec::new();
        walk(Schema::get().unwrap().sections(), "", &mut missing);
        assert!(missing.is_empty(), "fields without `doc`: {missing:?}");
    }

    /// `docs/scelle-yaml.md` holds the reference generated from the schema between two markers;
    /// `SCELLE_BLESS=1 cargo test --lib docs_list_every_field` rewrites it.
    #[test]
    fn docs_list_every_field() {
        crate::generated_docs::assert_section(
            "docs/scelle-yaml.md",
            "reference",
            &reference_markdown(Schema::get().unwrap()),
            "docs_list_every_field",
        );
    }

    #[test]
    fn lookup_enters_lists_and_references() {
        let schema = Schema::get().unwrap();
        let present = schema.lookup("datasets.personal_data.present").unwrap();
        assert!(
            matches!(&present.ty, Ty::Enum(v) if v.contains(&Value::Bool(true)) && v.contains(&Value::from("unknown")))
        );
        assert_eq!(
            schema.lookup("copyright.policy.sha256").unwrap().ty,
            Ty::Sha256
        );
        assert!(matches!(
            schema.lookup("datasets.lia.steps").unwrap().ty,
            Ty::List(_)
        ));
        assert!(schema.lookup("copyright.polcy").is_none());
        assert!(schema.lookup("nope").is_none());
    }
}
