//! Interoperability with the real reference tools from `PyPI`, installed by `.ci/setup-python`:
//! `model_signing` 1.1.1 in both directions, `securesystemslib` for DSSE, `cryptography` as an
//! independent Ed25519 implementation, and `jsonschema` with the official OMS schemas.

use std::path::Path;
use std::process::{Command, Output};

use crate::common::{
    Keys, Release, b64decode, py, read_json, run, sample_release, venv_bin, write_json,
};

/// An edit of a bundle's JSON; the `&str` is the signer's public key PEM.
type Edit = fn(&mut serde_json::Value, &str);

/// Runs `model_signing ARGS...`.
fn model_signing(args: &[&str]) -> Output {
    Command::new(venv_bin().join("model_signing"))
        .args(args)
        .output()
        .unwrap()
}

fn assert_ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed:\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Signs `target` with `model_signing sign key`, writing the bundle to `sig`.
fn reference_sign(target: &Path, key: &str, sig: &Path) {
    let out = model_signing(&[
        "sign",
        "key",
        target.to_str().unwrap(),
        "--private_key",
        key,
        "--signature",
        sig.to_str().unwrap(),
    ]);
    assert_ok(&out, "model_signing sign key");
}

fn reference_verify(target: &Path, public: &str, sig: &Path) -> Output {
    model_signing(&[
        "verify",
        "key",
        target.to_str().unwrap(),
        "--public_key",
        public,
        "--signature",
        sig.to_str().unwrap(),
    ])
}

fn flip_a_byte(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    bytes[0] ^= 0x20;
    std::fs::write(path, bytes).unwrap();
}

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
    let keys = Keys::new();
    let sig = keys.path("model.sig");
    reference_sign(r.path(), &keys.private("p256"), &sig);
    let bundle = read_json(&sig);
    let statement: serde_json::Value = serde_json::from_slice(&b64decode(
        bundle["dsseEnvelope"]["payload"].as_str().unwrap(),
    ))
    .unwrap();
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

#[test]
fn model_signing_verifies_scelle_oms_bundles_and_rejects_tampered_ones() {
    let keys = Keys::new();
    for alg in ["p256", "p384"] {
        let name = keys.path(alg);
        run(&["keygen", "-a", alg, "-o", name.to_str().unwrap(), "-q"]).success();
        let (key, public) = (
            format!("{}.key", name.display()),
            format!("{}.pub", name.display()),
        );
        let r = sample_release();
        // Inside the folder (default `model.sig`, listed in ignore_paths) and outside it.
        run(&[
            "sign",
            r.path().to_str().unwrap(),
            "--key",
            &key,
            "--format",
            "oms",
            "-q",
        ])
        .success();
        let outside = keys.path(&format!("{alg}-outside.sig"));
        run(&[
            "sign",
            r.path().to_str().unwrap(),
            "--key",
            &key,
            "--format",
            "oms",
            "-o",
            outside.to_str().unwrap(),
            "-q",
        ])
        .success();
        for sig in [r.path().join("model.sig"), outside.clone()] {
            assert_ok(
                &reference_verify(r.path(), &public, &sig),
                &format!("model_signing verify ({alg}, {})", sig.display()),
            );
        }
        flip_a_byte(&r.path().join("config.json"));
        let rejected = reference_verify(r.path(), &public, &outside);
        assert!(
            !rejected.status.success(),
            "model_signing accepted a tampered release"
        );
        assert!(
            String::from_utf8_lossy(&rejected.stderr).contains("config.json"),
            "{}",
            String::from_utf8_lossy(&rejected.stderr)
        );
        let ours = run(&[
            "verify",
            r.path().to_str().unwrap(),
            "--key",
            &public,
            "--bundle",
            outside.to_str().unwrap(),
        ]);
        assert_eq!(ours.code, 1);
        assert!(
            ours.stdout.contains("modified   config.json"),
            "{}",
            ours.stdout
        );
    }
}

