//! The figures the Model Documentation Form and the Annex XI and XII documents share, read the
//! way `check` reads them: the parameter count counted in the weights beside the declared one,
//! training compute declared or estimated by scelle (`derived.compute`), and whether the model
//! has systemic risk as the `ai-act-gpai-systemic` pack concludes it. Nothing here recomputes a
//! figure the policy engine already computes, so a document cannot disagree with a finding.

use serde_json::Value as Json;

use super::magnitude::{order_of_magnitude, parameter_range, significant, significant_u64};
use super::{Context, Item, Source, Value};
use crate::policy::{Facts, Pack, Stage, builtin, eval};
use crate::text::thousands;

/// The systemic-risk pack whose `is_systemic` decides Annex XI section 2.
const SYSTEMIC_PACK: &str = "ai-act-gpai-systemic";

/// What the policy engine derives from the release (`derived`), and the systemic-risk status.
#[derive(Debug)]
pub(crate) struct Evidence {
    pub(crate) derived: Json,
    pub(crate) systemic: Systemic,
}

/// Whether the model has systemic risk, and why.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Systemic {
    pub(crate) yes: bool,
    pub(crate) reason: String,
}

impl Evidence {
    pub(crate) fn of(cx: &Context<'_>) -> Self {
        let release = cx.release;
        // The pack is compiled in and every `check` loads it; were it ever not to load, the
        // status would rest on the declaration alone (designated or declared presumed).
        let pack = builtin::get(SYSTEMIC_PACK).and_then(Result::ok);
        let facts = Facts::new(
            release.statement.source(),
            &release.verification,
            &cx.as_of,
            |name| pack.as_ref().is_some_and(|p| p.reads(name)),
        );
        let systemic = systemic(&facts, pack.as_ref(), &cx.as_of);
        Evidence {
            derived: facts.derived,
            systemic,
        }
    }

    fn u64_at(&self, pointer: &str) -> Option<u64> {
        self.derived.pointer(pointer).and_then(Json::as_u64)
    }

    fn f64_at(&self, pointer: &str) -> Option<f64> {
        self.derived.pointer(pointer).and_then(Json::as_f64)
    }

    /// The parameter count: counted in the weights when the release has them, else declared.
    pub(crate) fn parameters(&self) -> Option<Parameters> {
        let counted = self.u64_at("/parameters_scanned");
        let declared = self.u64_at("/parameters_declared");
        Some(Parameters {
            value: counted.or(declared)?,
            counted: counted.is_some(),
            declared,
        })
    }

    /// Training compute: the declared figure, else the highest estimate scelle makes.
    pub(crate) fn compute(&self) -> Option<Compute> {
        let estimate_6nd = self.f64_at("/compute/estimate_6nd");
        let hardware = self.f64_at("/compute/estimate_hardware");
        if let Some(declared) = self.f64_at("/compute/declared") {
            let estimate = estimate_6nd
                .map(|e| (e, "6·N·D"))
                .or_else(|| hardware.map(|e| (e, "hardware")));
            return Some(Compute {
                flops: declared,
                declared: true,
                estimate,
                how: None,
            });
        }
        let flops = self.f64_at("/compute/best")?;
        let how = if estimate_6nd == Some(flops) {
            "6 × parameters × training tokens"
        } else if hardware == Some(flops) {
            "accelerators × peak FLOP/s × utilisation × hours"
        } else {
            "the declared stages summed"
        };
        Some(Compute {
            flops,
            declared: false,
            estimate: None,
            how: Some(how),
        })
    }
}

/// The parameter count and where it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Parameters {
    pub(crate) value: u64,
    /// Counted in the weights (`predicate.model.parameter_count`); else declared.
    pub(crate) counted: bool,
    pub(crate) declared: Option<u64>,
}

impl Parameters {
    /// Where the figure comes from, and the declared figure when it is not the same, both
    /// written by `show` (so a declared figure is never more precise than the counted one).
    fn origin(&self, show: impl Fn(u64) -> String) -> String {
        if !self.counted {
            return "declared".to_owned();
        }
        match self.declared {
            Some(d) if show(d) != show(self.value) => {
                format!("counted in the weights; declared {}", show(d))
            }
            Some(_) => "counted in the weights; the declared figure is the same".to_owned(),
            None => "counted in the weights".to_owned(),
        }
    }

    /// The exact count, for the AI Office.
    pub(crate) fn exact(&self) -> String {
        format!("{} ({})", thousands(self.value), self.origin(thousands))
    }

    /// The count with two significant figures.
    pub(crate) fn two_figures(&self) -> String {
        let show = |n: u64| significant_u64(n, 2).unwrap_or_else(|| "0".to_owned());
        format!("{} ({})", show(self.value), self.origin(show))
    }

