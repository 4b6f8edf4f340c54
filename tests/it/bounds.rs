//! Bounded resources on hostile input: a pack whose expressions would run for hours is stopped
//! by its evaluation budget, and hostile files (a huge declaration, a bundle full of signatures,
//! a safetensors header of tens of megabytes) are read in bounded memory, measured as the peak
//! resident set of the scelle child process.

use std::process::Stdio;

use serde_json::Value;

use crate::common::{Keys, Release, run_measured, scelle};
use crate::input::run_bounded;

const HOSTILE_PACK: &str = r#"apiVersion: scelle.dev/v1
kind: PolicyPack
metadata:
  name: hostile
  title: Nested comprehensions
  version: "1"
rules:
  - id: HOSTILE-1
    title: Every pair of a million numbers
    severity: error
    reference: none
    expression: "lists.range(1000000).all(x, lists.range(1000000).map(y, {'k': [x, y]}).all(m, m.k[0] >= 0))"
    message: m
    fix: f
  - id: HOSTILE-2
    title: A fine rule beside it
    severity: error
    reference: none
    expression: "size(files) >= 0"
    message: m
    fix: f
"#;

#[test]
fn a_pack_with_nested_comprehensions_is_stopped_with_an_error_naming_the_rule() {
    let r = Release::new();
    r.file("weights.bin", b"1234");
    let outside = tempfile::tempdir().unwrap();
    let pack = outside.path().join("hostile.yaml");
    std::fs::write(&pack, HOSTILE_PACK).unwrap();
    let out = run_bounded(
        scelle()
            .args([
                "check",
                r.path().to_str().unwrap(),
                "--no-builtin",
                "--policy",
                pack.to_str().unwrap(),
                "--format",
                "json",
            ])
            .stdin(Stdio::null()),
    );
    assert_eq!(
        out.code, 1,
        "an error outcome fails the check: {}",
        out.stderr
    );
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    let results = report["packs"][0]["results"].as_array().unwrap();
    let hostile = results.iter().find(|r| r["id"] == "HOSTILE-1").unwrap();
    assert_eq!(hostile["outcome"], "error");
    let message = hostile["message"].as_str().unwrap();
    assert!(
        message.contains("ran out of its budget of") && message.contains("evaluation steps"),
        "{message}"
    );
    let fine = results.iter().find(|r| r["id"] == "HOSTILE-2").unwrap();
    assert_eq!(fine["outcome"], "pass", "the budget is per expression");
}

/// A safetensors file whose header lists `tensors` one-element F32 tensors.
fn safetensors_with(tensors: usize) -> Vec<u8> {
    use std::fmt::Write as _;
    let mut header = String::from("{");
    for i in 0..tensors {
        let sep = if i == 0 { "" } else { "," };
        let _ = write!(
            header,
            r#"{sep}"layer.{i:08}.weight":{{"dtype":"F32","shape":[1],"data_offsets":[{},{}]}}"#,
            i * 4,
            i * 4 + 4
        );
    }
    header.push('}');
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    out.resize(out.len() + tensors * 4, 0);
    out
}

#[test]
fn a_huge_safetensors_header_is_read_in_bounded_memory_whatever_the_jobs() {
    // About 80 MB of header (1.1 million tensors), twice: parsed one at a time, never as a
    // JSON tree (which took 1.4 GB for one, times the workers).
    let r = Release::new();
    let file = safetensors_with(1_100_000);
    assert!(file.len() > 76_000_000, "{}", file.len());
    r.file("a.safetensors", &file);
    r.file("b.safetensors", &file);
    drop(file);
    let (out, kib) = run_measured(&["scan", r.path().to_str().unwrap(), "--jobs", "2"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(kib < 512 * 1024, "peak memory {kib} KiB");
    let manifest: Value = serde_json::from_str(&out.stdout).unwrap();
    for f in manifest["predicate"]["files"].as_array().unwrap() {
        assert_eq!(f["facts"]["tensors"], 1_100_000, "{}", f["path"]);
        let warned = f["findings"].as_array().unwrap().iter().any(|x| {
            x["message"]
                .as_str()
                .unwrap()
                .contains("the Hugging Face hub reads at most")
        });
        assert!(warned, "{f}");
    }
}

#[test]
fn a_bundle_full_of_signatures_is_refused_in_bounded_memory() {
    let keys = Keys::new();
    let r = Release::new();
    r.file("a.bin", "x");
    let outside = tempfile::tempdir().unwrap();
    let bundle = outside.path().join("sigs.sigstore.json");
    {
        use std::io::Write as _;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&bundle).unwrap());
        write!(
            f,
            r#"{{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{{}},"dsseEnvelope":{{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":["#
        )
        .unwrap();
        let sig = format!(r#"{{"sig":"{}","keyid":"k"}},"#, "A".repeat(88));
        // 256 MiB of signatures.
        for _ in 0..((256 << 20) / sig.len()) {
            f.write_all(sig.as_bytes()).unwrap();
        }
        write!(f, r#"{{"sig":"AA=="}}]}}}}"#).unwrap();
    }
    let (out, kib) = run_measured(&[
        "verify",
        r.path().to_str().unwrap(),
        "--key",
        &keys.public("ed25519"),
        "--bundle",
        bundle.to_str().unwrap(),
    ]);
    let out = out.error("`dsseEnvelope.signatures` is");
    assert!(
        out.stderr
            .contains("a bundle's fields besides its payload hold at most 1048576 bytes"),
        "{}",
        out.stderr
    );
    assert!(kib < 64 * 1024, "peak memory {kib} KiB");
}

#[test]
fn a_4_gib_declaration_is_refused_before_it_is_read() {
    let r = Release::new();
    r.file("a.bin", "x");
    std::fs::File::create(r.path().join("scelle.yaml"))
        .unwrap()
        .set_len(4 << 30)
        .unwrap();
    let (out, kib) = run_measured(&["scan", r.path().to_str().unwrap()]);
    out.error(
        "scelle.yaml` is 4.0 GiB (4294967296 bytes), larger than any declaration scelle reads (8.0 MiB, 8388608 bytes)",
    );
    assert!(kib < 64 * 1024, "peak memory {kib} KiB");
}
