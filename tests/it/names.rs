//! File names shown to people: a name holding a newline, an escape sequence or a bidi override
//! is escaped in every human report and message, so it cannot forge or hide a line; and names
//! that are the same text in different Unicode normal forms are named as such.

use serde_json::Value;

use crate::common::{Keys, Release, run};

const NEWLINE: &str = "a\nerror:   evil.bin";
const CLEAR: &str = "b\x1b[2J.bin";
const BIDI: &str = "c\u{202e}nib.exe";

/// No line of `text` may start like a diagnostic scelle did not write, and no escape sequence
/// or bidi override may reach the terminal.
fn assert_clean(text: &str, what: &str) {
    assert!(
        !text.contains('\x1b'),
        "{what}: raw escape sequence:\n{text}"
    );
    assert!(
        !text.contains('\u{202e}'),
        "{what}: raw bidi override:\n{text}"
    );
    assert!(
        !text.lines().any(|l| l.starts_with("error:   evil")),
        "{what}: forged line:\n{text}"
    );
}

#[test]
#[allow(clippy::too_many_lines)] // one release carried through scan, sign, verify and check
fn hostile_names_are_escaped_in_the_verify_scan_and_check_reports() {
    let keys = Keys::new();
    let r = Release::new();
    for name in [NEWLINE, CLEAR, BIDI] {
        r.file(name, "signed");
    }
    // A malformed safetensors file under a hostile name: a finding in the scan table.
    r.file("d\n\x1b[31mx.safetensors", b"\x01\x02");
    let dir = r.path().to_str().unwrap();
    let scan = run(&["scan", dir, "--format", "table"]);
    assert_eq!(scan.code, 0, "{}", scan.stderr);
    assert_clean(&scan.stdout, "scan table");
    assert!(
        scan.stdout.contains("d\\n\\u{1b}[31mx.safetensors"),
        "{}",
        scan.stdout
    );

    let outside = tempfile::tempdir().unwrap();
    let bundle = outside.path().join("bundle.json");
    let bundle = bundle.to_str().unwrap();
    // The malformed file is an error finding: sealed knowingly, and listed escaped on stderr.
    let sign = run(&[
        "sign",
        dir,
        "--key",
        &keys.private("ed25519"),
        "-o",
        bundle,
        "--allow-findings",
    ]);
    assert_eq!(sign.code, 0, "{}", sign.stderr);
    assert_clean(&sign.stderr, "sign's list of findings");
    assert!(
        sign.stderr.contains("d\\n\\u{1b}[31mx.safetensors"),
        "{}",
        sign.stderr
    );
    for name in [NEWLINE, CLEAR, BIDI] {
        r.file(name, "changed");
    }
    let verify = run(&[
        "verify",
        dir,
        "--key",
        &keys.public("ed25519"),
        "--bundle",
        bundle,
    ]);
    assert_eq!(verify.code, 1, "{}", verify.stderr);
    assert_clean(&verify.stdout, "verify table");
    assert!(
        verify.stdout.contains("a\\nerror:   evil.bin"),
        "{}",
        verify.stdout
    );
    assert!(
        verify.stdout.contains("c\\u{202e}nib.exe"),
        "{}",
        verify.stdout
    );
    // The JSON report keeps the names as they are, in JSON's own escaping.
    let json = run(&[
        "verify",
        dir,
        "--key",
        &keys.public("ed25519"),
        "--bundle",
        bundle,
        "--format",
        "json",
    ]);
    let report: Value = serde_json::from_str(&json.stdout).unwrap();
    let modified: Vec<&str> = report["files"]["modified"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["path"].as_str().unwrap())
        .collect();
    assert!(modified.contains(&NEWLINE), "{modified:?}");

    let pack = outside.path().join("names.yaml");
    std::fs::write(
        &pack,
        r#"apiVersion: scelle.dev/v1
kind: PolicyPack
metadata: {name: names, title: Names, version: "1"}
rules:
  - id: NAMES-1
    title: No file
    severity: error
    reference: none
    expression: "size(files) == 0"
    subjects: "files.map(f, f.path)"
    message: files
    fix: f
"#,
    )
    .unwrap();
    for format in ["table", "markdown"] {
        let check = run(&[
            "check",
            dir,
            "--policy",
            pack.to_str().unwrap(),
            "--format",
            format,
        ]);
        assert_eq!(check.code, 1, "{}", check.stderr);
        assert_clean(&check.stdout, format);
        assert!(
            check.stdout.contains("a\\nerror:   evil.bin"),
            "{format}:\n{}",
            check.stdout
        );
    }
}

