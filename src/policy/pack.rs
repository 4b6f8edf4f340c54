//! A policy pack as its author wrote it: YAML shaped like a Kubernetes admission policy
//! (DESIGN.md §3.5), read with positions and checked whole before anything runs. Every problem
//! (an unknown field, a missing `fix`, a duplicate rule id, an expression that does not compile)
//! is reported with its line and column; a pack with problems does not load.

use std::collections::BTreeSet;
use std::fmt;

use super::eval::Stage;
use super::expr::{self, Expr, ExprError, Scope, Site};
use crate::finding::{Outcome, Severity};
use crate::manifest::descriptor::{check_date, closest};
use crate::manifest::schema::Schema;
use crate::yaml::{self, Key, Node, NodeValue, Pos};

/// The only `apiVersion` and `kind` this build reads.
pub const API_VERSION: &str = "scelle.dev/v1";
pub const KIND: &str = "PolicyPack";

/// A loaded pack.
#[derive(Debug)]
pub struct Pack {
    /// Where it came from, for messages: `built-in` or the file's path.
    pub origin: String,
    pub name: String,
    pub title: String,
    pub version: String,
    /// From this date (`--as-of`) failures count at their severity; before, as warnings.
    pub effective: Option<String>,
    pub effective_when: Vec<Effective>,
    /// The legal text the pack reads.
    pub source: Option<String>,
    pub description: Option<String>,
    /// Default `helpUri` of the rules.
    pub help_uri: Option<String>,
    pub variables: Vec<Variable>,
    pub applies: Option<Condition>,
    pub rules: Vec<Rule>,
    pub tests: Vec<TestCase>,
    /// Things `policy lint` reports that do not stop the pack from loading.
    pub warnings: Vec<Problem>,
}

/// A condition with the words a report shows when it is false.
#[derive(Debug)]
pub struct Condition {
    pub expr: Expr,
    pub description: Option<String>,
}

impl Condition {
    /// What to say when the condition does not hold.
    pub fn explain(&self) -> String {
        self.description
            .clone()
            .unwrap_or_else(|| format!("`{}`", self.expr.source.trim()))
    }
}

/// A later effective date for some cases (legacy models, systems placed before a date).
#[derive(Debug)]
pub struct Effective {
    pub when: Expr,
    pub date: String,
    pub reason: String,
}

/// A named value computed once per check, in order.
#[derive(Debug)]
pub struct Variable {
    pub name: String,
    pub expr: Expr,
    pub description: Option<String>,
}

/// One rule.
#[derive(Debug)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    /// The legal reference (`AI Act Art. 53(1)(c); Recital 104`).
    pub reference: String,
    /// What the rule checks and why, for `policy explain`.
    pub description: Option<String>,
    pub when: Option<Condition>,
    pub expression: Expr,
    pub message: String,
    pub fix: String,
    /// The `scelle.yaml` field a finding points at.
    pub field: Option<String>,
    /// On failure, the entries concerned (dataset ids, field paths, file paths), as a list of
    /// strings.
    pub subjects: Option<Expr>,
    /// On failure, report a warning instead of the rule's severity when this holds.
    pub warning_when: Option<Expr>,
    pub effective: Option<String>,
    pub effective_when: Vec<Effective>,
    pub help_uri: Option<String>,
    /// The stages the rule applies at (`stages: [release]`); empty: every stage.
    pub stages: Vec<Stage>,
    pub pos: Pos,
}

impl Rule {
    /// Whether the rule applies at `stage`.
    pub fn applies_at(&self, stage: Stage) -> bool {
        self.stages.is_empty() || self.stages.contains(&stage)
    }
}

impl Pack {
    /// Every compiled expression of the pack.
    pub fn exprs(&self) -> impl Iterator<Item = &Expr> {
        let pack = self.applies.iter().map(|c| &c.expr);
        let effective = self.effective_when.iter().map(|e| &e.when);
        let variables = self.variables.iter().map(|v| &v.expr);
        let rules = self.rules.iter().flat_map(|r| {
            r.when
                .iter()
                .map(|c| &c.expr)
                .chain([&r.expression])
                .chain(&r.subjects)
                .chain(&r.warning_when)
                .chain(r.effective_when.iter().map(|e| &e.when))
        });
        pack.chain(effective).chain(variables).chain(rules)
    }

