//! The commented `scelle.yaml` that `scelle init` writes: the fields the policy packs need for
//! the release (`--full`: every field of the schema), in schema order, each with what to write and
//! the provision that asks for it. Fields that could be read
//! from the release are filled in and say where they came from; the rest are empty and marked
//! `TODO` (an empty field counts as not declared, so the template validates as it is).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::Value;

use super::schema::{Field, Schema, Ty, common_ref_fields, enum_name};

/// What could be read, in the declaration's shape, with the source of each filled path
/// (`model.license.spdx` -> `README.md front matter`).
#[derive(Debug, Clone, Default)]
pub struct Prefill {
    pub value: Value,
    pub sources: BTreeMap<String, String>,
    /// Comment lines written under a field (`datasets`): what the release suggests but does not
    /// state, for the publisher to confirm.
    pub notes: BTreeMap<String, Vec<String>>,
}

impl Prefill {
    /// Sets `path` (dotted; list entries as `datasets[0].id`) to `value`, noting its source.
    pub fn set(&mut self, path: &str, value: Value, source: &str) {
        if !self.value.is_object() {
            self.value = Value::Object(serde_json::Map::new());
        }
        let mut node = &mut self.value;
        let parts: Vec<&str> = path.split('.').collect();
        for (i, part) in parts.iter().enumerate() {
            let (name, index) = match part.split_once('[') {
                Some((n, rest)) => (n, rest.trim_end_matches(']').parse::<usize>().ok()),
                None => (*part, None),
            };
            let last = i + 1 == parts.len();
            let Value::Object(map) = node else {
                return;
            };
            let entry = map.entry(name.to_owned()).or_insert_with(|| {
                if index.is_some() {
                    Value::Array(Vec::new())
                } else {
                    Value::Object(serde_json::Map::new())
                }
            });
            node = match index {
                Some(k) => {
                    let Value::Array(items) = entry else {
                        return;
                    };
                    while items.len() <= k {
                        items.push(Value::Object(serde_json::Map::new()));
                    }
                    &mut items[k]
                }
                None => entry,
            };
            if last {
                *node = value;
                self.sources.insert(path.to_owned(), source.to_owned());
                return;
            }
        }
    }
}

/// Counts of what the template holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub filled: usize,
    pub todo: usize,
}

/// What a short declaration keeps: the fields the policy packs need for this release (dotted
/// schema paths, `datasets.lawful_basis`), and the packs that apply, named in its header.
#[derive(Debug, Clone, Copy)]
pub struct Short<'a> {
    pub fields: &'a BTreeSet<String>,
    pub packs: &'a [String],
}

/// Renders the template for the release `name`: every field of the schema, or with `short`
/// only the fields it keeps and those filled from the release.
pub fn render(name: &str, prefill: &Prefill, short: Option<Short<'_>>) -> (String, Counts) {
    let keep = short.map(|s| {
        let mut keep = s.fields.clone();
        keep.extend(prefill.sources.keys().map(|k| strip_indices(k)));
        keep.extend(prefill.notes.keys().cloned());
        keep
    });
    let mut w = Writer {
        out: String::new(),
        prefill,
        counts: Counts::default(),
        keep,
    };
    let _ = writeln!(
        w.out,
        "# scelle.yaml: what the publisher of `{name}` declares, the facts no scanner can see."
    );
    match short {
        None => w.out.push_str(
            "# Written by `scelle init --full`: every field of the schema. `docs/scelle-yaml.md`\n\
             # explains each one.",
        ),
        Some(s) => {
            let packs = if s.packs.is_empty() {
                "none".to_owned()
            } else {
                s.packs.join(", ")
            };
            let text = format!(
                "Written by `scelle init`: the fields the built-in policy packs read for this \
                 release as it stands, and the questions that decide whether more rules apply. \
                 Packs that apply now: {packs}. An answer can make more rules apply: `scelle \
                 check` then names the fields they read. `scelle init --full` writes every \
                 field; `docs/scelle-yaml.md` explains each one."
            );
            w.out.push_str(wrap(&text).trim_end());
        }
    }
    w.out.push_str(
        "\n# Fields read from the release say where they came from; the others are marked TODO:\n\
         # fill them in, or leave them empty (an empty field is not declared, and the policy packs\n\
         # report the evidence as missing). Document references are {uri, sha256}: `uri` is a URL\n\
         # or a path inside the release, `sha256` the output of `sha256sum FILE`. Keys starting\n\
         # with `x-` are yours.\n",
    );
    if let Ok(schema) = Schema::get() {
        for (name, field) in schema.sections() {
            if !w.wanted(name) {
                continue;
            }
            w.out.push('\n');
            w.field(
                name,
                field,
                &path_value(&prefill.value, name),
                name,
                0,
                false,
            );
        }
    }
    (w.out, w.counts)
}