#[test]
fn a_hostile_name_in_an_error_message_stays_on_one_line() {
    let r = Release::new();
    r.file("ok.bin", "x");
    let fifo = r.path().join("f\nerror: forged\x1b[2J");
    crate::common::mkfifo(&fifo);
    let out = run(&["scan", r.path().to_str().unwrap()]).error("is a FIFO, not a regular file");
    assert!(
        out.stderr.contains("f\\nerror: forged\\u{1b}[2J"),
        "{}",
        out.stderr
    );
    assert_clean(&out.stderr, "stderr");
}

const NFC: &str = "caf\u{e9}.bin";
const NFD: &str = "cafe\u{301}.bin";

#[test]
fn a_signed_name_found_in_another_normal_form_is_named_as_such() {
    let keys = Keys::new();
    let r = Release::new();
    r.file(NFC, "weights");
    r.file("other.bin", "x");
    let dir = r.path().to_str().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let bundle = outside.path().join("bundle.json");
    let bundle = bundle.to_str().unwrap();
    let sign = run(&["sign", dir, "--key", &keys.private("ed25519"), "-o", bundle]);
    assert_eq!(sign.code, 0, "{}", sign.stderr);
    std::fs::rename(r.path().join(NFC), r.path().join(NFD)).unwrap();
    let args = [
        "verify",
        dir,
        "--key",
        &keys.public("ed25519"),
        "--bundle",
        bundle,
    ];
    let table = run(&args);
    assert_eq!(table.code, 1, "{}", table.stderr);
    assert!(
        table.stdout.contains(&format!(
            "look-alike {NFC} (NFC) -> {NFD} (NFD): the same name in another Unicode normal form, same content"
        )),
        "{}",
        table.stdout
    );
    let mut json = args.to_vec();
    json.extend(["--format", "json"]);
    let report: Value = serde_json::from_str(&run(&json).stdout).unwrap();
    let files = &report["files"];
    assert_eq!(files["lookalike"][0]["signed"], NFC);
    assert_eq!(files["lookalike"][0]["found"], NFD);
    assert_eq!(files["missing"].as_array().unwrap().len(), 0);
    assert_eq!(files["extra"].as_array().unwrap().len(), 0);
    assert_eq!(files["renamed"].as_array().unwrap().len(), 0);
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "verify/lookalike")
        .unwrap();
    assert!(
        finding["message"].as_str().unwrap().ends_with(
            "is on disk with the signed content: the same name in another Unicode normal form"
        ),
        "{finding}"
    );
}

#[test]
fn scan_flags_two_names_equal_in_nfc() {
    let r = Release::new();
    r.file(NFC, "one");
    r.file(NFD, "two");
    r.file("plain.bin", "three");
    let manifest = run(&["scan", r.path().to_str().unwrap()]).success().json();
    for f in manifest["predicate"]["files"].as_array().unwrap() {
        let flagged: Vec<&Value> = f["findings"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter(|x| x["rule"] == "file/lookalike-name")
                    .collect()
            })
            .unwrap_or_default();
        if f["path"] == "plain.bin" {
            assert!(flagged.is_empty());
        } else {
            assert_eq!(flagged.len(), 1, "{f}");
            assert_eq!(flagged[0]["severity"], "error");
        }
    }
}
