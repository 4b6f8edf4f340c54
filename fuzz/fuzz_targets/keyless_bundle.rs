//! Keyless Sigstore bundles: scelle's structural read, then the whole keyless verification
//! (sigstore-verify on scelle's crypto provider, the embedded trusted root) of whatever parses.
//! Only refusals may come out, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scelle::sign::bundle::{self, KeyMaterial};
use scelle::sign::trust::{IdentityMatch, KeylessPolicy, TrustedRootSource};

fuzz_target!(|data: &[u8]| {
    let _ = scelle::sign::keyless::is_file_bundle(data);
    let Ok(read) = bundle::parse(std::path::Path::new("fuzz"), data) else { return };
    if let KeyMaterial::Certificate(_) = read.key {
        let policy = KeylessPolicy {
            identity: IdentityMatch::Exact("release@example.com".into()),
            issuer: "https://issuer.example".into(),
            trusted_root: TrustedRootSource::Embedded,
        };
        let _ = scelle::sign::keyless::verify_bundle(std::path::Path::new("fuzz"), &read, &policy);
    }
});
