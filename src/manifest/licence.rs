//! SPDX licence expressions (`model.license.spdx` and the other licence fields): checked against
//! the SPDX licence list when a declaration loads, with the likely intended spelling when one is
//! wrong, and read for the rules: which listed licences the expression names, whether the
//! licensee can take it under free and open-source terms, and which restrictions (non-commercial,
//! no derivatives, user caps...) it imposes whatever choice the licensee makes.
//!
//! The licence text decides what a listed licence allows (GPAI Guidelines §4.2.1), so declared
//! grants cannot widen it; a `LicenseRef-` licence is not on the list, and only the declaration
//! can say what it allows.

use serde_json::{Value, json};
use spdx::{Expression, LicenseItem, LicenseReq, ParseMode};

/// Why a licence expression was refused, and the expression probably meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub message: String,
    pub suggestion: Option<String>,
}

/// Checks an expression against the SPDX licence list (current ids only, SPDX operators).
pub fn check(expression: &str) -> Result<(), Refused> {
    let Err(e) = Expression::parse(expression) else {
        return Ok(());
    };
    let term = expression.get(e.span.clone()).unwrap_or_default();
    let why = match e.reason {
        spdx::error::Reason::UnknownTerm | spdx::error::Reason::UnknownLicense => {
            format!("`{term}` is not an id of the SPDX licence list")
        }
        spdx::error::Reason::DeprecatedLicenseId => {
            format!("`{term}` is a deprecated SPDX id")
        }
        spdx::error::Reason::InvalidCharacters => {
            format!("`{term}` has characters an SPDX expression cannot hold")
        }
        ref other => format!("{other}"),
    };
    Err(Refused {
        message: format!("`{expression}` is not an SPDX licence expression: {why}"),
        suggestion: suggest(expression, e.span),
    })
}

/// The expression probably meant: the list's own reading of common misspellings (`Apache 2.0`,
/// `mit`, `MIT/Apache-2.0`, deprecated GNU ids), else the unknown term replaced by the listed id
/// that differs from it only in case or by a typo.
fn suggest(expression: &str, span: std::ops::Range<usize>) -> Option<String> {
    if let Ok(Some(fixed)) = Expression::canonicalize(expression)
        && Expression::parse(&fixed).is_ok()
    {
        return Some(fixed);
    }
    let term = expression.get(span.clone())?;
    let names: Vec<&str> = spdx::identifiers::LICENSES
        .iter()
        .filter(|l| l.flags & spdx::flags::IS_DEPRECATED == 0)
        .map(|l| l.name)
        .collect();
    let id = listed_id(term).or_else(|| super::descriptor::closest(term, &names))?;
    let fixed = format!(
        "{}{id}{}",
        expression.get(..span.start)?,
        expression.get(span.end..)?
    );
    // One fix at a time: a second unknown term gets its own suggestion on the next run.
    match Expression::parse(&fixed) {
        Ok(_) => Some(fixed),
        Err(_) => Some(id.to_owned()).filter(|_| expression.trim() == term),
    }
}

/// The id of the SPDX licence list spelt `name` in any case (Hugging Face writes ids in lower
/// case), when it is a current one.
pub fn listed_id(name: &str) -> Option<&'static str> {
    spdx::identifiers::LICENSES
        .iter()
        .find(|l| l.flags & spdx::flags::IS_DEPRECATED == 0 && l.name.eq_ignore_ascii_case(name))
        .map(|l| l.name)
}

/// A restriction some licences of the SPDX list impose, named as `model.license.conditions`
/// names them. Read from the licence texts; the SPDX list has no such flags.
fn restrictions(id: &str) -> Vec<&'static str> {
    let mut out = Vec::new();
    let tokens: Vec<&str> = id.split('-').collect();
    let creative_commons = id.starts_with("CC-");
    if (creative_commons && tokens.contains(&"NC"))
        || ["PolyForm-Noncommercial-1.0.0", "NCGL-UK-2.0"].contains(&id)
    {
        out.push("non_commercial");
    }
    if creative_commons && tokens.contains(&"ND") {
        out.push("no_derivatives");
    }
    if id == "PolyForm-Small-Business-1.0.0" {
        // Free only below a size of the licensee: a threshold on who may use it.
        out.push("usage_threshold");
    }
    if id == "BUSL-1.1" {
        // Production use needs a commercial licence until the change date.
        out.push("commercial_licence_required");
    }
    if id == "Elastic-2.0" || id.starts_with("Hippocratic-") {
        out.push("field_of_use_restrictions");
    }
    out
}

