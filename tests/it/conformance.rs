//! The public sigstore-conformance suite's `bundle-verify` cases, run offline through
//! `scelle verify FILE --bundle B`. The vectors are vendored under
//! `tests/data/sigstore-conformance/` (repository, commit and licence in its README); each
//! case's expected verdict is its directory name (`_fail` must fail), as the suite defines it.
//!
//! The adapter maps a case to one command line the way the suite's README says a client is
//! driven: the case's `artifact` (else the shared `a.txt`) is the release file, `identity` and
//! `issuer` (else the suite's defaults) the keyless policy, `trusted_root.json` (else the
//! production root scelle embeds) the trusted root, `key.pub` a managed key.

use std::path::{Path, PathBuf};

use crate::common::{run, sha256_hex};

/// The suite's default identity and issuer, from `bundle-verify/README.md`.
const DEFAULT_IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const DEFAULT_ISSUER: &str = "https://token.actions.githubusercontent.com";

/// Cases whose verdict scelle deliberately does not reach, each with the reason. Empty: every
/// case of the pinned commit gives the suite's verdict. An entry that starts to pass fails the
/// test, so the list cannot go stale.
const EXPECTED_FAILURES: &[(&str, &str)] = &[];

/// The vendored case count: a missing or partial copy fails instead of passing vacuously.
const CASES: usize = 70;

fn suite() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sigstore-conformance/bundle-verify")
}

struct Case {
    name: String,
    dir: PathBuf,
    artifact: PathBuf,
    identity: String,
    issuer: String,
    managed_key: bool,
}

impl Case {
    fn load(dir: PathBuf) -> Case {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let text = |file: &str, default: &str| {
            std::fs::read_to_string(dir.join(file))
                .map_or_else(|_| default.to_owned(), |s| s.trim().to_owned())
        };
        let artifact = if dir.join("artifact").is_file() {
            dir.join("artifact")
        } else {
            suite().join("a.txt")
        };
        Case {
            identity: text("identity", DEFAULT_IDENTITY),
            issuer: text("issuer", DEFAULT_ISSUER),
            managed_key: dir.join("key.pub").is_file(),
            artifact,
            name,
            dir,
        }
    }

    fn should_pass(&self) -> bool {
        !self.name.ends_with("_fail")
    }

    /// `scelle verify` as the suite's README describes the client call.
    fn args(&self) -> Vec<String> {
        let path = |p: &Path| p.to_string_lossy().into_owned();
        let mut args = vec![
            "verify".to_owned(),
            path(&self.artifact),
            "--bundle".into(),
            path(&self.dir.join("bundle.sigstore.json")),
            "--identity".into(),
            self.identity.clone(),
            "--issuer".into(),
            self.issuer.clone(),
            "--format".into(),
            "json".into(),
        ];
        if self.dir.join("trusted_root.json").is_file() {
            args.push("--trusted-root".into());
            args.push(path(&self.dir.join("trusted_root.json")));
        }
        if self.managed_key {
            args.push("--key".into());
            args.push(path(&self.dir.join("key.pub")));
        }
        args
    }

    /// What went wrong with this case's run, if anything.
    fn mismatch(&self) -> Option<String> {
        let args = self.args();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&args);
        if out.stderr.contains("panicked") || !(0..=2).contains(&out.code) {
            return Some(format!("crashed (exit {}): {}", out.code, out.stderr));
        }
        if self.should_pass() {
            if out.code != 0 || !out.stderr.is_empty() {
                return Some(format!(
                    "expected a pass, got exit {}: {}{}",
                    out.code, out.stdout, out.stderr
                ));
            }
            let json = out.json();
            let signer = &json["signer"];
            let expected_method = if self.managed_key { "key" } else { "keyless" };
            // The digest is the artifact's, hashed here independently of scelle.
            let artifact_sha256 = sha256_hex(&std::fs::read(&self.artifact).unwrap());
            let facts_hold = json["signature"] == "verified"
                && json["format"] == "sigstore"
                && json["root"] == artifact_sha256.as_str()
                && signer["method"] == expected_method
                && (self.managed_key
                    || (signer["identity"] == self.identity.as_str()
                        && signer["issuer"] == self.issuer.as_str()
                        && !signer["verified_times"].as_array().unwrap().is_empty()));
            return (!facts_hold).then(|| format!("passed, but the report is wrong: {json}"));
        }
        match out.code {
            0 => Some(format!("expected a failure, got a pass: {}", out.stdout)),
            1 => {
                let json = out.json();
                let problem = json["problem"].as_str().unwrap_or_default();
                (json["signature"] != "failed" || problem.is_empty())
                    .then(|| format!("exit 1 without a problem named: {json}"))
            }
            _ => {
                let first = out.stderr.lines().next().unwrap_or_default();
                (!out.stdout.is_empty() || !first.starts_with("error: "))
                    .then(|| format!("exit 2 without one error line: {}", out.stderr))
            }
        }
    }
}

