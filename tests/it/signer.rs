//! Who signed, end to end with the key method: `verify`, `check` (every format), `report` and
//! `diff` name the signer, a diff flags a change of signer, and `release-integrity`'s RI-SIGN-03
//! holds a verified release to the signer its declaration names. Key ids are computed here
//! (the SHA-256 of the public key's PEM text), not read back from scelle.

use std::path::Path;

use crate::common::{Release, run, sha256_hex};

/// Two key pairs made by `scelle keygen`, in a temporary folder.
struct Signers {
    dir: tempfile::TempDir,
}

impl Signers {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        for name in ["alice", "bob"] {
            let base = dir.path().join(name);
            run(&["keygen", "-o", base.to_str().unwrap(), "-q"]).success();
        }
        Signers { dir }
    }

    fn public(&self, name: &str) -> String {
        path(&self.dir.path().join(format!("{name}.pub")))
    }

    fn private(&self, name: &str) -> String {
        path(&self.dir.path().join(format!("{name}.key")))
    }

    fn key_id(&self, name: &str) -> String {
        sha256_hex(&std::fs::read(self.public(name)).unwrap())
    }
}

fn path(p: &Path) -> String {
    p.to_str().unwrap().to_owned()
}

/// A small release whose `scelle.yaml` is `declaration`, signed in place by `signer`.
fn signed_release(signers: &Signers, signer: &str, declaration: &str) -> Release {
    let r = Release::new();
    r.file("config.json", r#"{"model_type":"llama"}"#);
    r.file("README.md", "# sample\n");
    r.file("scelle.yaml", declaration);
    run(&[
        "sign",
        &path(r.path()),
        "--key",
        &signers.private(signer),
        "-q",
    ])
    .success();
    r
}

const DECLARATION: &str = "model:\n  name: sample\n";

/// `check` of `release` with only the `release-integrity` pack, verified with `key`'s public key.
fn check(release: &Path, signers: &Signers, key: &str, format: &str) -> crate::common::Run {
    run(&[
        "check",
        &path(release),
        "--key",
        &signers.public(key),
        "--no-builtin",
        "--policy",
        "release-integrity",
        "--format",
        format,
    ])
}

#[test]
fn verify_names_the_key_in_the_table_and_the_signer_in_json() {
    let signers = Signers::new();
    let r = signed_release(&signers, "alice", DECLARATION);
    let id = signers.key_id("alice");
    let table = run(&["verify", &path(r.path()), "--key", &signers.public("alice")]).success();
    assert!(
        table
            .stdout
            .lines()
            .any(|l| l == format!("signature  verified by ed25519 key {id}")),
        "{}",
        table.stdout
    );
    let json = run(&[
        "verify",
        &path(r.path()),
        "--key",
        &signers.public("alice"),
        "--format",
        "json",
    ])
    .success()
    .json();
    assert_eq!(
        json["signer"],
        serde_json::json!({"method": "key", "key_id": id, "algorithm": "ed25519"})
    );
    assert_eq!(
        json["key"],
        serde_json::json!({"id": id, "algorithm": "ed25519"})
    );
}

#[test]
fn check_states_the_signer_in_every_format() {
    let signers = Signers::new();
    let r = signed_release(&signers, "alice", DECLARATION);
    let id = signers.key_id("alice");
    let phrase = format!("signed by ed25519 key {}, every file matches", &id[..16]);

    let json = check(r.path(), &signers, "alice", "json").success().json();
    let v = &json["verification"];
    assert_eq!(v["method"], "key");
    assert_eq!(v["identity"], id.as_str());
    assert_eq!(v["issuer"], serde_json::Value::Null);
    assert_eq!(v["key_id"], id.as_str());

    let table = check(r.path(), &signers, "alice", "table").success();
    assert!(
        table.stdout.lines().any(|l| l == format!("  {phrase}")),
        "{}",
        table.stdout
    );
    let markdown = check(r.path(), &signers, "alice", "markdown").success();
    assert!(
        markdown
            .stdout
            .lines()
            .any(|l| l == format!("- Verification: {phrase}")),
        "{}",
        markdown.stdout
    );
    let sarif = check(r.path(), &signers, "alice", "sarif").success().json();
    let props = &sarif["runs"][0]["properties"];
    assert_eq!(
        props["signedBy"],
        format!("ed25519 key {}", &id[..16]).as_str()
    );
    assert_eq!(props["verification"]["identity"], id.as_str());
    let junit = check(r.path(), &signers, "alice", "junit").success();
    assert!(
        junit.stdout.contains(&format!(
            "<property name=\"verification\" value=\"{phrase}\"/>"
        )),
        "{}",
        junit.stdout
    );
}

#[test]
fn report_names_the_signer_in_the_document_header() {
    let signers = Signers::new();
    let r = signed_release(&signers, "alice", DECLARATION);
    let id = signers.key_id("alice");
    let out = tempfile::tempdir().unwrap();
    let report = |format: &str, to: Option<&Path>| {
        let mut args = vec![
            "report".to_owned(),
            path(r.path()),
            "--key".to_owned(),
            signers.public("alice"),
            "--kind".to_owned(),
            "audit".to_owned(),
            "--format".to_owned(),
            format.to_owned(),
        ];
        if let Some(to) = to {
            args.extend(["-o".to_owned(), path(to)]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = run(&args);
        assert_eq!(run.code, 0, "{}", run.stderr);
        // The audit names the fields it needs and the declaration lacks, and nothing else.
        assert!(
            run.stderr.lines().all(|l| l.starts_with("warning: ")),
            "{}",
            run.stderr
        );
        run
    };
    let file = out.path().join("audit.json");
    assert_eq!(report("json", Some(&file)).stdout, "");
    let doc = crate::common::read_json(&file);
    assert_eq!(
        doc["release"]["signer"],
        serde_json::json!({"method": "key", "key_id": id, "identity": id,
                           "algorithm": "ed25519", "format": "scelle"})
    );
    // The other methods' signers, as the document writes them, fit the same schema.
    let mut certificate = doc.clone();
    certificate["release"]["signer"] = serde_json::json!({
        "method": "certificate", "identity": "CN=Release,O=Example",
        "issuer": "CN=Example CA,O=Example", "algorithm": null, "format": "oms"});
    let mut keyless = doc.clone();
    keyless["release"]["signer"] = serde_json::json!({
        "method": "keyless", "identity": "release@example.com",
        "issuer": "https://accounts.google.com", "log_index": 7,
        "integrated_time": "2026-05-01T12:00:00Z", "algorithm": null, "format": "oms"});
    let mut paths = vec![file.clone()];
    for (name, value) in [("certificate", &certificate), ("keyless", &keyless)] {
        let p = out.path().join(format!("{name}.json"));
        crate::common::write_json(&p, value);
        paths.push(p);
    }
    crate::common::assert_report_schema(&paths);

    let md = report("markdown", None);
    assert!(
        md.stdout
            .lines()
            .any(|l| l == format!("- Signature: verified, signed by key `{id}`")),
        "{}",
        md.stdout
    );
}

fn diff(old: &Path, new: &Path, signers: &Signers, format: &str) -> crate::common::Run {
    run(&[
        "diff",
        &path(old),
        &path(new),
        "--key",
        &signers.public("alice"),
        "--key",
        &signers.public("bob"),
        "--format",
        format,
        "--as-of",
        "2026-11-28",
    ])
}

#[test]
fn diff_flags_a_release_signed_by_another_key() {
    let signers = Signers::new();
    let old = signed_release(&signers, "alice", DECLARATION);
    let new = signed_release(&signers, "bob", DECLARATION);
    let (alice, bob) = (signers.key_id("alice"), signers.key_id("bob"));

    let json = diff(old.path(), new.path(), &signers, "json")
        .success()
        .json();
    assert_eq!(
        json["signer"],
        serde_json::json!({
            "old": {"method": "key", "identity": alice, "issuer": null},
            "new": {"method": "key", "identity": bob, "issuer": null},
            "changed": ["identity"],
        })
    );
    // Same files, same declaration: only the signer differs, and that is a difference.
    assert_eq!(json["summary"]["signer_changed"], true);
    assert_eq!(json["summary"]["identical"], false);
    assert_eq!(json["files"]["modified"], serde_json::json!([]));

    let line = format!("the signer changed: identity `{alice}` -> `{bob}`");
    let table = diff(old.path(), new.path(), &signers, "table").success();
    let flat: String = table
        .stdout
        .lines()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ");
    assert!(flat.contains(&format!("! {line}")), "{}", table.stdout);
    let md = diff(old.path(), new.path(), &signers, "markdown").success();
    let md_line = format!("**{}**", line.replace('`', "\\`").replace(" -> ", " → "));
    assert!(md.stdout.lines().any(|l| l == md_line), "{}", md.stdout);
}

#[test]
fn diff_of_two_releases_by_the_same_signer_has_no_signer_change() {
    let signers = Signers::new();
    let old = signed_release(&signers, "alice", DECLARATION);
    let new = signed_release(&signers, "alice", DECLARATION);
    let json = diff(old.path(), new.path(), &signers, "json")
        .success()
        .json();
    assert!(json.get("signer").is_none(), "{json:#}");
    assert_eq!(json["summary"]["signer_changed"], false);
    assert_eq!(json["summary"]["identical"], true);
}

fn rule<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["packs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {report:#}"))
}

#[test]
fn ri_sign_03_passes_for_the_declared_key() {
    let signers = Signers::new();
    let declaration = format!(
        "{DECLARATION}signing:\n  method: key\n  identity: \"{}\"\n",
        signers.key_id("alice")
    );
    let r = signed_release(&signers, "alice", &declaration);
    let json = check(r.path(), &signers, "alice", "json").success().json();
    assert_eq!(rule(&json, "RI-SIGN-03")["outcome"], "pass");
}

#[test]
fn ri_sign_03_fails_a_release_signed_by_another_trusted_key() {
    let signers = Signers::new();
    let alice = signers.key_id("alice");
    let bob = signers.key_id("bob");
    let declaration = format!("{DECLARATION}signing:\n  method: key\n  identity: \"{alice}\"\n");
    // Bob's signature verifies (his key is trusted), but the declaration names Alice's key.
    let r = signed_release(&signers, "bob", &declaration);
    let out = check(r.path(), &signers, "bob", "json");
    assert_eq!(out.code, 1, "stderr:\n{}", out.stderr);
    assert_eq!(out.stderr, "");
    let json = out.json();
    assert_eq!(json["verification"]["verified"], true);
    let result = rule(&json, "RI-SIGN-03");
    assert_eq!(result["outcome"], "fail");
    assert_eq!(result["severity"], "error");
    assert_eq!(result["subjects"], serde_json::json!([bob]));
    assert_eq!(result["field"], "signing");

    let table = check(r.path(), &signers, "bob", "table");
    assert_eq!(table.code, 1);
    let flat: String = table
        .stdout
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        flat.contains(&format!(
            "error RI-SIGN-03 the release is signed by someone other than the signer `signing` \
             names: {bob}"
        )),
        "{}",
        table.stdout
    );
}

#[test]
fn ri_sign_03_is_not_applicable_without_a_declared_signer() {
    let signers = Signers::new();
    let r = signed_release(&signers, "alice", DECLARATION);
    let json = check(r.path(), &signers, "alice", "json").success().json();
    assert_eq!(rule(&json, "RI-SIGN-03")["outcome"], "not_applicable");
}