/// Prose as `# ` comment lines of at most 96 characters.
fn wrap(text: &str) -> String {
    let mut out = String::new();
    let mut line = String::from("#");
    for word in text.split_whitespace() {
        if line.len() + 1 + word.len() > 96 && line.len() > 1 {
            out.push_str(&line);
            out.push('\n');
            line = String::from("#");
        }
        line.push(' ');
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
    out
}

/// `datasets[0].id` as the schema names it: `datasets.id`.
fn strip_indices(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut skipping = false;
    for c in path.chars() {
        match c {
            '[' => skipping = true,
            ']' => skipping = false,
            c if !skipping => out.push(c),
            _ => {}
        }
    }
    out
}

fn path_value(v: &Value, key: &str) -> Value {
    v.get(key).cloned().unwrap_or(Value::Null)
}

struct Writer<'a> {
    out: String,
    prefill: &'a Prefill,
    counts: Counts,
    /// The schema paths a short declaration shows (`None`: every field).
    keep: Option<BTreeSet<String>>,
}

fn indent(depth: usize) -> String {
    "  ".repeat(depth)
}

/// A one-line comment: what to write and the provision.
fn about(field: &Field) -> String {
    let mut text = field.doc.clone();
    if let Ty::Enum(values) = &field.ty {
        let names: Vec<String> = values.iter().map(enum_name).collect();
        let _ = write!(text, "; one of: {}", names.join(", "));
    }
    if let Ty::List(item) = &field.ty
        && let Ty::Enum(values) = &item.ty
    {
        let names: Vec<String> = values.iter().map(enum_name).collect();
        let _ = write!(text, "; any of: {}", names.join(", "));
    }
    if let Some(law) = &field.law {
        let _ = write!(text, " ({law})");
    }
    text
}

impl Writer<'_> {
    /// Whether a short declaration shows the field at `path` (indices allowed): it, or
    /// something below it, is kept.
    fn wanted(&self, path: &str) -> bool {
        let Some(keep) = &self.keep else {
            return true;
        };
        let path = strip_indices(path);
        let below = format!("{path}.");
        keep.contains(&path) || keep.iter().any(|k| k.starts_with(&below))
    }

    /// The children of a section to write: those wanted, or the first one when the section is
    /// kept as a whole (`size(declared.model.base_models) > 0` reads no field of an entry).
    fn shown<'f>(&self, children: &'f [(String, Field)], path: &str) -> Vec<&'f (String, Field)> {
        let wanted: Vec<&(String, Field)> = children
            .iter()
            .filter(|(child, _)| self.wanted(&format!("{path}.{child}")))
            .collect();
        if wanted.is_empty() {
            children.iter().take(1).collect()
        } else {
            wanted
        }
    }

    /// Writes the comment lines the pre-fill left for `path`.
    fn notes(&mut self, path: &str, depth: usize) {
        if let Some(lines) = self.prefill.notes.get(&strip_indices(path)) {
            for line in lines {
                let _ = writeln!(self.out, "{}# {line}", indent(depth));
            }
        }
    }

    /// Writes `name:` and its value or children. `first` is set for the first key of a list
    /// entry, which carries the `- `.
    fn field(
        &mut self,
        name: &str,
        field: &Field,
        value: &Value,
        path: &str,
        depth: usize,
        first: bool,
    ) {
        let lead = if first {
            format!("{}- ", indent(depth.saturating_sub(1)))
        } else {
            indent(depth)
        };
        match &field.ty {
            Ty::Object(children) => {
                let _ = writeln!(self.out, "{lead}{name}:  # {}", about(field));
                self.notes(path, depth + 1);
                for (child, f) in self.shown(children, path) {
                    let v = path_value(value, child);
                    self.field(child, f, &v, &format!("{path}.{child}"), depth + 1, false);
                }
            }
            Ty::List(item) if matches!(item.ty, Ty::Object(_)) => {
                let Ty::Object(children) = &item.ty else {
                    return;
                };
                let _ = writeln!(self.out, "{lead}{name}:  # {}", about(field));
                self.notes(path, depth + 1);
                let entries: Vec<Value> = match value {
                    Value::Array(items) if !items.is_empty() => items.clone(),
                    // One empty entry shows the shape; an entry with nothing filled is ignored.
                    _ => vec![Value::Null],
                };
                let shown = self.shown(children, path);
                for (i, entry) in entries.iter().enumerate() {
                    for (k, (child, f)) in shown.iter().enumerate() {
                        let v = path_value(entry, child);
                        self.field(
                            child,
                            f,
                            &v,
                            &format!("{path}[{i}].{child}"),
                            depth + 2,
                            k == 0,
                        );
                    }
                }
            }
            Ty::Ref(extra) => {
                if value.is_null() {
                    self.counts.todo += 1;
                    let _ = writeln!(
                        self.out,
                        "{lead}{name}:  # TODO {}: {{uri, sha256}}",
                        about(field)
                    );
                    return;
                }
                let _ = writeln!(self.out, "{lead}{name}:  # {}", about(field));
                for (child, f) in common_ref_fields().iter().chain(extra.iter()) {
                    let v = path_value(value, child);
                    self.field(child, f, &v, &format!("{path}.{child}"), depth + 1, false);
                }
            }
            _ => {
                if value.is_null() {
                    self.counts.todo += 1;
                    let _ = writeln!(self.out, "{lead}{name}:  # TODO {}", about(field));
                } else {
                    self.counts.filled += 1;
                    let source = self.prefill.sources.get(path).map_or_else(
                        || "read from the release".to_owned(),
                        |s| format!("from {s}"),
                    );
                    let _ = writeln!(self.out, "{lead}{name}: {}  # {source}", scalar(value));
                }
            }
        }
    }
}