fn cases() -> Vec<Case> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(suite())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs.into_iter().map(Case::load).collect()
}

#[test]
fn every_bundle_verify_case_gives_the_suites_verdict() {
    let cases = cases();
    assert_eq!(cases.len(), CASES, "the vendored suite is incomplete");
    let mut problems = Vec::new();
    let mut passed = 0;
    for case in &cases {
        let xfail = EXPECTED_FAILURES.iter().find(|(n, _)| *n == case.name);
        match (case.mismatch(), xfail) {
            (None, None) => passed += 1,
            (Some(_), Some(_)) => {}
            (Some(why), None) => problems.push(format!("{}: {why}", case.name)),
            (None, Some((_, reason))) => problems.push(format!(
                "{}: listed as an expected failure ({reason}) but gives the suite's verdict now",
                case.name
            )),
        }
    }
    assert!(
        problems.is_empty(),
        "{} of {} cases disagree with the suite:\n{}",
        problems.len(),
        cases.len(),
        problems.join("\n")
    );
    assert_eq!(passed + EXPECTED_FAILURES.len(), CASES);
    // Both kinds of case are exercised.
    assert_eq!(cases.iter().filter(|c| c.should_pass()).count(), 21);
}

fn happy(case: &str) -> (String, String) {
    let dir = suite().join(case);
    (
        suite().join("a.txt").to_string_lossy().into_owned(),
        dir.join("bundle.sigstore.json")
            .to_string_lossy()
            .into_owned(),
    )
}

