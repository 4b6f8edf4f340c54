//! The OMS certificate method against the real reference, `model_signing` 1.1.1, in both
//! directions, on PKIs made by `make_pki.py` with `cryptography` (root P-384, intermediate
//! P-256 with pathlen 0, leaves P-256 with keyUsage digitalSignature and extendedKeyUsage
//! codeSigning, and the broken variants). Where the reference is laxer than the OMS
//! specification (an expired leaf, a leaf marked CA, a self-signed leaf), both verdicts are
//! asserted: the reference's acceptance and scelle's refusal.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use crate::common::{
    Release, Run, b64decode, b64encode, python, read_json, run, venv_bin, write_json,
};

/// The test PKI, made once per test run.
fn pki() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("certificates-pki-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/make_pki.py");
        let out = Command::new(python())
            .arg(&script)
            .arg(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "make_pki.py failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // A chain file holding the intermediate and its root, as publishers often ship it.
        let mut both = std::fs::read(dir.join("int.pem")).unwrap();
        both.extend(std::fs::read(dir.join("root.pem")).unwrap());
        std::fs::write(dir.join("int_and_root.pem"), both).unwrap();
        dir
    })
}

fn p(name: &str) -> String {
    pki().join(name).to_str().unwrap().to_owned()
}

/// The DER of every certificate block of a PEM file, decoded here (not by scelle).
fn pem_ders(name: &str) -> Vec<Vec<u8>> {
    let text = std::fs::read_to_string(pki().join(name)).unwrap();
    text.split("-----BEGIN CERTIFICATE-----")
        .skip(1)
        .map(|block| {
            let body: String = block
                .split("-----END CERTIFICATE-----")
                .next()
                .unwrap()
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            b64decode(&body)
        })
        .collect()
}

/// A release of two files, and a folder outside it for bundles.
struct Case {
    release: Release,
    out: tempfile::TempDir,
}

