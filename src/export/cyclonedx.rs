//! CycloneDX 1.6 and 1.7 JSON: the release as an ML-BOM.

use serde_json::{Value, json};

use super::View;

/// The document for `view`.
pub(super) fn document(view: &View<'_>) -> Value {
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": view.spec.as_str(),
        "serialNumber": format!("urn:uuid:{}", view.uuid),
        "version": 1,
    })
}
