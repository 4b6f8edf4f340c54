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
fn a_private_key_others_can_read_is_used_with_a_warning() {
    let keys = Keys::new();
    let key = keys.private("ed25519");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let r = sample_release();
    let dir = r.path().to_str().unwrap();
    let out = run(&["sign", dir, "--key", &key]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "");
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(
        lines[0],
        format!(
            "warning: `{key}` is accessible by group or others (mode 0644): anyone who can read it can sign as you; run `chmod 600 {key}`"
        )
    );
    assert!(lines[1].starts_with("signed 5 files of "), "{}", out.stderr);
    assert_eq!(lines.len(), 2);
    run(&["verify", dir, "--key", &keys.public("ed25519")]).success();
}

#[test]
fn a_public_key_given_to_sign_is_named_before_its_mode() {
    let keys = Keys::new();
    let r = sample_release();
    // A `.pub` is world-readable, as it should be: what it is matters, not its mode.
    let out = run(&[
        "sign",
        r.path().to_str().unwrap(),
        "--key",
        &keys.public("p256"),
    ])
    .error("test-p256.pub`: a public key, where a private key is needed");
    assert_eq!(
        out.hint(),
        Some("signing needs the private key (`NAME.key`)")
    );
}

/// Runs scelle with `args`, writing `input` to its stdin.
fn run_with_stdin(cmd: &mut Command, input: &[u8]) -> crate::common::Run {
    use std::io::Write as _;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    crate::common::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

#[test]
fn keys_come_from_an_environment_variable_or_stdin() {
    let keys = Keys::new();
    let r = sample_release();
    let dir = r.path().to_str().unwrap();
    let private = std::fs::read_to_string(keys.private("p256")).unwrap();
    let public = std::fs::read(keys.public("p256")).unwrap();
    // The private key from a variable, as CI systems hand out secrets.
    run_cmd(scelle().env("SIGNING_KEY", &private).args([
        "sign",
        dir,
        "--key",
        "env:SIGNING_KEY",
        "-q",
    ]))
    .success();
    // The public key on stdin, for verify and check.
    run_with_stdin(scelle().args(["verify", dir, "--key", "-"]), &public).success();
    let out = run_with_stdin(
        scelle().args(["check", dir, "--key", "-", "--format", "json"]),
        &public,
    );
    assert!(out.code <= 1, "{}", out.stderr);
    assert_eq!(
        out.json()["verification"]["verified"],
        true,
        "{}",
        out.stdout
    );
    // The private key on stdin, the public one from a variable.
    run_with_stdin(
        scelle().args(["sign", dir, "--key", "-", "--force", "-q"]),
        private.as_bytes(),
    )
    .success();
    run_cmd(
        scelle()
            .env("PUB", String::from_utf8(public).unwrap())
            .args(["verify", dir, "--key", "env:PUB"]),
    )
    .success();
}

#[test]
fn key_sources_that_hold_no_key_are_named_as_typed() {
    let keys = Keys::new();
    let r = sample_release();
    let dir = r.path().to_str().unwrap();
    let out = run(&["sign", dir, "--key", "env:SCELLE_NO_SUCH_VARIABLE"])
        .error("`env:SCELLE_NO_SUCH_VARIABLE`: the environment variable `SCELLE_NO_SUCH_VARIABLE` is not set");
    assert!(out.hint().unwrap().contains("--key env:VAR"));
    run(&["sign", dir, "--key", "env:"]).error("`env:` names no environment variable");
    run_cmd(
        scelle()
            .env("NOT_A_KEY", "hello")
            .args(["verify", dir, "--key", "env:NOT_A_KEY"]),
    )
    .error("`env:NOT_A_KEY`: no PEM key block");
    // Stdin closed: nothing to read.
    run(&["verify", dir, "--key", "-"])
        .error("`--key -` reads the key from stdin, but stdin was empty");
    // One stdin, one key.
    let public = std::fs::read(keys.public("p256")).unwrap();
    run_with_stdin(
        scelle().args(["verify", dir, "--key", "-", "--key", "-"]),
        &public,
    )
    .error("`-` was given twice: stdin can carry one key");
    // `./env:x` is a file of that name.
    run(&["verify", dir, "--key", "./env:x"]).error("`./env:x` does not exist");
}

#[test]
fn an_encrypted_key_on_stdin_needs_its_passphrase_from_a_variable() {
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
    let encrypted = std::fs::read(&k).unwrap();
    let r = sample_release();
    let dir = r.path().to_str().unwrap();
    let out = run_with_stdin(scelle().args(["sign", dir, "--key", "-"]), &encrypted).error(
        "`-`: the key on stdin is encrypted, and its passphrase cannot be asked on the terminal while stdin carries the key",
    );
    assert!(out.hint().unwrap().contains("--passphrase-env VAR"));
    run_with_stdin(
        scelle().env("KEY_PASS", "open sesame").args([
            "sign",
            dir,
            "--key",
            "-",
            "--passphrase-env",
            "KEY_PASS",
            "-q",
        ]),
        &encrypted,
    )
    .success();
    run(&["verify", dir, "--key", &p]).success();
}

#[test]
fn keygen_says_which_files_it_wrote() {
    let keys = Keys::new();
    let dir = keys.path("out");
    std::fs::create_dir(&dir).unwrap();
    let out = run_cmd(
        scelle()
            .current_dir(&dir)
            .args(["keygen", "-o", "publisher"]),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "");
    let id = crate::common::sha256_hex(&std::fs::read(dir.join("publisher.pub")).unwrap());
    assert_eq!(
        out.stderr,
        format!(
            "wrote `publisher.key` (private, mode 0600) and `publisher.pub`\ned25519 key id {id}\n"
        )
    );
    let out = run_cmd(scelle().current_dir(&dir).args(["keygen", "-o", "keys/"]))
        .error("`keys/` names a folder, not the NAME of a key pair");
    assert_eq!(
        out.hint(),
        Some("give a name such as `keys/publisher` (writes `NAME.key` and `NAME.pub`)")
    );
    let out = run_cmd(
        scelle()
            .current_dir(&dir)
            .args(["keygen", "-o", "keys/publisher"]),
    )
    .error("cannot write `keys/publisher.key`: the folder `keys` does not exist");
    assert_eq!(out.hint(), Some("create it first (`mkdir -p keys`)"));
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
