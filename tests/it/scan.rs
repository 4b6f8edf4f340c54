//! `scelle scan`: what a manifest records, in which order, and every way a walk must refuse.

use std::process::Command;

use crate::common::{Release, expected_root, manifest_paths, run, run_cmd, scelle, sha256_hex};

#[test]
fn two_scans_of_one_tree_are_byte_identical() {
    let r = Release::new();
    r.file("config.json", "{}");
    r.file("weights/model.safetensors", vec![7u8; 3000]);
    r.file("README.md", "# model");
    let dir = r.path().to_str().unwrap();
    let first = run(&["scan", dir]).success();
    let second = run(&["scan", dir, "--jobs", "1"]).success();
    assert_eq!(first.stdout, second.stdout);
    let manifest = first.json();
    assert_eq!(manifest["predicate"]["created"], "2023-11-14T22:13:20Z");
    assert!(
        !first.stdout.contains(dir),
        "the manifest must not carry the absolute release path"
    );
}

#[test]
fn files_are_ordered_by_path_components() {
    let r = Release::new();
    for name in [
        "a-b", "a/b", "a.txt", "B", "é", "Z10", "Z9", "_x", ".hidden", "a/b-c/d", "ä/z",
    ] {
        r.file(name, name);
    }
    let manifest = run(&["scan", r.path().to_str().unwrap()]).success().json();
    assert_eq!(
        manifest_paths(&manifest),
        [
            ".hidden", "B", "Z10", "Z9", "_x", "a/b", "a/b-c/d", "a-b", "a.txt", "ä/z", "é"
        ]
    );
    let subjects: Vec<&str> = manifest["subject"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(subjects, manifest_paths(&manifest));
}

#[test]
fn root_digest_matches_an_independent_computation() {
    let r = Release::new();
    let files: [(&str, &[u8]); 5] = [
        ("a/b", b"one"),
        ("a-b", b"two"),
        ("B", b"three"),
        ("empty", b""),
        ("x/y/z.bin", &[0u8; 5000]),
    ];
    for (p, c) in files {
        r.file(p, c);
    }
    let manifest = run(&["scan", r.path().to_str().unwrap()]).success().json();
    assert_eq!(
        manifest["predicate"]["root"]["sha256"],
        expected_root(&files)
    );
    assert_eq!(manifest["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(
        manifest["predicateType"],
        "https://scelle.dev/provenance/v1"
    );
}

#[test]
fn digests_agree_with_coreutils_sha256sum() {
    let r = Release::new();
    r.file(
        "model.safetensors",
        (0..200_000u32).map(|i| (i % 251) as u8).collect::<Vec<_>>(),
    );
    r.file(
        "big.bin",
        (0..3_000_000u32)
            .map(|i| (i % 241) as u8)
            .collect::<Vec<_>>(),
    );
    r.file("tokenizer.json", r#"{"version":"1.0"}"#);
    r.file("nested/dir/notes.txt", "hello\n");
    let manifest = run(&["scan", r.path().to_str().unwrap()]).success().json();
    let paths = manifest_paths(&manifest);
    let out = Command::new("sha256sum")
        .args(&paths)
        .current_dir(r.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let listed: Vec<(String, String)> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let (digest, path) = l.split_once("  ").unwrap();
            (path.to_owned(), digest.to_owned())
        })
        .collect();
    for (file, (path, digest)) in manifest["predicate"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&listed)
    {
        assert_eq!(file["path"], path.as_str());
        assert_eq!(file["sha256"], digest.as_str(), "{path}");
    }
    assert_eq!(listed.len(), 4);
}

#[test]
fn top_level_git_is_ignored_but_nested_git_is_hashed() {
    let r = Release::new();
    r.file(".git/HEAD", "ref: refs/heads/main");
    r.file(".gitattributes", "*.bin filter=lfs");
    r.file(".github/workflows/ci.yml", "on: push");
    r.file(".gitignore", "target");
    r.file(".scelle/cache", "x");
    r.file("sub/.git/HEAD", "nested");
    r.file("sub/.gitignore", "nested");
    r.file(".env", "dotfiles are hashed");
    let manifest = run(&["scan", r.path().to_str().unwrap()]).success().json();
    assert_eq!(
        manifest_paths(&manifest),
        [".env", "sub/.git/HEAD", "sub/.gitignore"]
    );
    let ignored: Vec<&str> = manifest["predicate"]["scan"]["ignore"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        ignored,
        [".git", ".gitattributes", ".github", ".gitignore", ".scelle"]
    );
}

#[test]
fn ignore_flag_leaves_out_a_path_and_records_it() {
    let r = Release::new();
    r.file("keep.txt", "k");
    r.file("logs/run1.txt", "l");
    r.file("logs2/x", "kept: only the named component is ignored");
    let dir = r.path().to_str().unwrap();
    let manifest = run(&["scan", dir, "--ignore", "./logs/"]).success().json();
    assert_eq!(manifest_paths(&manifest), ["keep.txt", "logs2/x"]);
    assert!(
        manifest["predicate"]["scan"]["ignore"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v == "logs")
    );

    let bad = run(&["scan", dir, "--ignore", "../outside"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("`.` or `..` component"),
        "{}",
        bad.stderr
    );
}

#[test]
fn symlinks_are_rejected_by_default_with_a_hint() {
    let r = Release::new();
    r.file("real.bin", "data");
    r.symlink("link.bin", "real.bin");
    let run = run(&["scan", r.path().to_str().unwrap()]).error("link.bin` is a symbolic link");
    assert!(run.hint().unwrap().contains("--allow-symlinks"));
}

#[test]
fn allowed_symlinks_inside_the_release_are_followed() {
    let r = Release::new();
    r.file("blobs/abc", "weights");
    r.file("real/inner.txt", "inner");
    r.symlink("model.bin", "blobs/abc");
    r.symlink("alias", "real");
    let manifest = run(&["scan", r.path().to_str().unwrap(), "--allow-symlinks"])
        .success()
        .json();
    assert_eq!(
        manifest_paths(&manifest),
        [
            "alias/inner.txt",
            "blobs/abc",
            "model.bin",
            "real/inner.txt"
        ]
    );
    let files = manifest["predicate"]["files"].as_array().unwrap();
    assert_eq!(
        files[2]["sha256"],
        sha256_hex(b"weights"),
        "a link is hashed with its target's bytes"
    );
    assert_eq!(manifest["predicate"]["scan"]["symlinks"], "follow-inside");
}

#[test]
fn symlink_escaping_the_release_is_an_error() {
    let outside = Release::new();
    outside.file("secret", "s");
    let r = Release::new();
    r.file("a", "a");
    r.symlink("escape", outside.path().join("secret").to_str().unwrap());
    run(&["scan", r.path().to_str().unwrap(), "--allow-symlinks"])
        .error("escape` is a symbolic link to");
    let r2 = Release::new();
    r2.file("a", "a");
    r2.symlink("up", "..");
    run(&["scan", r2.path().to_str().unwrap(), "--allow-symlinks"]).error("outside the release");
}

#[test]
fn symlink_loop_is_an_error() {
    let r = Release::new();
    r.file("a/f", "f");
    r.symlink("a/loop", "..");
    run(&["scan", r.path().to_str().unwrap(), "--allow-symlinks"]).error("loops back");
    let r2 = Release::new();
    r2.file("f", "f");
    r2.symlink("self", "self");
    run(&["scan", r2.path().to_str().unwrap(), "--allow-symlinks"])
        .error("self` is a symbolic link that loops");
}

#[test]
fn broken_symlink_is_an_error() {
    let r = Release::new();
    r.file("a", "a");
    r.symlink("dangling", "does-not-exist");
    run(&["scan", r.path().to_str().unwrap(), "--allow-symlinks"])
        .error("dangling` is a broken symbolic link");
}

#[test]
fn empty_file_is_recorded_with_the_empty_digest() {
    let r = Release::new();
    r.file("empty.txt", "");
    let manifest = run(&["scan", r.path().to_str().unwrap()]).success().json();
    let file = &manifest["predicate"]["files"][0];
    assert_eq!(file["size"], 0);
    assert_eq!(
        file["sha256"],
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

#[test]
fn empty_folders_hold_nothing_to_seal() {
    let r = Release::new();
    r.dir("only/empty/folders");
    run(&["scan", r.path().to_str().unwrap()]).error("holds no files to seal");
    r.file("x", "x");
    let manifest = run(&["scan", r.path().to_str().unwrap()]).success().json();
    assert_eq!(
        manifest_paths(&manifest),
        ["x"],
        "empty folders are not files"
    );
}

#[test]
fn non_utf8_name_is_an_error_naming_the_file() {
    use std::os::unix::ffi::OsStrExt;
    let r = Release::new();
    r.file("ok", "ok");
    std::fs::write(
        r.path()
            .join(std::ffi::OsStr::from_bytes(b"bad\xffname.bin")),
        "x",
    )
    .unwrap();
    let run = run(&["scan", r.path().to_str().unwrap()])
        .error("name.bin`: the file name is not valid UTF-8");
    assert!(run.stderr.contains("bad\u{fffd}name.bin"));
}

#[test]
fn backslash_in_a_name_is_refused() {
    let r = Release::new();
    r.file("a\\b", "x");
    run(&["scan", r.path().to_str().unwrap()]).error("contains a backslash");
}

#[test]
fn unreadable_file_is_an_error_naming_it() {
    use std::os::unix::fs::PermissionsExt;
    let r = Release::new();
    r.file("ok", "ok");
    let locked = r.file("locked.bin", "secret");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    std::fs::set_permissions(r.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    // Root reads whatever the mode says, so run as `nobody` when the tests run as root.
    let mut cmd = if crate::common::is_root() {
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            env!("CARGO_BIN_EXE_scelle"),
        ]);
        c.env("SOURCE_DATE_EPOCH", "0").env("NO_COLOR", "1");
        c
    } else {
        scelle()
    };
    let run = run_cmd(cmd.args(["scan", r.path().to_str().unwrap()])).error("locked.bin`");
    assert!(run.stderr.contains("Permission denied"), "{}", run.stderr);
    assert!(run.hint().unwrap().contains("--ignore"));
}

#[test]
fn fifo_is_not_a_regular_file() {
    let r = Release::new();
    r.file("a", "a");
    let fifo = r.path().join("pipe");
    crate::common::mkfifo(&fifo);
    run(&["scan", r.path().to_str().unwrap()]).error("pipe` is a FIFO, not a regular file");
}

#[test]
fn a_missing_folder_is_an_error() {
    let r = Release::new();
    run(&["scan", r.path().join("nope").to_str().unwrap()]).error("nope` does not exist");
}

#[test]
fn twenty_thousand_small_files() {
    let r = Release::new();
    for i in 0..20_000 {
        r.file(
            &format!("shard{:02}/f{i:05}.txt", i % 50),
            format!("record {i}\n"),
        );
    }
    let manifest = run(&["scan", r.path().to_str().unwrap()]).success().json();
    let files = manifest["predicate"]["files"].as_array().unwrap();
    assert_eq!(files.len(), 20_000);
    assert_eq!(files[0]["path"], "shard00/f00000.txt");
    assert_eq!(files[0]["sha256"], sha256_hex(b"record 0\n"));
    let last = files.last().unwrap();
    assert_eq!(last["path"], "shard49/f19999.txt");
    assert_eq!(last["sha256"], sha256_hex(b"record 19999\n"));
}

#[test]
fn several_gib_sparse_file_is_hashed_exactly() {
    use sha2::{Digest, Sha256};
    // Over 4 GiB (no 32-bit size anywhere) and not a multiple of any buffer size.
    let size: u64 = (4 << 30) + (1 << 20) + 7;
    let r = Release::new();
    let path = r.file("huge.bin", "");
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(size).unwrap();
    drop(file);
    r.file("small.txt", "small");
    let manifest = run(&["scan", r.path().to_str().unwrap()]).success().json();
    let huge = &manifest["predicate"]["files"][0];
    assert_eq!(huge["path"], "huge.bin");
    assert_eq!(huge["size"], size);
    let mut expected = Sha256::new();
    let zeros = vec![0u8; 1 << 20];
    let mut left = size;
    while left > 0 {
        let n = left.min(zeros.len() as u64);
        expected.update(&zeros[..usize::try_from(n).unwrap()]);
        left -= n;
    }
    assert_eq!(huge["sha256"], crate::common::hex(&expected.finalize()));
    std::fs::remove_file(path).unwrap();
}

#[test]
fn output_file_is_never_overwritten_without_force() {
    let r = Release::new();
    r.file("a", "a");
    let out_dir = Release::new();
    let out = out_dir.file("manifest.json", "precious");
    let dir = r.path().to_str().unwrap();
    let refused =
        run(&["scan", dir, "-o", out.to_str().unwrap()]).error("manifest.json` already exists");
    assert!(refused.hint().unwrap().contains("--force"));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "precious");

    run(&["scan", dir, "-o", out.to_str().unwrap(), "--force"]).success();
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(manifest_paths(&written), ["a"]);
    let stdout = run(&["scan", dir]).success().stdout;
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        stdout,
        "-o writes what stdout would carry"
    );
}

#[test]
fn output_inside_the_release_is_not_hashed() {
    let r = Release::new();
    r.file("a", "a");
    let out = r.path().join("manifest.json");
    run(&[
        "scan",
        r.path().to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ])
    .success();
    run(&[
        "scan",
        r.path().to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--force",
    ])
    .success();
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(manifest_paths(&written), ["a"]);
}

#[test]
fn table_format_summarises_by_kind() {
    let r = Release::new();
    let mut st = 2u64.to_le_bytes().to_vec();
    st.extend_from_slice(b"{}");
    r.file("model.safetensors", &st);
    r.file("tokenizer.json", "{}");
    r.file("config.json", "{}");
    r.file("README.md", "# card");
    let run = run(&["scan", r.path().to_str().unwrap(), "--format", "table"]).success();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("weights") && l.ends_with("safetensors")),
        "{}",
        run.stdout
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("tokenizer") && l.contains(" 1 ")),
        "{}",
        run.stdout
    );
    assert!(
        lines.iter().any(|l| l.starts_with("  files   4 (")),
        "{}",
        run.stdout
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("hashed ") && l.contains("files/s")),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains('\u{1b}'),
        "no colour when stdout is not a terminal"
    );
}

