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
fn a_keyless_bundle_checked_with_only_a_key_is_refused_and_says_what_to_give() {
    let out = verify_bad("certificate.sigstore.json");
    assert_eq!(out.code, 1, "stderr:\n{}", out.stderr);
    assert_eq!(out.stderr, "");
    assert!(
        out.stdout.contains("signed keyless") && out.stdout.contains("`--identity` and `--issuer`"),
        "{}",
        out.stdout
    );
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

// Sealing as users do: findings, single files, two bundles, hub caches.

/// A release with a pickle that runs code, a malformed safetensors file and a warning-level
/// finding besides the clean sample files.
fn release_with_findings() -> Release {
    let r = sample_release();
    // GLOBAL posix.system, then REDUCE: loading it runs `ls`.
    r.file(
        "evil.pkl",
        b"\x80\x02cposix\nsystem\nq\x00X\x02\x00\x00\x00lsq\x01\x85q\x02Rq\x03.",
    );
    // A header length far past the end of the file.
    r.file("broken.safetensors", [0xffu8; 64]);
    r
}

#[test]
fn sign_refuses_a_release_with_error_findings_and_lists_them() {
    let keys = Keys::new();
    let r = release_with_findings();
    let dir = r.path().to_str().unwrap();
    let out = run(&["sign", dir, "--key", &keys.private("ed25519")]);
    // The scan ran and found a failure: exit 1, as `verify` and `check` fail a gate.
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(out.stdout, "");
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(
        lines[0],
        format!("warning: the scan of `{dir}` found 2 errors (file/code-on-load, file/malformed)")
    );
    // One line each, most severe first, then by file.
    assert!(
        lines[1].starts_with("  error    broken.safetensors: ")
            && lines[1].ends_with("[file/malformed]"),
        "{}",
        out.stderr
    );
    assert!(
        lines[2].starts_with("  error    evil.pkl: ") && lines[2].contains("posix.system"),
        "{}",
        out.stderr
    );
    assert_eq!(
        lines[3],
        format!(
            "error: refusing to seal `{dir}`: the scan of `{dir}` found 2 errors (file/code-on-load, file/malformed)"
        )
    );
    assert!(lines[4].starts_with("hint: ") && lines[4].contains("--allow-findings"));
    assert_eq!(lines.len(), 5, "{}", out.stderr);
    assert!(!r.path().join("scelle.sigstore.json").exists());
}

#[test]
fn declared_waivers_let_sign_seal_the_findings_they_accept_until_they_expire() {
    let keys = Keys::new();
    let r = release_with_findings();
    let dir = r.path().to_str().unwrap();
    let declaration = |expires: &str| {
        format!(
            "waivers:\n  - id: file/code-on-load\n    subjects: [evil.pkl]\n    reason: loaded only in the sandbox\n    approver: security@example.org\n    expires: {expires}\n  - id: file/malformed\n    subjects: [broken.safetensors]\n    reason: a truncation kept as evidence\n    approver: security@example.org\n    expires: 2030-01-01\n"
        )
    };
    r.file("scelle.yaml", declaration("2030-01-01"));
    let mut cmd = scelle();
    cmd.args(["sign", dir, "--key", &keys.private("ed25519")])
        .env("SOURCE_DATE_EPOCH", "1800000000"); // 2027-01-15
    let out = run_cmd(&mut cmd);
    assert_eq!(out.code, 0, "both errors are waived: {}", out.stderr);
    assert!(
        out.stderr
            .contains("2 error findings waived by the `waivers:` of `scelle.yaml`"),
        "{}",
        out.stderr
    );
    assert!(r.path().join("scelle.sigstore.json").exists());

    // Past its expiry, the waiver of the pickle covers nothing: only that finding blocks.
    std::fs::remove_file(r.path().join("scelle.sigstore.json")).unwrap();
    r.file("scelle.yaml", declaration("2027-01-01"));
    let out = run_cmd(&mut cmd);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "error: refusing to seal `{dir}`: the scan of `{dir}` found 1 error (file/code-on-load)"
        )),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("expired on 2027-01-01"),
        "{}",
        out.stderr
    );
    assert!(!r.path().join("scelle.sigstore.json").exists());
}

