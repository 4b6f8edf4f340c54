//! Running one pack over the facts: variables in order, the pack's `applies`, then each rule's
//! `when` and `expression`, with the effective date deciding whether a failure counts at the
//! rule's severity or as a warning ("readiness" before the date). An expression that fails at
//! run time is an `error` outcome with the rule id and the reason: never swallowed, never a pass.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use cel::Context;
use cel::objects::{Key, Value as Cel};
use serde::Serialize;
use serde_json::Value;

use super::budget;
use super::expr::Expr;
use super::facts::{describe_error, from_cel};
use super::pack::{Effective, Pack, Rule};
use crate::finding::{Location, Outcome, Severity};
use crate::waiver::Applied;

/// When in the release process a check is made. Rules that only make sense for a sealed release
/// (the signature) list the stages they apply at (`stages:`); at another stage they are
/// `not_applicable`, and the report says why. Nothing else changes with the stage.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// Before signing (the usual pre-release gate): the signature rules do not apply
    PreSign,
    /// The release as published: every rule applies
    #[default]
    Release,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::PreSign => "pre-sign",
            Stage::Release => "release",
        }
    }

    pub fn parse(s: &str) -> Option<Stage> {
        match s {
            "pre-sign" => Some(Stage::PreSign),
            "release" => Some(Stage::Release),
            _ => None,
        }
    }

    /// Why a rule limited to other stages does not apply at this one.
    pub fn not_applicable_reason(self) -> String {
        let when = match self {
            Stage::PreSign => "checked before signing",
            Stage::Release => "checked as a published release",
        };
        format!("not applicable: {when} (--stage {})", self.as_str())
    }
}

/// The outcome of one rule.
#[derive(Debug, Clone, Serialize)]
pub struct RuleResult {
    pub id: String,
    pub title: String,
    pub outcome: Outcome,
    /// The severity as reported (a failure before the effective date is a warning).
    pub severity: Severity,
    /// The rule's own severity.
    pub rule_severity: Severity,
    pub message: String,
    pub reference: String,
    pub fix: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The entries concerned by a failure.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subjects: Vec<String>,
    /// Where the findings point (filled in by the check, which knows the files).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<Location>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help_uri: Option<String>,
    /// The date from which failures count at the rule's severity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective: Option<String>,
    pub in_effect: bool,
    /// Why the severity differs from the rule's, or why the effective date moved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// A failure that waivers in force cover for every subject: it does not fail the run.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub waived: bool,
    /// The waivers that covered some subject of the failure.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub waivers: Vec<Applied>,
}

/// How many rules ended how.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub pass: usize,
    /// Failures not waived.
    pub fail: usize,
    /// Failures a waiver covers.
    pub waived: usize,
    pub not_applicable: usize,
    pub error: usize,
}

impl Counts {
    pub fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Pass => self.pass += 1,
            Outcome::Fail => self.fail += 1,
            Outcome::NotApplicable => self.not_applicable += 1,
            Outcome::Error => self.error += 1,
        }
    }

    pub fn total(&self) -> usize {
        self.pass + self.fail + self.waived + self.not_applicable + self.error
    }
}

/// The outcome of one pack.
#[derive(Debug, Clone, Serialize)]
pub struct PackResult {
    pub name: String,
    pub title: String,
    pub version: String,
    /// `built-in` or the pack file.
    pub origin: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub applies: bool,
    /// Why the pack does not apply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applies_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective: Option<String>,
    pub in_effect: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_reason: Option<String>,
    /// The pack's variables as computed (what the pack concluded about the release).
    pub variables: BTreeMap<String, Value>,
    /// Variables that could not be computed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
    pub counts: Counts,
    pub results: Vec<RuleResult>,
}

enum Eval {
    Bool(bool),
    Other(String),
    Failed(String),
}

fn run(expr: &Expr, ctx: &Context<'_, '_>) -> Eval {
    match execute(expr, ctx) {
        Ok(Cel::Bool(b)) => Eval::Bool(b),
        Ok(other) => Eval::Other(from_cel(&other).to_string()),
        Err(message) => Eval::Failed(message),
    }
}

