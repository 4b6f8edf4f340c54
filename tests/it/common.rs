//! Test helpers: a temporary release folder, the `scelle` binary with a pinned clock, and an
//! independent computation of what a manifest must say.

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

/// A temporary release folder.
pub struct Release {
    dir: tempfile::TempDir,
}

impl Release {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `content` at `rel`, creating folders.
    pub fn file(&self, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
        path
    }

    pub fn dir(&self, rel: &str) -> PathBuf {
        let path = self.dir.path().join(rel);
        std::fs::create_dir_all(&path).unwrap();
        path
    }

    pub fn symlink(&self, rel: &str, target: &str) {
        let path = self.dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(target, path).unwrap();
    }
}

/// What a finished `scelle` run returned.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The stdout parsed as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }

    /// Asserts exit status 0 and a silent stderr.
    pub fn success(self) -> Self {
        assert_eq!(self.code, 0, "expected success; stderr:\n{}", self.stderr);
        assert_eq!(self.stderr, "", "stderr must stay empty on success");
        self
    }

    /// Asserts that the run could not run (exit 2): nothing on stdout, and stderr is one
    /// `error:` line containing `needle`, optionally followed by a `hint:` line.
    pub fn error(self, needle: &str) -> Self {
        assert_eq!(
            self.code, 2,
            "expected exit 2; stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        assert_eq!(
            self.stdout, "",
            "nothing may reach stdout when a command fails"
        );
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert!(
            !lines.is_empty() && lines[0].starts_with("error: "),
            "stderr:\n{}",
            self.stderr
        );
        assert!(
            lines[0].contains(needle),
            "expected {needle:?} in:\n{}",
            self.stderr
        );
        assert!(
            lines.len() == 1 || (lines.len() == 2 && lines[1].starts_with("hint: ")),
            "an error is one line plus an optional hint:\n{}",
            self.stderr
        );
        assert!(
            !lines[0].ends_with('.'),
            "messages carry no trailing period: {}",
            lines[0]
        );
        self
    }

    pub fn hint(&self) -> Option<&str> {
        self.stderr.lines().find_map(|l| l.strip_prefix("hint: "))
    }
}

/// The scelle binary with a fixed clock and no colour.
pub fn scelle() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_scelle"));
    cmd.env("SOURCE_DATE_EPOCH", "1700000000")
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS")
        .env_remove("RUST_LOG");
    cmd
}

/// Runs scelle with `args`.
pub fn run(args: &[&str]) -> Run {
    run_cmd(scelle().args(args))
}

pub fn run_cmd(cmd: &mut Command) -> Run {
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The OMS root digest computed here, independently of scelle: sort the paths by their lists of
/// components, then SHA-256 over the raw digests.
pub fn expected_root(files: &[(&str, &[u8])]) -> String {
    let mut files: Vec<(Vec<&str>, &[u8])> = files
        .iter()
        .map(|(p, c)| (p.split('/').collect(), *c))
        .collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let mut root = Sha256::new();
    for (_, content) in files {
        root.update(Sha256::digest(content));
    }
    hex(&root.finalize())
}

/// The `path`s of a manifest's files, in order.
pub fn manifest_paths(manifest: &serde_json::Value) -> Vec<String> {
    manifest["predicate"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_owned())
        .collect()
}

/// The Python interpreter of the virtual environment `.ci/setup-python` makes, where the
/// reference tools (model-signing, safetensors, gguf, numpy...) are installed.
pub fn python() -> PathBuf {
    let path = std::env::var_os("SCELLE_PYTHON").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python"),
        PathBuf::from,
    );
    assert!(
        path.exists(),
        "the reference tools are missing: run `.ci/setup-python` (or `.ci/test`) first; looked for `{}`",
        path.display()
    );
    path
}

/// The directory holding the virtual environment's executables.
pub fn venv_bin() -> PathBuf {
    python().parent().unwrap().to_path_buf()
}

/// True when the tests run as root (permission bits do not stop root from reading).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .is_some_and(|uids| uids.split_whitespace().nth(1) == Some("0"))
}

/// The committed test keys, copied to a private temporary folder with mode 0600 (git does not
/// keep modes, and scelle refuses private keys others can read).
pub struct Keys {
    dir: tempfile::TempDir,
}

