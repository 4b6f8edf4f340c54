//! SPDX 3.0.1 JSON-LD with the AI and Dataset profiles.

use serde_json::{Value, json};

use super::View;

/// The document for `view`.
pub(super) fn document(view: &View<'_>) -> Value {
    json!({
        "@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld",
        "@graph": [],
        "_root": view.root(),
    })
}
