//! A cost budget for CEL evaluation, so that a hostile pack (a comprehension over a million-element
//! list inside another, lists rebuilt in every iteration) is stopped with an error naming its
//! rule instead of running for hours or filling memory.
//!
//! cel 0.15 has no cost limit of its own, so every expression tree is instrumented once, when it
//! is parsed: each comprehension iteration and each call whose result can be large (everything
//! but comparisons and logic) passes through a function `@budget`, which the pack cannot name
//! (`@` is not an identifier character) and which charges one unit plus the size of the value
//! (elements of a list or map, characters of a string, bytes). The budget is counted in these
//! units, never in time, so an expression stops at the same point on every machine; it scales
//! with the size of the facts, so a rule that walks every file of a million-file release once
//! (or a few times) stays well inside it, while a quadratic one does not.
//!
//! The shapes cel's interpreter recognises are kept: the accumulator append of `map` and
//! `filter` (built in place instead of copied every step) and the `&&`/`||` step of `all` and
//! `exists` (whose error absorption follows CEL's rules) are left as they are, and the count
//! happens in the appended item, the filter's condition or the loop condition instead.

use std::cell::Cell;

use cel::common::ast::{CallExpr, ComprehensionExpr, EntryExpr, Expr, IdedExpr};
use cel::common::value::CowVal;
use cel::{ExecutionError, FunctionContext};
use serde_json::Value;

/// A function as cel registers it, taking its arguments without converting them.
pub type Function = Box<
    dyn for<'c, 'k> Fn(&mut FunctionContext<'c, 'k>) -> Result<CowVal<'c, 'k>, ExecutionError>
        + Send
        + Sync,
>;

/// The name of the counting function in instrumented trees.
pub const FUNCTION: &str = "@budget";

/// Units every expression may spend whatever the facts.
const BASE: u64 = 2_000_000;
/// Units per value of the facts (a JSON value: a file record counts each of its fields).
const PER_VALUE: u64 = 16;

thread_local! {
    /// Units spent by the expression being evaluated on this thread.
    static SPENT: Cell<u64> = const { Cell::new(0) };
    /// The budget the expression ran out of, if it did (an error CEL absorbed, as `x || true`
    /// does, must not make it look finished).
    static EXHAUSTED: Cell<Option<u64>> = const { Cell::new(None) };
}

/// The budget of every expression evaluated over facts of `values` JSON values.
pub fn limit(values: u64) -> u64 {
    BASE.saturating_add(values.saturating_mul(PER_VALUE))
}

/// The number of JSON values in `value` (a scalar is one), what the budget scales with.
pub fn count_values(value: &Value) -> u64 {
    match value {
        Value::Array(items) => 1 + items.iter().map(count_values).sum::<u64>(),
        Value::Object(map) => 1 + map.values().map(count_values).sum::<u64>(),
        _ => 1,
    }
}

/// Starts counting for one expression.
pub fn start() {
    SPENT.with(|s| s.set(0));
    EXHAUSTED.with(|e| e.set(None));
}

/// The budget the expression just evaluated ran out of, if it did.
pub fn exhausted() -> Option<u64> {
    EXHAUSTED.with(Cell::get)
}

/// The message of an expression that ran out of budget of `limit` units.
pub fn message(limit: u64) -> String {
    format!(
        "stopped: the expression ran out of its budget of {limit} evaluation steps (the budget of \
         one expression over facts of this size); a comprehension nested in another, or a list \
         rebuilt in every iteration, costs too much"
    )
}

/// The `@budget` function for a context whose expressions may each spend `limit` units: it
/// charges its argument and returns it unchanged (moved, not copied).
pub fn function(limit: u64) -> Function {
    Box::new(move |ftx| {
        if ftx.args.len() != 1 {
            return Err(ExecutionError::invalid_argument_count(1, ftx.args.len()));
        }
        let value: CowVal<'_, '_> = ftx.args.swap_remove(0);
        let size = value
            .as_sizer()
            .map_or(0, |s| u64::try_from(*s.size().inner()).unwrap_or(0));
        let spent = SPENT.with(|s| {
            let spent = s.get().saturating_add(1).saturating_add(size);
            s.set(spent);
            spent
        });
        if spent > limit {
            EXHAUSTED.with(|e| e.set(Some(limit)));
            return Err(ExecutionError::function_error("budget", message(limit)));
        }
        Ok(value)
    })
}

