//! Attestations: `check` and `verify` with `--attest KEY -o FILE`, and `verify` of the result,
//! alone and against a release folder. Expected digests are computed here (from `scan`'s output
//! and the bytes on disk), never taken from the attestation under test.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{
    Run, b64decode, b64encode, py, read_json, run, run_cmd, scelle, sha256_hex, write_json,
};

/// A copy of `fixtures/demo` and a fresh auditor key pair, in one temporary folder.
struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo"),
            &dir.path().join("demo"),
        );
        let setup = Self { dir };
        for name in ["auditor", "stranger", "publisher"] {
            run(&["keygen", "-o", &setup.s(name), "-q"]).success();
        }
        setup
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// `path(rel)` as an argument.
    fn s(&self, rel: &str) -> String {
        self.path(rel).to_str().unwrap().to_owned()
    }

    /// `verify --attestation FILE --key KEY.pub` with `extra` arguments (files named in the
    /// temporary folder).
    fn verify(&self, file: &str, key: &str, extra: &[&str]) -> Run {
        let (file, key) = (self.s(file), self.s(&format!("{key}.pub")));
        let mut args = vec!["verify", "--attestation", &file, "--key", &key];
        args.extend_from_slice(extra);
        run(&args)
    }

    /// `check demo --attest auditor.key -o att.json` with `extra` arguments.
    fn attest_check(&self, extra: &[&str]) -> Run {
        let (demo, key, att) = (self.s("demo"), self.s("auditor.key"), self.s("att.json"));
        let mut args = vec!["check", &demo, "--attest", &key, "-o", &att];
        args.extend_from_slice(extra);
        run(&args)
    }
}

pub(crate) fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The statement inside an attestation bundle, decoded here.
fn statement(bundle: &Path) -> Value {
    let bundle = read_json(bundle);
    let payload = b64decode(bundle["dsseEnvelope"]["payload"].as_str().unwrap());
    serde_json::from_slice(&payload).unwrap()
}

