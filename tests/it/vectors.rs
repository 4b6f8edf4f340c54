//! Known-answer tests: RFC 8032 Ed25519 vectors and DSSE signatures, through scelle's own key
//! loading (PKCS#8 PEM) and DSSE signing. Each expected value was checked against Python's
//! `cryptography`, an independent implementation.

use scelle::sign::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE, pae};
use scelle::sign::{KeyError, PrivateKey, PublicKey};
use zeroize::Zeroizing;

use crate::common::{b64encode, hex};

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The PKCS#8 v1 PEM of an Ed25519 seed (RFC 8410 layout).
fn key_from_seed(seed: &str) -> PrivateKey {
    let mut der = unhex("302e020100300506032b657004220420");
    der.extend(unhex(seed));
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        b64encode(&der)
    );
    let mut no_passphrase = || -> Result<Zeroizing<String>, KeyError> { panic!("not encrypted") };
    PrivateKey::from_pem(&pem, &mut no_passphrase).unwrap()
}

/// RFC 8032 §7.1, tests 1 to 3: seed, public key, message, signature.
const RFC8032: [(&str, &str, &str, &str); 3] = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
];

#[test]
fn rfc8032_ed25519_vectors() {
    for (seed, public, message, signature) in RFC8032 {
        let key = key_from_seed(seed);
        let spki = key.public_key().to_spki_der();
        assert_eq!(hex(&spki[spki.len() - 32..]), public);
        let sig = key.sign(&unhex(message));
        assert_eq!(hex(&sig), signature);
        assert!(key.public_key().verify(&unhex(message), &sig));
        let mut bad = sig.clone();
        bad[0] ^= 1;
        assert!(!key.public_key().verify(&unhex(message), &bad));
    }
}

#[test]
fn dsse_pae_vector() {
    let payload = br#"{"_type":"https://in-toto.io/Statement/v1"}"#;
    assert_eq!(
        pae(IN_TOTO_PAYLOAD_TYPE, payload),
        br#"DSSEv1 28 application/vnd.in-toto+json 43 {"_type":"https://in-toto.io/Statement/v1"}"#
    );
}

#[test]
fn dsse_envelope_signature_vector() {
    let key = key_from_seed(RFC8032[0].0);
    let envelope = Envelope::sign(
        IN_TOTO_PAYLOAD_TYPE,
        br#"{"_type":"https://in-toto.io/Statement/v1"}"#,
        &key,
        None,
    );
    assert_eq!(
        envelope.signatures[0].sig,
        "2WAfaHm5jluo0w+0rk8uVkluELJYWjSmU9x7EUzx+AyteDGJ4/nqyJXfmAUVFIAoQafWm7AxBZNw5M9ixNHiCA=="
    );
    assert_eq!(
        envelope.payload,
        "eyJfdHlwZSI6Imh0dHBzOi8vaW4tdG90by5pby9TdGF0ZW1lbnQvdjEifQ=="
    );
}

#[test]
fn ed25519_verification_is_strict() {
    // A small-order public key (the identity point) verifies forged signatures under lenient
    // rules; strict verification refuses it.
    let mut spki = unhex("302a300506032b6570032100");
    let mut identity = vec![0u8; 32];
    identity[0] = 1;
    spki.extend(&identity);
    let key = PublicKey::from_spki_der(&spki).unwrap();
    let mut forged = vec![0u8; 64];
    forged[0] = 1;
    assert!(!key.verify(b"anything", &forged));
}