/// Runs an expression within its budget; a deferred one that does not parse fails like a
/// run-time error, and so does one that ran out of budget, whatever CEL made of the error.
fn execute(expr: &Expr, ctx: &Context<'_, '_>) -> Result<Cel, String> {
    let tree = expr.tree().map_err(|e| format!("does not parse: {e}"))?;
    budget::start();
    let result = ctx.resolve(tree);
    if let Some(limit) = budget::exhausted() {
        return Err(budget::message(limit));
    }
    result.map_err(|e| describe_error(&e))
}

/// The effective date that applies, with its reason when an `effective_when` entry chose it.
fn effective_date(
    entries: &[Effective],
    default: Option<&String>,
    ctx: &Context<'_, '_>,
) -> (Option<String>, Option<String>) {
    for e in entries {
        if let Eval::Bool(true) = run(&e.when, ctx) {
            return (Some(e.date.clone()), Some(e.reason.clone()));
        }
    }
    (default.cloned(), None)
}

/// Evaluates `pack` in `root` (the facts), `as_of` a `YYYY-MM-DD` date, at `stage`.
pub fn evaluate(pack: &Pack, root: &Context<'_, '_>, as_of: &str, stage: Stage) -> PackResult {
    let mut scope = root.new_inner_scope();
    let mut values: HashMap<Key, Cel> = HashMap::new();
    let mut variables = BTreeMap::new();
    let mut errors = Vec::new();
    for variable in &pack.variables {
        scope.add_variable_from_value("variables", Cel::from(values.clone()));
        let value = match execute(&variable.expr, &scope) {
            Ok(v) => v,
            Err(message) => {
                errors.push(format!("variable `{}`: {message}", variable.name));
                Cel::Null
            }
        };
        variables.insert(variable.name.clone(), from_cel(&value));
        values.insert(Key::String(Arc::new(variable.name.clone())), value);
    }
    scope.add_variable_from_value("variables", Cel::from(values));

    let (effective, effective_reason) =
        effective_date(&pack.effective_when, pack.effective.as_ref(), &scope);
    let in_effect = effective.as_deref().is_none_or(|d| as_of >= d);

    let applies = match &pack.applies {
        None => Ok(true),
        Some(condition) => match run(&condition.expr, &scope) {
            Eval::Bool(b) => Ok(b),
            Eval::Other(v) => Err(format!("`applies` gave {v}, not true or false")),
            Eval::Failed(e) => Err(format!("`applies` could not be evaluated: {e}")),
        },
    };
    let applies_reason = match &applies {
        Ok(false) => pack
            .applies
            .as_ref()
            .map(|c| format!("the pack applies when {}", c.explain())),
        _ => None,
    };

    let mut counts = Counts::default();
    let results: Vec<RuleResult> = pack
        .rules
        .iter()
        .map(|rule| {
            let result = match &applies {
                Ok(true) if !rule.applies_at(stage) => skipped(
                    rule,
                    pack,
                    Outcome::NotApplicable,
                    stage.not_applicable_reason(),
                ),
                Ok(true) => rule_result(pack, rule, &scope, as_of),
                Ok(false) => skipped(
                    rule,
                    pack,
                    Outcome::NotApplicable,
                    applies_reason.clone().unwrap_or_default(),
                ),
                Err(e) => skipped(rule, pack, Outcome::Error, e.clone()),
            };
            counts.add(result.outcome);
            result
        })
        .collect();

    PackResult {
        name: pack.name.clone(),
        title: pack.title.clone(),
        version: pack.version.clone(),
        origin: pack.origin.clone(),
        source: pack.source.clone(),
        applies: matches!(applies, Ok(true)),
        applies_reason,
        effective,
        in_effect,
        effective_reason,
        variables,
        errors,
        counts,
        results,
    }
}

fn base(rule: &Rule, pack: &Pack, outcome: Outcome, message: String) -> RuleResult {
    RuleResult {
        id: rule.id.clone(),
        title: rule.title.clone(),
        outcome,
        severity: rule.severity,
        rule_severity: rule.severity,
        message,
        reference: rule.reference.clone(),
        fix: rule.fix.clone(),
        field: rule.field.clone(),
        subjects: Vec::new(),
        locations: Vec::new(),
        help_uri: rule.help_uri.clone().or_else(|| pack.help_uri.clone()),
        effective: None,
        in_effect: true,
        note: None,
        waived: false,
        waivers: Vec::new(),
    }
}

