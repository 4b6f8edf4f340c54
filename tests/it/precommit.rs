//! The pre-commit hooks of `.pre-commit-hooks.yaml`, run by the real `pre-commit` (pinned in
//! `.ci/requirements.txt`, found beside `SCELLE_PYTHON`) in a temporary git repository, offline:
//! the `.pre-commit-config.yaml` names a local git repository made from this working tree, as a
//! user's names this repository. Both variants run: `scelle-check-system` with the scelle under
//! test on `PATH`, and `scelle-check`, which pre-commit builds with cargo.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::common::{Run, run_cmd, venv_bin};

/// A declaration every built-in pack accepts at the pre-sign stage (one warning, no error).
const CLEAN: &str = "model:\n  name: tiny\n";
/// The same, claiming a general-purpose AI model: the AI Act pack then requires Annex XI fields
/// it does not have, an error-severity failure (AIA-53-1-a-01 among others).
const FAILING: &str = "model:\n  name: tiny\nclassification:\n  is_gpai: true\n";

/// `git` with no user or system configuration, so the tests do not depend on the machine's.
fn git(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .args([
            "-c",
            "user.name=scelle tests",
            "-c",
            "user.email=tests@scelle.invalid",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ]);
    cmd
}

fn git_ok(dir: &Path, args: &[&str]) -> String {
    let out = git(dir).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "git {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A git repository holding this working tree as it is now (tracked and new files, not the
/// ignored ones), committed: what pre-commit clones, at the returned `rev`. Made from the working
/// tree rather than HEAD so that uncommitted hook definitions are what is tested.
fn hook_repo() -> (tempfile::TempDir, String) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"));
    let listed = git_ok(
        src,
        &[
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let mut copied = 0;
    for rel in listed.split('\0').filter(|r| !r.is_empty()) {
        let from = src.join(rel);
        // A tracked file deleted in the working tree is not part of it.
        if !from.is_file() {
            continue;
        }
        let to = dir.path().join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&from, &to).unwrap();
        copied += 1;
    }
    assert!(
        dir.path().join(".pre-commit-hooks.yaml").is_file(),
        "`.pre-commit-hooks.yaml` is missing from the working tree ({copied} files copied)"
    );
    git_ok(dir.path(), &["init", "-q"]);
    git_ok(dir.path(), &["add", "-A"]);
    git_ok(dir.path(), &["commit", "-q", "-m", "hooks"]);
    let rev = git_ok(dir.path(), &["rev-parse", "HEAD"]).trim().to_owned();
    (dir, rev)
}

/// A user's repository: a release folder `release/` with `scelle.yaml` as given, and a
/// `.pre-commit-config.yaml` that uses hook `id` (with `args`) from the hook repository.
fn user_repo(
    hooks: &Path,
    rev: &str,
    id: &str,
    args: &[&str],
    declaration: &str,
) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let release = dir.path().join("release");
    std::fs::create_dir_all(&release).unwrap();
    std::fs::write(release.join("config.json"), r#"{"model_type":"llama"}"#).unwrap();
    std::fs::write(release.join("README.md"), "# tiny\n").unwrap();
    std::fs::write(release.join("scelle.yaml"), declaration).unwrap();
    let args = args
        .iter()
        .map(|a| format!("\"{a}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let config = format!(
        "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: {id}\n        args: [{args}]\n",
        hooks.display()
    );
    std::fs::write(dir.path().join(".pre-commit-config.yaml"), config).unwrap();
    git_ok(dir.path(), &["init", "-q"]);
    git_ok(dir.path(), &["add", "-A"]);
    dir
}

/// The pinned `pre-commit`; a missing one fails the test.
fn pre_commit() -> PathBuf {
    let path = venv_bin().join("pre-commit");
    assert!(
        path.is_file(),
        "`pre-commit` is missing from the reference environment (`{}`): run `.ci/setup-python`",
        path.display()
    );
    path
}

/// `pre-commit run --all-files` in `repo`, offline: a proxy that refuses every connection, cargo
/// and pip told not to use the network. `cache` is pre-commit's cache (where it clones the hook
/// repository and installs the hooks); `path_front` goes first on `PATH`; `cargo_target` is the
/// `CARGO_TARGET_DIR` the `rust` hook builds in.
fn run_pre_commit(
    repo: &Path,
    cache: &Path,
    path_front: Option<&Path>,
    cargo_target: Option<&Path>,
) -> Run {
    let mut path = std::env::var_os("PATH").unwrap_or_default();
    if let Some(front) = path_front {
        let mut dirs = vec![front.to_path_buf()];
        dirs.extend(std::env::split_paths(&path));
        path = std::env::join_paths(dirs).unwrap();
    }
    let mut cmd = Command::new(pre_commit());
    cmd.args(["run", "--all-files", "--color", "never"])
        .current_dir(repo)
        .env("PATH", path)
        .env("PRE_COMMIT_HOME", cache)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        // 2026-11-28: the AI Act pack's obligations are in effect.
        .env("SOURCE_DATE_EPOCH", "1795824000")
        .env("NO_COLOR", "1")
        .env("CARGO_NET_OFFLINE", "true")
        .env("PIP_NO_INDEX", "1")
        .env("HTTP_PROXY", "http://127.0.0.1:9")
        .env("HTTPS_PROXY", "http://127.0.0.1:9")
        .env("http_proxy", "http://127.0.0.1:9")
        .env("https_proxy", "http://127.0.0.1:9")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .env_remove("CARGO_TARGET_DIR");
    if let Some(target) = cargo_target {
        // What docs/ci.md advises for the `rust` hook: a kept target folder (the dependencies
        // compile once) and a release profile that builds faster.
        // The test also drops optimisation: its files are a few bytes.
        cmd.env("CARGO_TARGET_DIR", target)
            .env("CARGO_PROFILE_RELEASE_LTO", "false")
            .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
            .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
            .env("CARGO_PROFILE_RELEASE_DEBUG", "false");
    }
    run_cmd(&mut cmd)
}

/// pre-commit writes the hooks' output to stdout; both streams are read for the finding.
fn output(run: &Run) -> String {
    format!("{}\n{}", run.stdout, run.stderr)
}

fn assert_passed(run: &Run, hook_name: &str) {
    let out = output(run);
    assert_eq!(run.code, 0, "the hook should pass:\n{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with(hook_name) && l.ends_with("Passed")),
        "no `Passed` line for {hook_name:?}:\n{out}"
    );
}

fn assert_failed_with_finding(run: &Run, hook_name: &str) {
    let out = output(run);
    assert_eq!(run.code, 1, "the hook should fail:\n{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with(hook_name) && l.ends_with("Failed")),
        "no `Failed` line for {hook_name:?}:\n{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.trim_start().starts_with("error") && l.contains("AIA-53-1-a-01")),
        "the error finding is not in the hook's output:\n{out}"
    );
}

const SYSTEM_NAME: &str = "scelle check (pre-sign, installed scelle)";
const RUST_NAME: &str = "scelle check (pre-sign)";

fn scelle_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_scelle"))
        .parent()
        .unwrap()
        .to_path_buf()
}

#[test]
fn system_hook_passes_a_clean_declaration_and_fails_on_an_error_finding() {
    let (hooks, rev) = hook_repo();
    let bin = scelle_dir();
    let cache = tempfile::tempdir().unwrap();

    let clean = user_repo(hooks.path(), &rev, "scelle-check-system", &[], CLEAN);
    assert_passed(
        &run_pre_commit(clean.path(), cache.path(), Some(&bin), None),
        SYSTEM_NAME,
    );

    let failing = user_repo(hooks.path(), &rev, "scelle-check-system", &[], FAILING);
    assert_failed_with_finding(
        &run_pre_commit(failing.path(), cache.path(), Some(&bin), None),
        SYSTEM_NAME,
    );

    // The hook's `args` reach the check: with only the release-integrity pack, the AI Act
    // failure is not looked for.
    let narrowed = user_repo(
        hooks.path(),
        &rev,
        "scelle-check-system",
        &["--no-builtin", "--policy=release-integrity"],
        FAILING,
    );
    assert_passed(
        &run_pre_commit(narrowed.path(), cache.path(), Some(&bin), None),
        SYSTEM_NAME,
    );
}

#[test]
fn system_hook_runs_nothing_when_no_declaration_changed() {
    let (hooks, rev) = hook_repo();
    let repo = user_repo(hooks.path(), &rev, "scelle-check-system", &[], FAILING);
    // Only another file is staged: the failing declaration is not looked at.
    git_ok(
        repo.path(),
        &["rm", "-q", "--cached", "release/scelle.yaml"],
    );
    let cache = tempfile::tempdir().unwrap();
    let run = run_pre_commit(repo.path(), cache.path(), Some(&scelle_dir()), None);
    let out = output(&run);
    assert_eq!(run.code, 0, "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with(SYSTEM_NAME) && l.ends_with("(no files to check)Skipped")),
        "{out}"
    );
}

#[test]
fn rust_hook_builds_scelle_with_cargo_and_checks() {
    let (hooks, rev) = hook_repo();
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("precommit-cargo-target");
    // One pre-commit cache for both runs: the second reuses the installed hook, as a user's
    // second commit does.
    let cache = tempfile::tempdir().unwrap();

    let started = Instant::now();
    let failing = user_repo(hooks.path(), &rev, "scelle-check", &[], FAILING);
    // Without the scelle under test on PATH: the one that runs is the one pre-commit built.
    assert_failed_with_finding(
        &run_pre_commit(failing.path(), cache.path(), None, Some(&target)),
        RUST_NAME,
    );
    let first = started.elapsed();

    let again = Instant::now();
    let clean = user_repo(hooks.path(), &rev, "scelle-check", &[], CLEAN);
    assert_passed(
        &run_pre_commit(clean.path(), cache.path(), None, Some(&target)),
        RUST_NAME,
    );
    eprintln!(
        "rust hook: install and check {:.1} s, then again {:.1} s",
        first.as_secs_f64(),
        again.elapsed().as_secs_f64()
    );
}