impl Keys {
    pub fn new() -> Self {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/keys");
        for name in [
            "test-ed25519.key",
            "test-ed25519.pub",
            "test-p256.key",
            "test-p256.pub",
        ] {
            let to = dir.path().join(name);
            std::fs::copy(src.join(name), &to).unwrap();
            let mode = if std::path::Path::new(name).extension() == Some("key".as_ref()) {
                0o600
            } else {
                0o644
            };
            std::fs::set_permissions(&to, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        Self { dir }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `test-<alg>.key` as a string argument.
    pub fn private(&self, alg: &str) -> String {
        self.path(&format!("test-{alg}.key"))
            .to_str()
            .unwrap()
            .to_owned()
    }

    pub fn public(&self, alg: &str) -> String {
        self.path(&format!("test-{alg}.pub"))
            .to_str()
            .unwrap()
            .to_owned()
    }

    /// A fresh key pair made by `openssl genpkey` with `args` (e.g. `["-algorithm", "ed25519"]`).
    pub fn openssl(&self, name: &str, args: &[&str]) -> (String, String) {
        use std::os::unix::fs::PermissionsExt;
        let key = self.path(&format!("{name}.key"));
        let public = self.path(&format!("{name}.pub"));
        let ok = Command::new("openssl")
            .arg("genpkey")
            .args(args)
            .arg("-out")
            .arg(&key)
            .status()
            .unwrap();
        assert!(ok.success());
        let mut pkey = Command::new("openssl");
        pkey.args(["pkey", "-pubout", "-in"])
            .arg(&key)
            .arg("-out")
            .arg(&public);
        if let Some(i) = args.iter().position(|a| *a == "-pass") {
            pkey.args(["-passin", args[i + 1]]);
        }
        let ok = pkey.status().unwrap();
        assert!(ok.success());
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        (
            key.to_str().unwrap().to_owned(),
            public.to_str().unwrap().to_owned(),
        )
    }
}

/// A small release like the demo, written fresh for a test that will modify it. Every file is
/// well formed, so the scan has no error findings and `sign` seals it.
/// Makes a FIFO at `path` (mode 0600), for the tests that check a FIFO is refused by type.
pub fn mkfifo(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let made = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(made.success(), "mkfifo {}", path.display());
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

pub fn sample_release() -> Release {
    let r = Release::new();
    r.file("config.json", r#"{"model_type":"llama"}"#);
    r.file(
        "model.safetensors",
        safetensors_u8(&(0..40_000u32).map(|i| (i % 253) as u8).collect::<Vec<_>>()),
    );
    r.file("tokenizer.json", r#"{"version":"1.0"}"#);
    r.file("README.md", "# sample\n");
    r.file("data/train.jsonl", "{\"text\":\"a\"}\n{\"text\":\"b\"}\n");
    r
}

/// A safetensors file holding `data` as one `U8` tensor named `weight`, laid out as the format
/// says (little-endian header length, JSON header padded with spaces to 8 bytes, the data).
pub fn safetensors_u8(data: &[u8]) -> Vec<u8> {
    let mut header = format!(
        r#"{{"weight":{{"dtype":"U8","shape":[{n}],"data_offsets":[0,{n}]}}}}"#,
        n = data.len()
    );
    while header.len() % 8 != 0 {
        header.push(' ');
    }
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(data);
    bytes
}

/// Decodes standard or URL-safe base64 (padding optional).
pub fn b64decode(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    let s = s.trim_end_matches('=');
    base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(s)
        .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s))
        .unwrap()
}

pub fn b64encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Reads a JSON file.
pub fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Writes a JSON value to a file.
pub fn write_json(path: &Path, value: &serde_json::Value) {
    std::fs::write(path, serde_json::to_vec_pretty(value).unwrap()).unwrap();
}

/// An official JSON Schema (or a folder of them) kept under `tests/schemas/`, with its source and
/// licence in the README there.
pub fn schema(rel: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/schemas")
        .join(rel);
    assert!(
        path.exists(),
        "the official schema `{rel}` is missing from `tests/schemas`"
    );
    path
}

/// Runs a Python snippet in the reference environment with `args` as `sys.argv[1:]`.
pub fn py(script: &str, args: &[&str]) -> std::process::Output {
    Command::new(python())
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap()
}

/// Runs a Python snippet that prints one JSON value, and returns it (panics with the script's
/// stderr when it fails).
pub fn py_json(script: &str, args: &[&str]) -> serde_json::Value {
    let out = py(script, args);
    assert!(
        out.status.success(),
        "python failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "python printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// Runs scelle with `args` as a child of a small Python wrapper and returns the run with the
/// child's peak resident set in KiB (its rusage, which counts what the process really touched).
pub fn run_measured(args: &[&str]) -> (Run, u64) {
    let script = r#"
import json, resource, subprocess, sys
p = subprocess.run(sys.argv[1:], capture_output=True, env={"SOURCE_DATE_EPOCH": "1700000000", "NO_COLOR": "1"})
print(json.dumps({"code": p.returncode, "rss_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                  "stdout": p.stdout.decode(errors="replace"), "stderr": p.stderr.decode(errors="replace")}))
"#;
    let mut all = vec![env!("CARGO_BIN_EXE_scelle")];
    all.extend_from_slice(args);
    let out = py_json(script, &all);
    (
        Run {
            code: i32::try_from(out["code"].as_i64().unwrap()).unwrap(),
            stdout: out["stdout"].as_str().unwrap().to_owned(),
            stderr: out["stderr"].as_str().unwrap().to_owned(),
        },
        out["rss_kib"].as_u64().unwrap(),
    )
}

/// Asserts that every JSON document at `paths` validates against `docs/report.schema.json`
/// (Draft 2020-12, itself checked first), with the reference `jsonschema` package.
pub fn assert_report_schema(paths: &[PathBuf]) {
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/report.schema.json");
    let out = std::process::Command::new(python())
        .arg("-c")
        .arg(
            "import json, sys, jsonschema\n\
             schema = json.load(open(sys.argv[1]))\n\
             jsonschema.Draft202012Validator.check_schema(schema)\n\
             v = jsonschema.Draft202012Validator(schema)\n\
             for p in sys.argv[2:]:\n    v.validate(json.load(open(p)))\n\
             print(len(sys.argv) - 2)",
        )
        .arg(&schema)
        .args(paths)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "a document does not validate against the report schema:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        paths.len().to_string(),
        "not every document was validated"
    );
}

/// Validates a bill of materials with the official tools (`tests/it/validate_sbom.py`):
/// `args` is `["cyclonedx", "1.6"]`, `["cyclonedx", "1.7"]` or `["spdx"]`. Returns whether it is
/// valid and what the validators printed.
pub fn validate_sbom(args: &[&str], path: &Path) -> (bool, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/validate_sbom.py");
    let out = std::process::Command::new(python())
        .arg(&script)
        .args(args)
        .arg(path)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "validate_sbom.py could not run: {text}"
    );
    (out.status.success(), text)
}