#[test]
fn scelle_verifies_model_signing_bundles_and_catches_tampering() {
    let keys = Keys::new();
    let mut pairs = Vec::new();
    for curve in ["P-256", "P-384", "P-521"] {
        pairs.push(keys.openssl(
            curve,
            &[
                "-algorithm",
                "EC",
                "-pkeyopt",
                &format!("ec_paramgen_curve:{curve}"),
            ],
        ));
    }
    // A SEC1 key, as `openssl ecparam -genkey` writes it.
    let sec1 = keys.path("sec1.pem");
    assert!(
        Command::new("openssl")
            .args(["ecparam", "-name", "prime256v1", "-genkey", "-out"])
            .arg(&sec1)
            .status()
            .unwrap()
            .success()
    );
    let sec1_pub = keys.path("sec1.pub");
    assert!(
        Command::new("openssl")
            .args(["ec", "-pubout", "-in"])
            .arg(&sec1)
            .arg("-out")
            .arg(&sec1_pub)
            .output()
            .unwrap()
            .status
            .success()
    );
    pairs.push((
        sec1.to_str().unwrap().to_owned(),
        sec1_pub.to_str().unwrap().to_owned(),
    ));

    for (i, (key, public)) in pairs.iter().enumerate() {
        let r = sample_release();
        let sig = keys.path(&format!("ref{i}.sig"));
        reference_sign(r.path(), key, &sig);
        let dir = r.path().to_str().unwrap();
        let out = run(&[
            "verify",
            dir,
            "--key",
            public,
            "--bundle",
            sig.to_str().unwrap(),
        ])
        .success();
        assert!(
            out.stdout.contains("bundle     ") && out.stdout.contains("(oms)"),
            "{}",
            out.stdout
        );
        assert!(
            out.stdout
                .lines()
                .last()
                .unwrap()
                .starts_with("verified: all 5 signed files match"),
            "{}",
            out.stdout
        );
        std::fs::remove_file(r.path().join("README.md")).unwrap();
        let out = run(&[
            "verify",
            dir,
            "--key",
            public,
            "--bundle",
            sig.to_str().unwrap(),
        ]);
        assert_eq!(out.code, 1);
        assert!(
            out.stdout.contains("missing    README.md"),
            "{}",
            out.stdout
        );
    }
}

#[test]
fn scelle_finds_and_verifies_a_reference_bundle_inside_the_folder() {
    let keys = Keys::new();
    let r = sample_release();
    let sig = r.path().join("model.sig");
    reference_sign(r.path(), &keys.private("p256"), &sig);
    let statement: serde_json::Value = serde_json::from_slice(&b64decode(
        read_json(&sig)["dsseEnvelope"]["payload"].as_str().unwrap(),
    ))
    .unwrap();
    let ignored = statement["predicate"]["serialization"]["ignore_paths"]
        .as_array()
        .unwrap();
    assert!(
        ignored.iter().any(|p| p == "model.sig"),
        "the reference lists its signature: {ignored:?}"
    );
    // No --bundle: scelle finds model.sig itself.
    run(&[
        "verify",
        r.path().to_str().unwrap(),
        "--key",
        &keys.public("p256"),
    ])
    .success();
}