#[test]
fn allow_findings_seals_them_and_verify_counts_them() {
    let keys = Keys::new();
    let r = release_with_findings();
    let dir = r.path().to_str().unwrap();
    let out = run(&[
        "sign",
        dir,
        "--key",
        &keys.private("ed25519"),
        "--allow-findings",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.starts_with("warning: the scan of"),
        "the findings are still listed: {}",
        out.stderr
    );
    assert!(
        out.stderr.contains(
            "; sealed with 2 errors (file/code-on-load, file/malformed) (`--allow-findings`)"
        ),
        "{}",
        out.stderr
    );
    // The findings are in the signed manifest.
    let bundle = read_json(&r.path().join("scelle.sigstore.json"));
    let statement: serde_json::Value = serde_json::from_slice(&b64decode(
        bundle["dsseEnvelope"]["payload"].as_str().unwrap(),
    ))
    .unwrap();
    let evil = statement["predicate"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "evil.pkl")
        .unwrap();
    assert_eq!(evil["findings"][0]["rule"], "file/code-on-load");

    let out = verify(&r, &keys, "ed25519", &[]).success();
    assert!(
        out.stdout.contains(
            "findings   2 in the signed manifest, sealed by the publisher:\n             error    file/code-on-load x1\n             error    file/malformed x1\n"
        ),
        "{}",
        out.stdout
    );
    assert_verdict(
        &out,
        "; the publisher sealed it with 2 errors (file/code-on-load, file/malformed)",
    );
    let json = verify(&r, &keys, "ed25519", &["--format", "json"])
        .success()
        .json();
    assert_eq!(
        json["sealed_findings"],
        serde_json::json!({
            "total": 2, "error": 2, "warning": 0, "info": 0,
            "rules": [
                {"rule": "file/code-on-load", "severity": "error", "count": 1},
                {"rule": "file/malformed", "severity": "error", "count": 1}
            ]
        })
    );
}

#[test]
fn a_clean_release_says_its_manifest_carries_no_findings() {
    let keys = Keys::new();
    let (r, _) = signed(&keys, "ed25519");
    let out = verify(&r, &keys, "ed25519", &[]).success();
    assert!(
        out.stdout
            .contains("findings   none in the signed manifest\n"),
        "{}",
        out.stdout
    );
    let json = verify(&r, &keys, "ed25519", &["--format", "json"])
        .success()
        .json();
    assert_eq!(json["sealed_findings"]["total"], 0);
}

#[test]
fn the_findings_list_is_capped_with_a_count_of_the_rest() {
    let keys = Keys::new();
    let r = sample_release();
    for i in 0..12 {
        r.file(&format!("shard-{i:02}.safetensors"), [0xffu8; 16]);
    }
    let dir = r.path().to_str().unwrap();
    let out = run(&["sign", dir, "--key", &keys.private("ed25519"), "-q"]);
    assert_eq!(out.code, 1);
    // Quiet: the refusal alone, which still names the count and the rules.
    assert_eq!(
        out.stderr.lines().next().unwrap(),
        format!(
            "error: refusing to seal `{dir}`: the scan of `{dir}` found 12 errors (file/malformed)"
        )
    );
    let out = run(&["sign", dir, "--key", &keys.private("ed25519")]);
    assert_eq!(out.code, 1);
    let listed: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("  error    "))
        .collect();
    assert_eq!(listed.len(), 10, "{}", out.stderr);
    assert!(listed[9].starts_with("  error    shard-09.safetensors"));
    assert!(
        out.stderr.contains(&format!(
            "  ... and 2 more (`scelle scan {dir} --format table` lists every finding)\n"
        )),
        "{}",
        out.stderr
    );
}

