//! The few functions scelle adds to CEL, for what rules about releases keep needing: whether a
//! field holds anything, date arithmetic on `YYYY-MM-DD` strings (dates stay strings, so they
//! compare with `<` as they read), and sums and extremes over lists that may hold gaps.

use std::sync::Arc;

use cel::objects::Value;
use cel::{Context, ExecutionError};

use crate::manifest::descriptor::parse_date;

/// Registers the functions on a root context.
pub fn register(ctx: &mut Context<'_, '_>) {
    // Registration only fails when CEL already declares the name; these names are checked
    // against CEL's own in the unit tests.
    let _ = ctx.add_function("present", present);
    let _ = ctx.add_function("days_between", days_between);
    let _ = ctx.add_function("add_days", add_days);
    let _ = ctx.add_function("add_years", add_years);
    let _ = ctx.add_function("sum", sum);
    let _ = ctx.add_function("max_of", |list: Value| extreme("max_of", &list, true));
    let _ = ctx.add_function("min_of", |list: Value| extreme("min_of", &list, false));
}

/// Not null, and not an empty string, list or map.
fn present(v: Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.trim().is_empty(),
        Value::List(l) => !l.is_empty(),
        Value::Map(m) => !m.map.is_empty(),
        _ => true,
    }
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
pub fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let month = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// A date, or the date part of an RFC 3339 date-time.
fn date_of(function: &str, s: &str) -> Result<(i32, u32, u32), ExecutionError> {
    s.get(..10)
        .and_then(parse_date)
        .filter(|_| {
            s.len() == 10
                || s.as_bytes()
                    .get(10)
                    .is_some_and(|b| b.eq_ignore_ascii_case(&b'T'))
        })
        .ok_or_else(|| {
            ExecutionError::function_error(function, format!("`{s}` is not a date (YYYY-MM-DD)"))
        })
}

fn format_date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

// CEL hands registered functions their arguments by value.
#[allow(clippy::needless_pass_by_value)]
/// `days_between(a, b)`: days from `a` to `b` (negative when `b` is earlier).
fn days_between(a: Arc<String>, b: Arc<String>) -> Result<i64, ExecutionError> {
    let (ya, ma, da) = date_of("days_between", &a)?;
    let (yb, mb, db) = date_of("days_between", &b)?;
    Ok(days_from_civil(yb, mb, db) - days_from_civil(ya, ma, da))
}

#[allow(clippy::needless_pass_by_value)]
/// `add_days(date, n)`.
fn add_days(date: Arc<String>, n: i64) -> Result<Value, ExecutionError> {
    let (y, m, d) = date_of("add_days", &date)?;
    Ok(Value::String(Arc::new(format_date(
        days_from_civil(y, m, d) + n,
    ))))
}

#[allow(clippy::needless_pass_by_value)]
/// `add_years(date, n)`: the same day `n` years later (29 February becomes 28 February).
fn add_years(date: Arc<String>, n: i64) -> Result<Value, ExecutionError> {
    let (y, m, d) = date_of("add_years", &date)?;
    let year = i32::try_from(i64::from(y) + n)
        .map_err(|_| ExecutionError::function_error("add_years", "year out of range"))?;
    let day = if m == 2 && d == 29 && parse_date(&format!("{year:04}-02-29")).is_none() {
        28
    } else {
        d
    };
    Ok(Value::String(Arc::new(format!(
        "{year:04}-{m:02}-{day:02}"
    ))))
}

fn number(function: &str, v: &Value) -> Result<Option<f64>, ExecutionError> {
    #[allow(clippy::cast_precision_loss)]
    match v {
        Value::Null => Ok(None),
        Value::Int(i) => Ok(Some(*i as f64)),
        Value::UInt(u) => Ok(Some(*u as f64)),
        Value::Float(f) => Ok(Some(*f)),
        other => Err(ExecutionError::function_error(
            function,
            format!("expected numbers, found {:?}", other.type_of()),
        )),
    }
}