#[test]
fn bad_source_date_epoch_is_an_error() {
    let r = Release::new();
    r.file("a", "a");
    let run = run_cmd(
        scelle()
            .env("SOURCE_DATE_EPOCH", "tomorrow")
            .args(["scan", r.path().to_str().unwrap()]),
    );
    run.error("`SOURCE_DATE_EPOCH` is not a whole number of seconds");
}

#[test]
fn usage_errors_exit_2() {
    let run = run(&["scan"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("<DIR>"), "{}", run.stderr);
    assert_eq!(run.stdout, "");
    let run = crate::common::run(&["scan", ".", "--format", "xml"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("invalid value 'xml'"), "{}", run.stderr);
}

/// Every file below `dir`, nested ones included.
fn count_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| if p.is_dir() { count_files(&p) } else { 1 })
        .sum()
}

#[test]
fn demo_release_is_classified_and_its_root_recomputes() {
    let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
    let manifest = run(&["scan", demo.to_str().unwrap()]).success().json();
    let files = manifest["predicate"]["files"].as_array().unwrap();
    let kind_of = |path: &str| {
        let f = files
            .iter()
            .find(|f| f["path"] == path)
            .unwrap_or_else(|| panic!("{path} missing"));
        (
            f["kind"].as_str().unwrap().to_owned(),
            f["format"].as_str().unwrap().to_owned(),
        )
    };
    assert_eq!(
        kind_of("model-00001-of-00002.safetensors"),
        ("weights".into(), "safetensors".into())
    );
    assert_eq!(
        kind_of("tokenizer.json"),
        ("tokenizer".into(), "json".into())
    );
    assert_eq!(kind_of("config.json"), ("config".into(), "json".into()));
    assert_eq!(kind_of("README.md"), ("docs".into(), "markdown".into()));
    let contents: Vec<(String, Vec<u8>)> = manifest_paths(&manifest)
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(demo.join(&p)).unwrap();
            (p, bytes)
        })
        .collect();
    let pairs: Vec<(&str, &[u8])> = contents
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_slice()))
        .collect();
    assert_eq!(
        manifest["predicate"]["root"]["sha256"],
        expected_root(&pairs)
    );
    assert_eq!(files.len(), count_files(&demo));
    assert_eq!(files.len(), 14);
}