#[test]
fn scelle_verifies_a_reference_single_file_model() {
    let keys = Keys::new();
    let r = Release::new();
    let model = r.file("model.safetensors", vec![9u8; 100_000]);
    let sig = keys.path("single.sig");
    reference_sign(&model, &keys.private("p256"), &sig);
    let statement: serde_json::Value = serde_json::from_slice(&b64decode(
        read_json(&sig)["dsseEnvelope"]["payload"].as_str().unwrap(),
    ))
    .unwrap();
    assert_eq!(statement["predicate"]["resources"][0]["name"], ".");
    let args = |path: &Path| {
        vec![
            "verify".to_owned(),
            path.to_str().unwrap().to_owned(),
            "--key".into(),
            keys.public("p256"),
            "--bundle".into(),
            sig.to_str().unwrap().into(),
        ]
    };
    let a = args(&model);
    let out = run(&a.iter().map(String::as_str).collect::<Vec<_>>()).success();
    assert!(
        out.stdout.lines().last().unwrap().starts_with("verified"),
        "{}",
        out.stdout
    );
    flip_a_byte(&model);
    let out = run(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out.code, 1);
    assert!(
        out.stdout.contains("modified   model.safetensors"),
        "{}",
        out.stdout
    );
    let folder = args(r.path());
    run(&folder.iter().map(String::as_str).collect::<Vec<_>>())
        .error("is a folder, but the bundle signs a single file");
}

#[test]
fn scelle_accepts_every_bundle_variant_the_reference_reads() {
    let keys = Keys::new();
    let r = sample_release();
    let sig = keys.path("ref.sig");
    reference_sign(r.path(), &keys.private("p256"), &sig);
    let original = read_json(&sig);
    let pem = std::fs::read_to_string(keys.public("p256")).unwrap();
    let variants: [(&str, Edit); 5] = [
        ("no tlogEntries", |b, _| {
            drop(
                b["verificationMaterial"]
                    .as_object_mut()
                    .unwrap()
                    .remove("tlogEntries"),
            );
        }),
        ("empty keyid", |b, _| {
            b["dsseEnvelope"]["signatures"][0]["keyid"] = "".into();
        }),
        ("null keyid", |b, _| {
            b["dsseEnvelope"]["signatures"][0]["keyid"] = serde_json::Value::Null;
        }),
        ("no keyid", |b, _| {
            drop(
                b["dsseEnvelope"]["signatures"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("keyid"),
            );
        }),
        ("pre-1.1 rawBytes material", |b, pem| {
            b["verificationMaterial"] = serde_json::json!({
                "publicKey": {"rawBytes": crate::common::b64encode(pem.as_bytes()), "keyDetails": "PKIX_ECDSA_P256_SHA_256"}
            });
            b["dsseEnvelope"]["signatures"][0]["keyid"] = serde_json::Value::Null;
        }),
    ];
    for (what, edit) in variants {
        let mut bundle = original.clone();
        edit(&mut bundle, &pem);
        let path = keys.path("variant.sig");
        write_json(&path, &bundle);
        // The reference itself reads this variant: it is a real form, not our invention.
        assert_ok(
            &reference_verify(r.path(), &keys.public("p256"), &path),
            &format!("model_signing on {what}"),
        );
        let out = run(&[
            "verify",
            r.path().to_str().unwrap(),
            "--key",
            &keys.public("p256"),
            "--bundle",
            path.to_str().unwrap(),
        ]);
        assert_eq!(out.code, 0, "{what}: {}\n{}", out.stdout, out.stderr);
        if what.starts_with("pre-1.1") {
            assert!(
                out.stderr.contains(
                    "warning: the bundle uses the verification material of model_signing before 1.1"
                ),
                "{}",
                out.stderr
            );
        } else {
            assert_eq!(out.stderr, "", "{what}");
        }
    }
}

#[test]
fn securesystemslib_verifies_scelle_dsse_envelopes() {
    let keys = Keys::new();
    let r = sample_release();
    run(&[
        "sign",
        r.path().to_str().unwrap(),
        "--key",
        &keys.private("ed25519"),
        "-q",
    ])
    .success();
    let script = r#"
import json, sys
from cryptography.hazmat.primitives import serialization
from securesystemslib.dsse import Envelope
from securesystemslib.signer import SSlibKey
from securesystemslib.exceptions import VerificationError
bundle = json.load(open(sys.argv[1]))
public = serialization.load_pem_public_key(open(sys.argv[2], "rb").read())
envelope = bundle["dsseEnvelope"]
keyid = envelope["signatures"][0]["keyid"]
# securesystemslib matches keys by its key id; scelle's id is the SHA-256 of the PEM text.
key = SSlibKey.from_crypto(public, keyid=keyid)
# from_dict consumes the dict it is given: hand it copies.
accepted = Envelope.from_dict(json.loads(json.dumps(envelope))).verify([key], 1)
assert list(accepted) == [keyid], accepted
tampered = json.loads(json.dumps(envelope))
tampered["payload"] = tampered["payload"][:-8] + "AAAAAAA="
try:
    Envelope.from_dict(tampered).verify([key], 1)
except VerificationError:
    print("verified; tampered rejected")
"#;
    let out = py(
        script,
        &[
            r.path().join("scelle.sigstore.json").to_str().unwrap(),
            &keys.public("ed25519"),
        ],
    );
    assert_ok(&out, "securesystemslib");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "verified; tampered rejected"
    );
}

