//! `scelle.yaml` declarations: a publisher writes them by hand, an auditor receives them with the
//! release, so the YAML reader and the schema validator must reject any bytes without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scelle::manifest::descriptor;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Err(error) = descriptor::parse(text, "scelle.yaml") {
            let _ = error.to_string();
            let _ = error.hint();
        }
    }
});