#[allow(clippy::needless_pass_by_value)]
/// `sum(list)`: the sum of the numbers in `list` as a double, nulls skipped; 0.0 when empty.
fn sum(list: Value) -> Result<f64, ExecutionError> {
    let Value::List(items) = list else {
        return Err(ExecutionError::function_error("sum", "expected a list"));
    };
    let mut total = 0.0;
    for item in items.iter() {
        total += number("sum", item)?.unwrap_or(0.0);
    }
    Ok(total)
}

/// The largest (or smallest) number or string of a list, nulls skipped; null when none.
fn extreme(function: &str, list: &Value, largest: bool) -> Result<Value, ExecutionError> {
    let Value::List(items) = list else {
        return Err(ExecutionError::function_error(function, "expected a list"));
    };
    let mut best: Option<Value> = None;
    for item in items.iter() {
        if matches!(item, Value::Null) {
            continue;
        }
        let better = match (&best, item) {
            (None, _) => true,
            (Some(Value::String(b)), Value::String(s)) => (s > b) == largest && s != b,
            (Some(b), v) => {
                let (Some(b), Some(v)) = (number(function, b)?, number(function, v)?) else {
                    continue;
                };
                (v > b) == largest && (v - b).abs() > 0.0
            }
        };
        if better {
            best = Some(item.clone());
        }
    }
    Ok(best.unwrap_or(Value::Null))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_days_round_trip_and_match_known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2025, 8, 2), 20_302);
        for days in [-1000, 0, 59, 60, 20_302, 40_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(i32::try_from(y).unwrap(), m, d), days);
        }
    }

    #[test]
    fn date_arithmetic() {
        let s = |v: &str| Arc::new(v.to_owned());
        assert_eq!(days_between(s("2026-07-20"), s("2026-08-03")).unwrap(), 14);
        assert_eq!(
            days_between(s("2026-08-03T10:00:00Z"), s("2026-07-20")).unwrap(),
            -14
        );
        let text = |v: Value| match v {
            Value::String(s) => s.to_string(),
            other => panic!("{other:?}"),
        };
        assert_eq!(text(add_years(s("2025-08-02"), 10).unwrap()), "2035-08-02");
        assert_eq!(text(add_years(s("2024-02-29"), 1).unwrap()), "2025-02-28");
        assert_eq!(text(add_days(s("2025-12-31"), 1).unwrap()), "2026-01-01");
        assert!(days_between(s("31/12/2025"), s("2026-01-01")).is_err());
    }

    #[test]
    fn sums_and_extremes_skip_nulls() {
        let list = Value::List(Arc::new(vec![
            Value::Int(2),
            Value::Null,
            Value::Float(0.5),
        ]));
        assert!((sum(list.clone()).unwrap() - 2.5).abs() < f64::EPSILON);
        assert_eq!(extreme("max_of", &list, true).unwrap(), Value::Int(2));
        assert_eq!(extreme("min_of", &list, false).unwrap(), Value::Float(0.5));
        let dates = Value::List(Arc::new(vec![
            Value::String(Arc::new("2025-03-01".into())),
            Value::String(Arc::new("2025-11-30".into())),
        ]));
        assert_eq!(
            extreme("max_of", &dates, true).unwrap(),
            Value::String(Arc::new("2025-11-30".into()))
        );
        assert_eq!(
            extreme("max_of", &Value::List(Arc::new(vec![])), true).unwrap(),
            Value::Null
        );
    }

    #[test]
    fn scelle_functions_do_not_shadow_cel_ones() {
        let mut probe = Context::with_env(super::super::expr::env());
        for name in super::super::expr::FUNCTIONS {
            assert!(
                probe.add_function(name, |x: i64| x).is_ok(),
                "`{name}` is a CEL function"
            );
        }
    }

    #[test]
    fn present_means_something_was_written() {
        assert!(!present(Value::Null));
        assert!(!present(Value::String(Arc::new("  ".into()))));
        assert!(!present(Value::List(Arc::new(vec![]))));
        assert!(present(Value::Bool(false)));
        assert!(present(Value::Int(0)));
    }
}
