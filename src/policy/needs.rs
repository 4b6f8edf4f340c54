//! Which `scelle.yaml` fields the packs need for one release, so `scelle init` can write those
//! instead of the whole schema. The packs run on the release as `init` sees it (its files, and
//! what could be pre-filled); a field is needed when an expression that counts reads it:
//!
//! - every pack's `applies` and the variables it uses: the answers that decide whether a pack
//!   applies at all (a research-only release, a provider in France, a high-risk system);
//! - for the packs that apply, every rule's `when` (what decides whether the rule applies) and
//!   every effective date's condition;
//! - for the rules that apply, everything they read (`expression`, `subjects`, `warning_when`).
//!
//! Reads are found in the expressions' trees, following names through comprehensions
//! (`declared.datasets.all(d, d.lawful_basis ...)` reads `datasets.lawful_basis`) and through the
//! pack's variables (`variables.crawled` reads what its expression reads).

use std::collections::{BTreeSet, HashMap, HashSet};

use cel::common::ast::{EntryExpr, Expr as Ast, IdedExpr, LiteralValue};
use serde_json::json;

use super::eval::{self, PackResult};
use super::expr::Expr;
use super::facts::{Facts, Source, VerificationFacts};
use super::pack::Pack;
use crate::finding::Outcome;
use crate::manifest::FileRecord;
use crate::manifest::schema::Schema;
use crate::summary;

/// What the packs need for one release.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Needs {
    /// Dotted schema paths (`datasets.lawful_basis`), the deepest read.
    pub fields: BTreeSet<String>,
    /// The packs that apply, by name.
    pub applying: Vec<String>,
}

/// What `packs` need for a release whose files are `files` and whose declaration so far is
/// `declared`, as of a date (`YYYY-MM-DD`). Unsigned: the signature rules read no declaration.
pub fn for_release(
    packs: &[Pack],
    files: &[FileRecord],
    declared: &serde_json::Value,
    as_of: &str,
) -> Needs {
    let statement = json!({"predicate": {
        "files": files,
        "model": summary::model(files),
        "datasets": summary::datasets(files),
        "declared": declared,
    }});
    fields(packs, &statement, as_of)
}

/// What `packs` need for the release described by `statement` (`{"predicate": {files, model,
/// datasets, declared}}`), as of a date.
pub fn fields(packs: &[Pack], statement: &serde_json::Value, as_of: &str) -> Needs {
    let facts = Facts::new(
        Source::Json(statement),
        &VerificationFacts::default(),
        as_of,
        |_| true,
    );
    let ctx = facts.context();
    let mut out = BTreeSet::new();
    let mut applying = Vec::new();
    for pack in packs {
        // The release as published: every rule, the signature rules included, may need a field.
        let result = eval::evaluate(pack, &ctx, as_of, eval::Stage::Release);
        if result.applies {
            applying.push(pack.name.clone());
        }
        out.extend(pack_needs(pack, &result));
    }
    let Ok(schema) = Schema::get() else {
        return Needs {
            fields: out,
            applying,
        };
    };
    out.retain(|path| schema.lookup(path).is_some());
    // `provider` is read on the way to `provider.country`: the deepest paths say it all.
    let deeper: Vec<String> = out.iter().cloned().collect();
    out.retain(|path| {
        let prefix = format!("{path}.");
        !deeper.iter().any(|d| d.starts_with(&prefix))
    });
    Needs {
        fields: out,
        applying,
    }
}