    /// The Form's size range.
    pub(crate) fn range(&self) -> String {
        let show = |n: u64| parameter_range(n).unwrap_or("no parameters").to_owned();
        match parameter_range(self.value) {
            Some(r) => format!("{r} parameters ({})", self.origin(show)),
            None => "no parameters counted".to_owned(),
        }
    }

    pub(crate) fn sources(&self, item: Item) -> Item {
        let item = if self.counted {
            item.from(Source::computed(
                "the tensor elements counted in the weights (`predicate.model.parameter_count`)",
            ))
        } else {
            item
        };
        if self.declared.is_some() || !self.counted {
            item.from(Source::field("model.parameters.total"))
        } else {
            item
        }
    }
}

/// Training compute and where it comes from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Compute {
    pub(crate) flops: f64,
    pub(crate) declared: bool,
    /// scelle's estimate beside a declared figure, and how it was made.
    pub(crate) estimate: Option<(f64, &'static str)>,
    /// How scelle estimated a figure that is not declared.
    pub(crate) how: Option<&'static str>,
}

impl Compute {
    /// The figure written by `show`, with scelle's estimate written the same way.
    fn text(&self, show: impl Fn(f64) -> Option<String>) -> String {
        let figure = show(self.flops).unwrap_or_else(|| "0".to_owned());
        match (self.how, self.estimate) {
            (Some(how), _) => format!("{figure} FLOP (estimated by scelle as {how}; not declared)"),
            (None, Some((e, how))) => format!(
                "{figure} FLOP (declared; scelle's {how} estimate: {} FLOP)",
                show(e).unwrap_or_else(|| "0".to_owned())
            ),
            (None, None) => format!("{figure} FLOP (declared)"),
        }
    }

    pub(crate) fn two_figures(&self) -> String {
        self.text(|f| significant(f, 2))
    }

    pub(crate) fn magnitude(&self) -> String {
        self.text(order_of_magnitude)
    }

    pub(crate) fn sources(&self, item: Item) -> Item {
        let item = if self.declared {
            item.from(Source::field("training.compute.flops"))
        } else {
            item.from(Source::computed(
                "`derived.compute.best`: the highest of 6·N·D, the hardware estimate and the \
                 declared stages",
            ))
        };
        if self.estimate.is_some() {
            item.from(Source::computed(
                "`derived.compute`: 6 × parameters × training tokens, or accelerators × peak \
                 FLOP/s × utilisation × hours",
            ))
        } else {
            item
        }
    }
}

/// Runs the systemic-risk pack's variables over the facts and reads its conclusion.
fn systemic(facts: &Facts, pack: Option<&Pack>, as_of: &str) -> Systemic {
    let declared = &facts.declared;
    let flag = |p: &str| declared.pointer(p).and_then(Json::as_bool) == Some(true);
    let variables =
        pack.map(|pack| eval::evaluate(pack, &facts.context(), as_of, Stage::Release).variables);
    let var = |name: &str| variables.as_ref().and_then(|v| v.get(name));
    let is_systemic = var("is_systemic").and_then(Json::as_bool) == Some(true);
    let cumulative = var("cumulative").and_then(Json::as_f64);
    let threshold = var("systemic_threshold").and_then(Json::as_f64);
    let figure = |f: f64| significant(f, 2).unwrap_or_else(|| f.to_string());
    if flag("/classification/systemic_risk/designated") {
        return Systemic {
            yes: true,
            reason: "designated by the Commission (`classification.systemic_risk.designated`)"
                .to_owned(),
        };
    }
    if is_systemic {
        return Systemic {
            yes: true,
            reason: format!(
                "presumed: cumulative training compute of {} FLOP is above the {} FLOP of \
                 Art. 51(2)",
                cumulative.map_or_else(|| "unknown".to_owned(), figure),
                threshold.map_or_else(|| "unknown".to_owned(), figure)
            ),
        };
    }
    if flag("/classification/systemic_risk/presumed") {
        return Systemic {
            yes: true,
            reason: "declared presumed (`classification.systemic_risk.presumed`)".to_owned(),
        };
    }
    let reason = match (cumulative, threshold) {
        (Some(c), Some(t)) if c > t => format!(
            "the Commission accepted the provider's arguments against the presumption \
             (cumulative training compute {} FLOP)",
            figure(c)
        ),
        (Some(c), Some(t)) => format!(
            "not designated, and cumulative training compute of {} FLOP is not above the {} \
             FLOP of Art. 51(2)",
            figure(c),
            figure(t)
        ),
        _ => "not designated, and no training compute is declared or can be estimated, so the \
              presumption of Art. 51(2) cannot be made"
            .to_owned(),
    };
    Systemic { yes: false, reason }
}

/// The document value of an optional figure: `text`, or "not declared" for `field`.
pub(crate) fn or_missing(cx: &Context<'_>, text: Option<String>, field: &str) -> Value {
    text.map_or_else(|| cx.missing(field), Value::text)
}