    /// Whether an expression of the pack reads the name `root` (`files`, `manifest`...).
    pub fn reads(&self, root: &str) -> bool {
        self.exprs().any(|e| e.mentions(root))
    }
}

/// A case of `scelle policy test`.
#[derive(Debug, Clone)]
pub struct TestCase {
    pub name: String,
    /// A `scelle.yaml` to use as the declaration, relative to the pack file.
    pub scelle: Option<String>,
    /// A manifest (statement JSON) for the files, relative to the pack file.
    pub manifest: Option<String>,
    /// A model card (`README.md` text), relative to the pack file: its facts replace the
    /// manifest's `predicate.card`, as a scan of a release holding it would record them.
    pub card: Option<String>,
    /// A public summary of training content, relative to the pack file: shipped in the release
    /// at the declaration's `public_summary.uri` with its own digest, and read as a scan reads
    /// it (only when that is the declared `sha256`).
    pub summary: Option<String>,
    /// Changes to the declaration: dotted path (`datasets[0].lawful_basis`) to value; `null`
    /// removes the field.
    pub set: Vec<(Key, Node)>,
    /// Overrides of `verification` facts.
    pub verification: Option<Node>,
    pub as_of: Option<String>,
    /// The stage of the check (`--stage`); default `release`.
    pub stage: Option<Stage>,
    pub expect: Vec<(String, Outcome, Pos)>,
    pub pos: Pos,
}

/// One problem in a pack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub pos: Pos,
    pub message: String,
}

/// A pack that could not load: every problem, one per line.
#[derive(Debug, Clone, thiserror::Error)]
pub struct LoadError {
    pub file: String,
    pub problems: Vec<Problem>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self
            .problems
            .iter()
            .map(|p| {
                format!(
                    "{}:{}:{}: {}",
                    crate::text::escape(&self.file),
                    p.pos.line,
                    p.pos.column,
                    crate::text::escape(&p.message)
                )
            })
            .collect();
        f.write_str(&lines.join("\n"))
    }
}

const TOP: [&str; 7] = [
    "apiVersion",
    "kind",
    "metadata",
    "variables",
    "applies",
    "rules",
    "tests",
];
const METADATA: [&str; 8] = [
    "name",
    "title",
    "version",
    "effective",
    "effective_when",
    "source",
    "description",
    "help_uri",
];
const RULE: [&str; 16] = [
    "id",
    "title",
    "severity",
    "reference",
    "description",
    "when",
    "expression",
    "message",
    "fix",
    "field",
    "subjects",
    "warning_when",
    "effective",
    "effective_when",
    "help_uri",
    "stages",
];
const TEST: [&str; 10] = [
    "name",
    "scelle",
    "manifest",
    "card",
    "summary",
    "set",
    "verification",
    "as_of",
    "stage",
    "expect",
];

/// Reads a pack from its text; `file` names it in messages.
pub fn load(text: &str, file: &str, origin: &str) -> Result<Pack, LoadError> {
    read(text, file, origin, false)
}

/// Reads a pack whose expressions are known to compile and check (a built-in pack, which
/// `policy lint` and the tests load with [`load`]): each is compiled on first use instead.
pub fn load_trusted(text: &str, file: &str, origin: &str) -> Result<Pack, LoadError> {
    read(text, file, origin, true)
}

fn read(text: &str, file: &str, origin: &str, deferred: bool) -> Result<Pack, LoadError> {
    let root = yaml::parse(text).map_err(|e| LoadError {
        file: file.to_owned(),
        problems: vec![Problem {
            pos: e.pos,
            message: format!("not valid YAML: {}", e.message),
        }],
    })?;
    let mut r = Reader {
        text,
        deferred,
        problems: Vec::new(),
        warnings: Vec::new(),
    };
    let pack = r.pack(&root, origin);
    if r.problems.is_empty()
        && let Some(mut pack) = pack
    {
        pack.warnings = r.warnings;
        return Ok(pack);
    }
    r.problems.sort_by_key(|p| p.pos);
    r.problems.dedup();
    Err(LoadError {
        file: file.to_owned(),
        problems: r.problems,
    })
}