#[test]
fn a_manifest_with_error_findings_is_refused_too() {
    let keys = Keys::new();
    let r = release_with_findings();
    let dir = r.path().to_str().unwrap();
    let manifest = keys.path("m.json");
    let out = run(&["scan", dir, "-o", manifest.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = run(&[
        "sign",
        dir,
        "--key",
        &keys.private("ed25519"),
        "--manifest",
        manifest.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "error: refusing to seal `{dir}`: the manifest `{}` carries 2 errors",
            manifest.display()
        )),
        "{}",
        out.stderr
    );
    assert!(!r.path().join("scelle.sigstore.json").exists());
}

#[test]
fn a_corrupted_hub_blob_blocks_sealing() {
    let keys = Keys::new();
    let cache = Release::new();
    let content = b"{\"model_type\":\"llama\"}";
    let blob = crate::common::sha256_hex(b"something else");
    let repo = "models--org--tiny";
    cache.file(&format!("{repo}/blobs/{blob}"), content);
    let commit = "0123456789abcdef0123456789abcdef01234567";
    cache.file(&format!("{repo}/refs/main"), commit);
    cache.symlink(
        &format!("{repo}/snapshots/{commit}/config.json"),
        &format!("../../blobs/{blob}"),
    );
    let out = run(&[
        "sign",
        cache.path().join(repo).to_str().unwrap(),
        "--key",
        &keys.private("ed25519"),
        "-q",
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("found 1 error (file/hub-blob-mismatch)"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_single_file_signs_and_verifies_in_both_formats() {
    let keys = Keys::new();
    let r = Release::new();
    let model = r.file(
        "model.safetensors",
        crate::common::safetensors_u8(&[7u8; 4096]),
    );
    r.file("notes.txt", "not part of the single-file release");
    let file = model.to_str().unwrap();
    for (format, alg, bundle_name) in [
        ("scelle", "ed25519", "model.safetensors.sigstore.json"),
        ("oms", "p256", "model.safetensors.sig"),
    ] {
        let out = run(&[
            "sign",
            file,
            "--key",
            &keys.private(alg),
            "--format",
            format,
        ]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let bundle = r.path().join(bundle_name);
        assert!(
            out.stderr.contains(&format!(
                "signed 1 file of `model.safetensors` (root sha256:{}) with",
                crate::common::expected_root(&[(
                    "model.safetensors",
                    &std::fs::read(&model).unwrap()
                )])
            )) && out
                .stderr
                .ends_with(&format!("wrote `{}`\n", bundle.display())),
            "{}",
            out.stderr
        );
        // `verify FILE` finds the file's own bundle.
        let out = run(&["verify", file, "--key", &keys.public(alg)]).success();
        assert_eq!(
            verdict(&out),
            format!(
                "verified: the signed file matches the bundle signed by {} key {}",
                if alg == "p256" {
                    "ecdsa-p256-sha256"
                } else {
                    "ed25519"
                },
                &crate::common::sha256_hex(&std::fs::read(keys.public(alg)).unwrap())[..16]
            )
        );
        // The folder is not the release that was signed.
        run(&[
            "verify",
            r.path().to_str().unwrap(),
            "--key",
            &keys.public(alg),
            "--bundle",
            bundle.to_str().unwrap(),
        ])
        .error("is a folder, but the bundle signs a single file");
    }
    let statement: serde_json::Value = serde_json::from_slice(&b64decode(
        read_json(&r.path().join("model.safetensors.sigstore.json"))["dsseEnvelope"]["payload"]
            .as_str()
            .unwrap(),
    ))
    .unwrap();
    assert_eq!(statement["predicate"]["scan"]["single_file"], true);
    assert_eq!(statement["subject"][0]["name"], "model.safetensors");

    let mut bytes = std::fs::read(&model).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&model, bytes).unwrap();
    for alg in ["ed25519", "p256"] {
        let out = run(&["verify", file, "--key", &keys.public(alg)]);
        assert_eq!(out.code, 1, "{}", out.stderr);
        assert!(
            out.stdout.contains("modified   model.safetensors"),
            "{}",
            out.stdout
        );
    }
}

#[test]
fn a_renamed_single_file_verifies_by_content_with_a_warning() {
    let keys = Keys::new();
    let r = Release::new();
    let model = r.file("a.bin", [5u8; 100]);
    run(&[
        "sign",
        model.to_str().unwrap(),
        "--key",
        &keys.private("ed25519"),
        "-q",
    ])
    .success();
    let renamed = r.path().join("b.bin");
    std::fs::rename(&model, &renamed).unwrap();
    let out = run(&[
        "verify",
        renamed.to_str().unwrap(),
        "--key",
        &keys.public("ed25519"),
        "--bundle",
        r.path().join("a.bin.sigstore.json").to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        "warning: the file is named `b.bin`; it was signed as `a.bin` (the digest decides)\n"
    );
}

/// Signs `r` in one format then the other, and checks that each bundle verifies with its own
/// key, picked without `--bundle`, and that neither counts the other as an extra file.
fn two_bundles(first: (&str, &str), second: (&str, &str)) {
    let keys = Keys::new();
    let r = sample_release();
    let dir = r.path().to_str().unwrap();
    for (format, alg) in [first, second] {
        run(&[
            "sign",
            dir,
            "--key",
            &keys.private(alg),
            "--format",
            format,
            "-q",
        ])
        .success();
    }
    for (alg, bundle) in [("ed25519", "scelle.sigstore.json"), ("p256", "model.sig")] {
        let out = verify(&r, &keys, alg, &[]).success();
        assert_eq!(
            out.stdout.lines().next().unwrap(),
            format!(
                "bundle     {dir}/{bundle} ({})",
                if alg == "p256" { "oms" } else { "scelle" }
            )
        );
        assert!(
            verdict(&out).starts_with("verified: all 5 signed files match"),
            "{}",
            out.stdout
        );
    }
    // Either key of several: the first bundle whose hint names one of them.
    let out = run(&[
        "verify",
        dir,
        "--key",
        &keys.public("p256"),
        "--key",
        &keys.public("ed25519"),
    ])
    .success();
    assert!(
        out.stdout
            .starts_with(&format!("bundle     {dir}/scelle.sigstore.json"))
    );
}

#[test]
fn two_bundles_verify_with_their_own_keys_scelle_first() {
    two_bundles(("scelle", "ed25519"), ("oms", "p256"));
}

#[test]
fn two_bundles_verify_with_their_own_keys_oms_first() {
    two_bundles(("oms", "p256"), ("scelle", "ed25519"));
}

#[test]
fn a_key_that_signed_neither_bundle_is_named_against_the_first() {
    let keys = Keys::new();
    let r = sample_release();
    let dir = r.path().to_str().unwrap();
    run(&["sign", dir, "--key", &keys.private("ed25519"), "-q"]).success();
    run(&[
        "sign",
        dir,
        "--key",
        &keys.private("p256"),
        "--format",
        "oms",
        "-q",
    ])
    .success();
    let (_, other) = keys.openssl("other", &["-algorithm", "ed25519"]);
    let out = run(&["verify", dir, "--key", &other]);
    assert_eq!(out.code, 1);
    assert!(
        out.stdout
            .starts_with(&format!("bundle     {dir}/scelle.sigstore.json\n")),
        "{}",
        out.stdout
    );
    assert_verdict(&out, "the bundle was signed by key");
}

#[test]
fn a_file_named_like_a_bundle_that_is_not_one_is_release_content() {
    let keys = Keys::new();
    let r = sample_release();
    let dir = r.path().to_str().unwrap();
    r.file("model.sig", "release notes, not a signature");
    run(&["sign", dir, "--key", &keys.private("ed25519"), "-q"]).success();
    let manifest = run(&[
        "verify",
        dir,
        "--key",
        &keys.public("ed25519"),
        "--manifest-only",
    ])
    .json();
    assert!(crate::common::manifest_paths(&manifest).contains(&"model.sig".to_owned()));
    std::fs::write(r.path().join("model.sig"), "changed").unwrap();
    let out = verify(&r, &keys, "ed25519", &[]);
    assert_eq!(out.code, 1);
    assert!(
        out.stdout.contains("modified   model.sig"),
        "{}",
        out.stdout
    );
    // Added after sealing and not a bundle: an extra file like any other.
    let (r, _) = signed(&keys, "ed25519");
    r.file("model.sig", "{\"mediaType\": \"text/plain\"}");
    let out = verify(&r, &keys, "ed25519", &[]);
    assert_eq!(out.code, 1);
    assert!(
        out.stdout.contains("extra      model.sig"),
        "{}",
        out.stdout
    );
}

/// A hub cache repository with two snapshots; `refs/main` names the first.
fn hub_cache() -> (Release, PathBuf, [&'static str; 2]) {
    let cache = Release::new();
    let repo = "models--org--tiny";
    let commits = [
        "0123456789abcdef0123456789abcdef01234567",
        "89abcdef0123456789abcdef0123456789abcdef",
    ];
    for (i, commit) in commits.iter().enumerate() {
        let content = format!("{{\"model_type\":\"llama\",\"layers\":{i}}}");
        let blob = crate::common::sha256_hex(content.as_bytes());
        cache.file(&format!("{repo}/blobs/{blob}"), &content);
        cache.symlink(
            &format!("{repo}/snapshots/{commit}/config.json"),
            &format!("../../blobs/{blob}"),
        );
    }
    cache.file(&format!("{repo}/refs/main"), format!("{}\n", commits[0]));
    let path = cache.path().join(repo);
    (cache, path, commits)
}

#[test]
fn a_hub_cache_folder_stands_for_the_snapshot_refs_main_names() {
    let keys = Keys::new();
    let (_cache, repo, commits) = hub_cache();
    let repo_arg = repo.to_str().unwrap();
    let out = run(&[
        "sign",
        repo_arg,
        "--key",
        &keys.private("p256"),
        "--format",
        "oms",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let snapshot = repo.join("snapshots").join(commits[0]);
    assert_eq!(
        out.stderr.lines().next().unwrap(),
        format!(
            "`{repo_arg}` is the Hugging Face cache of `org/tiny`: using snapshot {} (`main`)",
            commits[0]
        )
    );
    assert!(
        out.stderr.contains("signed 1 file of `org/tiny`"),
        "{}",
        out.stderr
    );
    // The bundle goes in the snapshot, where a published `model.sig` would be.
    let bundle = snapshot.join("model.sig");
    let statement: serde_json::Value = serde_json::from_slice(&b64decode(
        read_json(&bundle)["dsseEnvelope"]["payload"]
            .as_str()
            .unwrap(),
    ))
    .unwrap();
    assert_eq!(statement["subject"][0]["name"], "org/tiny");
    assert_eq!(
        statement["predicate"]["resources"][0]["name"],
        "config.json"
    );

    let out = run(&["verify", repo_arg, "--key", &keys.public("p256"), "-q"]).success();
    assert!(
        out.stdout.contains("model      org/tiny\n"),
        "{}",
        out.stdout
    );
    assert!(verdict(&out).starts_with("verified: the signed file matches"));
    // The other snapshot has no bundle; with the first one's, its different file shows.
    run(&[
        "verify",
        repo_arg,
        "--key",
        &keys.public("p256"),
        "--revision",
        commits[1],
        "-q",
    ])
    .error("no bundle in");
    let out = run(&[
        "verify",
        repo_arg,
        "--key",
        &keys.public("p256"),
        "--revision",
        commits[1],
        "--bundle",
        bundle.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stdout.contains("modified   config.json"),
        "{}",
        out.stdout
    );
    let out = run(&[
        "verify",
        repo_arg,
        "--key",
        &keys.public("p256"),
        "--revision",
        "dev",
    ])
    .error(&format!(
        "`{repo_arg}` has no revision `dev` (branches: main; snapshots: {}, {})",
        commits[0], commits[1]
    ));
    assert!(out.hint().unwrap().contains("--revision"));
}

#[test]
fn a_scelle_manifest_of_a_hub_snapshot_records_the_repository() {
    let (_cache, repo, commits) = hub_cache();
    let out = run(&["scan", repo.to_str().unwrap(), "--revision", "main", "-q"]).success();
    let manifest = out.json();
    assert_eq!(
        manifest["predicate"]["scan"]["hub"],
        serde_json::json!({"kind": "model", "repo": "org/tiny", "revision": "main", "commit": commits[0]})
    );
    assert_eq!(crate::common::manifest_paths(&manifest), ["config.json"]);
    run(&[
        "scan",
        sample_release().path().to_str().unwrap(),
        "--revision",
        "main",
    ])
    .error("is not a Hugging Face cache folder");
}