#[test]
fn known_answer_bundle_verifies_with_python_cryptography() {
    let vectors = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/vectors");
    let keys = Keys::new();
    let script = r#"
import base64, hashlib, json, sys
from cryptography.hazmat.primitives import serialization
bundle = json.load(open(sys.argv[1]))
pem = open(sys.argv[2], "rb").read()
manifest = open(sys.argv[3], "rb").read()
public = serialization.load_pem_public_key(pem)
env = bundle["dsseEnvelope"]
payload = base64.b64decode(env["payload"])
assert payload == manifest, "the payload is the manifest's exact bytes"
t = env["payloadType"].encode()
pae = b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)
public.verify(base64.b64decode(env["signatures"][0]["sig"]), pae)
assert bundle["verificationMaterial"]["publicKey"]["hint"] == hashlib.sha256(pem).hexdigest()
print("ok")
"#;
    let out = py(
        script,
        &[
            vectors.join("scelle.sigstore.json").to_str().unwrap(),
            &keys.public("ed25519"),
            vectors.join("manifest.json").to_str().unwrap(),
        ],
    );
    assert_ok(&out, "cryptography");
}

#[test]
fn scelle_oms_bundles_validate_against_the_official_oms_schemas() {
    let keys = Keys::new();
    let r = sample_release();
    run(&[
        "sign",
        r.path().to_str().unwrap(),
        "--key",
        &keys.private("p256"),
        "--format",
        "oms",
        "-q",
    ])
    .success();
    let schemas = crate::common::schema("oms-v1.0");
    let script = r#"
import base64, json, os, sys
import jsonschema
from referencing import Registry, Resource
folder = sys.argv[2]
registry = Registry()
schemas = {}
for name in ("bundle", "envelope", "statement", "predicate"):
    schema = json.load(open(os.path.join(folder, name + ".schema.json")))
    schemas[name] = schema
    registry = registry.with_resource(schema["$id"], Resource.from_contents(schema))
bundle = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator(schemas["bundle"], registry=registry).validate(bundle)
statement = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
jsonschema.Draft202012Validator(schemas["statement"], registry=registry).validate(statement)
print("valid")
"#;
    let out = py(
        script,
        &[
            r.path().join("model.sig").to_str().unwrap(),
            schemas.to_str().unwrap(),
        ],
    );
    assert_ok(&out, "OMS schema validation");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "valid");
}