#[test]
fn output_file_mode_follows_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let r = Release::new();
    r.file("a", "a");
    let out = Release::new();
    let path = out.path().join("m.json");
    run(&[
        "scan",
        r.path().to_str().unwrap(),
        "-o",
        path.to_str().unwrap(),
    ])
    .success();
    let umask = std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("Umask:"))
        .map(|v| u32::from_str_radix(v.trim(), 8).unwrap())
        .unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o666 & !umask);
}

/// A newcomer's first commands, run from a folder holding a release `rel/`, a file `file.txt`
/// and a key pair, with relative paths as they would type them: every mistake gets exit 2,
/// nothing on stdout, and exactly `stderr` (a line naming the path as typed, and a hint when
/// one helps).
fn assert_newcomer_messages(cases: &[(&[&str], &str)]) {
    let keys = crate::common::Keys::new();
    let cwd = Release::new();
    cwd.file("rel/a.txt", "hello");
    cwd.file("file.txt", "x");
    for name in ["test-p256.key", "test-p256.pub"] {
        std::fs::copy(keys.path(name), cwd.path().join(name)).unwrap();
    }
    for (args, stderr) in cases {
        let out = run_cmd(scelle().current_dir(cwd.path()).args(*args));
        assert_eq!(
            (out.code, out.stdout.as_str(), out.stderr.as_str()),
            (2, "", format!("{stderr}\n").as_str()),
            "scelle {}",
            args.join(" ")
        );
    }
}

