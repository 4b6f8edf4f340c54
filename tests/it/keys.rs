//! `scelle keygen` and key loading: scelle's own keys, keys made by OpenSSL, and every way a key
//! file can be wrong.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use crate::common::{Keys, run, run_cmd, sample_release, scelle};

fn mode(path: &str) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn keygen_writes_a_private_key_only_its_owner_can_read() {
    let keys = Keys::new();
    for alg in ["ed25519", "p256", "p384", "p521"] {
        let name = keys.path(alg);
        let out = run(&["keygen", "-a", alg, "-o", name.to_str().unwrap()]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(out.stdout, "", "keygen prints nothing on stdout");
        let (key, public) = (
            format!("{}.key", name.display()),
            format!("{}.pub", name.display()),
        );
        assert_eq!(mode(&key), 0o600, "{alg}");
        assert!(
            std::fs::read_to_string(&key)
                .unwrap()
                .starts_with("-----BEGIN PRIVATE KEY-----\n")
        );
        // OpenSSL reads the key and derives exactly the public key file scelle wrote.
        let derived = Command::new("openssl")
            .args(["pkey", "-pubout", "-in", &key])
            .output()
            .unwrap();
        assert!(
            derived.status.success(),
            "openssl cannot read the {alg} key: {}",
            String::from_utf8_lossy(&derived.stderr)
        );
        assert_eq!(derived.stdout, std::fs::read(&public).unwrap(), "{alg}");
        let id = crate::common::sha256_hex(&derived.stdout);
        assert!(
            out.stderr.contains(&format!("key id {id}")),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn keygen_never_overwrites_without_force() {
    let keys = Keys::new();
    let name = keys.path("k");
    run(&["keygen", "-o", name.to_str().unwrap(), "-q"]).success();
    let before = std::fs::read(format!("{}.key", name.display())).unwrap();
    let out = run(&["keygen", "-o", name.to_str().unwrap()]).error("k.key` already exists");
    assert!(out.hint().unwrap().contains("--force"));
    assert_eq!(
        std::fs::read(format!("{}.key", name.display())).unwrap(),
        before
    );
    run(&["keygen", "-o", name.to_str().unwrap(), "--force", "-q"]).success();
    assert_ne!(
        std::fs::read(format!("{}.key", name.display())).unwrap(),
        before
    );
}

/// Signs and verifies the sample release with an OpenSSL-made key pair.
fn sign_and_verify(key: &str, public: &str, extra: &[&str]) {
    let r = sample_release();
    let dir = r.path().to_str().unwrap();
    let mut cmd = scelle();
    cmd.args(["sign", dir, "--key", key, "-q"]).args(extra);
    let out = run_cmd(&mut cmd);
    assert_eq!(out.code, 0, "{}", out.stderr);
    run(&["verify", dir, "--key", public]).success();
}

#[test]
fn openssl_keys_load() {
    let keys = Keys::new();
    let (k, p) = keys.openssl("ed", &["-algorithm", "ed25519"]);
    sign_and_verify(&k, &p, &[]);
    for curve in ["P-256", "P-384", "P-521"] {
        let (k, p) = keys.openssl(
            curve,
            &[
                "-algorithm",
                "EC",
                "-pkeyopt",
                &format!("ec_paramgen_curve:{curve}"),
            ],
        );
        sign_and_verify(&k, &p, &[]);
    }
}

#[test]
fn sec1_keys_from_openssl_ecparam_load() {
    let keys = Keys::new();
    for curve in ["prime256v1", "secp384r1"] {
        let key = keys.path(&format!("{curve}.pem"));
        let public = keys.path(&format!("{curve}.pub"));
        assert!(
            Command::new("openssl")
                .args(["ecparam", "-name", curve, "-genkey", "-out"])
                .arg(&key)
                .status()
                .unwrap()
                .success()
        );
        assert!(
            Command::new("openssl")
                .args(["ec", "-pubout", "-in"])
                .arg(&key)
                .arg("-out")
                .arg(&public)
                .output()
                .unwrap()
                .status
                .success()
        );
        let text = std::fs::read_to_string(&key).unwrap();
        assert!(
            text.starts_with("-----BEGIN EC PARAMETERS-----")
                && text.contains("-----BEGIN EC PRIVATE KEY-----")
        );
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        sign_and_verify(key.to_str().unwrap(), public.to_str().unwrap(), &[]);
    }
}

#[test]
fn openssl_encrypted_keys_load_with_the_passphrase() {
    let keys = Keys::new();
    let (k, p) = keys.openssl(
        "enc",
        &[
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-aes256",
            "-pass",
            "pass:open sesame",
        ],
    );
    assert!(
        std::fs::read_to_string(&k)
            .unwrap()
            .starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    );
    let r = sample_release();
    let dir = r.path().to_str().unwrap();
    let out = run_cmd(scelle().env("KEY_PASS", "open sesame").args([
        "sign",
        dir,
        "--key",
        &k,
        "--passphrase-env",
        "KEY_PASS",
        "-q",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    run(&["verify", dir, "--key", &p]).success();
}

#[test]
fn scelle_encrypted_keys_load_in_openssl() {
    let keys = Keys::new();
    let name = keys.path("enc");
    let out = run_cmd(scelle().env("KEY_PASS", "pa55").args([
        "keygen",
        "-a",
        "p384",
        "-o",
        name.to_str().unwrap(),
        "--passphrase-env",
        "KEY_PASS",
        "-q",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let derived = Command::new("openssl")
        .args([
            "pkey",
            "-pubout",
            "-passin",
            "pass:pa55",
            "-in",
            &format!("{}.key", name.display()),
        ])
        .output()
        .unwrap();
    assert!(
        derived.status.success(),
        "{}",
        String::from_utf8_lossy(&derived.stderr)
    );
    assert_eq!(
        derived.stdout,
        std::fs::read(format!("{}.pub", name.display())).unwrap()
    );
}

#[test]
fn a_private_key_others_can_read_is_refused_with_the_chmod_hint() {
    let keys = Keys::new();
    let key = keys.private("ed25519");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let r = sample_release();
    let out = run(&["sign", r.path().to_str().unwrap(), "--key", &key])
        .error("test-ed25519.key` is accessible by group or others (mode 0644)");
    assert_eq!(out.hint().unwrap(), format!("run `chmod 600 {key}`"));
    assert!(!r.path().join("scelle.sigstore.json").exists());
}

#[test]
fn the_wrong_half_of_a_key_pair_is_named() {
    let keys = Keys::new();
    let r = sample_release();
    let dir = r.path().to_str().unwrap();
    let public = keys.public("p256");
    std::fs::set_permissions(&public, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out =
        run(&["sign", dir, "--key", &public]).error("a public key, where a private key is needed");
    assert!(out.hint().unwrap().contains("NAME.key"));
    run(&["sign", dir, "--key", &keys.private("p256"), "-q"]).success();
    let out = run(&["verify", dir, "--key", &keys.private("p256")])
        .error("a private key, where a public key is expected");
    assert!(out.hint().unwrap().contains("NAME.pub"));
}

#[test]
fn malformed_and_unsupported_key_files_are_named() {
    let keys = Keys::new();
    let r = sample_release();
    let dir = r.path().to_str().unwrap();
    let write = |name: &str, text: &str| {
        let path = keys.path(name);
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        path.to_str().unwrap().to_owned()
    };
    run(&["sign", dir, "--key", &write("garbage.key", "hello")])
        .error("garbage.key`: no PEM key block");
    run(&[
        "sign",
        dir,
        "--key",
        &write("trunc.key", "-----BEGIN PRIVATE KEY-----\nMC4CAQA\n"),
    ])
    .error("without its `END` line");
    run(&[
        "sign",
        dir,
        "--key",
        &write(
            "bad64.key",
            "-----BEGIN PRIVATE KEY-----\n@@@@\n-----END PRIVATE KEY-----\n",
        ),
    ])
    .error("bad64.key`: malformed PEM");
    let out = run(&[
        "sign",
        dir,
        "--key",
        &write(
            "ssh.key",
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbg==\n-----END OPENSSH PRIVATE KEY-----\n",
        ),
    ])
    .error("an OpenSSH key file");
    assert!(out.hint().unwrap().contains("ssh-keygen"));
    let rsa = keys.path("rsa.key");
    assert!(
        Command::new("openssl")
            .args([
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:1024",
                "-out"
            ])
            .arg(&rsa)
            .output()
            .unwrap()
            .status
            .success()
    );
    std::fs::set_permissions(&rsa, std::fs::Permissions::from_mode(0o600)).unwrap();
    run(&["sign", dir, "--key", rsa.to_str().unwrap()])
        .error("unsupported key algorithm 1.2.840.113549.1.1.1");
    let big = keys.path("big.key");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(1 << 20)
        .unwrap();
    std::fs::set_permissions(&big, std::fs::Permissions::from_mode(0o600)).unwrap();
    run(&["sign", dir, "--key", big.to_str().unwrap()])
        .error(
            "big.key` is 1.0 MiB (1048576 bytes), larger than any key scelle reads (64.0 KiB, 65536 bytes)",
        );
    run(&[
        "verify",
        dir,
        "--key",
        &keys.path("nope.pub").to_string_lossy(),
    ])
    .error("nope.pub");
}