/// The root digest `scelle scan` prints for `dir`.
fn scanned_root(dir: &str) -> String {
    let out = run(&["scan", dir]).success();
    out.json()["predicate"]["root"]["sha256"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn an_attested_check_names_the_scanned_root_and_verifies_with_the_auditor_key() {
    let s = Setup::new();
    let plain = run(&["check", &s.s("demo"), "--format", "json"]);
    let out = s.attest_check(&["--format", "json"]);
    // The run reports and exits as it would without `--attest`.
    assert_eq!(out.code, plain.code, "{}", out.stderr);
    assert_eq!(out.stdout, plain.stdout);
    assert_eq!(
        out.stderr,
        format!(
            "{}wrote the attestation `{}`\n",
            plain.stderr,
            s.s("att.json")
        )
    );

    let st = statement(&s.path("att.json"));
    assert_eq!(st["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(
        st["predicateType"],
        "https://scelle.dev/attestation/check/v1"
    );
    assert_eq!(
        st["subject"],
        serde_json::json!([{"name": "demo", "digest": {"sha256": scanned_root(&s.s("demo"))}}])
    );
    // The predicate is the printed report, plus who attested and when.
    let mut predicate = st["predicate"].clone();
    let fields = predicate.as_object_mut().unwrap();
    let attester = fields.remove("attester").unwrap();
    assert_eq!(
        fields.remove("attested_at").unwrap(),
        "2023-11-14T22:13:20Z"
    );
    assert_eq!(predicate, plain.json());
    let auditor_id = sha256_hex(&std::fs::read(s.path("auditor.pub")).unwrap());
    assert_eq!(
        attester,
        serde_json::json!({"key_id": auditor_id, "algorithm": "ed25519"})
    );

    let ok = s.verify("att.json", "auditor", &[]).success();
    let last = ok.stdout.lines().last().unwrap();
    assert!(
        last.starts_with(&format!(
            "verified: check attested by ed25519 key {}",
            &auditor_id[..16]
        )),
        "{}",
        ok.stdout
    );
    let json = s
        .verify("att.json", "auditor", &["--format", "json"])
        .success()
        .json();
    assert_eq!(json["signature"], "verified");
    assert_eq!(json["subjects"], st["subject"]);
    assert_eq!(json["attester"]["id"], auditor_id);
    assert_eq!(json["findings"], serde_json::json!([]));
}

#[test]
fn a_flipped_byte_in_the_predicate_or_another_key_fails_the_signature() {
    let s = Setup::new();
    s.attest_check(&["-q"]);
    let mut bundle = read_json(&s.path("att.json"));
    let payload = b64decode(bundle["dsseEnvelope"]["payload"].as_str().unwrap());
    let at = payload
        .windows(b"\"as_of\": \"2023".len())
        .position(|w| w == b"\"as_of\": \"2023")
        .unwrap()
        + b"\"as_of\": \"".len()
        + 3;
    let mut flipped = payload.clone();
    flipped[at] = b'4';
    bundle["dsseEnvelope"]["payload"] = Value::String(b64encode(&flipped));
    write_json(&s.path("flipped.json"), &bundle);

    let out = s.verify("flipped.json", "auditor", &["--format", "json"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(out.stderr, "");
    let json = out.json();
    assert_eq!(json["signature"], "failed");
    assert_eq!(json["findings"][0]["rule"], "verify/signature");
    assert!(
        json["problem"]
            .as_str()
            .unwrap()
            .contains("the signature does not verify"),
        "{json}"
    );

    let other = s.verify("att.json", "stranger", &[]);
    assert_eq!(other.code, 1, "{}", other.stderr);
    assert_eq!(other.stderr, "");
    assert!(
        other
            .stdout
            .lines()
            .last()
            .unwrap()
            .starts_with("FAILED: the bundle was signed by key"),
        "{}",
        other.stdout
    );
}

#[test]
fn a_folder_against_its_attestation_matches_until_a_byte_changes() {
    let s = Setup::new();
    s.attest_check(&["-q"]);
    let args = |dir: &str| {
        vec![
            "verify".to_owned(),
            "--attestation".to_owned(),
            dir.to_owned(),
            "--key".into(),
            s.s("auditor.pub"),
            "--bundle".into(),
            s.s("att.json"),
        ]
    };
    let ok = run_cmd(scelle().args(args(&s.s("demo")))).success();
    assert!(
        ok.stdout.contains("is the attested release"),
        "{}",
        ok.stdout
    );

    let tampered = s.path("tampered");
    copy_dir(&s.path("demo"), &tampered);
    let config = tampered.join("config.json");
    let mut bytes = std::fs::read(&config).unwrap();
    bytes.push(b'\n');
    std::fs::write(&config, bytes).unwrap();
    let now = scanned_root(tampered.to_str().unwrap());
    let mut json_args = args(tampered.to_str().unwrap());
    json_args.extend(["--format".into(), "json".into()]);
    let out = run_cmd(scelle().args(json_args));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(out.stderr, "");
    let json = out.json();
    assert_eq!(json["signature"], "verified");
    assert_eq!(json["release"]["root"], now.as_str());
    assert_eq!(json["release"]["matches"], false);
    assert_eq!(json["findings"][0]["rule"], "verify/attested-root");
    assert_eq!(json["findings"].as_array().unwrap().len(), 1);
}

#[test]
fn an_attested_verification_names_the_root_and_the_bundle_bytes() {
    let s = Setup::new();
    let demo = s.s("demo");
    run(&["sign", &demo, "--key", &s.s("publisher.key"), "-q"]).success();
    let bundle = s.path("demo/scelle.sigstore.json");
    let bundle_digest = sha256_hex(&std::fs::read(&bundle).unwrap());
    let root = {
        // The root the signed manifest carries, with the bundle left out as `sign` does.
        let manifest = statement(&bundle);
        manifest["predicate"]["root"]["sha256"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let out = run(&[
        "verify",
        &demo,
        "--key",
        &s.s("publisher.pub"),
        "--attest",
        &s.s("auditor.key"),
        "-o",
        &s.s("att.json"),
        "-q",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.starts_with("bundle "), "{}", out.stdout);
    let st = statement(&s.path("att.json"));
    assert_eq!(
        st["predicateType"],
        "https://scelle.dev/attestation/verify/v1"
    );
    assert_eq!(
        st["subject"],
        serde_json::json!([
            {"name": "demo", "digest": {"sha256": root}},
            {"name": "scelle.sigstore.json", "digest": {"sha256": bundle_digest}},
        ])
    );
    assert_eq!(st["predicate"]["signature"], "verified");
    // The report printed the bundle's path as typed; the attestation keeps only its name.
    assert_eq!(st["predicate"]["bundle"], "scelle.sigstore.json");
    let printed = std::fs::read_to_string(s.path("att.json")).unwrap();
    assert!(
        !printed.contains(&s.s("")),
        "an absolute path in the attestation"
    );
    s.verify("att.json", "auditor", &[]).success();
    // And the release folder, bundle and all, is the attested one.
    run(&[
        "verify",
        "--attestation",
        &demo,
        "--key",
        &s.s("auditor.pub"),
        "--bundle",
        &s.s("att.json"),
        "-q",
    ])
    .success();
}

#[test]
fn attest_without_an_output_file_is_a_usage_error_with_a_hint() {
    let s = Setup::new();
    for extra in [&[][..], &["-o", "-"][..]] {
        let mut args = vec![
            "check".to_owned(),
            s.s("demo"),
            "--attest".into(),
            s.s("auditor.key"),
        ];
        args.extend(extra.iter().map(|a| (*a).to_owned()));
        let out =
            run_cmd(scelle().args(&args)).error("`--attest` writes the attestation to a file");
        assert_eq!(
            out.hint(),
            Some("add `-o FILE` for the attestation; the report still goes to stdout")
        );
    }
    // An existing file is not replaced without `--force`.
    std::fs::write(s.path("att.json"), "keep").unwrap();
    let out = s.attest_check(&[]).error("already exists");
    assert_eq!(out.hint(), Some("pass `--force` to replace it"));
    assert_eq!(std::fs::read(s.path("att.json")).unwrap(), b"keep");
}

#[test]
fn a_signed_bundle_that_is_no_attestation_is_named_for_what_it_is() {
    let s = Setup::new();
    let demo = s.s("demo");
    run(&["sign", &demo, "--key", &s.s("publisher.key"), "-q"]).success();
    let out = s
        .verify("demo/scelle.sigstore.json", "publisher", &[])
        .error(
            "is not a scelle attestation: its predicate type is `https://scelle.dev/provenance/v1`",
        );
    assert!(out.hint().unwrap().contains("--bundle"), "{}", out.stderr);
    // Malformed JSON: exit 2, naming the file.
    std::fs::write(s.path("broken.json"), "{\"mediaType\": 1").unwrap();
    run(&[
        "verify",
        "--attestation",
        &s.s("demo"),
        "--key",
        &s.s("auditor.pub"),
        "--bundle",
        &s.s("broken.json"),
    ])
    .error("broken.json");
}

/// The envelope verifies with `securesystemslib` (DSSE PAE) and the statement validates as an
/// in-toto Statement v1 with the `in-toto-attestation` package.
#[test]
fn python_reference_tools_accept_the_attestation() {
    let s = Setup::new();
    s.attest_check(&["-q"]);
    let script = r#"
import json, sys, base64
from cryptography.hazmat.primitives import serialization
from securesystemslib.dsse import Envelope
from securesystemslib.signer import SSlibKey
from google.protobuf import json_format
from in_toto_attestation.v1 import statement_pb2
from in_toto_attestation.v1.statement import Statement
bundle = json.load(open(sys.argv[1]))
public = serialization.load_pem_public_key(open(sys.argv[2], "rb").read())
envelope = bundle["dsseEnvelope"]
keyid = envelope["signatures"][0]["keyid"]
key = SSlibKey.from_crypto(public, keyid=keyid)
accepted = Envelope.from_dict(json.loads(json.dumps(envelope))).verify([key], 1)
assert list(accepted) == [keyid], accepted
payload = base64.b64decode(envelope["payload"])
pb = json_format.Parse(payload, statement_pb2.Statement())
Statement.copy_from_pb(pb).validate()
print(pb.predicate_type, pb.subject[0].name, pb.subject[0].digest["sha256"])
"#;
    let out = py(script, &[&s.s("att.json"), &s.s("auditor.pub")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!(
            "https://scelle.dev/attestation/check/v1 demo {}",
            scanned_root(&s.s("demo"))
        )
    );
}

#[test]
fn an_attested_check_of_a_bundle_names_the_release_folder_and_the_bundle_bytes() {
    let s = Setup::new();
    run(&["sign", &s.s("demo"), "--key", &s.s("publisher.key"), "-q"]).success();
    let bundle = s.path("demo/scelle.sigstore.json");
    let digest = sha256_hex(&std::fs::read(&bundle).unwrap());
    let out = run(&[
        "check",
        bundle.to_str().unwrap(),
        "--key",
        &s.s("publisher.pub"),
        "--attest",
        &s.s("auditor.key"),
        "-o",
        &s.s("att.json"),
        "--format",
        "json",
        "-q",
    ]);
    assert!(out.code == 0 || out.code == 1, "{}", out.stderr);
    assert_eq!(out.json()["verification"]["verified"], true);
    let st = statement(&s.path("att.json"));
    assert_eq!(
        st["subject"],
        serde_json::json!([
            {"name": "demo", "digest": {"sha256": scanned_root(&s.s("demo"))}},
            {"name": "scelle.sigstore.json", "digest": {"sha256": digest}},
        ])
    );
}

#[test]
fn an_attestation_never_passes_for_a_release_without_attestation() {
    // One key that signs releases and attestations alike: an attestation put in place of a
    // single-file release, or of a folder's bundle, must not verify the release.
    let s = Setup::new();
    let (key, publisher) = (s.s("publisher.key"), s.s("publisher.pub"));
    let out = run(&[
        "check",
        &s.s("demo"),
        "--attest",
        &key,
        "-o",
        &s.s("model.safetensors"),
        "-q",
    ]);
    assert!(out.code <= 1, "{}", out.stderr);
    let single = run(&["verify", &s.s("model.safetensors"), "--key", &publisher]).error(&format!(
        "`{}` is a scelle attestation, not a release bundle",
        s.s("model.safetensors")
    ));
    assert!(
        single.hint().unwrap().contains("--attestation"),
        "{}",
        single.stderr
    );
    let as_bundle = run(&[
        "verify",
        &s.s("demo"),
        "--key",
        &publisher,
        "--bundle",
        &s.s("model.safetensors"),
    ]);
    as_bundle.error("is a scelle attestation, not a release bundle");
    // Asked for, the same file verifies as what it is.
    s.verify("model.safetensors", "publisher", &["-q"])
        .success();
}