const KEY: &str = "test-p256.key";
const PUB: &str = "test-p256.pub";

#[test]
fn newcomer_missing_and_misplaced_paths_are_named() {
    let no_bundle = "hint: name the bundle with `--bundle FILE`";
    assert_newcomer_messages(&[
        (&["scan", "nope"], "error: `nope` does not exist"),
        (
            &["sign", "nope", "--key", KEY],
            "error: `nope` does not exist",
        ),
        (
            &["verify", "nope", "--key", PUB],
            "error: `nope` does not exist",
        ),
        (&["check", "nope"], "error: `nope` does not exist"),
        (&["init", "nope"], "error: `nope` does not exist"),
        (
            &["init", "file.txt"],
            "error: `file.txt` is a file, not a release folder",
        ),
        (&["policy", "lint", "nope"], "error: `nope` does not exist"),
        (&["policy", "test", "nope"], "error: `nope` does not exist"),
        (
            &["sign", "rel", "--key", "nope.key"],
            "error: `nope.key` does not exist",
        ),
        (
            &["verify", "rel", "--key", "nope.pub"],
            "error: `nope.pub` does not exist",
        ),
        (
            &["check", "rel", "--key", "nope.pub"],
            "error: `nope.pub` does not exist",
        ),
        (
            &["sign", "rel", "--key", "rel"],
            "error: `rel` is a folder, not a key file",
        ),
        (
            &["verify", "rel", "--key", "rel"],
            "error: `rel` is a folder, not a key file",
        ),
        (
            &["sign", "rel", "--key", KEY, "--manifest", "nope.json"],
            "error: `nope.json` does not exist",
        ),
        (
            &["sign", "rel", "--key", KEY, "--manifest", "rel"],
            "error: `rel` is a folder, not a manifest",
        ),
        (
            &["verify", "rel", "--key", PUB],
            &format!(
                "error: no bundle in `rel` (looked for `scelle.sigstore.json` and `model.sig`)\n{no_bundle}"
            ),
        ),
        (
            &["verify", "file.txt", "--key", PUB],
            &format!(
                "error: no bundle for `file.txt` (looked for `file.txt.sigstore.json`, `file.txt.sig`, `model.sig`)\n{no_bundle}"
            ),
        ),
        (
            &["verify", "rel", "--key", PUB, "--bundle", "nope.json"],
            "error: `nope.json` does not exist",
        ),
        (
            &["verify", "rel", "--key", PUB, "--bundle", "rel"],
            "error: `rel` is a folder, not a bundle",
        ),
    ]);
}

