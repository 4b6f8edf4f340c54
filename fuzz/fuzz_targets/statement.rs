//! Signed statement bytes, as a verifier reads them after the signature: scelle manifests, OMS
//! v1.0 and legacy OMS statements.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scelle::manifest::Statement;
use scelle::sign::oms;

fuzz_target!(|data: &[u8]| {
    if let Ok(statement) = serde_json::from_slice::<Statement>(data) {
        let _ = statement.check();
        let _ = statement.to_json_bytes();
    }
    let _ = oms::parse(data);
    let _ = oms::parse_legacy(data);
});
