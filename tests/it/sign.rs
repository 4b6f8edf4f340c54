//! `scelle sign` and `scelle verify`: round trips, the tamper matrix, hostile bundles.

use std::path::{Path, PathBuf};

use crate::common::{
    Keys, Release, b64decode, b64encode, read_json, run, run_cmd, sample_release, scelle,
    write_json,
};

/// A signed copy of the sample release; returns it with its bundle path.
fn signed(keys: &Keys, alg: &str) -> (Release, PathBuf) {
    let r = sample_release();
    run(&[
        "sign",
        r.path().to_str().unwrap(),
        "--key",
        &keys.private(alg),
        "-q",
    ])
    .success();
    let bundle = r.path().join("scelle.sigstore.json");
    assert!(bundle.exists());
    (r, bundle)
}

fn verify(r: &Release, keys: &Keys, alg: &str, extra: &[&str]) -> crate::common::Run {
    let mut args = vec!["verify", r.path().to_str().unwrap(), "--key"];
    let key = keys.public(alg);
    args.push(&key);
    args.extend_from_slice(extra);
    run(&args)
}

/// The last line of the table report.
fn verdict(out: &crate::common::Run) -> &str {
    out.stdout.lines().last().unwrap_or_default()
}

/// Asserts that the verdict line says `needle`.
fn assert_verdict(out: &crate::common::Run, needle: &str) {
    assert!(
        verdict(out).contains(needle),
        "expected {needle:?} in the verdict:\n{}",
        out.stdout
    );
}

#[test]
fn sign_then_verify_succeeds_for_every_key_type() {
    let keys = Keys::new();
    for alg in ["ed25519", "p256"] {
        let (r, bundle) = signed(&keys, alg);
        let out = verify(&r, &keys, alg, &[]).success();
        assert!(
            verdict(&out).starts_with("verified: all 5 signed files match"),
            "{}",
            out.stdout
        );
        let b = read_json(&bundle);
        assert_eq!(
            b["mediaType"],
            "application/vnd.dev.sigstore.bundle.v0.3+json"
        );
        assert_eq!(
            b["dsseEnvelope"]["payloadType"],
            "application/vnd.in-toto+json"
        );
        let statement: serde_json::Value =
            serde_json::from_slice(&b64decode(b["dsseEnvelope"]["payload"].as_str().unwrap()))
                .unwrap();
        assert_eq!(
            statement["predicateType"],
            "https://scelle.dev/provenance/v1"
        );
        assert!(
            statement["predicate"]["scan"]["ignore"]
                .as_array()
                .unwrap()
                .iter()
                .any(|v| v == "scelle.sigstore.json"),
            "the bundle inside the release is left out and recorded"
        );
    }
}

#[test]
fn key_hint_is_the_sha256_of_the_public_key_pem() {
    let keys = Keys::new();
    let (_r, bundle) = signed(&keys, "ed25519");
    let pem = std::fs::read(keys.path("test-ed25519.pub")).unwrap();
    let b = read_json(&bundle);
    let expected = crate::common::sha256_hex(&pem);
    assert_eq!(
        b["verificationMaterial"]["publicKey"]["hint"],
        expected.as_str()
    );
    assert_eq!(
        b["dsseEnvelope"]["signatures"][0]["keyid"],
        expected.as_str()
    );
}

#[test]
fn signing_a_scanned_manifest_signs_its_exact_bytes() {
    let keys = Keys::new();
    let r = sample_release();
    let out = Release::new();
    let manifest = out.path().join("manifest.json");
    let bundle = out.path().join("release.sigstore.json");
    run(&[
        "scan",
        r.path().to_str().unwrap(),
        "-o",
        manifest.to_str().unwrap(),
    ])
    .success();
    run(&[
        "sign",
        r.path().to_str().unwrap(),
        "--manifest",
        manifest.to_str().unwrap(),
        "--key",
        &keys.private("ed25519"),
        "-o",
        bundle.to_str().unwrap(),
        "-q",
    ])
    .success();
    let b = read_json(&bundle);
    assert_eq!(
        b64decode(b["dsseEnvelope"]["payload"].as_str().unwrap()),
        std::fs::read(&manifest).unwrap()
    );
    verify(
        &r,
        &keys,
        "ed25519",
        &["--bundle", bundle.to_str().unwrap()],
    )
    .success();
}