fn skipped(rule: &Rule, pack: &Pack, outcome: Outcome, message: String) -> RuleResult {
    base(rule, pack, outcome, message)
}

fn rule_result(pack: &Pack, rule: &Rule, scope: &Context<'_, '_>, as_of: &str) -> RuleResult {
    if let Some(when) = &rule.when {
        match run(&when.expr, scope) {
            Eval::Bool(true) => {}
            Eval::Bool(false) => {
                return base(
                    rule,
                    pack,
                    Outcome::NotApplicable,
                    format!("applies when {}", when.explain()),
                );
            }
            Eval::Other(v) => {
                return base(
                    rule,
                    pack,
                    Outcome::Error,
                    format!("`when` gave {v}, not true or false"),
                );
            }
            Eval::Failed(e) => {
                return base(
                    rule,
                    pack,
                    Outcome::Error,
                    format!("`when` could not be evaluated: {e}"),
                );
            }
        }
    }
    let (rule_date, rule_reason) =
        effective_date(&rule.effective_when, rule.effective.as_ref(), scope);
    let (effective, reason) = if rule_date.is_some() {
        (rule_date, rule_reason)
    } else {
        effective_date(&pack.effective_when, pack.effective.as_ref(), scope)
    };
    let in_effect = effective.as_deref().is_none_or(|d| as_of >= d);

    let mut result = match run(&rule.expression, scope) {
        Eval::Bool(true) => base(rule, pack, Outcome::Pass, rule.title.clone()),
        Eval::Bool(false) => failure(pack, rule, scope),
        Eval::Other(v) => base(
            rule,
            pack,
            Outcome::Error,
            format!("the expression gave {v}, not true or false"),
        ),
        Eval::Failed(e) => base(
            rule,
            pack,
            Outcome::Error,
            format!("could not be evaluated: {e}"),
        ),
    };
    result.in_effect = in_effect;
    if !in_effect && result.outcome == Outcome::Fail && result.severity == Severity::Error {
        result.severity = Severity::Warning;
        let why = reason
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        result.note = Some(format!(
            "not yet in effect on {as_of}: counts as an error from {}{why}",
            effective.as_deref().unwrap_or_default()
        ));
    } else if let Some(r) = &reason
        && result.note.is_none()
    {
        result.note = Some(format!(
            "in effect from {}: {r}",
            effective.as_deref().unwrap_or_default()
        ));
    }
    result.effective = effective;
    result
}

