//! Key files: public and private PEM, including encrypted PKCS#8 (with a fixed passphrase).
#![no_main]

use libfuzzer_sys::fuzz_target;
use scelle::sign::{KeyError, PrivateKey, PublicKey};
use zeroize::Zeroizing;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = PublicKey::from_pem(text);
    let mut passphrase = || -> Result<Zeroizing<String>, KeyError> { Ok(Zeroizing::new("fuzz".to_owned())) };
    let _ = PrivateKey::from_pem(text, &mut passphrase);
});