struct Reader<'t> {
    text: &'t str,
    /// Expressions are compiled on first use, not checked now.
    deferred: bool,
    problems: Vec<Problem>,
    warnings: Vec<Problem>,
}

impl Reader<'_> {
    fn problem(&mut self, pos: Pos, message: impl Into<String>) {
        self.problems.push(Problem {
            pos,
            message: message.into(),
        });
    }

    /// Reports keys of `node` outside `allowed`; `where_` names the mapping.
    fn keys(&mut self, node: &Node, allowed: &[&str], where_: &str) -> bool {
        let NodeValue::Map(entries) = &node.value else {
            self.problem(
                node.pos,
                format!("{where_} must be a mapping, found {}", node.value.kind()),
            );
            return false;
        };
        for (key, _) in entries {
            if !allowed.contains(&key.name.as_str()) {
                let suggestion = closest(&key.name, allowed)
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                self.problem(
                    key.pos,
                    format!("unknown field `{}` in {where_}{suggestion}", key.name),
                );
            }
        }
        true
    }

    fn string(&mut self, node: &Node, key: &str, where_: &str, required: bool) -> Option<String> {
        match node.get(key) {
            None
            | Some(Node {
                value: NodeValue::Null,
                ..
            }) => {
                if required {
                    self.problem(node.pos, format!("{where_} has no `{key}`"));
                }
                None
            }
            Some(Node {
                value: NodeValue::Str(s),
                ..
            }) => Some(s.clone()),
            Some(other) => {
                self.problem(
                    other.pos,
                    format!(
                        "`{key}` in {where_} must be a string, found {}",
                        other.value.kind()
                    ),
                );
                None
            }
        }
    }

    fn date(&mut self, node: &Node, key: &str, where_: &str) -> Option<String> {
        let s = self.string(node, key, where_, false)?;
        match check_date(&s) {
            Ok(()) => Some(s),
            Err(message) => {
                let pos = node.get(key).map_or(node.pos, |n| n.pos);
                self.problem(pos, format!("`{key}` in {where_}: {message}"));
                None
            }
        }
    }

    fn expr(&mut self, node: &Node, source: &str, variables: &[String]) -> Option<Expr> {
        if self.deferred {
            return Some(Expr::deferred(source, node.pos));
        }
        let site = Site {
            file: self.text,
            pos: node.pos,
        };
        match expr::compile(source, site, Scope { variables }) {
            Ok(e) => Some(e),
            Err(ExprError { pos, message }) => {
                self.problem(pos, message);
                None
            }
        }
    }

    /// An expression field: a string.
    fn expr_at(
        &mut self,
        node: &Node,
        key: &str,
        where_: &str,
        variables: &[String],
        required: bool,
    ) -> Option<Expr> {
        let source = self.string(node, key, where_, required)?;
        let at = node.get(key)?;
        self.expr(at, &source, variables)
    }

    /// `applies:` / `when:`: an expression, or `{expression, description}`.
    fn condition(
        &mut self,
        node: &Node,
        key: &str,
        where_: &str,
        variables: &[String],
    ) -> Option<Condition> {
        let at = node.get(key)?;
        match &at.value {
            NodeValue::Str(source) => Some(Condition {
                expr: self.expr(at, source, variables)?,
                description: None,
            }),
            NodeValue::Map(_) => {
                let inner = format!("`{key}` of {where_}");
                self.keys(at, &["expression", "description"], &inner);
                let description = self.string(at, "description", &inner, false);
                let expr = self.expr_at(at, "expression", &inner, variables, true)?;
                Some(Condition { expr, description })
            }
            NodeValue::Null => None,
            other => {
                self.problem(
                    at.pos,
                    format!(
                        "`{key}` of {where_} must be an expression, found {}",
                        other.kind()
                    ),
                );
                None
            }
        }
    }

    fn effective_when(
        &mut self,
        node: &Node,
        where_: &str,
        variables: &[String],
    ) -> Vec<Effective> {
        let Some(list) = node.get("effective_when") else {
            return Vec::new();
        };
        let NodeValue::Seq(items) = &list.value else {
            self.problem(
                list.pos,
                format!("`effective_when` of {where_} must be a list"),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items {
            let inner = format!("an `effective_when` entry of {where_}");
            if !self.keys(item, &["when", "date", "reason"], &inner) {
                continue;
            }
            let when = self.expr_at(item, "when", &inner, variables, true);
            let date = self.date(item, "date", &inner);
            if date.is_none() && item.get("date").is_none() {
                self.problem(item.pos, format!("{inner} has no `date`"));
            }
            let reason = self.string(item, "reason", &inner, true);
            if let (Some(when), Some(date), Some(reason)) = (when, date, reason) {
                out.push(Effective { when, date, reason });
            }
        }
        out
    }

    fn pack(&mut self, root: &Node, origin: &str) -> Option<Pack> {
        if !self.keys(root, &TOP, "the pack") {
            return None;
        }
        match self.string(root, "apiVersion", "the pack", true) {
            Some(v) if v != API_VERSION => {
                let pos = root.get("apiVersion").map_or(root.pos, |n| n.pos);
                self.problem(
                    pos,
                    format!("unsupported `apiVersion: {v}`; this scelle reads `{API_VERSION}`"),
                );
            }
            _ => {}
        }
        match self.string(root, "kind", "the pack", true) {
            Some(k) if k != KIND => {
                let pos = root.get("kind").map_or(root.pos, |n| n.pos);
                self.problem(pos, format!("`kind` must be `{KIND}`, found `{k}`"));
            }
            _ => {}
        }
        let Some(meta) = root.get("metadata") else {
            self.problem(root.pos, "the pack has no `metadata`");
            return None;
        };
        self.keys(meta, &METADATA, "`metadata`");
        let name = self.string(meta, "name", "`metadata`", true);
        if let Some(n) = &name
            && (n.is_empty()
                || !n
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'))
        {
            let pos = meta.get("name").map_or(meta.pos, |n| n.pos);
            self.problem(
                pos,
                format!("pack name `{n}` must be lower-case letters, digits and `-`"),
            );
        }
        let title = self.string(meta, "title", "`metadata`", true);
        let version = self.string(meta, "version", "`metadata`", true);
        let effective = self.date(meta, "effective", "`metadata`");
        let source = self.string(meta, "source", "`metadata`", false);
        let description = self.string(meta, "description", "`metadata`", false);
        let help_uri = self.string(meta, "help_uri", "`metadata`", false);

        let (variables, names) = self.variables(root);
        let effective_when = self.effective_when(meta, "`metadata`", &names);
        let applies = self.condition(root, "applies", "the pack", &names);
        let rules = self.rules(root, &names);
        let tests = self.tests(root, &rules);
        Some(Pack {
            origin: origin.to_owned(),
            name: name?,
            title: title?,
            version: version?,
            effective,
            effective_when,
            source,
            description,
            help_uri,
            variables,
            applies,
            rules,
            tests,
            warnings: Vec::new(),
        })
    }

    fn list<'n>(&mut self, root: &'n Node, key: &str) -> &'n [Node] {
        match root.get(key).map(|n| (n.pos, &n.value)) {
            Some((_, NodeValue::Seq(items))) => items,
            Some((_, NodeValue::Null)) | None => &[],
            Some((pos, other)) => {
                self.problem(
                    pos,
                    format!("`{key}` must be a list, found {}", other.kind()),
                );
                &[]
            }
        }
    }

    /// The variables that compiled, and the names of all (so one bad variable does not make
    /// every later use of it an error too).
    fn variables(&mut self, root: &Node) -> (Vec<Variable>, Vec<String>) {
        let mut out: Vec<Variable> = Vec::new();
        let mut names: Vec<String> = Vec::new();
        for item in self.list(root, "variables") {
            if !self.keys(item, &["name", "expression", "description"], "a variable") {
                continue;
            }
            let Some(name) = self.string(item, "name", "a variable", true) else {
                continue;
            };
            if names.contains(&name) {
                self.problem(item.pos, format!("variable `{name}` is defined twice"));
                continue;
            }
            let description = self.string(item, "description", "a variable", false);
            let where_ = format!("variable `{name}`");
            let expr = self.expr_at(item, "expression", &where_, &names, true);
            names.push(name.clone());
            if let Some(expr) = expr {
                out.push(Variable {
                    name,
                    expr,
                    description,
                });
            }
        }
        (out, names)
    }

    fn rules(&mut self, root: &Node, variables: &[String]) -> Vec<Rule> {
        let schema = Schema::get().ok();
        let mut out: Vec<Rule> = Vec::new();
        let mut seen = BTreeSet::new();
        if root.get("rules").is_none() {
            self.problem(root.pos, "the pack has no `rules`");
        }
        for item in self.list(root, "rules") {
            if !self.keys(item, &RULE, "a rule") {
                continue;
            }
            let Some(id) = self.string(item, "id", "a rule", true) else {
                continue;
            };
            let where_ = format!("rule `{id}`");
            if !seen.insert(id.clone()) {
                let pos = item.get("id").map_or(item.pos, |n| n.pos);
                self.problem(pos, format!("rule id `{id}` is used twice"));
            }
            let title = self.string(item, "title", &where_, true);
            let severity = match self.string(item, "severity", &where_, true).as_deref() {
                Some("error") => Some(Severity::Error),
                Some("warning") => Some(Severity::Warning),
                Some("info") => Some(Severity::Info),
                Some(other) => {
                    let pos = item.get("severity").map_or(item.pos, |n| n.pos);
                    self.problem(pos, format!("severity of {where_} must be `error`, `warning` or `info`, found `{other}`"));
                    None
                }
                None => None,
            };
            let reference = self.string(item, "reference", &where_, true);
            let description = self.string(item, "description", &where_, false);
            let message = self.string(item, "message", &where_, true);
            let fix = self.string(item, "fix", &where_, true);
            let field = self.string(item, "field", &where_, false);
            if let (Some(f), Some(schema)) = (&field, schema) {
                let plain: String = strip_indices(f);
                if schema.lookup(&plain).is_none() {
                    let pos = item.get("field").map_or(item.pos, |n| n.pos);
                    self.problem(
                        pos,
                        format!("`field` of {where_}: `scelle.yaml` has no field `{f}`"),
                    );
                }
            }
            let when = self.condition(item, "when", &where_, variables);
            let expression = self.expr_at(item, "expression", &where_, variables, true);
            let subjects = self.expr_at(item, "subjects", &where_, variables, false);
            let warning_when = self.expr_at(item, "warning_when", &where_, variables, false);
            let effective = self.date(item, "effective", &where_);
            let effective_when = self.effective_when(item, &where_, variables);
            let help_uri = self.string(item, "help_uri", &where_, false);
            let stages = self.stages(item, &where_);
            if let Some(w) = &when
                && w.expr.source.trim() == "false"
            {
                self.warnings.push(Problem {
                    pos: w.expr.pos,
                    message: format!("{where_} can never apply: its `when` is `false`"),
                });
            }
            if let (
                Some(title),
                Some(severity),
                Some(reference),
                Some(expression),
                Some(message),
                Some(fix),
            ) = (title, severity, reference, expression, message, fix)
            {
                out.push(Rule {
                    id,
                    title,
                    severity,
                    reference,
                    description,
                    when,
                    expression,
                    message,
                    fix,
                    field,
                    subjects,
                    warning_when,
                    effective,
                    effective_when,
                    help_uri,
                    stages,
                    pos: item.pos,
                });
            }
        }
        out
    }

    /// `stages:` of a rule: a list of `pre-sign` and `release`.
    fn stages(&mut self, item: &Node, where_: &str) -> Vec<Stage> {
        let Some(node) = item.get("stages") else {
            return Vec::new();
        };
        let NodeValue::Seq(values) = &node.value else {
            self.problem(
                node.pos,
                format!("`stages` of {where_} must be a list, such as `[release]`"),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for v in values {
            match v.as_str().and_then(Stage::parse) {
                Some(stage) if !out.contains(&stage) => out.push(stage),
                Some(_) => {}
                None => self.problem(
                    v.pos,
                    format!("a stage of {where_} must be `pre-sign` or `release`"),
                ),
            }
        }
        if values.is_empty() {
            self.problem(
                node.pos,
                format!("`stages` of {where_} is empty: the rule would never apply"),
            );
        }
        out
    }

    fn tests(&mut self, root: &Node, rules: &[Rule]) -> Vec<TestCase> {
        let mut out = Vec::new();
        let ids: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
        for item in self.list(root, "tests") {
            if !self.keys(item, &TEST, "a test") {
                continue;
            }
            let Some(name) = self.string(item, "name", "a test", true) else {
                continue;
            };
            let where_ = format!("test `{name}`");
            let scelle = self.string(item, "scelle", &where_, false);
            let manifest = self.string(item, "manifest", &where_, false);
            let card = self.string(item, "card", &where_, false);
            let summary = self.string(item, "summary", &where_, false);
            let as_of = self.date(item, "as_of", &where_);
            let stage = self.string(item, "stage", &where_, false).and_then(|s| {
                let stage = Stage::parse(&s);
                if stage.is_none() {
                    let pos = item.get("stage").map_or(item.pos, |n| n.pos);
                    self.problem(
                        pos,
                        format!("`stage` of {where_} must be `pre-sign` or `release`, found `{s}`"),
                    );
                }
                stage
            });
            let set = match item.get("set").map(|n| &n.value) {
                Some(NodeValue::Map(entries)) => entries.clone(),
                None | Some(NodeValue::Null) => Vec::new(),
                Some(other) => {
                    self.problem(
                        item.pos,
                        format!(
                            "`set` of {where_} must be a mapping, found {}",
                            other.kind()
                        ),
                    );
                    Vec::new()
                }
            };
            let verification = item.get("verification").cloned();
            let mut expect = Vec::new();
            match item.get("expect").map(|n| &n.value) {
                Some(NodeValue::Map(entries)) => {
                    for (key, value) in entries {
                        if !ids.contains(&key.name.as_str()) {
                            let suggestion = closest(&key.name, &ids)
                                .map(|s| format!(" (did you mean `{s}`?)"))
                                .unwrap_or_default();
                            self.problem(key.pos, format!("{where_} expects an outcome of `{}`, which is not a rule of this pack{suggestion}", key.name));
                            continue;
                        }
                        let outcome = match value.as_str() {
                            Some("pass") => Outcome::Pass,
                            Some("fail") => Outcome::Fail,
                            Some("not_applicable") => Outcome::NotApplicable,
                            Some("error") => Outcome::Error,
                            _ => {
                                self.problem(value.pos, format!("expected outcome of `{}` must be `pass`, `fail`, `not_applicable` or `error`", key.name));
                                continue;
                            }
                        };
                        expect.push((key.name.clone(), outcome, key.pos));
                    }
                }
                _ => self.problem(
                    item.pos,
                    format!("{where_} has no `expect` mapping of rule ids to outcomes"),
                ),
            }
            out.push(TestCase {
                name,
                scelle,
                manifest,
                card,
                summary,
                set,
                verification,
                as_of,
                stage,
                expect,
                pos: item.pos,
            });
        }
        out
    }
}

/// `datasets[0].lia` as the schema spells it: `datasets.lia`.
pub fn strip_indices(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut depth = 0;
    for c in path.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"apiVersion: scelle.dev/v1
kind: PolicyPack
metadata:
  name: demo
  title: Demo
  version: "1"
  effective: 2025-08-02
variables:
  - name: gpai
    expression: derived.compute.best > 1e23
applies: "variables.gpai"
rules:
  - id: R-1
    title: A copyright policy is referenced
    severity: error
    reference: AI Act Art. 53(1)(c)
    expression: declared.copyright.policy != null
    message: no copyright policy is referenced
    fix: add `copyright.policy` to `scelle.yaml`
    field: copyright.policy
  - id: R-2
    title: Every dataset has a lawful basis
    severity: warning
    reference: GDPR Art. 6(1)
    expression: >-
      declared.datasets.all(d,
        d.lawful_basis != null)
    subjects: declared.datasets.filter(d, d.lawful_basis == null).map(d, d.id)
    message: datasets without a lawful basis
    fix: set `lawful_basis`
    field: datasets.lawful_basis
"#;

    fn problems(text: &str) -> Vec<String> {
        match load(text, "p.yaml", "p.yaml") {
            Ok(_) => panic!("expected problems"),
            Err(e) => e
                .problems
                .iter()
                .map(|p| format!("{}:{}: {}", p.pos.line, p.pos.column, p.message))
                .collect(),
        }
    }

    #[test]
    fn a_good_pack_loads() {
        let pack = load(GOOD, "p.yaml", "built-in").unwrap();
        assert_eq!(pack.name, "demo");
        assert_eq!(pack.rules.len(), 2);
        assert_eq!(pack.variables[0].name, "gpai");
        assert!(pack.warnings.is_empty());
    }

    #[test]
    fn expression_errors_point_into_the_pack_file() {
        let case = |from: &str, to: &str| problems(&GOOD.replace(from, to));
        let policy = "declared.copyright.policy != null";
        // A misspelt field, pointed at the selection.
        assert_eq!(
            case(policy, "declared.copyright.polcy != null"),
            ["17:35: `declared.copyright` has no field `polcy` (did you mean `policy`?)"]
        );
        // Inside a comprehension, on the second line of a folded block.
        assert_eq!(
            case("d.lawful_basis != null)", "d.lawfull_basis != null)"),
            ["27:10: `d` has no field `lawfull_basis` (did you mean `lawful_basis`?)"]
        );
        assert_eq!(
            case("variables.gpai", "variables.gpia"),
            [
                "11:20: no variable `gpia` is defined before this point in the pack (did you mean `gpai`?)"
            ]
        );
        // A syntax error at the end of the expression; later uses of the variable are not
        // reported again.
        let syntax = case("derived.compute.best > 1e23", "derived.compute.best >");
        assert_eq!(syntax.len(), 1, "{syntax:?}");
        assert!(
            syntax[0].starts_with("10:39: invalid expression: mismatched input '<EOF>'"),
            "{syntax:?}"
        );
        let unknown = case(policy, "decalred.copyright.policy != null");
        assert!(
            unknown[0].starts_with("17:17: unknown name `decalred` (did you mean `declared`?)"),
            "{unknown:?}"
        );
        let list = case(policy, "declared.datasets.lawful_basis != null");
        assert!(
            list[0].starts_with("17:34: `declared.datasets` is a list"),
            "{list:?}"
        );
        assert_eq!(
            case(policy, "lowercase('x') == 'x'"),
            ["17:26: unknown function `lowercase`"]
        );
        assert_eq!(
            case(policy, "derived.compute.estimate > 0.0"),
            ["17:32: `derived.compute` has no field `estimate` (did you mean `estimate_6nd`?)"]
        );
    }

    #[test]
    fn structural_errors_are_all_reported() {
        let bad = GOOD
            .replace("    fix: set `lawful_basis`\n", "")
            .replace("id: R-2", "id: R-1")
            .replace("severity: warning", "severity: critical")
            .replace(
                "field: copyright.policy",
                "field: copyright.polcy\n    fixx: x",
            );
        assert_eq!(
            problems(&bad),
            [
                "20:12: `field` of rule `R-1`: `scelle.yaml` has no field `copyright.polcy`",
                "21:5: unknown field `fixx` in a rule (did you mean `fix`?)",
                "22:5: rule `R-1` has no `fix`",
                "22:9: rule id `R-1` is used twice",
                "24:15: severity of rule `R-1` must be `error`, `warning` or `info`, found `critical`",
            ]
        );
        let bad = GOOD.replace("apiVersion: scelle.dev/v1", "apiVersion: scelle.dev/v2");
        assert_eq!(
            problems(&bad),
            ["1:13: unsupported `apiVersion: scelle.dev/v2`; this scelle reads `scelle.dev/v1`"]
        );
    }
}