#[test]
fn newcomer_output_and_flag_mistakes_are_named() {
    let usage = "\n\nFor more information, try '--help'.";
    assert_newcomer_messages(&[
        (
            &["sign", "rel", "--key", KEY, "-o", "nodir/b.json"],
            "error: cannot write `nodir/b.json`: the folder `nodir` does not exist\nhint: create it first (`mkdir -p nodir`)",
        ),
        (
            &["scan", "rel", "-o", "nodir/m.json"],
            "error: cannot write `nodir/m.json`: the folder `nodir` does not exist\nhint: create it first (`mkdir -p nodir`)",
        ),
        (
            &["scan", "rel", "-j", "0"],
            &format!("error: invalid value '0' for '--jobs <N>': give at least 1 worker{usage}"),
        ),
        (
            &["verify", "rel", "--key", PUB, "-j", "0"],
            &format!("error: invalid value '0' for '--jobs <N>': give at least 1 worker{usage}"),
        ),
        (
            &["scan", ""],
            &format!("error: a value is required for '<DIR>' but none was supplied{usage}"),
        ),
        (
            &["sign", "rel", "--key", ""],
            &format!("error: a value is required for '--key <KEY>' but none was supplied{usage}"),
        ),
        (
            &["scan", "rel", "--revision", "main"],
            "error: `--revision main`: `rel` is not a Hugging Face cache folder (`models--ORG--NAME` with `refs/` and `snapshots/`)\nhint: leave out `--revision`, or point at the `models--ORG--NAME` folder",
        ),
    ]);
}