#[test]
fn an_identity_regexp_must_match_the_whole_identity() {
    let (file, bundle) = happy("happy-path-v0.3");
    let whole = r"https://github\.com/sigstore-conformance/.*@refs/heads/main";
    let out = run(&[
        "verify",
        &file,
        "--bundle",
        &bundle,
        "--identity-regexp",
        whole,
        "--issuer",
        DEFAULT_ISSUER,
        "--format",
        "json",
    ])
    .success();
    assert_eq!(out.json()["signer"]["identity"], DEFAULT_IDENTITY);
    // The same pattern without its scheme matches only a part of the identity.
    let part = r"github\.com/sigstore-conformance/.*";
    let out = run(&[
        "verify",
        &file,
        "--bundle",
        &bundle,
        "--identity-regexp",
        part,
        "--issuer",
        DEFAULT_ISSUER,
        "--format",
        "json",
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(out.stderr, "");
    let problem = out.json()["problem"].as_str().unwrap().to_owned();
    assert!(problem.contains("failed at the identity"), "{problem}");
}

#[test]
fn a_wrong_issuer_or_identity_is_named_as_the_failed_step() {
    let (file, bundle) = happy("happy-path-v0.3");
    for (identity, issuer, step) in [
        (
            DEFAULT_IDENTITY,
            "https://accounts.google.com",
            "the OIDC issuer",
        ),
        ("someone@example.com", DEFAULT_ISSUER, "the identity"),
    ] {
        let out = run(&[
            "verify",
            &file,
            "--bundle",
            &bundle,
            "--identity",
            identity,
            "--issuer",
            issuer,
            "--format",
            "json",
        ]);
        assert_eq!(out.code, 1, "{}", out.stderr);
        assert_eq!(out.stderr, "");
        let json = out.json();
        assert_eq!(json["signature"], "failed");
        let problem = json["problem"].as_str().unwrap();
        assert!(
            problem.starts_with(&format!("keyless verification failed at {step}")),
            "{problem}"
        );
    }
}

#[test]
fn a_changed_file_fails_against_a_message_signature_and_an_attestation() {
    let dir = tempfile::tempdir().unwrap();
    let changed = dir.path().join("a.txt");
    let mut bytes = std::fs::read(suite().join("a.txt")).unwrap();
    bytes.push(b'\n');
    std::fs::write(&changed, bytes).unwrap();
    let changed = changed.to_string_lossy().into_owned();
    for case in ["happy-path-v0.3", "rekor2-dsse-happy-path"] {
        let (_, bundle) = happy(case);
        let root = suite().join(case).join("trusted_root.json");
        let mut args = vec![
            "verify".to_owned(),
            changed.clone(),
            "--bundle".into(),
            bundle,
            "--identity".into(),
            DEFAULT_IDENTITY.into(),
            "--issuer".into(),
            DEFAULT_ISSUER.into(),
            "--format".into(),
            "json".into(),
        ];
        if root.is_file() {
            args.extend(["--trusted-root".into(), root.to_string_lossy().into_owned()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&args);
        assert_eq!(out.code, 1, "{case}: {}", out.stderr);
        let problem = out.json()["problem"].as_str().unwrap().to_owned();
        assert!(
            problem.contains("keyless verification failed at"),
            "{case}: {problem}"
        );
    }
}

#[test]
fn the_method_given_must_be_the_bundles() {
    // A keyless bundle with only a key: refused, pointing at `--identity`.
    let (file, bundle) = happy("happy-path-v0.3");
    let key = suite().join("managed-key-happy-path/key.pub");
    let key = key.to_string_lossy();
    let out = run(&[
        "verify", &file, "--bundle", &bundle, "--key", &key, "--format", "json",
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let problem = out.json()["problem"].as_str().unwrap().to_owned();
    assert!(problem.contains("`--identity`"), "{problem}");
    // A managed-key bundle with only an identity: refused, pointing at `--key`.
    let (file, bundle) = happy("managed-key-happy-path");
    let out = run(&[
        "verify",
        &file,
        "--bundle",
        &bundle,
        "--identity",
        DEFAULT_IDENTITY,
        "--issuer",
        DEFAULT_ISSUER,
        "--format",
        "json",
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let problem = out.json()["problem"].as_str().unwrap().to_owned();
    assert!(problem.contains("`--key`"), "{problem}");
}

#[test]
fn a_trusted_root_that_is_not_one_cannot_be_used() {
    let (file, bundle) = happy("happy-path-v0.3");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("trusted_root.json");
    std::fs::write(&root, "{\"tlogs\": 3}").unwrap();
    let root = root.to_string_lossy();
    run(&[
        "verify",
        &file,
        "--bundle",
        &bundle,
        "--identity",
        DEFAULT_IDENTITY,
        "--issuer",
        DEFAULT_ISSUER,
        "--trusted-root",
        &root,
    ])
    .error("the trusted root `trusted_root.json` cannot be used");
}

#[test]
fn a_files_bundle_named_as_sigstore_python_names_it_needs_no_bundle_flag() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.txt");
    std::fs::copy(suite().join("a.txt"), &file).unwrap();
    std::fs::copy(
        suite().join("happy-path-v0.3/bundle.sigstore.json"),
        dir.path().join("a.txt.sigstore.json"),
    )
    .unwrap();
    let file = file.to_string_lossy();
    let out = run(&[
        "verify",
        &file,
        "--identity",
        DEFAULT_IDENTITY,
        "--issuer",
        DEFAULT_ISSUER,
        "--format",
        "json",
    ])
    .success();
    let json = out.json();
    assert!(
        json["bundle"]
            .as_str()
            .unwrap()
            .ends_with("a.txt.sigstore.json")
    );
    assert_eq!(json["signer"]["log_index"], 79_571_823);
}

/// A managed-key bundle of a private instance needs its key and that instance's root, not an
/// identity it has no certificate for; `--trusted-root` alone names nothing to trust.
#[test]
fn a_managed_key_bundle_of_a_private_instance_verifies_with_key_and_trusted_root_only() {
    let case = suite().join("managed-key-and-trusted-root");
    let (file, bundle) = happy("managed-key-and-trusted-root");
    let key = case.join("key.pub").to_string_lossy().into_owned();
    let root = case
        .join("trusted_root.json")
        .to_string_lossy()
        .into_owned();
    let out = run(&[
        "verify",
        &file,
        "--bundle",
        &bundle,
        "--key",
        &key,
        "--trusted-root",
        &root,
        "--format",
        "json",
    ]);
    assert_eq!(
        out.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        out.stdout, out.stderr
    );
    assert_eq!(out.stderr, "");
    let json = out.json();
    assert_eq!(json["signer"]["method"], "key");
    // The key id is the SHA-256 of the public key's PEM text, computed here.
    let pem = std::fs::read(&key).unwrap();
    assert_eq!(json["signer"]["key_id"], crate::common::sha256_hex(&pem));

    // Without the private root, the embedded public-good one cannot vouch for the log entry.
    let out = run(&[
        "verify", &file, "--bundle", &bundle, "--key", &key, "--format", "json",
    ]);
    assert_eq!(
        out.code, 1,
        "stdout:\n{}\nstderr:\n{}",
        out.stdout, out.stderr
    );

    let out = run(&[
        "verify",
        &file,
        "--bundle",
        &bundle,
        "--trusted-root",
        &root,
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
}