/// Calls that produce only booleans or a number from their operands, or whose shape cel's
/// interpreter depends on: never worth counting on their own.
fn is_cheap(name: &str) -> bool {
    matches!(
        name,
        "_&&_"
            | "_||_"
            | "!_"
            | "_?_:_"
            | "@not_strictly_false"
            | "_==_"
            | "_!=_"
            | "_<_"
            | "_<=_"
            | "_>_"
            | "_>=_"
            | "@in"
            | "size"
            | "has"
    )
}

/// Instruments `expr` in place (see the module documentation).
pub fn instrument(expr: &mut IdedExpr) {
    let mut ids = max_id(expr) + 1;
    walk(expr, &mut ids);
}

fn max_id(e: &IdedExpr) -> u64 {
    let mut max = e.id;
    for_each_child(e, &mut |c| max = max.max(max_id(c)));
    max
}

fn for_each_child<'a>(e: &'a IdedExpr, f: &mut impl FnMut(&'a IdedExpr)) {
    match &e.expr {
        Expr::Call(call) => {
            if let Some(t) = &call.target {
                f(t);
            }
            call.args.iter().for_each(f);
        }
        Expr::Comprehension(c) => {
            for x in [
                &c.iter_range,
                &c.accu_init,
                &c.loop_cond,
                &c.loop_step,
                &c.result,
            ] {
                f(x);
            }
        }
        Expr::List(l) => l.elements.iter().for_each(f),
        Expr::Map(m) => {
            for entry in &m.entries {
                if let EntryExpr::MapEntry(me) = &entry.expr {
                    f(&me.key);
                    f(&me.value);
                }
            }
        }
        Expr::Struct(s) => {
            for entry in &s.entries {
                if let EntryExpr::StructField(sf) = &entry.expr {
                    f(&sf.value);
                }
            }
        }
        Expr::Select(s) => f(&s.operand),
        _ => {}
    }
}

/// `e` becomes `@budget(e)`.
fn wrap(e: &mut IdedExpr, ids: &mut u64) {
    let inner = std::mem::take(e);
    *e = IdedExpr {
        id: *ids,
        expr: Expr::Call(CallExpr {
            func_name: FUNCTION.to_owned(),
            target: None,
            args: vec![inner],
        }),
    };
    *ids += 1;
}

fn walk(e: &mut IdedExpr, ids: &mut u64) {
    match &mut e.expr {
        Expr::Call(call) => {
            walk_call_operands(call, ids);
            if !is_cheap(&call.func_name) {
                wrap(e, ids);
            }
        }
        Expr::Comprehension(c) => comprehension(c, ids),
        Expr::List(l) => l.elements.iter_mut().for_each(|x| walk(x, ids)),
        Expr::Map(m) => {
            for entry in &mut m.entries {
                if let EntryExpr::MapEntry(me) = &mut entry.expr {
                    walk(&mut me.key, ids);
                    walk(&mut me.value, ids);
                }
            }
        }
        Expr::Struct(s) => {
            for entry in &mut s.entries {
                if let EntryExpr::StructField(sf) = &mut entry.expr {
                    walk(&mut sf.value, ids);
                }
            }
        }
        Expr::Select(s) => walk(&mut s.operand, ids),
        _ => {}
    }
}

fn walk_call_operands(call: &mut CallExpr, ids: &mut u64) {
    if let Some(t) = &mut call.target {
        walk(t, ids);
    }
    call.args.iter_mut().for_each(|a| walk(a, ids));
}

fn is_ident(e: &IdedExpr, name: &str) -> bool {
    matches!(&e.expr, Expr::Ident(n) if n == name)
}

/// `accu + [items]`: the append step of `map` and `filter`.
fn append_items<'a>(e: &'a mut IdedExpr, accu: &str) -> Option<&'a mut Vec<IdedExpr>> {
    let Expr::Call(call) = &mut e.expr else {
        return None;
    };
    if call.func_name != "_+_" || call.target.is_some() {
        return None;
    }
    match call.args.as_mut_slice() {
        [lhs, rhs] if is_ident(lhs, accu) => match &mut rhs.expr {
            Expr::List(list) => Some(&mut list.elements),
            _ => None,
        },
        _ => None,
    }
}

