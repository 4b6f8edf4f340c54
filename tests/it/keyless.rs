//! A release signed keyless, end to end and offline: `private_sigstore.py` plays a private
//! Sigstore instance (CA, CT log, Rekor log, with `cryptography`) around the OMS statement
//! scelle makes for a small model, and `scelle verify DIR --identity --issuer --trusted-root`
//! must accept it and refuse every tampering.

use std::path::{Path, PathBuf};

use base64::Engine as _;

use crate::common::{Release, python, run};

const IDENTITY: &str = "release@example.com";
const ISSUER: &str = "https://issuer.example";

struct Signed {
    release: Release,
    model: PathBuf,
    bundle: PathBuf,
    root: PathBuf,
    integrated_time: i64,
}

/// A two-file model, its OMS statement (made by `scelle sign --format oms` and taken out of the
/// key bundle), and a keyless bundle over that statement from the private instance.
fn signed_model() -> Signed {
    let release = Release::new();
    let model = release.dir("model");
    release.file("model/weights.bin", b"\x00\x01\x02\x03weights");
    release.file("model/config.json", b"{\"layers\": 2}\n");
    let key = release.path().join("k");
    let (key_arg, model_arg) = (key.to_string_lossy(), model.to_string_lossy());
    let out = run(&["keygen", "-a", "p256", "-o", &key_arg]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let private = format!("{key_arg}.key");
    let out = run(&["sign", &model_arg, "--key", &private, "--format", "oms"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let key_bundle = model.join("model.sig");
    let bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&key_bundle).unwrap()).unwrap();
    std::fs::remove_file(&key_bundle).unwrap();
    let statement = base64::engine::general_purpose::STANDARD
        .decode(bundle["dsseEnvelope"]["payload"].as_str().unwrap())
        .unwrap();
    let statement_file = release.file("statement.json", statement);
    let now = private_sign(&release, &statement_file);
    Signed {
        bundle: release.path().join("keyless.sig"),
        root: release.path().join("trusted_root.json"),
        integrated_time: now - 60,
        model,
        release,
    }
}

/// Has the private instance sign and log `statement`, writing `keyless.sig` and
/// `trusted_root.json` into the release; returns the time it was told is now.
fn private_sign(release: &Release, statement: &Path) -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/private_sigstore.py");
    let out = std::process::Command::new(python())
        .arg(script)
        .arg(release.path())
        .arg(statement)
        .args([IDENTITY, ISSUER, &now])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "private_sigstore.py failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    now.parse().unwrap()
}

impl Signed {
    fn verify(&self, bundle: &Path, extra: &[&str]) -> crate::common::Run {
        let (model, bundle, root) = (
            self.model.to_string_lossy(),
            bundle.to_string_lossy(),
            self.root.to_string_lossy(),
        );
        let mut args = vec![
            "verify",
            &model,
            "--bundle",
            &bundle,
            "--issuer",
            ISSUER,
            "--trusted-root",
            &root,
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        if !extra.iter().any(|a| a.starts_with("--identity")) {
            args.extend_from_slice(&["--identity", IDENTITY]);
        }
        run(&args)
    }

    /// The bundle with one change, written beside the original.
    fn tampered(&self, change: impl FnOnce(&mut serde_json::Value)) -> PathBuf {
        let mut bundle: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&self.bundle).unwrap()).unwrap();
        change(&mut bundle);
        self.release
            .file("tampered.sig", serde_json::to_vec(&bundle).unwrap())
    }
}

fn problem(out: &crate::common::Run) -> String {
    assert_eq!(
        out.code, 1,
        "stdout:\n{}\nstderr:\n{}",
        out.stdout, out.stderr
    );
    assert_eq!(out.stderr, "");
    let json = out.json();
    assert_eq!(json["signature"], "failed");
    json["problem"].as_str().unwrap().to_owned()
}

#[test]
fn a_keyless_oms_release_verifies_and_reports_its_signer() {
    let s = signed_model();
    let out = s.verify(&s.bundle, &[]).success();
    let json = out.json();
    assert_eq!(json["format"], "oms");
    assert_eq!(json["signed_files"], 2);
    assert_eq!(json["files"]["matched"], 2);
    let signer = &json["signer"];
    assert_eq!(signer["method"], "keyless");
    assert_eq!(signer["identity"], IDENTITY);
    assert_eq!(signer["issuer"], ISSUER);
    assert_eq!(signer["log_index"], 1);
    assert_eq!(signer["trusted_root"], "trusted_root.json");
    let logged = jiff::Timestamp::from_second(s.integrated_time)
        .unwrap()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    assert_eq!(signer["integrated_time"], logged.as_str());
    assert_eq!(signer["verified_times"], serde_json::json!([logged]));
    let verdict = json["verdict"].as_str().unwrap();
    assert!(
        verdict.starts_with("verified: all 2 signed files match the bundle signed by `release@example.com` (issuer `https://issuer.example`), log index 1"),
        "{verdict}"
    );
    // The anchored pattern accepts the identity too.
    s.verify(&s.bundle, &["--identity-regexp", r"release@example\.com"])
        .success();
}