/// Restrictions of the custom model licences `scelle init` names from a model card
/// (`LicenseRef-Llama-3`, `LicenseRef-OpenRAIL`...), read from their texts: a `LicenseRef-`
/// licence is not on the SPDX list, but these are known, and a declaration cannot wish their
/// terms away.
fn custom_restrictions(name: &str) -> Vec<&'static str> {
    let name = name.to_ascii_lowercase();
    let mut out = Vec::new();
    if name.starts_with("llama") {
        // Community licences: a separate licence above 700 million monthly active users, and an
        // acceptable use policy.
        out.extend(["usage_threshold", "field_of_use_restrictions"]);
    }
    if name.starts_with("gemma") || name.contains("openrail") {
        // Use-based restrictions: a reviewer judges whether they are proportionate safety terms.
        out.push("field_of_use_restrictions");
    }
    if name.contains("noncommercial") || name.contains("non-commercial") {
        out.push("non_commercial");
    }
    if name.contains("research") {
        out.push("research_only");
    }
    out
}

fn req_restrictions(req: &LicenseReq) -> Vec<&'static str> {
    match &req.license {
        LicenseItem::Spdx { id, .. } => restrictions(id.name),
        LicenseItem::Other(other) => custom_restrictions(&other.lic_ref),
    }
}

const RESTRICTIONS: [&str; 6] = [
    "commercial_licence_required",
    "field_of_use_restrictions",
    "no_derivatives",
    "non_commercial",
    "research_only",
    "usage_threshold",
];

fn listed(req: &LicenseReq) -> Option<spdx::LicenseId> {
    match &req.license {
        LicenseItem::Spdx { id, .. } => Some(*id),
        LicenseItem::Other(_) => None,
    }
}

/// A listed licence that is free and open-source: approved by the OSI or free for the FSF, and
/// without a restriction the Guidelines exclude. `None` for a custom licence without such a
/// restriction: only the declaration (and a reviewer, for use restrictions that may be
/// proportionate safety terms) can say.
fn free(req: &LicenseReq) -> Option<bool> {
    let restricted = req_restrictions(req);
    match listed(req) {
        Some(id) => Some((id.is_osi_approved() || id.is_fsf_free_libre()) && restricted.is_empty()),
        None if restricted.iter().any(|r| *r != "field_of_use_restrictions") => Some(false),
        None => None,
    }
}