fn comprehension(c: &mut ComprehensionExpr, ids: &mut u64) {
    walk(&mut c.iter_range, ids);
    walk(&mut c.accu_init, ids);
    walk(&mut c.result, ids);
    let accu = c.accu_var.clone();
    let literal_cond = matches!(c.loop_cond.expr, Expr::Literal(_));
    // `map`: `accu + [item]`; `filter` and guarded `map`: `cond ? accu + [item] : accu`.
    if literal_cond && is_ident(&c.result, &accu) {
        if let Some(items) = append_items(&mut c.loop_step, &accu) {
            for item in items {
                walk(item, ids);
                wrap(item, ids);
            }
            return;
        }
        if let Expr::Call(call) = &mut c.loop_step.expr
            && call.func_name == "_?_:_"
            && call.target.is_none()
            && let [guard, step, otherwise] = call.args.as_mut_slice()
            && is_ident(otherwise, &accu)
            && let Some(items) = append_items(step, &accu)
        {
            for item in items.iter_mut() {
                walk(item, ids);
            }
            walk(guard, ids);
            wrap(guard, ids);
            return;
        }
    }
    // Any other shape: the loop condition is evaluated once per iteration.
    walk(&mut c.loop_step, ids);
    walk(&mut c.loop_cond, ids);
    wrap(&mut c.loop_cond, ids);
}

#[cfg(test)]
mod tests {
    use super::*;
    use cel::{Context, Program};

    /// Evaluates `source` instrumented, with a budget of `limit` units.
    fn eval(source: &str, limit: u64) -> (Result<cel::Value, String>, bool) {
        let mut tree = Program::compile(source).unwrap().expression().clone();
        instrument(&mut tree);
        let mut ctx = Context::with_env(crate::policy::expr::env());
        ctx.add_function(FUNCTION, function(limit)).unwrap();
        start();
        let result = ctx.resolve(&tree).map_err(|e| format!("{e:?}"));
        (result, exhausted().is_some())
    }

    #[test]
    fn instrumented_expressions_give_the_same_results() {
        for source in [
            "[1, 2, 3].map(x, x * 2) == [2, 4, 6]",
            "[1, 2, 3].filter(x, x > 1) == [2, 3]",
            "[1, 2, 3].map(x, x > 1, x * 10) == [20, 30]",
            "[1, 2, 3].all(x, x > 0) && [1, 2].exists(x, x == 2)",
            "[1, 2, 3].exists_one(x, x == 2)",
            "'ab' + 'cd' == 'abcd' && size([1] + [2]) == 2",
            "{'a': 1}.all(k, k == 'a')",
            // Element errors absorbed, or not, as CEL says.
            "[0, 1, 2].all(e, 6 / e == 6)",
            "[0, 1].exists(e, 6 / e == 6)",
            "[1, 0].all(e, 6 / e == 6)",
        ] {
            let plain = Program::compile(source)
                .unwrap()
                .execute(&Context::with_env(crate::policy::expr::env()))
                .map_err(|e| format!("{e:?}"));
            let (result, spent) = eval(source, 1_000_000);
            assert_eq!(result, plain, "{source}");
            assert!(!spent, "{source}");
        }
    }

    #[test]
    fn nested_comprehensions_are_stopped() {
        let (result, spent) = eval(
            "lists.range(1000000).all(x, lists.range(1000000).all(y, x + y >= 0))",
            5_000_000,
        );
        assert!(spent);
        let err = result.unwrap_err();
        assert!(
            err.contains("ran out of its budget of 5000000 evaluation steps"),
            "{err}"
        );
    }

    #[test]
    fn lists_built_in_every_iteration_are_charged_by_size() {
        // Few iterations, each making a large list: stopped by the sizes, not the steps.
        let (result, spent) = eval(
            "lists.range(100).map(i, lists.range(1000000)).size() > 0",
            5_000_000,
        );
        assert!(spent, "{result:?}");
    }

    #[test]
    fn map_and_filter_keep_building_in_place() {
        // Copied at every step, a hundred thousand elements would take minutes.
        let (result, spent) = eval(
            "lists.range(100000).map(x, x).filter(x, x >= 0).size() == 100000",
            10_000_000,
        );
        assert_eq!(result, Ok(cel::Value::Bool(true)));
        assert!(!spent);
    }

    #[test]
    fn an_error_absorbed_by_or_does_not_hide_the_exhaustion() {
        let (_, spent) = eval(
            "lists.range(1000000).all(x, lists.range(1000000).all(y, y >= 0)) || true",
            1_000_000,
        );
        assert!(spent);
    }
}