/// The declared fields each figure of `derived` is computed from (mirrors `derived.rs`): a rule
/// reading `derived.compute.best` needs `training.compute.flops`, or what estimates it.
const DERIVED_INPUTS: [(&str, &[&str]); 25] = [
    ("parameters", &["model.parameters.total"]),
    ("parameters_declared", &["model.parameters.total"]),
    ("training_tokens", &["training.data_tokens_total"]),
    ("compute.declared", &["training.compute.flops"]),
    (
        "compute.cumulative",
        &[
            "training.compute.cumulative_flops",
            "training.compute.by_stage",
            "training.compute.flops",
        ],
    ),
    ("compute.stage_sum", &["training.compute.by_stage"]),
    (
        "compute.declared_below_estimate",
        &[
            "training.compute.flops",
            "training.data_tokens_total",
            "training.compute.basis.params",
        ],
    ),
    (
        "compute.estimate_6nd",
        &[
            "training.data_tokens_total",
            "training.compute.basis.params",
        ],
    ),
    (
        "compute.estimate_hardware",
        &[
            "training.compute.basis.chip_count",
            "training.compute.basis.peak_flops_per_chip",
            "training.compute.basis.utilisation",
            "training.compute.basis.hours",
        ],
    ),
    (
        "compute.best",
        &[
            "training.compute.flops",
            "training.data_tokens_total",
            "training.compute.by_stage",
        ],
    ),
    (
        "compute.modification",
        &["training.compute.modification_flops"],
    ),
    ("compute.planned", &["training.compute.planned_flops"]),
    (
        "compute.deviation",
        &["training.compute.flops", "training.data_tokens_total"],
    ),
    ("base.count", &["model.base_models.name"]),
    (
        "base.training_flops",
        &[
            "model.base_models.training_flops",
            "model.base_models.training_flops_status",
        ],
    ),
    ("base.any_systemic", &["model.base_models.systemic_risk"]),
    (
        "base.modification_ratio",
        &[
            "training.compute.modification_flops",
            "model.base_models.training_flops",
        ],
    ),
    (
        "training_data.text_tokens",
        &["datasets.size.tokens", "datasets.modality", "datasets.role"],
    ),
    (
        "training_data.images",
        &["datasets.size.images", "datasets.role"],
    ),
    (
        "training_data.audio_hours",
        &["datasets.size.audio_hours", "datasets.role"],
    ),
    (
        "training_data.video_hours",
        &["datasets.size.video_hours", "datasets.role"],
    ),
    ("license", &["model.license.spdx"]),
    ("latest_acquisition", &["datasets.acquired_at"]),
    ("source_types", &["datasets.source_type"]),
    ("dataset_paths", &["datasets.path"]),
];

/// What one pack needs, given how it ran.
pub fn pack_needs(pack: &Pack, result: &PackResult) -> BTreeSet<String> {
    let mut exprs: Vec<&Expr> = pack.applies.iter().map(|c| &c.expr).collect();
    let mut fields: Vec<String> = Vec::new();
    // An `applies` that could not be evaluated counts as applying: its rules may well.
    let applies = result.applies || result.applies_reason.is_none();
    if applies {
        exprs.extend(pack.effective_when.iter().map(|e| &e.when));
        for (rule, outcome) in pack.rules.iter().zip(&result.results) {
            exprs.extend(rule.when.iter().map(|c| &c.expr));
            exprs.extend(rule.effective_when.iter().map(|e| &e.when));
            if outcome.outcome != Outcome::NotApplicable {
                exprs.push(&rule.expression);
                exprs.extend(&rule.subjects);
                exprs.extend(&rule.warning_when);
                // Where a failure points is where the publisher is told to write.
                fields.extend(rule.field.iter().map(|f| super::pack::strip_indices(f)));
            }
        }
    }
    let mut reads = Reads::new(pack);
    reads.out.extend(fields);
    for e in exprs {
        if let Ok(tree) = e.tree() {
            reads.walk_root(tree);
        }
    }
    reads.out
}

/// The walk over expression trees.
struct Reads<'p> {
    variables: HashMap<&'p str, &'p Expr>,
    /// The declared path each variable denotes, once walked (its reads are then recorded).
    walked: HashMap<String, Option<String>>,
    walking: HashSet<String>,
    /// Names bound by enclosing comprehensions, and the path they range over.
    bound: Vec<(String, Option<String>)>,
    out: BTreeSet<String>,
}

impl<'p> Reads<'p> {
    fn new(pack: &'p Pack) -> Self {
        Reads {
            variables: pack
                .variables
                .iter()
                .map(|v| (v.name.as_str(), &v.expr))
                .collect(),
            walked: HashMap::new(),
            walking: HashSet::new(),
            bound: Vec::new(),
            out: BTreeSet::new(),
        }
    }

