//! `scelle policy test`: each pack's `tests:` cases, run like `opa test`. A case is a declaration
//! (a `scelle.yaml` file, changed by `set:`), optionally a manifest for the files, a model card, a
//! public summary, the verification facts and a date; it passes when every rule it names ends as
//! expected.
//! Coverage counts, per rule, whether some case sees it pass and some case sees it fail.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;
use serde_json::{Value, json};

use super::eval;
use super::facts::{Facts, Source, VerificationFacts};
use super::pack::{Pack, TestCase};
use crate::finding::Outcome;
use crate::manifest::descriptor::{self, DescriptorError};
use crate::manifest::schema::Schema;
use crate::yaml::{self, Key, Node, NodeValue};

/// The result of one case.
#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    pub pack: String,
    pub name: String,
    pub passed: bool,
    /// Each expectation that did not hold, or why the case could not run.
    pub problems: Vec<String>,
}

/// Which outcomes the passing cases showed for one rule.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Coverage {
    pub pass: bool,
    pub fail: bool,
}

/// The results of a pack's cases.
#[derive(Debug, Clone, Serialize)]
pub struct PackTests {
    pub pack: String,
    pub cases: Vec<CaseResult>,
    /// Per rule id.
    pub coverage: BTreeMap<String, Coverage>,
}

impl PackTests {
    /// Rules no case sees both pass and fail.
    pub fn uncovered(&self) -> Vec<(&str, &'static str)> {
        self.coverage
            .iter()
            .filter_map(|(id, c)| match (c.pass, c.fail) {
                (true, true) => None,
                (false, false) => Some((id.as_str(), "neither pass nor fail")),
                (true, false) => Some((id.as_str(), "no failing case")),
                (false, true) => Some((id.as_str(), "no passing case")),
            })
            .collect()
    }
}

/// Runs every case of `pack`; `dir` is the folder of the pack file (case files are relative to
/// it).
pub fn run(pack: &Pack, dir: &Path) -> PackTests {
    let mut coverage: BTreeMap<String, Coverage> = pack
        .rules
        .iter()
        .map(|r| (r.id.clone(), Coverage::default()))
        .collect();
    let cases = pack
        .tests
        .iter()
        .map(|case| {
            let mut result = CaseResult {
                pack: pack.name.clone(),
                name: case.name.clone(),
                passed: false,
                problems: Vec::new(),
            };
            match facts_of(case, pack, dir) {
                Err(problem) => result.problems.push(problem),
                Ok((facts, as_of)) => {
                    let outcome = eval::evaluate(
                        pack,
                        &facts.context(),
                        &as_of,
                        case.stage.unwrap_or_default(),
                    );
                    result.problems.extend(outcome.errors.iter().cloned());
                    for (id, expected, _) in &case.expect {
                        let Some(got) = outcome.results.iter().find(|r| r.id == *id) else {
                            continue;
                        };
                        if got.outcome == *expected {
                            let c = coverage.entry(id.clone()).or_default();
                            match expected {
                                Outcome::Pass => c.pass = true,
                                Outcome::Fail => c.fail = true,
                                _ => {}
                            }
                        } else {
                            result.problems.push(format!(
                                "{id}: expected {}, got {} ({})",
                                name(*expected),
                                name(got.outcome),
                                got.message
                            ));
                        }
                    }
                }
            }
            result.passed = result.problems.is_empty();
            result
        })
        .collect();
    PackTests {
        pack: pack.name.clone(),
        cases,
        coverage,
    }
}

fn name(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Pass => "pass",
        Outcome::Fail => "fail",
        Outcome::NotApplicable => "not_applicable",
        Outcome::Error => "error",
    }
}

