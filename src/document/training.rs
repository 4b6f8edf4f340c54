//! The training figures of the Model Documentation Form (§7, §8) and Annex XI 2(d)-(e): training
//! time, the computation used, energy, and how each was obtained, each in the precision its
//! audience gets (a time range and an order of magnitude for the authorities; days, two
//! significant figures and megawatt-hours for the AI Office).

use super::Audience::Authority as NCA;
use super::evidence::or_missing;
use super::magnitude::{order_of_magnitude, significant, training_time_range};
use super::model_documentation::Form;
use super::{Item, Source, Value};

/// Training hours: declared wall-clock hours, else the time from start to end.
pub(super) fn training_hours(f: &Form<'_, '_>) -> Option<(f64, Source)> {
    if let Some(h) = f.number("training.time.wall_clock_hours") {
        return Some((h, Source::field("training.time.wall_clock_hours")));
    }
    let at = |p: &str| f.text(p)?.parse::<jiff::Timestamp>().ok();
    let (start, end) = (at("training.time.start")?, at("training.time.end")?);
    let seconds = end.duration_since(start).as_secs_f64();
    (seconds >= 0.0).then(|| {
        (
            seconds / 3600.0,
            Source::computed("`training.time.end` - `training.time.start`"),
        )
    })
}

pub(super) fn training_time(f: &Form<'_, '_>, label: &str) -> Item {
    let Some((hours, source)) = training_hours(f) else {
        return f.cx.field(label, "training.time");
    };
    let range = training_time_range(hours).unwrap_or("unknown");
    let mut item = Item::new(label, Value::text(String::new())).from(source);
    if f.audience() == Some(NCA) {
        item.value = Value::text(range);
        return item;
    }
    let mut parts = vec![format!(
        "{} days ({hours} hours) of wall-clock time",
        significant(hours / 24.0, 2).unwrap_or_else(|| "0".to_owned())
    )];
    if let Some(acc) = f.number("training.time.accelerator_hours") {
        let kind = f
            .text("training.hardware.accelerator_type")
            .unwrap_or_else(|| "accelerator".to_owned());
        parts.push(format!(
            "{} {kind}-days",
            significant(acc / 24.0, 2).unwrap_or_else(|| "0".to_owned())
        ));
        item = item.from(Source::field("training.time.accelerator_hours"));
        if f.cx.get("training.hardware.accelerator_type").is_some() {
            item = item.from(Source::field("training.hardware.accelerator_type"));
        }
    }
    if let (Some(s), Some(e)) = (f.text("training.time.start"), f.text("training.time.end")) {
        parts.push(format!("measured from {s} to {e}"));
    }
    if f.complete_copy {
        parts.push(format!("authorities: {range}"));
    }
    item.value = Value::text(parts.join("; "));
    item
}

pub(super) fn computation(f: &Form<'_, '_>, label: &str) -> Item {
    let Some(c) = f.evidence.compute() else {
        return f.cx.field(label, "training.compute.flops");
    };
    let text = match f.audience() {
        Some(NCA) => c.magnitude(),
        _ if !f.complete_copy => c.two_figures(),
        _ => format!(
            "{}; authorities: {} FLOP",
            c.two_figures(),
            order_of_magnitude(c.flops).unwrap_or_default()
        ),
    };
    c.sources(Item::new(label, Value::text(text)))
}

pub(super) fn compute_method(f: &Form<'_, '_>, label: &str) -> Item {
    let Some(method) = f.text("training.compute.method") else {
        return f.cx.field(label, "training.compute.method");
    };
    let mut item =
        Item::new(label, Value::text(String::new())).from(Source::field("training.compute.method"));
    let text = match f.text("training.compute.basis") {
        Some(b) => {
            item = item.from(Source::field("training.compute.basis"));
            format!("{method}; basis: {b}")
        }
        None => method,
    };
    item.value = Value::text(text);
    item
}

pub(super) fn energy(f: &Form<'_, '_>, label: &str) -> Item {
    if let Some(kwh) = f.number("training.energy.kwh") {
        let mwh = significant(kwh / 1000.0, 2).map(|m| format!("{m} MWh"));
        return Item::new(label, or_missing(f.cx, mwh, "training.energy.kwh"))
            .from(Source::computed("`training.energy.kwh` / 1000"));
    }
    if let Some(info) = f.text("training.energy.missing_info") {
        return Item::new(label, Value::text(format!("N/A: {info}")))
            .from(Source::field("training.energy.missing_info"));
    }
    f.cx.field(label, "training.energy.kwh")
}

pub(super) fn energy_method(f: &Form<'_, '_>, label: &str) -> Item {
    let Some(method) = f.text("training.energy.method") else {
        return f.cx.field(label, "training.energy.method");
    };
    let mut item =
        Item::new(label, Value::text(String::new())).from(Source::field("training.energy.method"));
    let mut parts = vec![method];
    for (key, name) in [
        ("basis", "basis"),
        ("pue", "PUE"),
        ("missing_info", "information lacking"),
    ] {
        let path = format!("training.energy.{key}");
        if let Some(v) = f.text(&path) {
            parts.push(format!("{name}: {v}"));
            item = item.from(Source::field(&path));
        }
    }
    item.value = Value::text(parts.join("; "));
    item
}

pub(super) fn inference(f: &Form<'_, '_>, label: &str) -> Item {
    let Some(flops) = f.number("training.inference.flops") else {
        return f.cx.field(label, "training.inference.flops");
    };
    // The Form asks for at least two significant figures, with the task and the hardware.
    let figure = significant(flops, 2).map_or_else(|| flops.to_string(), |s| format!("{s} FLOP"));
    let mut item = Item::new(label, Value::text(String::new()))
        .from(Source::field("training.inference.flops"));
    let mut parts = vec![figure];
    for (key, name) in [("task", "task"), ("hardware", "hardware")] {
        let path = format!("training.inference.{key}");
        if let Some(v) = f.text(&path) {
            parts.push(format!("{name}: {v}"));
            item = item.from(Source::field(&path));
        } else {
            let _ = f.cx.missing(&path);
            parts.push(format!("{name}: not declared"));
        }
    }
    item.value = Value::text(parts.join("; "));
    item
}