    fn walk_root(&mut self, e: &IdedExpr) {
        let outer = std::mem::take(&mut self.bound);
        self.walk(e);
        self.bound = outer;
    }

    fn record(&mut self, base: &str, field: &str) -> String {
        let path = if base.is_empty() {
            field.to_owned()
        } else {
            format!("{base}.{field}")
        };
        self.out.insert(path.clone());
        path
    }

    /// Walks `e`, returning the declared path it denotes (`""` for the declaration itself).
    fn walk(&mut self, e: &IdedExpr) -> Option<String> {
        match &e.expr {
            Ast::Ident(name) => {
                if let Some((_, path)) = self.bound.iter().rev().find(|(n, _)| n == name) {
                    return path.clone();
                }
                (name == "declared").then(String::new)
            }
            Ast::Select(select) => {
                if let Ast::Ident(root) = &select.operand.expr
                    && root == "variables"
                    && !self.bound.iter().any(|(n, _)| n == root)
                {
                    return self.variable(&select.field);
                }
                if let Some(figure) = self.derived_path(e) {
                    for (prefix, inputs) in DERIVED_INPUTS {
                        if figure == prefix
                            || figure.starts_with(&format!("{prefix}."))
                            || prefix.starts_with(&format!("{figure}."))
                        {
                            self.out.extend(inputs.iter().map(|i| (*i).to_owned()));
                        }
                    }
                    return None;
                }
                let base = self.walk(&select.operand)?;
                Some(self.record(&base, &select.field))
            }
            Ast::Call(call) => {
                let target = call.target.as_deref().and_then(|t| self.walk(t));
                let args: Vec<Option<String>> = call.args.iter().map(|a| self.walk(a)).collect();
                match call.func_name.as_str() {
                    // An index or a key of a list keeps its entries' fields; the cost counter
                    // every parsed expression is instrumented with hands back its argument.
                    "_[_]" | super::budget::FUNCTION => args.into_iter().next().flatten(),
                    "_?._" => {
                        let base = args.into_iter().next().flatten()?;
                        match call.args.get(1).map(|a| &a.expr) {
                            Some(Ast::Literal(LiteralValue::String(field))) => {
                                Some(self.record(&base, field.inner()))
                            }
                            _ => None,
                        }
                    }
                    "orValue" | "value" => target,
                    _ => None,
                }
            }
            Ast::Comprehension(c) => {
                let range = self.walk(&c.iter_range);
                self.walk(&c.accu_init);
                let depth = self.bound.len();
                self.bound.push((c.accu_var.clone(), None));
                match &c.iter_var2 {
                    Some(second) => {
                        self.bound.push((c.iter_var.clone(), None));
                        self.bound.push((second.clone(), range.clone()));
                    }
                    None => self.bound.push((c.iter_var.clone(), range.clone())),
                }
                self.walk(&c.loop_cond);
                self.walk(&c.loop_step);
                self.walk(&c.result);
                self.bound.truncate(depth);
                if is_filter(c) { range } else { None }
            }
            Ast::List(list) => {
                for element in &list.elements {
                    self.walk(element);
                }
                None
            }
            Ast::Map(map) => {
                for entry in &map.entries {
                    if let EntryExpr::MapEntry(m) = &entry.expr {
                        self.walk(&m.key);
                        self.walk(&m.value);
                    }
                }
                None
            }
            Ast::Struct(_) | Ast::Literal(_) | Ast::Unspecified => None,
        }
    }

    /// `compute.best` for `derived.compute.best`, when `e` is a plain path under `derived`.
    fn derived_path(&self, e: &IdedExpr) -> Option<String> {
        match &e.expr {
            Ast::Ident(name) if name == "derived" && !self.bound.iter().any(|(n, _)| n == name) => {
                Some(String::new())
            }
            Ast::Select(select) => {
                let base = self.derived_path(&select.operand)?;
                Some(if base.is_empty() {
                    select.field.clone()
                } else {
                    format!("{base}.{}", select.field)
                })
            }
            _ => None,
        }
    }