/// The facts of a case and its date.
fn facts_of(case: &TestCase, pack: &Pack, dir: &Path) -> Result<(Facts, String), String> {
    let mut statement = match &case.manifest {
        Some(file) => {
            let text = crate::input::read_text(&dir.join(file), crate::input::Kind::TEST_CASE)
                .map_err(|e| e.to_string())?;
            serde_json::from_str::<Value>(&text)
                .map_err(|e| format!("`{file}` is not a JSON manifest: {e}"))?
        }
        None => json!({"predicate": {"files": []}}),
    };
    if let Some(file) = &case.card {
        let text = crate::input::read_text(&dir.join(file), crate::input::Kind::MODEL_CARD)
            .map_err(|e| e.to_string())?;
        if let Some(p) = statement
            .get_mut("predicate")
            .and_then(Value::as_object_mut)
        {
            p.insert("card".into(), crate::manifest::card::facts(&text));
        }
    }
    if case.scelle.is_some() || !case.set.is_empty() {
        let (mut node, source) = if let Some(file) = &case.scelle {
            let text = crate::input::read_text(&dir.join(file), crate::input::Kind::DECLARATION)
                .map_err(|e| e.to_string())?;
            let node =
                yaml::parse(&text).map_err(|e| format!("`{file}` is not valid YAML: {e}"))?;
            (node, file.clone())
        } else {
            let base = statement
                .pointer("/predicate/declared")
                .cloned()
                .unwrap_or_else(|| json!({}));
            (Node::from_json(&base), pack.origin.clone())
        };
        for (key, value) in &case.set {
            set(&mut node, key, value.clone()).map_err(|e| format!("`set` {}: {e}", key.name))?;
        }
        let schema = Schema::get().map_err(|e| e.to_string())?;
        let declared = descriptor::validate(&node, schema).map_err(|problems| {
            DescriptorError::Invalid {
                file: source,
                problems,
            }
            .to_string()
        })?;
        if let Some(p) = statement
            .get_mut("predicate")
            .and_then(Value::as_object_mut)
        {
            p.insert("declared".into(), declared.value);
        }
    }
    if let Some(file) = &case.summary {
        ship_summary(&mut statement, &dir.join(file))?;
    }
    let mut verification = serde_json::to_value(VerificationFacts {
        input: "folder".into(),
        ..VerificationFacts::default()
    })
    .map_err(|e| e.to_string())?;
    if let (Some(node), Some(v)) = (&case.verification, verification.as_object_mut()) {
        let NodeValue::Map(entries) = &node.value else {
            return Err("`verification` must be a mapping".into());
        };
        for (k, value) in entries {
            if !v.contains_key(&k.name) {
                return Err(format!("`verification` has no field `{}`", k.name));
            }
            v.insert(k.name.clone(), value.to_json());
        }
    }
    let verification: VerificationFacts =
        serde_json::from_value(verification).map_err(|e| format!("`verification`: {e}"))?;
    // Without a date, the pack's effective date; a pack without one does not depend on dates,
    // so today (or `SOURCE_DATE_EPOCH`) will do.
    let as_of = match case.as_of.clone().or_else(|| pack.effective.clone()) {
        Some(date) => date,
        None => crate::clock::now()
            .map_err(|e| e.to_string())?
            .strftime("%Y-%m-%d")
            .to_string(),
    };
    Ok((
        Facts::new(Source::Json(&statement), &verification, &as_of, |name| {
            pack.reads(name)
        }),
        as_of,
    ))
}

/// Puts the summary at `file` into the release at the declared `public_summary.uri`, with its
/// digest, and records what it says when that digest is the declared one (as a scan would).
fn ship_summary(statement: &mut Value, file: &Path) -> Result<(), String> {
    use crate::manifest::summary_doc;
    let text = crate::input::read_text(file, summary_doc::SUMMARY).map_err(|e| e.to_string())?;
    let declared = statement
        .pointer("/predicate/declared")
        .cloned()
        .unwrap_or(Value::Null);
    let Some(uri) = declared
        .pointer("/public_summary/uri")
        .and_then(Value::as_str)
        .filter(|u| !descriptor::has_scheme(u))
    else {
        return Err("`summary` needs a declaration whose `public_summary.uri` is a path".into());
    };
    let sha256 = crate::manifest::Sha256Digest::of(text.as_bytes()).to_hex();
    let sealed = declared
        .pointer("/public_summary/sha256")
        .and_then(Value::as_str)
        .is_some_and(|s| s.eq_ignore_ascii_case(&sha256));
    let facts = sealed.then(|| summary_doc::facts(uri, &text, &declared));
    let Some(p) = statement
        .get_mut("predicate")
        .and_then(Value::as_object_mut)
    else {
        return Err("the manifest has no `predicate`".into());
    };
    if let Some(Value::Array(files)) = p.get_mut("files") {
        files.retain(|f| f.get("path").and_then(Value::as_str) != Some(uri));
        files.push(json!({"path": uri, "size": text.len(), "sha256": sha256}));
    }
    if let Some(facts) = facts {
        p.insert("public_summary".into(), facts);
    }
    Ok(())
}