/// A failing rule: its subjects, and its severity when `warning_when` holds.
fn failure(pack: &Pack, rule: &Rule, scope: &Context<'_, '_>) -> RuleResult {
    let mut r = base(rule, pack, Outcome::Fail, rule.message.clone());
    if let Some(subjects) = &rule.subjects {
        match execute(subjects, scope) {
            Ok(Cel::List(items)) => {
                r.subjects = items
                    .iter()
                    .map(|i| match i {
                        Cel::String(s) => s.to_string(),
                        other => from_cel(other).to_string(),
                    })
                    .collect();
                r.subjects.sort();
                r.subjects.dedup();
            }
            Ok(other) => {
                r.note = Some(format!("`subjects` gave {}, not a list", from_cel(&other)));
            }
            Err(message) => {
                r.note = Some(format!("`subjects` could not be evaluated: {message}"));
            }
        }
        if !r.subjects.is_empty() {
            r.message = format!("{}: {}", r.message, r.subjects.join(", "));
        }
    }
    if let Some(w) = &rule.warning_when {
        match run(w, scope) {
            Eval::Bool(true) if r.severity == Severity::Error => {
                r.severity = Severity::Warning;
            }
            Eval::Bool(_) => {}
            Eval::Other(v) => r.note = Some(format!("`warning_when` gave {v}, not true or false")),
            Eval::Failed(e) => r.note = Some(format!("`warning_when` could not be evaluated: {e}")),
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::facts::{Facts, Source, VerificationFacts};
    use crate::policy::pack::load;
    use serde_json::json;

    const PACK: &str = r#"apiVersion: scelle.dev/v1
kind: PolicyPack
metadata:
  name: t
  title: T
  version: "1"
  effective: 2026-08-02
  effective_when:
    - when: declared.transparency.system_placed_at != null && declared.transparency.system_placed_at < '2026-08-02'
      date: 2026-12-02
      reason: systems placed before 2 August 2026 (Art. 111(4))
variables:
  - name: generative
    expression: declared.model.modalities.output.exists(m, m in ['text', 'image'])
applies:
  expression: variables.generative
  description: the model generates text or images
rules:
  - id: T-1
    title: Outputs are marked
    severity: error
    reference: Art. 50(2)
    expression: size(declared.transparency.output_marking.methods) > 0
    message: no marking
    fix: mark outputs
    field: transparency.output_marking.methods
  - id: T-2
    title: Lawful bases
    severity: warning
    reference: GDPR Art. 6
    when: size(declared.datasets) > 0
    expression: declared.datasets.all(d, d.lawful_basis != null)
    subjects: declared.datasets.filter(d, d.lawful_basis == null).map(d, d.id)
    message: datasets without a lawful basis
    fix: declare it
  - id: T-3
    title: Divides
    severity: error
    reference: none
    expression: int(declared.training.compute.flops) > 0
    message: m
    fix: f
"#;

    fn run(declared: &serde_json::Value, as_of: &str) -> PackResult {
        let pack = load(PACK, "t.yaml", "t.yaml").unwrap();
        let statement = json!({"predicate": {"files": [], "declared": declared.clone()}});
        let facts = Facts::new(
            Source::Json(&statement),
            &VerificationFacts::default(),
            as_of,
            |_| true,
        );
        evaluate(&pack, &facts.context(), as_of, Stage::Release)
    }

    fn outcome(r: &PackResult, id: &str) -> (Outcome, Severity, String) {
        let x = r.results.iter().find(|x| x.id == id).unwrap();
        (x.outcome, x.severity, x.message.clone())
    }

    #[test]
    fn a_pack_that_does_not_apply_makes_every_rule_not_applicable() {
        let r = run(
            &json!({"model": {"modalities": {"output": ["embedding"]}}}),
            "2026-11-28",
        );
        assert!(!r.applies);
        assert_eq!(r.counts.not_applicable, 3);
        assert_eq!(r.variables["generative"], false);
        assert_eq!(
            r.applies_reason.as_deref(),
            Some("the pack applies when the model generates text or images")
        );
    }

    #[test]
    fn outcomes_subjects_and_runtime_errors() {
        let r = run(
            &json!({"model": {"modalities": {"output": ["text"]}},
                   "datasets": [{"id": "b", "lawful_basis": "consent"}, {"id": "a"}, {"id": "c"}]}),
            "2026-11-28",
        );
        assert_eq!(
            outcome(&r, "T-1"),
            (Outcome::Fail, Severity::Error, "no marking".into())
        );
        assert_eq!(
            outcome(&r, "T-2"),
            (
                Outcome::Fail,
                Severity::Warning,
                "datasets without a lawful basis: a, c".into()
            )
        );
        let (o, _, message) = outcome(&r, "T-3");
        assert_eq!(o, Outcome::Error, "int(null) fails at run time: {message}");
        assert!(message.starts_with("could not be evaluated: "), "{message}");
    }

    #[test]
    fn failures_before_the_effective_date_are_warnings_with_the_reason() {
        let declared = json!({"model": {"modalities": {"output": ["text"]}},
                              "transparency": {"system_placed_at": "2026-03-01"}});
        let r = run(&declared, "2026-11-28");
        let t1 = r.results.iter().find(|x| x.id == "T-1").unwrap();
        assert_eq!(
            (t1.outcome, t1.severity, t1.in_effect),
            (Outcome::Fail, Severity::Warning, false)
        );
        assert_eq!(
            t1.note.as_deref(),
            Some(
                "not yet in effect on 2026-11-28: counts as an error from 2026-12-02 (systems placed before 2 August 2026 (Art. 111(4)))"
            )
        );
        let r = run(&declared, "2026-12-02");
        let t1 = r.results.iter().find(|x| x.id == "T-1").unwrap();
        assert_eq!((t1.severity, t1.in_effect), (Severity::Error, true));
        assert_eq!(r.effective.as_deref(), Some("2026-12-02"));
    }
}