#[test]
fn a_single_file_is_a_release_of_one_file() {
    let r = Release::new();
    let file = r.file("weights.bin", "w");
    let manifest = run(&["scan", file.to_str().unwrap()]).success().json();
    assert_eq!(manifest_paths(&manifest), ["weights.bin"]);
    assert_eq!(manifest["predicate"]["scan"]["single_file"], true);
    assert_eq!(
        manifest["predicate"]["scan"]["ignore"],
        serde_json::json!([])
    );
    assert_eq!(
        manifest["predicate"]["root"]["sha256"],
        expected_root(&[("weights.bin", b"w")])
    );
}

#[test]
fn a_folder_holding_a_cache_tag_is_left_out_with_a_note() {
    let r = Release::new();
    r.file(
        "model.safetensors",
        crate::common::safetensors_u8(&[1, 2, 3]),
    );
    // What `hf download --local-dir` leaves: download metadata in a tagged cache folder.
    r.file(
        ".cache/huggingface/CACHEDIR.TAG",
        "Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag.\n",
    );
    r.file(
        ".cache/huggingface/download/model.safetensors.metadata",
        "0123\nabcd\n1700000000\n",
    );
    // A tag without the signature is an ordinary file, and its folder is hashed.
    r.file("notes/CACHEDIR.TAG", "not a tag");
    let out = run(&["scan", r.path().to_str().unwrap()]);
    assert_eq!(out.code, 0);
    assert_eq!(
        out.stderr,
        "left out `.cache/huggingface/`: it holds a `CACHEDIR.TAG` (a cache, such as download metadata)\n"
    );
    let manifest = out.json();
    assert_eq!(
        manifest_paths(&manifest),
        ["model.safetensors", "notes/CACHEDIR.TAG"]
    );
    assert!(
        manifest["predicate"]["scan"]["ignore"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i == ".cache/huggingface"),
        "{}",
        manifest["predicate"]["scan"]
    );
    // The verifier applies the recorded rule: a release signed so verifies as it stands.
    let keys = crate::common::Keys::new();
    let dir = r.path().to_str().unwrap();
    run(&["sign", dir, "--key", &keys.private("ed25519"), "-q"]).success();
    run(&["verify", dir, "--key", &keys.public("ed25519")]).success();
}

#[test]
fn a_symlink_escaping_the_release_is_named_by_its_own_text() {
    let outside = Release::new();
    outside.file("secret", "s");
    let sibling = outside.path().file_name().unwrap().to_str().unwrap();
    let r = Release::new();
    r.file("a", "a");
    let text = format!("../{sibling}/secret");
    r.symlink("up", &text);
    let out = run(&["scan", r.path().to_str().unwrap(), "--allow-symlinks"]);
    // Not the canonical absolute target, which the user never typed.
    out.error(&format!(
        "up` is a symbolic link to `{text}`, outside the release"
    ));
}