#[test]
fn a_fixed_key_and_manifest_give_a_byte_identical_bundle() {
    let keys = Keys::new();
    let vectors = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/vectors");
    let out = run(&[
        "sign",
        vectors.join("release").to_str().unwrap(),
        "--manifest",
        vectors.join("manifest.json").to_str().unwrap(),
        "--key",
        &keys.private("ed25519"),
        "-o",
        "-",
        "-q",
    ])
    .success();
    assert_eq!(
        out.stdout.as_bytes(),
        std::fs::read(vectors.join("scelle.sigstore.json")).unwrap()
    );
}

#[test]
fn bundle_is_never_overwritten_without_force() {
    let keys = Keys::new();
    let (r, bundle) = signed(&keys, "ed25519");
    let before = std::fs::read(&bundle).unwrap();
    let out = run(&[
        "sign",
        r.path().to_str().unwrap(),
        "--key",
        &keys.private("ed25519"),
    ])
    .error("scelle.sigstore.json` already exists");
    assert!(out.hint().unwrap().contains("--force"));
    assert_eq!(std::fs::read(&bundle).unwrap(), before);
    run(&[
        "sign",
        r.path().to_str().unwrap(),
        "--key",
        &keys.private("ed25519"),
        "--force",
        "-q",
    ])
    .success();
}

#[test]
fn oms_format_refuses_an_ed25519_key_with_the_reason() {
    let keys = Keys::new();
    let r = sample_release();
    let out = run(&[
        "sign",
        r.path().to_str().unwrap(),
        "--key",
        &keys.private("ed25519"),
        "--format",
        "oms",
    ])
    .error("an OMS bundle needs an ECDSA key");
    assert!(out.hint().unwrap().contains("keygen -a p256"));
    assert!(!r.path().join("model.sig").exists());
}