/// The output of a reference run, for assertion messages.
fn text(out: &Output) -> String {
    format!(
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn model_signing_verifies_a_scelle_single_file_oms_bundle() {
    let keys = Keys::new();
    let r = Release::new();
    let model = r.file(
        "model.safetensors",
        crate::common::safetensors_u8(&vec![4u8; 50_000]),
    );
    r.file("unrelated.txt", "beside the model, not part of it");
    run(&[
        "sign",
        model.to_str().unwrap(),
        "--key",
        &keys.private("p256"),
        "--format",
        "oms",
        "-q",
    ])
    .success();
    let sig = r.path().join("model.safetensors.sig");
    let statement: serde_json::Value = serde_json::from_slice(&b64decode(
        read_json(&sig)["dsseEnvelope"]["payload"].as_str().unwrap(),
    ))
    .unwrap();
    // The reference's own single-file layout.
    assert_eq!(statement["subject"][0]["name"], "model.safetensors");
    assert_eq!(statement["predicate"]["resources"][0]["name"], ".");
    assert_ok(
        &reference_verify(&model, &keys.public("p256"), &sig),
        "model_signing verify of a scelle single-file bundle",
    );
    flip_a_byte(&model);
    let rejected = reference_verify(&model, &keys.public("p256"), &sig);
    assert!(!rejected.status.success(), "{}", text(&rejected));
}

#[test]
fn scelle_finds_a_reference_single_file_bundle_beside_the_file() {
    let keys = Keys::new();
    let r = Release::new();
    let model = r.file("model.gguf", vec![1u8; 10_000]);
    // Where scelle's own OMS bundle of a file goes: `FILE.sig`.
    reference_sign(
        &model,
        &keys.private("p256"),
        &r.path().join("model.gguf.sig"),
    );
    let out = run(&[
        "verify",
        model.to_str().unwrap(),
        "--key",
        &keys.public("p256"),
    ])
    .success();
    assert!(
        out.stdout
            .lines()
            .last()
            .unwrap()
            .starts_with("verified: the signed file matches"),
        "{}",
        out.stdout
    );
    // The reference's default name, `model.sig` in the folder it ran in.
    std::fs::remove_file(r.path().join("model.gguf.sig")).unwrap();
    reference_sign(&model, &keys.private("p256"), &r.path().join("model.sig"));
    let out = run(&[
        "verify",
        model.to_str().unwrap(),
        "--key",
        &keys.public("p256"),
    ])
    .success();
    assert!(
        out.stdout.starts_with(&format!(
            "bundle     {}/model.sig (oms)",
            r.path().display()
        )),
        "{}",
        out.stdout
    );
}

#[test]
fn a_model_signing_bundle_and_a_later_scelle_bundle_both_verify() {
    let keys = Keys::new();
    let r = sample_release();
    let dir = r.path().to_str().unwrap();
    let sig = r.path().join("model.sig");
    reference_sign(r.path(), &keys.private("p256"), &sig);
    // Sealed afterwards: the reference's bundle is left out, not hashed.
    let out = run(&["sign", dir, "--key", &keys.private("ed25519"), "-v"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("left out `model.sig`: a signature bundle, not release content"),
        "{}",
        out.stderr
    );
    // scelle verifies each with its own key, picking the bundle by key hint.
    for (alg, bundle) in [("ed25519", "scelle.sigstore.json"), ("p256", "model.sig")] {
        let out = run(&["verify", dir, "--key", &keys.public(alg)]).success();
        assert!(
            out.stdout
                .starts_with(&format!("bundle     {dir}/{bundle}")),
            "{}",
            out.stdout
        );
    }
    // The reference ignores only its own signature: the later scelle bundle is an extra file
    // to it unless named with `--ignore-paths` (docs/signing.md says so).
    let plain = reference_verify(r.path(), &keys.public("p256"), &sig);
    assert!(
        !plain.status.success()
            && String::from_utf8_lossy(&plain.stderr).contains("scelle.sigstore.json"),
        "{}",
        text(&plain)
    );
    let scelle_bundle = r.path().join("scelle.sigstore.json");
    let out = model_signing(&[
        "verify",
        "key",
        dir,
        "--public_key",
        &keys.public("p256"),
        "--signature",
        sig.to_str().unwrap(),
        "--ignore-paths",
        scelle_bundle.to_str().unwrap(),
    ]);
    assert_ok(
        &out,
        "model_signing verify --ignore-paths scelle.sigstore.json",
    );
}

#[test]
fn scelle_oms_bundles_verify_in_model_signing_whichever_bundle_came_first() {
    let keys = Keys::new();
    for oms_first in [true, false] {
        let r = sample_release();
        let dir = r.path().to_str().unwrap();
        let scelle_sign = || run(&["sign", dir, "--key", &keys.private("ed25519"), "-q"]).success();
        let oms_sign = || {
            run(&[
                "sign",
                dir,
                "--key",
                &keys.private("p256"),
                "--format",
                "oms",
                "-q",
            ])
            .success()
        };
        if oms_first {
            oms_sign();
            scelle_sign();
        } else {
            scelle_sign();
            oms_sign();
        }
        // scelle's OMS bundle lists both bundle names among its ignored paths.
        let sig = r.path().join("model.sig");
        assert_ok(
            &reference_verify(r.path(), &keys.public("p256"), &sig),
            &format!("model_signing verify (OMS bundle first: {oms_first})"),
        );
        run(&["verify", dir, "--key", &keys.public("ed25519")]).success();
        run(&["verify", dir, "--key", &keys.public("p256")]).success();
        // A file added afterwards is still caught by both tools.
        r.file("added.bin", "x");
        assert!(
            !reference_verify(r.path(), &keys.public("p256"), &sig)
                .status
                .success()
        );
        assert_eq!(run(&["verify", dir, "--key", &keys.public("p256")]).code, 1);
    }
}

#[test]
fn a_model_signing_bundle_made_after_a_scelle_bundle_is_left_out_by_scelle() {
    let keys = Keys::new();
    let r = sample_release();
    let dir = r.path().to_str().unwrap();
    run(&["sign", dir, "--key", &keys.private("ed25519"), "-q"]).success();
    reference_sign(r.path(), &keys.private("p256"), &r.path().join("model.sig"));
    let out = run(&["verify", dir, "--key", &keys.public("ed25519")]).success();
    assert!(
        out.stdout
            .lines()
            .last()
            .unwrap()
            .starts_with("verified: all 5 signed files match"),
        "{}",
        out.stdout
    );
    // The reference's bundle made after ours: it lists ours as a file it signed.
    let out = run(&["verify", dir, "--key", &keys.public("p256")]).success();
    assert!(out.stdout.contains("files      6 signed"), "{}", out.stdout);
}

#[test]
fn model_signing_verifies_a_scelle_oms_bundle_of_a_hub_cache_folder() {
    let keys = Keys::new();
    let cache = Release::new();
    let repo = "models--org--tiny";
    let commit = "0123456789abcdef0123456789abcdef01234567";
    let content = "{\"model_type\":\"llama\"}";
    let blob = crate::common::sha256_hex(content.as_bytes());
    cache.file(&format!("{repo}/blobs/{blob}"), content);
    cache.symlink(
        &format!("{repo}/snapshots/{commit}/config.json"),
        &format!("../../blobs/{blob}"),
    );
    cache.file(&format!("{repo}/refs/main"), commit);
    run(&[
        "sign",
        cache.path().join(repo).to_str().unwrap(),
        "--key",
        &keys.private("p256"),
        "--format",
        "oms",
        "-q",
    ])
    .success();
    let snapshot = cache.path().join(repo).join("snapshots").join(commit);
    let sig = snapshot.join("model.sig");
    // The snapshot's files are links into `blobs/`: the reference follows them only when told.
    let out = model_signing(&[
        "verify",
        "key",
        snapshot.to_str().unwrap(),
        "--public_key",
        &keys.public("p256"),
        "--signature",
        sig.to_str().unwrap(),
        "--allow_symlinks",
    ]);
    assert_ok(
        &out,
        "model_signing verify of a hub snapshot signed by scelle",
    );
    let statement: serde_json::Value = serde_json::from_slice(&b64decode(
        read_json(&sig)["dsseEnvelope"]["payload"].as_str().unwrap(),
    ))
    .unwrap();
    assert_eq!(statement["subject"][0]["name"], "org/tiny");
}