#[test]
fn a_changed_file_is_found_after_the_keyless_checks() {
    let s = signed_model();
    s.release
        .file("model/weights.bin", b"\x00\x01\x02\x03WEIGHTS");
    let out = s.verify(&s.bundle, &[]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let json = out.json();
    assert_eq!(json["signature"], "verified");
    assert_eq!(json["files"]["modified"][0]["path"], "weights.bin");
}

#[test]
fn every_tampering_of_the_bundle_is_refused_at_its_step() {
    let s = signed_model();
    // Someone else's identity.
    let p = problem(&s.verify(&s.bundle, &["--identity", "other@example.com"]));
    assert!(
        p.starts_with("keyless verification failed at the identity"),
        "{p}"
    );
    // A later integrated time: the entry timestamp no longer verifies.
    let bundle = s.tampered(|b| {
        let t = &mut b["verificationMaterial"]["tlogEntries"][0]["integratedTime"];
        *t = serde_json::json!((s.integrated_time + 1).to_string());
    });
    let p = problem(&s.verify(&bundle, &[]));
    assert!(p.contains("signed entry timestamp (SET)"), "{p}");
    // Another statement: the signature does not cover it.
    let bundle = s.tampered(|b| {
        let payload = b["dsseEnvelope"]["payload"].as_str().unwrap();
        let mut statement = base64::engine::general_purpose::STANDARD
            .decode(payload)
            .unwrap();
        statement.push(b' ');
        b["dsseEnvelope"]["payload"] = base64::engine::general_purpose::STANDARD
            .encode(statement)
            .into();
    });
    let p = problem(&s.verify(&bundle, &[]));
    assert!(p.starts_with("keyless verification failed at "), "{p}");
    // A proof that does not lead to the checkpoint's root.
    let bundle = s.tampered(|b| {
        let hashes = &mut b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["hashes"];
        *hashes = serde_json::json!([base64::engine::general_purpose::STANDARD.encode([7u8; 32])]);
    });
    let p = problem(&s.verify(&bundle, &[]));
    assert!(p.contains("log inclusion proof"), "{p}");
    // The public-good root vouches for none of the private instance's keys.
    let (model, bundle) = (s.model.to_string_lossy(), s.bundle.to_string_lossy());
    let out = run(&[
        "verify",
        &model,
        "--bundle",
        &bundle,
        "--identity",
        IDENTITY,
        "--issuer",
        ISSUER,
        "--format",
        "json",
    ]);
    let p = problem(&out);
    assert!(p.starts_with("keyless verification failed at "), "{p}");
}

/// `check` of a keyless release with `--identity --issuer --trusted-root`: the facts packs read
/// are the keyless signer's, and the table says who signed; a `--identity-regexp` that matches
/// only part of the identity fails the signature, so the release counts as unverified.
#[test]
fn check_reads_the_keyless_signer_and_a_partial_identity_match_is_not_a_match() {
    let s = signed_model();
    let (model, bundle, root) = (
        s.model.to_string_lossy().into_owned(),
        s.bundle.to_string_lossy().into_owned(),
        s.root.to_string_lossy().into_owned(),
    );
    let check = |identity: &[&str], format: &str| {
        let mut args = vec![
            "check",
            &model,
            "--bundle",
            &bundle,
            "--issuer",
            ISSUER,
            "--trusted-root",
            &root,
            "--no-builtin",
            "--policy",
            "release-integrity",
            "--format",
            format,
        ];
        args.extend_from_slice(identity);
        run(&args)
    };
    let out = check(&["--identity", IDENTITY], "json");
    let json = out.json();
    let v = &json["verification"];
    assert_eq!(v["verified"], true, "{}", out.stdout);
    assert_eq!(v["method"], "keyless");
    assert_eq!(v["identity"], IDENTITY);
    assert_eq!(v["issuer"], ISSUER);
    assert_eq!(v["log_index"], 1);
    assert_eq!(v["files_match"], true);

    let table = check(&["--identity-regexp", r"release@example\.com"], "table");
    assert!(
        table.stdout.contains(IDENTITY) && table.stdout.contains(ISSUER),
        "{}",
        table.stdout
    );

    // `release@example` is a prefix of the identity: anchored, it does not match.
    let out = check(&["--identity-regexp", "release@example"], "json");
    assert_eq!(
        out.code, 1,
        "stdout:\n{}\nstderr:\n{}",
        out.stdout, out.stderr
    );
    let json = out.json();
    assert_eq!(json["verification"]["verified"], false);
    let problem = json["verification"]["problem"].as_str().unwrap();
    // The one diagnostic: the verification's problem, as a warning.
    assert_eq!(out.stderr, format!("warning: {problem}\n"));
    assert!(
        problem.contains("failed at the identity") && problem.contains(&format!("`{IDENTITY}`")),
        "{problem}"
    );
}

/// The reference's own keyless shape, as far as it can be made offline: the OMS statement built
/// exactly as `model_signing sign sigstore` builds it (`Payload(hash(model))`, serialised with
/// `json_format.MessageToJson`), signed and logged by the private instance. The reference's
/// `verify sigstore` (sigstore-python, given the private root as its trust configuration) and
/// scelle agree: both accept it, and both refuse it once a file changed.
#[test]
fn model_signing_and_scelle_agree_on_a_keyless_bundle_of_the_references_statement() {
    let release = Release::new();
    let model = release.dir("model");
    release.file("model/weights.bin", b"\x00\x01\x02\x03weights");
    release.file("model/config.json", b"{\"layers\": 2}\n");
    let statement = release.path().join("statement.json");
    let out = crate::common::py(
        "import pathlib, sys\n\
         from google.protobuf import json_format\n\
         from model_signing import hashing\n\
         from model_signing._signing import signing\n\
         payload = signing.Payload(hashing.hash(pathlib.Path(sys.argv[1])))\n\
         open(sys.argv[2], 'wb').write(json_format.MessageToJson(payload.statement.pb).encode())",
        &[&model.to_string_lossy(), &statement.to_string_lossy()],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    private_sign(&release, &statement);
    let bundle = release.path().join("keyless.sig");
    let root = release.path().join("trusted_root.json");
    let config = client_trust_config(&root);
    let reference = || {
        std::process::Command::new(crate::common::venv_bin().join("model_signing"))
            .args(["verify", "sigstore"])
            .arg(&model)
            .arg("--signature")
            .arg(&bundle)
            .args([
                "--identity",
                IDENTITY,
                "--identity_provider",
                ISSUER,
                "--trust_config",
            ])
            .arg(&config)
            .output()
            .unwrap()
    };
    let (model_arg, bundle_arg, root_arg) = (
        model.to_string_lossy().into_owned(),
        bundle.to_string_lossy().into_owned(),
        root.to_string_lossy().into_owned(),
    );
    let ours = || {
        run(&[
            "verify",
            &model_arg,
            "--bundle",
            &bundle_arg,
            "--identity",
            IDENTITY,
            "--issuer",
            ISSUER,
            "--trusted-root",
            &root_arg,
            "--format",
            "json",
        ])
    };

    let theirs = reference();
    assert!(
        theirs.status.success(),
        "model_signing refused the bundle: {}{}",
        String::from_utf8_lossy(&theirs.stdout),
        String::from_utf8_lossy(&theirs.stderr)
    );
    let json = ours().success().json();
    assert_eq!(json["format"], "oms");
    assert_eq!(json["signer"]["method"], "keyless");
    assert_eq!(json["signer"]["identity"], IDENTITY);
    assert_eq!(json["files"]["matched"], 2);

    std::fs::write(model.join("weights.bin"), b"\x00\x01\x02\x03WEIGHTS").unwrap();
    let theirs = reference();
    assert!(
        !theirs.status.success(),
        "model_signing accepted a changed file"
    );
    let out = ours();
    assert_eq!(
        out.code, 1,
        "stdout:\n{}\nstderr:\n{}",
        out.stdout, out.stderr
    );
    let json = out.json();
    assert_eq!(json["signature"], "verified");
    assert_eq!(json["files"]["modified"][0]["path"], "weights.bin");
}

/// sigstore-python reads its trust from a client trust configuration: the private root, and a
/// signing configuration that verification never contacts. Written beside the root.
fn client_trust_config(root: &Path) -> PathBuf {
    let config = root.with_file_name("client_trust.json");
    let trusted: serde_json::Value = serde_json::from_slice(&std::fs::read(root).unwrap()).unwrap();
    let service = serde_json::json!([{"url": "https://unused.example", "majorApiVersion": 1,
        "validFor": {"start": "2020-01-01T00:00:00Z"}, "operator": "test"}]);
    crate::common::write_json(
        &config,
        &serde_json::json!({
            "mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
            "trustedRoot": trusted,
            "signingConfig": {
                "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
                "caUrls": service, "oidcUrls": [], "rekorTlogUrls": service, "tsaUrls": [],
                "rekorTlogConfig": {"selector": "ANY"}, "tsaConfig": {"selector": "ANY"},
            },
        }),
    );
    config
}