/// A value as a YAML scalar or flow list, quoted when plain text would read as something else.
pub fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => quote(s),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(scalar).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.abs() >= 1e6 => format!("{f:e}"),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

fn quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_alphanumeric() || " ._/@+-()".contains(c))
        && !s.starts_with([' ', '-', '.', '@'])
        && !s.ends_with(' ')
        && s.parse::<f64>().is_err()
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "~"
        );
    if plain {
        return s.to_owned();
    }
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::descriptor;
    use serde_json::json;

    #[test]
    fn the_empty_template_lists_every_field_and_validates() {
        let (text, counts) = render("demo", &Prefill::default(), None);
        assert_eq!(counts.filled, 0);
        assert!(counts.todo > 200, "{}", counts.todo);
        assert!(
            text.contains("  legal_name:  # TODO legal entity"),
            "{text}"
        );
        assert!(text.contains("purpose:  # TODO"), "{text}");
        let declared = descriptor::parse(&text, "scelle.yaml").unwrap();
        assert_eq!(
            declared.value,
            json!({}),
            "an untouched template declares nothing"
        );
    }

    #[test]
    fn prefilled_values_are_written_with_their_source_and_validate() {
        let mut prefill = Prefill::default();
        prefill.set(
            "model.license.spdx",
            json!("Apache-2.0"),
            "`README.md` front matter",
        );
        prefill.set("model.parameters.total", json!(158_016), "the weights");
        prefill.set(
            "model.languages",
            json!(["fr", "en"]),
            "`README.md` front matter",
        );
        prefill.set(
            "datasets[0].id",
            json!("HuggingFaceFW/fineweb-2"),
            "`README.md` front matter",
        );
        prefill.set("datasets[1].path", json!("data/sft"), "the scan");
        prefill.set("model.name", json!("yes"), "the folder name");
        let (text, counts) = render("demo", &prefill, None);
        assert_eq!(counts.filled, 6);
        assert!(
            text.contains("    spdx: Apache-2.0  # from `README.md` front matter"),
            "{text}"
        );
        let declared = descriptor::parse(&text, "scelle.yaml").unwrap();
        assert_eq!(declared.value["model"]["license"]["spdx"], "Apache-2.0");
        assert_eq!(
            declared.value["model"]["name"], "yes",
            "quoted, not a boolean"
        );
        assert_eq!(declared.value["model"]["parameters"]["total"], 158_016);
        assert_eq!(
            declared.value["datasets"][0]["id"],
            "HuggingFaceFW/fineweb-2"
        );
        assert_eq!(declared.value["datasets"][1]["path"], "data/sft");
    }

    #[test]
    fn a_short_template_keeps_the_needed_and_the_filled_fields_and_validates() {
        let mut prefill = Prefill::default();
        prefill.set("model.languages", json!(["fr"]), "the card");
        prefill
            .notes
            .insert("datasets".into(), vec!["TODO confirm: a/b".into()]);
        let fields: BTreeSet<String> = [
            "copyright.policy",
            "model.base_models",
            "datasets.lawful_basis",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        let packs = ["p".to_owned()];
        let short = Short {
            fields: &fields,
            packs: &packs,
        };
        let (text, counts) = render("demo", &prefill, Some(short));
        assert!(text.contains("Packs that apply now: p."), "{text}");
        assert!(text.contains("\n  policy:  # TODO"), "{text}");
        assert!(
            text.contains("  languages: [fr]  # from the card"),
            "{text}"
        );
        // The list is read as a whole: its first field shows the shape.
        assert!(text.contains("  base_models:  # "), "{text}");
        assert!(text.contains("    - name:  # TODO"), "{text}");
        assert!(!text.contains("relation:"), "{text}");
        assert!(
            text.contains("datasets:  # ")
                && text.contains("\n  # TODO confirm: a/b\n  - lawful_basis:  # TODO"),
            "{text}"
        );
        assert!(!text.contains("provider:"), "{text}");
        assert_eq!(counts.filled, 1);
        let declared = descriptor::parse(&text, "scelle.yaml").unwrap();
        assert_eq!(declared.value, json!({"model": {"languages": ["fr"]}}));
    }

    #[test]
    fn awkward_strings_are_quoted() {
        assert_eq!(quote("Apache-2.0"), "Apache-2.0");
        assert_eq!(quote("1.0"), "\"1.0\"");
        assert_eq!(quote("a: b"), "\"a: b\"");
        assert_eq!(quote("say \"hi\"\n"), "\"say \\\"hi\\\"\\n\"");
        assert_eq!(quote("- x"), "\"- x\"");
    }
}
