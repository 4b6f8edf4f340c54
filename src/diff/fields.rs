//! Two declarations (`scelle.yaml` as recorded) compared field by field. Each is flattened to
//! dotted paths whose values are leaves: scalars, lists of scalars (compared whole, so a
//! language added to `model.languages` is one change rather than a shifted index for each
//! entry), and empty sections. A list of sections is keyed by each entry's `id` (or, when the
//! entries have none, their `name`) when every entry has one, unique and without brackets:
//! `datasets[wikipedia-fr].size.tokens`, `model.base_models[org/teacher].version`, so adding a
//! dataset does not make every later one look changed. Any other list is keyed by index.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

/// How one field changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Added,
    Removed,
    Changed,
}

impl Change {
    /// How a value went from `old` to `new` (`None`: absent on that side), or `None` when it is
    /// the same on both sides, unless `also_changed` says something beside it changed.
    pub fn between<T: PartialEq>(
        old: Option<&T>,
        new: Option<&T>,
        also_changed: bool,
    ) -> Option<Self> {
        match (old, new) {
            (None, Some(_)) => Some(Change::Added),
            (Some(_), None) => Some(Change::Removed),
            (Some(a), Some(b)) if a != b || also_changed => Some(Change::Changed),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Removed => "removed",
            Change::Changed => "changed",
        }
    }
}

/// One declared field that differs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    pub path: String,
    pub change: Change,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<Value>,
}

/// The declaration as dotted paths and leaf values.
pub fn flatten(value: &Value) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    walk(value, String::new(), &mut out);
    out
}

fn walk(value: &Value, path: String, out: &mut BTreeMap<String, Value>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, v) in map {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                walk(v, child, out);
            }
        }
        Value::Array(items) if items.iter().any(|v| v.is_object() || v.is_array()) => {
            match list_keys(items) {
                Some(keys) => {
                    for (key, item) in keys.into_iter().zip(items) {
                        walk(item, format!("{path}[{key}]"), out);
                    }
                }
                None => {
                    for (i, item) in items.iter().enumerate() {
                        walk(item, format!("{path}[{i}]"), out);
                    }
                }
            }
        }
        leaf => {
            // The root itself is a leaf only when the declaration is not a section at all.
            let key = if path.is_empty() {
                ".".to_owned()
            } else {
                path
            };
            out.insert(key, leaf.clone());
        }
    }
}

/// Each entry's `id`, else each entry's `name`, when every entry of the list has one, unique
/// and free of brackets (so the path reads back unambiguously).
fn list_keys(items: &[Value]) -> Option<Vec<String>> {
    ["id", "name"].into_iter().find_map(|field| {
        let keys: Vec<String> = items
            .iter()
            .map(|item| {
                item.get(field)
                    .and_then(Value::as_str)
                    .filter(|k| !k.is_empty() && !k.contains(['[', ']']))
                    .map(str::to_owned)
            })
            .collect::<Option<_>>()?;
        let unique: BTreeSet<&String> = keys.iter().collect();
        (unique.len() == keys.len()).then_some(keys)
    })
}

/// Every field added, removed or changed from `old` to `new`, sorted by path.
pub fn compare(old: Option<&Value>, new: Option<&Value>) -> Vec<FieldChange> {
    let flat = |v: Option<&Value>| v.map(flatten).unwrap_or_default();
    let (old, new) = (flat(old), flat(new));
    let paths: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    paths
        .into_iter()
        .filter_map(|path| {
            let (o, n) = (old.get(path), new.get(path));
            let change = Change::between(o, n, false)?;
            Some(FieldChange {
                path: path.clone(),
                change,
                old: o.cloned(),
                new: n.cloned(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sections_flatten_to_dotted_paths_and_scalar_lists_stay_whole() {
        let flat = flatten(&json!({
            "model": {"name": "m", "languages": ["fr", "en"], "parameters": {"total": 5}},
            "empty": {},
            "none": []
        }));
        let expected: BTreeMap<String, Value> = [
            ("empty", json!({})),
            ("model.languages", json!(["fr", "en"])),
            ("model.name", json!("m")),
            ("model.parameters.total", json!(5)),
            ("none", json!([])),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        assert_eq!(flat, expected);
    }

    #[test]
    fn lists_of_sections_are_keyed_by_id_then_name_then_index() {
        let flat = flatten(&json!({
            "datasets": [{"id": "b", "size": {"records": 2}}, {"id": "a", "role": "sft"}],
            "base_models": [{"name": "org/t", "version": "1"}],
            "channels": [{"type": "hub"}, {"type": "web"}],
            "dupes": [{"id": "x", "v": 1}, {"id": "x", "v": 2}],
            "odd": [{"id": "a]b", "v": 1}]
        }));
        let keys: Vec<&str> = flat.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "base_models[org/t].name",
                "base_models[org/t].version",
                "channels[0].type",
                "channels[1].type",
                "datasets[a].id",
                "datasets[a].role",
                "datasets[b].id",
                "datasets[b].size.records",
                "dupes[0].id",
                "dupes[0].v",
                "dupes[1].id",
                "dupes[1].v",
                "odd[0].id",
                "odd[0].v",
            ]
        );
    }

    #[test]
    fn an_inserted_dataset_changes_only_its_own_fields() {
        let old = json!({"datasets": [{"id": "a", "n": 1}, {"id": "c", "n": 3}]});
        let new =
            json!({"datasets": [{"id": "a", "n": 1}, {"id": "b", "n": 2}, {"id": "c", "n": 4}]});
        let changes = compare(Some(&old), Some(&new));
        let got: Vec<(&str, Change)> = changes
            .iter()
            .map(|c| (c.path.as_str(), c.change))
            .collect();
        assert_eq!(
            got,
            [
                ("datasets[b].id", Change::Added),
                ("datasets[b].n", Change::Added),
                ("datasets[c].n", Change::Changed),
            ]
        );
        let last = &changes[2];
        assert_eq!(
            (last.old.clone(), last.new.clone()),
            (Some(json!(3)), Some(json!(4)))
        );
    }

    #[test]
    fn a_missing_declaration_makes_every_field_added_or_removed() {
        let decl = json!({"model": {"name": "m", "version": "1"}});
        let added = compare(None, Some(&decl));
        assert_eq!(added.len(), 2);
        assert!(
            added
                .iter()
                .all(|c| c.change == Change::Added && c.old.is_none())
        );
        let removed = compare(Some(&decl), None);
        assert!(
            removed
                .iter()
                .all(|c| c.change == Change::Removed && c.new.is_none())
        );
        assert!(compare(Some(&decl), Some(&decl)).is_empty());
        assert!(compare(None, None).is_empty());
    }

    #[test]
    fn a_value_that_changes_type_is_changed() {
        let changes = compare(Some(&json!({"a": {"b": 1}})), Some(&json!({"a": 1})));
        let got: Vec<(&str, Change)> = changes
            .iter()
            .map(|c| (c.path.as_str(), c.change))
            .collect();
        assert_eq!(got, [("a", Change::Added), ("a.b", Change::Removed)]);
    }
}
