//! Interoperability with the real reference tools from `PyPI`, installed by `.ci/setup-python`.

use std::process::Command;

use crate::common::{Release, run, venv_bin};

/// The folder `model_signing sign key` signs here must have the root digest scelle computes.
#[test]
fn root_digest_equals_model_signing_subject_digest() {
    let r = Release::new();
    for name in [
        ".hidden",
        "B",
        "Z10",
        "Z9",
        "_x",
        "a/b",
        "a-b",
        "a.txt",
        "sub/.git/cfg",
        "é",
        "empty",
    ] {
        r.file(
            name,
            if name == "empty" {
                String::new()
            } else {
                format!("content of {name}")
            },
        );
    }
    r.file(".git/HEAD", "ignored by both tools");
    r.file("big.bin", vec![3u8; 3 << 20]);
    let keys = Release::new();
    let key = keys.path().join("k.pem");
    let status = Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
        ])
        .arg(&key)
        .status()
        .unwrap();
    assert!(status.success());
    let sig = keys.path().join("model.sig");
    let out = Command::new(venv_bin().join("model_signing"))
        .args(["sign", "key"])
        .arg(r.path())
        .arg("--private_key")
        .arg(&key)
        .arg("--signature")
        .arg(&sig)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "model_signing failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bundle: serde_json::Value = serde_json::from_slice(&std::fs::read(&sig).unwrap()).unwrap();
    let payload = bundle["dsseEnvelope"]["payload"].as_str().unwrap();
    let statement: serde_json::Value = serde_json::from_slice(&decode_base64(payload)).unwrap();
    let reference_root = statement["subject"][0]["digest"]["sha256"]
        .as_str()
        .unwrap();

    let manifest = run(&["scan", r.path().to_str().unwrap()]).success().json();
    assert_eq!(manifest["predicate"]["root"]["sha256"], reference_root);
    let names: Vec<&str> = statement["predicate"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        crate::common::manifest_paths(&manifest),
        names,
        "same files in the same order"
    );
}

/// Standard base64, enough for the test (the reference writes padded standard base64).
fn decode_base64(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes().filter(|c| *c != b'=') {
        let v = u32::try_from(ALPHABET.iter().position(|a| *a == c).unwrap()).unwrap();
        acc = acc << 6 | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from(acc >> bits & 0xff).unwrap());
        }
    }
    out
}