/// Sets `path` (`a.b[0].c`) in a YAML tree to `value`; `null` removes the field.
fn set(root: &mut Node, key: &Key, value: Node) -> Result<(), String> {
    let mut steps: Vec<Step> = Vec::new();
    for part in key.name.split('.') {
        let (name, rest) = part.split_once('[').unwrap_or((part, ""));
        if !name.is_empty() {
            steps.push(Step::Key(name.to_owned()));
        }
        for index in rest.split('[') {
            let index = index.trim_end_matches(']');
            if !index.is_empty() {
                steps.push(Step::Index(
                    index.parse().map_err(|_| format!("bad index `{index}`"))?,
                ));
            }
        }
    }
    let Some((last, parents)) = steps.split_last() else {
        return Err("empty path".into());
    };
    let mut node = root;
    for step in parents {
        node = match step {
            Step::Key(k) => {
                if matches!(node.value, NodeValue::Null) {
                    node.value = NodeValue::Map(Vec::new());
                }
                let NodeValue::Map(entries) = &mut node.value else {
                    return Err(format!("`{k}` is inside something that is not a mapping"));
                };
                if !entries.iter().any(|(e, _)| e.name == *k) {
                    entries.push((
                        Key {
                            name: k.clone(),
                            pos: key.pos,
                        },
                        Node {
                            pos: key.pos,
                            value: NodeValue::Null,
                        },
                    ));
                }
                let i = entries.iter().position(|(e, _)| e.name == *k).unwrap_or(0);
                &mut entries[i].1
            }
            Step::Index(i) => {
                let NodeValue::Seq(items) = &mut node.value else {
                    return Err(format!("[{i}] applied to something that is not a list"));
                };
                let len = items.len();
                items
                    .get_mut(*i)
                    .ok_or(format!("index {i} out of range (the list has {len})"))?
            }
        };
    }
    let remove = value.value == NodeValue::Null;
    match last {
        Step::Key(k) => {
            if matches!(node.value, NodeValue::Null) {
                node.value = NodeValue::Map(Vec::new());
            }
            let NodeValue::Map(entries) = &mut node.value else {
                return Err(format!("`{k}` is inside something that is not a mapping"));
            };
            entries.retain(|(e, _)| e.name != *k);
            if !remove {
                entries.push((
                    Key {
                        name: k.clone(),
                        pos: key.pos,
                    },
                    value,
                ));
            }
        }
        Step::Index(i) => {
            let NodeValue::Seq(items) = &mut node.value else {
                return Err(format!("[{i}] applied to something that is not a list"));
            };
            if *i > items.len() {
                return Err(format!(
                    "index {i} out of range (the list has {})",
                    items.len()
                ));
            }
            if remove {
                if *i < items.len() {
                    items.remove(*i);
                }
            } else if *i == items.len() {
                items.push(value);
            } else {
                items[*i] = value;
            }
        }
    }
    Ok(())
}

enum Step {
    Key(String),
    Index(usize),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> Key {
        Key {
            name: name.into(),
            pos: yaml::Pos::default(),
        }
    }

    #[test]
    fn set_changes_adds_and_removes_fields() {
        let mut node = yaml::parse("datasets:\n  - id: a\n    lawful_basis: consent\n").unwrap();
        set(
            &mut node,
            &key("datasets[0].lawful_basis"),
            yaml::parse("legitimate_interests").unwrap(),
        )
        .unwrap();
        set(
            &mut node,
            &key("provider.country"),
            yaml::parse("FR").unwrap(),
        )
        .unwrap();
        set(
            &mut node,
            &key("datasets[1]"),
            yaml::parse("{id: b}").unwrap(),
        )
        .unwrap();
        set(
            &mut node,
            &key("datasets[0].id"),
            yaml::parse("null").unwrap(),
        )
        .unwrap();
        assert_eq!(
            node.to_json(),
            json!({"datasets": [{"lawful_basis": "legitimate_interests"}, {"id": "b"}], "provider": {"country": "FR"}})
        );
        assert!(set(&mut node, &key("datasets[5].id"), yaml::parse("x").unwrap()).is_err());
    }
}