/// What an expression allows, for `derived.license`. An expression that does not parse (a
/// manifest sealed before licences were checked) reads as allowing nothing.
pub fn reading(expression: Option<&str>) -> Value {
    let Some(text) = expression else {
        return json!({
            "expression": null, "valid": null, "ids": [], "custom": [], "osi_approved": false,
            "fsf_free": false, "restrictions": [], "foss": false, "foss_if_custom_open": false,
        });
    };
    let parsed = Expression::parse(text)
        .or_else(|_| Expression::parse_mode(text, ParseMode::LAX))
        .ok();
    let Some(expr) = parsed else {
        return json!({
            "expression": text, "valid": false, "ids": [], "custom": [], "osi_approved": false,
            "fsf_free": false, "restrictions": [], "foss": false, "foss_if_custom_open": false,
        });
    };
    let mut ids: Vec<&str> = Vec::new();
    let mut custom: Vec<String> = Vec::new();
    for r in expr.requirements() {
        match &r.req.license {
            LicenseItem::Spdx { id, .. } => ids.push(id.name),
            LicenseItem::Other(other) => custom.push(other.to_string()),
        }
    }
    ids.sort_unstable();
    ids.dedup();
    custom.sort();
    custom.dedup();
    // A restriction counts when no choice among the `OR` alternatives avoids it.
    let unavoidable: Vec<&str> = RESTRICTIONS
        .into_iter()
        .filter(|r| !expr.evaluate(|req| !req_restrictions(req).contains(r)))
        .collect();
    json!({
        "expression": text,
        "valid": Expression::parse(text).is_ok(),
        "ids": ids,
        "custom": custom,
        "osi_approved": expr.evaluate(|req| listed(req).is_some_and(spdx::LicenseId::is_osi_approved)),
        "fsf_free": expr.evaluate(|req| listed(req).is_some_and(spdx::LicenseId::is_fsf_free_libre)),
        "restrictions": unavoidable,
        "foss": expr.evaluate(|req| free(req) == Some(true)),
        "foss_if_custom_open": expr.evaluate(|req| free(req).unwrap_or(true)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_ids_and_operators_are_accepted() {
        for ok in [
            "Apache-2.0",
            "MIT OR Apache-2.0",
            "GPL-3.0-or-later WITH GCC-exception-3.1",
            "LicenseRef-Exemple-Open",
            "(MIT AND CC-BY-4.0) OR LicenseRef-x",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn misspellings_get_the_listed_spelling() {
        let cases = [
            ("Apache 2.0", "Apache-2.0"),
            ("apache-2.0", "Apache-2.0"),
            ("mit", "MIT"),
            ("cc-by-nc-4.0", "CC-BY-NC-4.0"),
            ("Apahce-2.0", "Apache-2.0"),
            ("GPL-2.0", "GPL-2.0-only"),
            ("MIT/Apache-2.0", "MIT OR Apache-2.0"),
            ("MIT OR apache-2.0", "MIT OR Apache-2.0"),
        ];
        for (given, meant) in cases {
            let refused = check(given).unwrap_err();
            assert_eq!(refused.suggestion.as_deref(), Some(meant), "{given}");
            assert!(
                refused
                    .message
                    .starts_with(&format!("`{given}` is not an SPDX licence expression: ")),
                "{}",
                refused.message
            );
        }
        let refused = check("llama3").unwrap_err();
        assert_eq!(
            refused.suggestion, None,
            "no listed id is close to a custom licence"
        );
        assert_eq!(
            refused.message,
            "`llama3` is not an SPDX licence expression: `llama3` is not an id of the SPDX licence list"
        );
    }

    #[test]
    fn the_reading_follows_the_licence_text() {
        let r = reading(Some("Apache-2.0"));
        assert_eq!(r["foss"], true);
        assert_eq!(r["osi_approved"], true);
        assert_eq!(r["ids"], json!(["Apache-2.0"]));
        let nc = reading(Some("CC-BY-NC-4.0"));
        assert_eq!(nc["foss"], false);
        assert_eq!(nc["fsf_free"], false);
        assert_eq!(nc["restrictions"], json!(["non_commercial"]));
        let both = reading(Some("CC-BY-NC-ND-4.0"));
        assert_eq!(
            both["restrictions"],
            json!(["no_derivatives", "non_commercial"])
        );
        // CC-BY-SA-4.0 is free for the FSF though not OSI-approved.
        assert_eq!(reading(Some("CC-BY-SA-4.0"))["foss"], true);
        assert_eq!(
            reading(Some("BUSL-1.1"))["restrictions"],
            json!(["commercial_licence_required"])
        );
    }

    #[test]
    fn alternatives_and_custom_licences() {
        let either = reading(Some("MIT OR CC-BY-NC-4.0"));
        assert_eq!(either["foss"], true, "the licensee may take MIT");
        assert_eq!(
            either["restrictions"],
            json!([]),
            "MIT avoids the restriction"
        );
        let all = reading(Some("MIT AND CC-BY-NC-4.0"));
        assert_eq!(all["foss"], false);
        assert_eq!(all["restrictions"], json!(["non_commercial"]));
        let custom = reading(Some("LicenseRef-Exemple-Open"));
        assert_eq!(
            custom["foss"], false,
            "nothing on the list says what it allows"
        );
        assert_eq!(custom["foss_if_custom_open"], true);
        assert_eq!(custom["custom"], json!(["LicenseRef-Exemple-Open"]));
        let mixed = reading(Some("SSPL-1.0 AND LicenseRef-x"));
        assert_eq!(
            mixed["foss_if_custom_open"], false,
            "the listed part is not free"
        );
        let llama = reading(Some("LicenseRef-Llama-3"));
        assert_eq!(
            llama["foss_if_custom_open"], false,
            "a known custom licence is read"
        );
        let rail = reading(Some("LicenseRef-OpenRAIL"));
        assert_eq!(
            rail["foss_if_custom_open"], true,
            "use restrictions await a reviewer"
        );
        assert_eq!(rail["restrictions"], json!(["field_of_use_restrictions"]));
        assert_eq!(
            llama["restrictions"],
            json!(["field_of_use_restrictions", "usage_threshold"])
        );
        assert_eq!(
            reading(Some("LicenseRef-Mistral-Research-1.0"))["restrictions"],
            json!(["research_only"])
        );
        assert_eq!(reading(Some("not a licence"))["valid"], false);
        assert_eq!(reading(None)["foss"], false);
    }
}