#[test]
fn manifest_only_prints_the_signed_statement_without_hashing() {
    let keys = Keys::new();
    let (r, bundle) = signed(&keys, "ed25519");
    // Even a release that no longer matches: the release is not read.
    std::fs::write(r.path().join("config.json"), "changed").unwrap();
    let out = verify(&r, &keys, "ed25519", &["--manifest-only"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let b = read_json(&bundle);
    assert_eq!(
        out.stdout.as_bytes(),
        b64decode(b["dsseEnvelope"]["payload"].as_str().unwrap())
    );
    assert!(
        out.stderr.contains("signature verified (5 signed files)"),
        "{}",
        out.stderr
    );
}

#[test]
fn ignore_unsigned_files_reports_extra_files_without_failing() {
    let keys = Keys::new();
    let (r, _) = signed(&keys, "p256");
    r.file("notes/added.txt", "new");
    let failing = verify(&r, &keys, "p256", &[]);
    assert_eq!(failing.code, 1);
    assert!(
        failing
            .stdout
            .contains("extra      notes/added.txt (not signed)"),
        "{}",
        failing.stdout
    );
    let out = verify(&r, &keys, "p256", &["--ignore-unsigned-files"]).success();
    assert!(
        out.stdout.contains("unsigned   notes/added.txt"),
        "{}",
        out.stdout
    );
    assert_verdict(&out, "1 unsigned file ignored");
}

#[test]
fn ignored_paths_are_recorded_and_reapplied() {
    let keys = Keys::new();
    let r = sample_release();
    r.file("logs/run.txt", "volatile");
    run(&[
        "sign",
        r.path().to_str().unwrap(),
        "--key",
        &keys.private("ed25519"),
        "--ignore",
        "logs",
        "-q",
    ])
    .success();
    std::fs::write(r.path().join("logs/run.txt"), "changed after signing").unwrap();
    r.file("logs/new.txt", "also ignored");
    verify(&r, &keys, "ed25519", &[]).success();
    // An extra `--ignore` at verification time leaves out more.
    r.file("scratch/x", "x");
    verify(&r, &keys, "ed25519", &["--ignore", "scratch"]).success();
}

#[test]
fn any_of_several_keys_may_verify() {
    let keys = Keys::new();
    let (r, _) = signed(&keys, "p256");
    let out = run(&[
        "verify",
        r.path().to_str().unwrap(),
        "--key",
        &keys.public("ed25519"),
        "--key",
        &keys.public("p256"),
    ]);
    assert_eq!(out.code, 0, "{}", out.stdout);
}

#[test]
fn json_report_is_documented_and_complete() {
    let keys = Keys::new();
    let (r, _) = signed(&keys, "ed25519");
    std::fs::write(r.path().join("README.md"), "changed").unwrap();
    let out = verify(&r, &keys, "ed25519", &["--format", "json"]);
    assert_eq!(out.code, 1);
    let report = out.json();
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["signature"], "verified");
    assert_eq!(report["format"], "scelle");
    assert_eq!(report["files"]["modified"][0]["path"], "README.md");
    assert_eq!(
        report["files"]["modified"][0]["actual"],
        crate::common::sha256_hex(b"changed")
    );
    assert_eq!(report["findings"][0]["rule"], "verify/modified");
    assert_eq!(report["findings"][0]["severity"], "error");
    assert!(report["verdict"].as_str().unwrap().starts_with("FAILED"));
}

// The tamper matrix: each change to a signed release gives exit 1 and names what changed.

fn tampered(change: impl FnOnce(&Release, &Path), alg: &str) -> crate::common::Run {
    let keys = Keys::new();
    let (r, bundle) = signed(&keys, alg);
    change(&r, &bundle);
    let out = verify(&r, &keys, alg, &[]);
    assert_eq!(
        out.code, 1,
        "stdout:\n{}\nstderr:\n{}",
        out.stdout, out.stderr
    );
    assert!(verdict(&out).starts_with("FAILED"), "{}", out.stdout);
    out
}

#[test]
fn tamper_change_one_byte() {
    let out = tampered(
        |r, _| {
            let path = r.path().join("model.safetensors");
            let mut bytes = std::fs::read(&path).unwrap();
            bytes[20_000] ^= 1;
            std::fs::write(path, bytes).unwrap();
        },
        "ed25519",
    );
    assert!(
        out.stdout.contains("modified   model.safetensors"),
        "{}",
        out.stdout
    );
}

#[test]
fn tamper_truncate() {
    let out = tampered(
        |r, _| {
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(r.path().join("model.safetensors"))
                .unwrap();
            f.set_len(100).unwrap();
        },
        "p256",
    );
    assert!(
        out.stdout.contains("modified   model.safetensors"),
        "{}",
        out.stdout
    );
}

#[test]
fn tamper_append() {
    let out = tampered(
        |r, _| {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(r.path().join("data/train.jsonl"))
                .unwrap();
            f.write_all(b"{\"text\":\"poison\"}\n").unwrap();
        },
        "ed25519",
    );
    assert!(
        out.stdout.contains("modified   data/train.jsonl"),
        "{}",
        out.stdout
    );
}

#[test]
fn tamper_delete_a_file() {
    let out = tampered(
        |r, _| std::fs::remove_file(r.path().join("tokenizer.json")).unwrap(),
        "ed25519",
    );
    assert!(
        out.stdout.contains("missing    tokenizer.json"),
        "{}",
        out.stdout
    );
}

#[test]
fn tamper_delete_every_file() {
    let out = tampered(
        |r, _| {
            for f in [
                "config.json",
                "model.safetensors",
                "tokenizer.json",
                "README.md",
                "data/train.jsonl",
            ] {
                std::fs::remove_file(r.path().join(f)).unwrap();
            }
        },
        "ed25519",
    );
    assert_verdict(&out, "5 of 5 signed files differ: 5 missing");
}

#[test]
fn tamper_add_a_file() {
    let out = tampered(
        |r, _| drop(r.file("model-extra.safetensors", "unsigned weights")),
        "ed25519",
    );
    assert!(
        out.stdout
            .contains("extra      model-extra.safetensors (not signed)"),
        "{}",
        out.stdout
    );
}

#[test]
fn tamper_rename() {
    let out = tampered(
        |r, _| {
            std::fs::rename(
                r.path().join("config.json"),
                r.path().join("config.old.json"),
            )
            .unwrap();
        },
        "p256",
    );
    assert!(
        out.stdout
            .contains("renamed    config.json -> config.old.json"),
        "{}",
        out.stdout
    );
}

#[test]
fn tamper_swap_two_files() {
    let out = tampered(
        |r, _| {
            let a = r.path().join("config.json");
            let b = r.path().join("tokenizer.json");
            let (ca, cb) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
            std::fs::write(&a, cb).unwrap();
            std::fs::write(&b, ca).unwrap();
        },
        "ed25519",
    );
    assert!(
        out.stdout
            .contains("modified   config.json (now holds the content signed as `tokenizer.json`)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("modified   tokenizer.json (now holds the content signed as `config.json`)"),
        "{}",
        out.stdout
    );
}

/// Edits the bundle's JSON.
fn edit_bundle(bundle: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut b = read_json(bundle);
    edit(&mut b);
    write_json(bundle, &b);
}

#[test]
fn tamper_edit_the_payload() {
    let out = tampered(
        |_, bundle| {
            edit_bundle(bundle, |b| {
                let payload = b64decode(b["dsseEnvelope"]["payload"].as_str().unwrap());
                let text = String::from_utf8(payload)
                    .unwrap()
                    .replace("README.md", "README.txt");
                b["dsseEnvelope"]["payload"] = b64encode(text.as_bytes()).into();
            });
        },
        "ed25519",
    );
    assert_verdict(&out, "the signature does not verify with key");
    assert!(out.stdout.contains("signature  rejected"), "{}", out.stdout);
}

#[test]
fn tamper_change_the_payload_type() {
    let out = tampered(
        |_, bundle| {
            edit_bundle(bundle, |b| {
                b["dsseEnvelope"]["payloadType"] = "application/json".into();
            });
        },
        "p256",
    );
    assert_verdict(&out, "the payload type is now `application/json`");
}

#[test]
fn tamper_replace_the_signature() {
    let keys = Keys::new();
    // A genuine signature by the same key, but over another release's payload.
    let other = Release::new();
    other.file("other.bin", "another release");
    run(&[
        "sign",
        other.path().to_str().unwrap(),
        "--key",
        &keys.private("ed25519"),
        "-q",
    ])
    .success();
    let foreign = read_json(&other.path().join("scelle.sigstore.json"))["dsseEnvelope"]["signatures"][0]["sig"].clone();
    let out = tampered(
        |_, bundle| {
            edit_bundle(bundle, |b| {
                b["dsseEnvelope"]["signatures"][0]["sig"] = foreign;
            });
        },
        "ed25519",
    );
    assert_verdict(&out, "the signature does not verify");
}

#[test]
fn tamper_sign_with_one_key_and_verify_with_another() {
    let keys = Keys::new();
    let (r, _) = signed(&keys, "ed25519");
    let out = verify(&r, &keys, "p256", &[]);
    assert_eq!(out.code, 1);
    let signer = crate::common::sha256_hex(&std::fs::read(keys.path("test-ed25519.pub")).unwrap());
    assert_verdict(
        &out,
        &format!("the bundle was signed by key `{signer}`, not by the given key"),
    );
}

#[test]
fn tamper_empty_signature_list() {
    let out = tampered(
        |_, bundle| {
            edit_bundle(bundle, |b| {
                b["dsseEnvelope"]["signatures"] = serde_json::json!([]);
            });
        },
        "ed25519",
    );
    assert_verdict(&out, "the bundle holds no signature");
}

#[test]
fn tamper_two_signatures() {
    let out = tampered(
        |_, bundle| {
            edit_bundle(bundle, |b| {
                let sig = b["dsseEnvelope"]["signatures"][0].clone();
                b["dsseEnvelope"]["signatures"] = serde_json::json!([sig.clone(), sig]);
            });
        },
        "ed25519",
    );
    assert!(
        verdict(&out).contains("2 signatures; a Sigstore bundle carries exactly one"),
        "{}",
        out.stdout
    );
}

// Hostile bundles from fixtures/bad/bundles: each is refused with one line naming it.

fn verify_bad(name: &str) -> crate::common::Run {
    let keys = Keys::new();
    let bad = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/bad/bundles")
        .join(name);
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
    run(&[
        "verify",
        demo.to_str().unwrap(),
        "--key",
        &keys.public("ed25519"),
        "--key",
        &keys.public("p256"),
        "--bundle",
        bad.to_str().unwrap(),
    ])
}

#[test]
fn bad_bundles_are_refused_with_a_clear_message() {
    let cases = [
        (
            "not-json.sigstore.json",
            "not-json.sigstore.json` is not JSON: found `t` at byte 0, expected a JSON object",
        ),
        (
            "wrong-media-type.sigstore.json",
            "has media type `application/vnd.dev.sigstore.bundle.v0.2+json`, expected",
        ),
        (
            "invalid-base64.sigstore.json",
            "invalid base64 in `dsseEnvelope.payload`",
        ),
        (
            "unsafe-parent-path.sigstore.json",
            "unsafe path \"../outside.bin\": the path has a `.` or `..` component",
        ),
        (
            "unsafe-absolute-path.sigstore.json",
            "unsafe path \"/etc/passwd\": the path is absolute",
        ),
        (
            "unsafe-nul-path.sigstore.json",
            "the path contains a NUL byte",
        ),
        (
            "duplicate-path.sigstore.json",
            "`config.json` is listed twice",
        ),
        (
            "short-digest.sigstore.json",
            "not a SHA-256 digest (expected 64 lowercase hex characters)",
        ),
        ("huge-size.sigstore.json", "expected u64"),
        ("certificate.sigstore.json", "is signed with a certificate"),
        (
            "oms-unsafe-path.sig",
            "resources[0]: unsafe path \"../../etc/passwd\"",
        ),
        ("oms-shards.sig", "serialization method `shards`"),
    ];
    for (name, needle) in cases {
        let out = verify_bad(name).error(needle);
        assert!(
            out.stderr.contains(name),
            "the message names the bundle: {}",
            out.stderr
        );
    }
}

#[test]
fn a_bundle_over_the_size_limit_is_refused_before_it_is_read() {
    let keys = Keys::new();
    let r = sample_release();
    let bundle = r.path().join("huge.sigstore.json");
    // The cap: the base64 of the largest statement (4 GiB) and 1 MiB of envelope.
    let cap: u64 = (4u64 << 30).div_ceil(3) * 4 + (1 << 20);
    std::fs::File::create(&bundle)
        .unwrap()
        .set_len(cap + 1)
        .unwrap();
    let out = run(&[
        "verify",
        r.path().to_str().unwrap(),
        "--key",
        &keys.public("ed25519"),
        "--bundle",
        bundle.to_str().unwrap(),
    ]);
    out.error(&format!(
        "huge.sigstore.json` is 5.3 GiB ({} bytes), larger than any bundle scelle reads (5.3 GiB, {cap} bytes)",
        cap + 1
    ));
}

#[test]
fn missing_bundle_is_an_error_with_a_hint() {
    let keys = Keys::new();
    let r = sample_release();
    let out = run(&[
        "verify",
        r.path().to_str().unwrap(),
        "--key",
        &keys.public("ed25519"),
    ])
    .error("no bundle in");
    assert!(out.hint().unwrap().contains("--bundle"));
}

#[test]
fn verify_requires_a_key() {
    let out = run(&["verify", "."]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--key <PUB>"), "{}", out.stderr);
}

#[test]
fn sign_reads_the_passphrase_of_an_encrypted_key_from_the_named_variable() {
    let keys = Keys::new();
    let r = sample_release();
    let name = keys.path("enc");
    let out = run_cmd(scelle().env("SCELLE_TEST_PASS", "s3cret").args([
        "keygen",
        "-a",
        "p256",
        "-o",
        name.to_str().unwrap(),
        "--passphrase-env",
        "SCELLE_TEST_PASS",
        "-q",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let key = format!("{}.key", name.display());
    let public = format!("{}.pub", name.display());
    assert!(
        std::fs::read_to_string(&key)
            .unwrap()
            .starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    );
    let dir = r.path().to_str().unwrap();
    run_cmd(scelle().env("SCELLE_TEST_PASS", "wrong").args([
        "sign",
        dir,
        "--key",
        &key,
        "--passphrase-env",
        "SCELLE_TEST_PASS",
    ]))
    .error("enc.key`: wrong passphrase");
    run(&[
        "sign",
        dir,
        "--key",
        &key,
        "--passphrase-env",
        "SCELLE_UNSET_VARIABLE",
    ])
    .error("`SCELLE_UNSET_VARIABLE` is not set");
    // Without a terminal and without a variable, there is no way to ask.
    let out = run(&["sign", dir, "--key", &key])
        .error("enc.key` is encrypted and no passphrase was given");
    assert!(out.hint().unwrap().contains("--passphrase-env"));
    run_cmd(scelle().env("SCELLE_TEST_PASS", "s3cret").args([
        "sign",
        dir,
        "--key",
        &key,
        "--passphrase-env",
        "SCELLE_TEST_PASS",
        "-q",
    ]))
    .success();
    run(&["verify", dir, "--key", &public]).success();
}