impl Case {
    fn new() -> Self {
        let release = Release::new();
        release.file("weights.bin", b"\x00\x01weights");
        release.file("config.json", r#"{"model_type":"test"}"#);
        Case {
            release,
            out: tempfile::tempdir().unwrap(),
        }
    }

    fn dir(&self) -> &str {
        self.release.path().to_str().unwrap()
    }

    fn sig(&self, name: &str) -> String {
        self.out.path().join(name).to_str().unwrap().to_owned()
    }

    /// `model_signing sign certificate` with `LEAF.key`, `LEAF.pem` and the chain file.
    fn reference_sign(&self, leaf: &str, chain: &str) -> String {
        let sig = self.sig(&format!("{leaf}.ms.sig"));
        let out = model_signing(&[
            "sign",
            "certificate",
            self.dir(),
            "--private_key",
            &p(&format!("{leaf}.key")),
            "--signing_certificate",
            &p(&format!("{leaf}.pem")),
            "--certificate_chain",
            &p(chain),
            "--signature",
            &sig,
        ]);
        assert!(
            out.status.success(),
            "model_signing sign certificate failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        sig
    }

    fn reference_verify(&self, sig: &str, root: &str) -> Output {
        model_signing(&[
            "verify",
            "certificate",
            self.dir(),
            "--signature",
            sig,
            "--certificate_chain",
            &p(root),
        ])
    }

    /// `scelle sign DIR --format oms --key LEAF.key --cert LEAF.pem [--cert-chain C]...`.
    fn sign(&self, leaf: &str, chain: &[&str]) -> (Run, String) {
        let sig = self.sig(&format!("{leaf}.scelle.sig"));
        let key = p(&format!("{leaf}.key"));
        let cert = p(&format!("{leaf}.pem"));
        let mut args = vec![
            "sign",
            self.dir(),
            "--format",
            "oms",
            "--key",
            &key,
            "--cert",
            &cert,
            "-o",
            &sig,
        ];
        let chains: Vec<String> = chain.iter().map(|c| p(c)).collect();
        for c in &chains {
            args.extend(["--cert-chain", c.as_str()]);
        }
        (run(&args), sig)
    }

    fn verify(&self, sig: &str, extra: &[&str]) -> Run {
        let mut args = vec!["verify", self.dir(), "--bundle", sig];
        args.extend(extra);
        run(&args)
    }
}

fn model_signing(args: &[&str]) -> Output {
    Command::new(venv_bin().join("model_signing"))
        .args(args)
        .output()
        .unwrap()
}

fn reference_accepts(out: &Output) {
    assert!(
        out.status.success(),
        "model_signing refused: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Verification succeeded"));
}

fn reference_refuses(out: &Output, needle: &str) {
    assert_eq!(out.status.code(), Some(1), "model_signing accepted");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(all.contains(needle), "expected {needle:?} in {all}");
}

/// Exit 0, nothing on stderr, the files matched, and the table names the certificate that
/// signed (P-256 leaves) and its issuer.
fn verified(r: &Run, leaf: &str, issuer: &str) {
    assert_eq!(r.code, 0, "stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    assert_eq!(r.stderr, "");
    assert!(
        r.stdout.contains(&format!(
            "signature  verified by certificate (ecdsa-p256-sha256 key)\nsigned by  {leaf}\nissuer     {issuer}\n"
        )),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.ends_with(&format!(
            "\nverified: all 2 signed files match the bundle signed by certificate `{leaf}` issued by `{issuer}`\n"
        )),
        "{}",
        r.stdout
    );
}

/// Exit 1 (a rejected bundle): nothing on stderr, and one `FAILED:` line starting with
/// `reason`.
fn rejected(r: &Run, reason: &str) {
    assert_eq!(r.code, 1, "stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    assert_eq!(r.stderr, "");
    let failed: Vec<&str> = r
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("FAILED: "))
        .collect();
    assert_eq!(failed.len(), 1, "{}", r.stdout);
    assert!(
        failed[0].starts_with(reason),
        "expected {reason:?} at the start of {:?}",
        failed[0]
    );
    assert!(r.stdout.contains("signature  rejected\n"), "{}", r.stdout);
}

const LEAF: &str = "CN=Release Signer,O=Scelle Test";
const INT: &str = "CN=Intermediate CA,O=Scelle Test";
const ROOT: &str = "CN=Root CA,O=Scelle Test";

/// What `cryptography` says of a certificate: serial (hex) and validity (RFC 3339).
fn facts(name: &str) -> (String, String, String) {
    let out = crate::common::py(
        "import sys\nfrom cryptography import x509\n\
         c = x509.load_pem_x509_certificate(open(sys.argv[1], 'rb').read())\n\
         f = '%Y-%m-%dT%H:%M:%SZ'\n\
         print('%x' % c.serial_number, c.not_valid_before_utc.strftime(f), c.not_valid_after_utc.strftime(f))",
        &[&p(name)],
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let parts: Vec<&str> = text.split_whitespace().collect();
    (parts[0].into(), parts[1].into(), parts[2].into())
}

#[test]
fn model_signing_three_levels_verify_with_cert_root_and_the_report_names_the_signer() {
    let c = Case::new();
    let sig = c.reference_sign("leaf", "int.pem");
    reference_accepts(&c.reference_verify(&sig, "root.pem"));
    verified(&c.verify(&sig, &["--cert-root", &p("root.pem")]), LEAF, INT);

    let r = c.verify(&sig, &["--cert-root", &p("root.pem"), "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stderr, "");
    let leaf = &pem_ders("leaf.pem")[0];
    let (serial, not_before, not_after) = facts("leaf.pem");
    assert_eq!(
        r.json()["signer"],
        serde_json::json!({
            "method": "certificate",
            "subject": LEAF,
            "issuer": INT,
            "serial": serial,
            "sha256": crate::common::sha256_hex(leaf),
            "algorithm": "ecdsa-p256-sha256",
            "not_before": not_before,
            "not_after": not_after,
            "chain": [INT, ROOT],
        })
    );
}

#[test]
fn scelle_signs_three_levels_model_signing_verifies_and_the_root_is_left_out() {
    let c = Case::new();
    let (r, sig) = c.sign("leaf", &["int_and_root.pem"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", r.stderr);
    assert_eq!(
        lines[0],
        format!(
            "left the self-signed root `{ROOT}` out of the bundle: a verifier must bring its own trust anchor (`--cert-root`)"
        )
    );
    assert!(
        lines[1].starts_with("signed 2 files of ")
            && lines[1].contains(&format!(
                "with certificate `{LEAF}` (ecdsa-p256-sha256 key "
            )),
        "{}",
        lines[1]
    );
    // Exactly the reference's shape: leaf, then the intermediate; no root, no log entries.
    let bundle = read_json(Path::new(&sig));
    let ders = [&pem_ders("leaf.pem")[0], &pem_ders("int.pem")[0]];
    assert_eq!(
        bundle["verificationMaterial"],
        serde_json::json!({
            "x509CertificateChain": {"certificates": [
                {"rawBytes": b64encode(ders[0])},
                {"rawBytes": b64encode(ders[1])},
            ]},
            "tlogEntries": [],
        })
    );
    reference_accepts(&c.reference_verify(&sig, "root.pem"));
    verified(&c.verify(&sig, &["--cert-root", &p("root.pem")]), LEAF, INT);
}

#[test]
fn a_file_changed_after_certificate_signing_fails_naming_it() {
    let c = Case::new();
    let (r, sig) = c.sign("leaf", &["int.pem"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    c.release.file("weights.bin", b"tampered");
    let r = c.verify(&sig, &["--cert-root", &p("root.pem")]);
    rejected_files(&r);
    assert!(
        r.stdout.contains("modified   weights.bin\n"),
        "{}",
        r.stdout
    );
    reference_refuses(&c.reference_verify(&sig, "root.pem"), "weights.bin");
}

/// A verified signature over files that no longer match: exit 1, the files named.
fn rejected_files(r: &Run) {
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(r.stderr, "");
    assert!(
        r.stdout
            .ends_with("FAILED: 1 of 2 signed files differ: 1 modified\n"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_self_signed_leaf_is_refused_where_the_reference_accepts_it() {
    let c = Case::new();
    let sig = c.reference_sign("leaf_self", "leaf_self.pem");
    reference_accepts(&c.reference_verify(&sig, "leaf_self.pem"));
    let r = c.verify(&sig, &["--cert-root", &p("leaf_self.pem")]);
    rejected(&r, "`CN=Self Signed,O=Scelle Test` is self-signed");
    assert!(
        r.stdout.contains("use its key with `--key`"),
        "{}",
        r.stdout
    );
    let (r, _) = c.sign("leaf_self", &[]);
    r.error("refusing to sign with").error("is self-signed");
}

#[test]
fn an_expired_leaf_is_refused_where_the_reference_accepts_it() {
    let c = Case::new();
    let sig = c.reference_sign("leaf_expired", "int.pem");
    // The reference validates the chain at the leaf's notBefore only.
    reference_accepts(&c.reference_verify(&sig, "root.pem"));
    rejected(
        &c.verify(&sig, &["--cert-root", &p("root.pem")]),
        "`CN=Expired Signer,O=Scelle Test` expired on 2024-05-01T00:00:00Z",
    );
    let (r, _) = c.sign("leaf_expired", &["int.pem"]);
    r.error("`CN=Expired Signer,O=Scelle Test` expired on 2024-05-01T00:00:00Z");
}

#[test]
fn a_leaf_without_a_signing_usage_is_refused_by_both() {
    let c = Case::new();
    for (leaf, reason) in [
        (
            "leaf_nousage",
            "`CN=No Usage,O=Scelle Test` says nothing of its use",
        ),
        (
            "leaf_server",
            "`CN=Server Only,O=Scelle Test` may not sign code: its extendedKeyUsage is serverAuth without codeSigning",
        ),
    ] {
        let sig = c.reference_sign(leaf, "int.pem");
        reference_refuses(
            &c.reference_verify(&sig, "root.pem"),
            "Signing certificate cannot be used for signing",
        );
        rejected(&c.verify(&sig, &["--cert-root", &p("root.pem")]), reason);
        let (r, _) = c.sign(leaf, &["int.pem"]);
        r.error(reason);
    }
}

#[test]
fn a_chain_to_another_root_is_refused_by_both() {
    let c = Case::new();
    let sig = c.reference_sign("leaf", "int.pem");
    reference_refuses(
        &c.reference_verify(&sig, "other_root.pem"),
        "unable to get local issuer certificate",
    );
    rejected(
        &c.verify(&sig, &["--cert-root", &p("other_root.pem")]),
        &format!(
            "no path from `{LEAF}` to a trust anchor: its issuer `{ROOT}` is not among the bundle's certificates, `--cert-chain` or `--cert-root`"
        ),
    );
}

#[test]
fn a_leaf_marked_ca_is_refused_where_the_reference_accepts_it() {
    let c = Case::new();
    let sig = c.reference_sign("leaf_ca", "int.pem");
    reference_accepts(&c.reference_verify(&sig, "root.pem"));
    rejected(
        &c.verify(&sig, &["--cert-root", &p("root.pem")]),
        "`CN=Leaf As CA,O=Scelle Test` is a CA certificate (basicConstraints cA=TRUE)",
    );
}

#[test]
fn rsa_roots_with_pkcs1_and_pss_verify_both_ways() {
    let c = Case::new();
    for (leaf, int, subject, issuer) in [
        (
            "rsa_leaf",
            "rsa_int.pem",
            "CN=Under RSA,O=Scelle Test",
            "CN=RSA-signed Intermediate,O=Scelle Test",
        ),
        (
            "pss_leaf",
            "pss_int.pem",
            "CN=Under PSS,O=Scelle Test",
            "CN=PSS-signed Intermediate,O=Scelle Test",
        ),
    ] {
        let sig = c.reference_sign(leaf, int);
        reference_accepts(&c.reference_verify(&sig, "rsa_root.pem"));
        verified(
            &c.verify(&sig, &["--cert-root", &p("rsa_root.pem")]),
            subject,
            issuer,
        );
        let (r, sig) = c.sign(leaf, &[int]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        reference_accepts(&c.reference_verify(&sig, "rsa_root.pem"));
    }
}

#[test]
fn a_p521_leaf_verifies_both_ways() {
    let c = Case::new();
    let sig = c.reference_sign("leaf_p521", "int.pem");
    let r = c.verify(&sig, &["--cert-root", &p("root.pem"), "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["signer"]["algorithm"], "ecdsa-p521-sha512");
    let (r, sig) = c.sign("leaf_p521", &["int.pem"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    reference_accepts(&c.reference_verify(&sig, "root.pem"));
}

#[test]
fn the_intermediate_may_come_from_cert_chain_instead_of_the_bundle() {
    let c = Case::new();
    let (r, sig) = c.sign("leaf", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let bundle = read_json(Path::new(&sig));
    assert_eq!(
        bundle["verificationMaterial"]["x509CertificateChain"]["certificates"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    rejected(
        &c.verify(&sig, &["--cert-root", &p("root.pem")]),
        &format!("no path from `{LEAF}` to a trust anchor: its issuer `{INT}` is not among"),
    );
    verified(
        &c.verify(
            &sig,
            &["--cert-root", &p("root.pem"), "--cert-chain", &p("int.pem")],
        ),
        LEAF,
        INT,
    );
}

#[test]
fn an_intermediate_not_yet_valid_is_refused_by_both() {
    let c = Case::new();
    let sig = c.reference_sign("leaf_future", "int_future.pem");
    reference_refuses(
        &c.reference_verify(&sig, "root.pem"),
        "certificate is not yet valid",
    );
    rejected(
        &c.verify(&sig, &["--cert-root", &p("root.pem")]),
        "`CN=Future Intermediate CA,O=Scelle Test` is not valid now (",
    );
}

#[test]
fn a_path_longer_than_the_intermediates_path_length_is_refused_by_both() {
    let c = Case::new();
    let mut chain = std::fs::read(pki().join("int_sub.pem")).unwrap();
    chain.extend(std::fs::read(pki().join("int.pem")).unwrap());
    std::fs::write(pki().join("deep_chain.pem"), chain).unwrap();
    let sig = c.reference_sign("leaf_deep", "deep_chain.pem");
    reference_refuses(
        &c.reference_verify(&sig, "root.pem"),
        "path length constraint exceeded",
    );
    rejected(
        &c.verify(&sig, &["--cert-root", &p("root.pem")]),
        &format!(
            "`{INT}` allows 0 intermediate certificates below it (pathLenConstraint), the path has 1"
        ),
    );
}

#[test]
fn garbage_or_truncated_certificates_in_a_bundle_are_one_line_never_a_panic() {
    let c = Case::new();
    let sig = c.reference_sign("leaf", "int.pem");
    let good = read_json(Path::new(&sig));
    let leaf = pem_ders("leaf.pem").remove(0);
    let cases: [(&str, Vec<u8>, &str); 3] = [
        (
            "garbage",
            b"not a certificate".to_vec(),
            "the bundle's signing certificate is not an X.509 certificate in DER",
        ),
        (
            "truncated",
            leaf[..leaf.len() - 10].to_vec(),
            "the bundle's signing certificate is not an X.509 certificate in DER",
        ),
        (
            "trailing",
            [leaf.as_slice(), b"\0"].concat(),
            "the bundle's signing certificate is not an X.509 certificate in DER",
        ),
    ];
    for (name, bytes, reason) in cases {
        let mut bundle = good.clone();
        bundle["verificationMaterial"]["x509CertificateChain"]["certificates"][0]["rawBytes"] =
            b64encode(&bytes).into();
        let path = c.sig(&format!("{name}.sig"));
        write_json(Path::new(&path), &bundle);
        rejected(&c.verify(&path, &["--cert-root", &p("root.pem")]), reason);
    }
    // A chain cut after the leaf: the intermediate is missing.
    let mut bundle = good.clone();
    bundle["verificationMaterial"]["x509CertificateChain"]["certificates"]
        .as_array_mut()
        .unwrap()
        .truncate(1);
    let path = c.sig("cut.sig");
    write_json(Path::new(&path), &bundle);
    rejected(
        &c.verify(&path, &["--cert-root", &p("root.pem")]),
        &format!("no path from `{LEAF}` to a trust anchor: its issuer `{INT}`"),
    );
}

#[test]
fn signing_refuses_a_key_that_is_not_the_certificates() {
    let c = Case::new();
    let sig = c.sig("x.sig");
    run(&[
        "sign",
        c.dir(),
        "--format",
        "oms",
        "--key",
        &p("leaf_p521.key"),
        "--cert",
        &p("leaf.pem"),
        "--cert-chain",
        &p("int.pem"),
        "-o",
        &sig,
    ])
    .error(&format!(
        "the key `{}` is not the key of the certificate `{}` ({LEAF})",
        p("leaf_p521.key"),
        p("leaf.pem")
    ));
    assert!(!Path::new(&sig).exists());
    // A chain file that does not lead to the leaf's issuer.
    let (r, _) = c.sign("leaf", &["rsa_int.pem"]);
    r.error(&format!(
        "refusing to sign with `{}`: no path from `{LEAF}` to a trust anchor: its issuer `{INT}` is not in the `--cert-chain` files",
        p("leaf.pem")
    ));
    // `--cert-chain` means nothing without `--cert`.
    let r = run(&[
        "sign",
        c.dir(),
        "--key",
        &p("leaf.key"),
        "--cert-chain",
        &p("int.pem"),
    ]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--cert <PEM>"), "{}", r.stderr);
}

#[test]
fn a_leaf_with_an_rsa_key_is_refused_by_name() {
    let c = Case::new();
    let sig = c.reference_sign("leaf", "int.pem");
    let mut bundle = read_json(Path::new(&sig));
    bundle["verificationMaterial"]["x509CertificateChain"]["certificates"][0]["rawBytes"] =
        b64encode(&pem_ders("leaf_rsa_key.pem")[0]).into();
    let path = c.sig("rsa-leaf.sig");
    write_json(Path::new(&path), &bundle);
    rejected(
        &c.verify(&path, &["--cert-root", &p("root.pem")]),
        "`CN=RSA Key Leaf,O=Scelle Test` has a key of type RSA; the OMS certificate method signs with ECDSA P-256, P-384 or P-521",
    );
}

#[test]
fn a_scelle_bundle_may_carry_a_certificate_chain_too() {
    let c = Case::new();
    let sig = c.sig("chain.sigstore.json");
    let r = run(&[
        "sign",
        c.dir(),
        "--key",
        &p("leaf.key"),
        "--cert",
        &p("leaf.pem"),
        "--cert-chain",
        &p("int.pem"),
        "-o",
        &sig,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let bundle = read_json(Path::new(&sig));
    assert!(bundle["verificationMaterial"].get("publicKey").is_none());
    let r = c.verify(&sig, &["--cert-root", &p("root.pem"), "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stderr, "");
    let json = r.json();
    assert_eq!(json["format"], "scelle");
    assert_eq!(json["signer"]["method"], "certificate");
    assert_eq!(json["signer"]["subject"], LEAF);
    assert_eq!(json["signer"]["issuer"], INT);
}

#[test]
fn signing_with_a_certificate_refuses_an_ed25519_key() {
    let c = Case::new();
    let keys = tempfile::tempdir().unwrap();
    let stem = keys.path().join("ed");
    run(&["keygen", "-o", stem.to_str().unwrap()]);
    let key = keys.path().join("ed.key");
    run(&[
        "sign",
        c.dir(),
        "--key",
        key.to_str().unwrap(),
        "--cert",
        &p("leaf.pem"),
        "-o",
        &c.sig("ed.sig"),
    ])
    .error(&format!(
        "a certificate signs with an ECDSA key (P-256, P-384 or P-521); `{}` is an Ed25519 key",
        key.display()
    ));
}

/// `check` and `report` of a release signed in place with a certificate: the verification
/// facts packs read name the certificate, RI-SIGN-03 holds the release to the signer its
/// declaration names, and the audit's header names the subject and issuer.
#[test]
fn check_and_report_name_the_certificate_and_ri_sign_03_holds_it_to_the_declaration() {
    let check = |declared_identity: &str| {
        let c = Case::new();
        c.release.file(
            "scelle.yaml",
            format!(
                "model:\n  name: sample\nsigning:\n  method: certificate\n  identity: \"{declared_identity}\"\n  issuer: \"{INT}\"\n"
            ),
        );
        let key = p("leaf.key");
        let cert = p("leaf.pem");
        let chain = p("int.pem");
        let signed = run(&[
            "sign",
            c.dir(),
            "--format",
            "oms",
            "--key",
            &key,
            "--cert",
            &cert,
            "--cert-chain",
            &chain,
            "-q",
        ]);
        assert_eq!(signed.code, 0, "{}", signed.stderr);
        let root = p("root.pem");
        let out = run(&[
            "check",
            c.dir(),
            "--cert-root",
            &root,
            "--no-builtin",
            "--policy",
            "release-integrity",
            "--format",
            "json",
        ]);
        (c, out)
    };
    let rule = |report: &serde_json::Value, id: &str| {
        report["packs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .cloned()
            .unwrap()
    };

    let (c, out) = check(LEAF);
    assert_eq!(
        out.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        out.stdout, out.stderr
    );
    assert_eq!(out.stderr, "");
    let json = out.json();
    let v = &json["verification"];
    assert_eq!(v["verified"], true);
    assert_eq!(v["method"], "certificate");
    assert_eq!(v["identity"], LEAF);
    assert_eq!(v["issuer"], INT);
    assert_eq!(v["algorithm"], "ecdsa-p256-sha256");
    assert_eq!(rule(&json, "RI-SIGN-01")["outcome"], "pass");
    assert_eq!(rule(&json, "RI-SIGN-02")["outcome"], "pass");
    assert_eq!(rule(&json, "RI-SIGN-03")["outcome"], "pass");

    let root = p("root.pem");
    let audit = run(&[
        "report",
        c.dir(),
        "--kind",
        "audit",
        "--format",
        "json",
        "--cert-root",
        &root,
    ]);
    assert_eq!(audit.code, 0, "{}", audit.stderr);
    let signer = &audit.json()["release"]["signer"];
    assert_eq!(signer["method"], "certificate");
    assert_eq!(signer["identity"], LEAF);
    assert_eq!(signer["issuer"], INT);

    // The same certificate, but the declaration names another signer: the signature holds,
    // the rule does not.
    let (_, out) = check("CN=Someone Else,O=Scelle Test");
    assert_eq!(
        out.code, 1,
        "stdout:\n{}\nstderr:\n{}",
        out.stdout, out.stderr
    );
    assert_eq!(out.stderr, "");
    let json = out.json();
    assert_eq!(json["verification"]["verified"], true);
    let failed = rule(&json, "RI-SIGN-03");
    assert_eq!(failed["outcome"], "fail");
    assert_eq!(failed["subjects"], serde_json::json!([LEAF]));
}
