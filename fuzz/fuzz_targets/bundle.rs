//! Sigstore bundle bytes: parse, then decode the payload and signature as the verifier does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scelle::sign::bundle;

fuzz_target!(|data: &[u8]| {
    if let Ok(read) = bundle::parse(std::path::Path::new("fuzz"), data) {
        let _ = read.payload_bytes();
        for sig in &read.signatures {
            let _ = scelle::sign::dsse::decode_base64("sig", &sig.sig);
        }
    }
});