    /// A pack variable: its reads are recorded once, and the path it denotes returned.
    fn variable(&mut self, name: &str) -> Option<String> {
        if let Some(path) = self.walked.get(name) {
            return path.clone();
        }
        let expr = *self.variables.get(name)?;
        if !self.walking.insert(name.to_owned()) {
            return None;
        }
        let outer = std::mem::take(&mut self.bound);
        let path = expr.tree().ok().and_then(|t| self.walk(t));
        self.bound = outer;
        self.walking.remove(name);
        self.walked.insert(name.to_owned(), path.clone());
        path
    }
}

/// Whether a comprehension is the expansion of `filter` (`p ? @result + [x] : @result`), whose
/// result holds entries of its range.
fn is_filter(c: &cel::common::ast::ComprehensionExpr) -> bool {
    let Ast::Call(choice) = &c.loop_step.expr else {
        return false;
    };
    let Some(Ast::Call(add)) = choice.args.get(1).map(|a| &a.expr) else {
        return false;
    };
    choice.func_name == "_?_:_"
        && add.func_name == "_+_"
        && matches!(add.args.get(1).map(|a| &a.expr), Some(Ast::List(list))
            if matches!(list.elements.as_slice(), [x] if matches!(&x.expr, Ast::Ident(n) if *n == c.iter_var)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pack(text: &str) -> Pack {
        super::super::pack::load(text, "t.yaml", "test").unwrap()
    }

    const PACK: &str = r"
apiVersion: scelle.dev/v1
kind: PolicyPack
metadata: {name: t, title: t, version: '1'}
variables:
  - name: crawled
    expression: declared.datasets.filter(d, d.source_type == 'crawled_by_provider')
  - name: french
    expression: declared.provider.country == 'FR'
applies:
  expression: '!(declared.release.purpose in [''research_only''])'
rules:
  - id: T-1
    title: t
    severity: error
    reference: r
    when: {expression: variables.crawled.size() > 0}
    expression: variables.crawled.all(d, d.crawl.respects_robots == true)
    message: m
    fix: f
  - id: T-2
    title: t
    severity: error
    reference: r
    when: {expression: variables.french}
    expression: has(declared.gdpr.dpia) && declared.?copyright.policy.hasValue()
    message: m
    fix: f
";

    #[test]
    fn every_derived_input_is_a_field_of_the_schema() {
        let schema = Schema::get().unwrap();
        for (figure, inputs) in DERIVED_INPUTS {
            for input in inputs {
                assert!(schema.lookup(input).is_some(), "{figure}: `{input}`");
            }
        }
    }

    #[test]
    fn reads_follow_comprehensions_variables_and_what_applies() {
        let p = pack(PACK);
        // Nothing declared: both `when`s are false, so only the questions are needed.
        let statement = json!({"predicate": {"files": [], "declared": {}}});
        let needed = fields(std::slice::from_ref(&p), &statement, "2026-01-01").fields;
        assert_eq!(
            needed.iter().map(String::as_str).collect::<Vec<_>>(),
            [
                "datasets.source_type",
                "provider.country",
                "release.purpose"
            ]
        );
        // A crawled dataset and a French provider: the rules apply, and what they read counts.
        let statement = json!({"predicate": {"files": [], "declared": {
            "provider": {"country": "FR"},
            "datasets": [{"id": "web", "source_type": "crawled_by_provider"}]}}});
        let needed = fields(std::slice::from_ref(&p), &statement, "2026-01-01").fields;
        for path in [
            "datasets.crawl.respects_robots",
            "gdpr.dpia",
            "copyright.policy",
        ] {
            assert!(needed.contains(path), "{path} missing from {needed:?}");
        }
        // A release kept for research: the pack does not apply, only its question remains.
        let statement = json!({"predicate": {"files": [], "declared": {
            "release": {"purpose": "research_only"}, "provider": {"country": "FR"}}}});
        let needed = fields(std::slice::from_ref(&p), &statement, "2026-01-01").fields;
        assert_eq!(
            needed.iter().map(String::as_str).collect::<Vec<_>>(),
            ["release.purpose"]
        );
    }
}
