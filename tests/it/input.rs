//! Every input scelle reads whole (bundles, manifests, keys, declarations, packs) is a regular
//! file read up to a cap: FIFOs, devices, sockets and folders are refused by type before a byte
//! is read (a FIFO without a writer must not hang the run), and files over their cap are refused
//! with their size and the cap.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{Keys, Run, mkfifo, run, sample_release, scelle};

/// Runs `cmd`, killing it after a minute: a run blocked on a FIFO fails instead of hanging.
/// Its output is read as it comes, so a long report never fills the pipe and blocks the child.
pub fn run_bounded(cmd: &mut Command) -> Run {
    use std::io::Read as _;
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let drain = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_mins(1) {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!(
                "{cmd:?} blocked for a minute; stderr:\n{}",
                String::from_utf8_lossy(&stderr.join().unwrap())
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8(stdout.join().unwrap()).unwrap(),
        stderr: String::from_utf8(stderr.join().unwrap()).unwrap(),
    }
}

/// Each way of handing scelle an input file, with `input` in the place of that file.
fn every_input(release: &Path, keys: &Keys, input: &str) -> Vec<(&'static str, Vec<String>)> {
    let dir = release.to_str().unwrap().to_owned();
    let args = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    vec![
        (
            "bundle",
            args(&[
                "verify",
                &dir,
                "--key",
                &keys.public("ed25519"),
                "--bundle",
                input,
            ]),
        ),
        ("public key", args(&["verify", &dir, "--key", input])),
        ("private key", args(&["sign", &dir, "--key", input])),
        (
            "manifest to sign",
            args(&[
                "sign",
                &dir,
                "--key",
                &keys.private("ed25519"),
                "--manifest",
                input,
                "-o",
                "-",
            ]),
        ),
        ("manifest or bundle to check", args(&["check", input])),
        (
            "key of a check",
            args(&["check", &dir, "--key", input, "--format", "json"]),
        ),
        ("policy pack", args(&["check", &dir, "--policy", input])),
        ("pack to lint", args(&["policy", "lint", input])),
    ]
}

/// Gives `input` to every command in every role that reads a file, and asserts each refuses it
/// with exit status 2 and `message`, without blocking on it.
fn refused_as_every_input(release: &Path, keys: &Keys, input: &str, message: &str) {
    for (what, args) in every_input(release, keys, input) {
        let out = run_bounded(scelle().args(&args).stdin(Stdio::null()));
        assert_eq!(out.code, 2, "{what}: {}", out.stderr);
        assert!(out.stderr.contains(message), "{what}: {}", out.stderr);
    }
}

#[test]
fn a_fifo_is_refused_by_type_without_blocking() {
    let keys = Keys::new();
    let r = sample_release();
    let outside = tempfile::tempdir().unwrap();
    let fifo = outside.path().join("input.fifo");
    mkfifo(&fifo);
    refused_as_every_input(
        r.path(),
        &keys,
        fifo.to_str().unwrap(),
        "input.fifo` is a FIFO, not a regular file",
    );
}

#[test]
fn devices_and_folders_are_refused_by_type() {
    let keys = Keys::new();
    let r = sample_release();
    refused_as_every_input(
        r.path(),
        &keys,
        "/dev/zero",
        "`/dev/zero` is a character device, not a regular file",
    );
    let folder = tempfile::tempdir().unwrap();
    let folder = folder.path().to_str().unwrap();
    run(&["verify", r.path().to_str().unwrap(), "--key", folder])
        .error("is a folder, not a key file");
    run(&[
        "verify",
        r.path().to_str().unwrap(),
        "--key",
        &keys.public("ed25519"),
        "--bundle",
        folder,
    ])
    .error("is a folder, not a bundle");
}

#[test]
fn stdin_as_a_pipe_is_refused_without_waiting_for_it() {
    let r = sample_release();
    // The pipe stays open and empty: a blocking read would wait for ever.
    let mut cmd = scelle();
    cmd.args(["verify", r.path().to_str().unwrap(), "--key", "/dev/stdin"])
        .stdin(Stdio::piped());
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_mins(1) {
            child.kill().unwrap();
            panic!("`--key /dev/stdin` blocked on the pipe");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("`/dev/stdin` is a FIFO, not a regular file"),
        "{stderr}"
    );
}

#[test]
fn a_missing_input_says_it_does_not_exist() {
    let keys = Keys::new();
    let r = sample_release();
    let dir = r.path().to_str().unwrap();
    let nothing = r.path().join("../nothing.json");
    let nothing = nothing.to_str().unwrap();
    run(&[
        "verify",
        dir,
        "--key",
        &keys.public("ed25519"),
        "--bundle",
        nothing,
    ])
    .error("nothing.json` does not exist");
    run(&[
        "sign",
        dir,
        "--key",
        &keys.private("ed25519"),
        "--manifest",
        nothing,
    ])
    .error("nothing.json` does not exist");
    run(&["check", dir, "--policy", nothing]).error("nothing.json");
}

/// A sparse file of `len` bytes (no disk used).
fn sparse(path: &Path, len: u64) -> PathBuf {
    std::fs::File::create(path).unwrap().set_len(len).unwrap();
    path.to_path_buf()
}

#[test]
fn inputs_over_their_cap_are_refused_with_size_and_cap() {
    let keys = Keys::new();
    let r = sample_release();
    let dir = r.path().to_str().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let manifest = sparse(&outside.path().join("big.json"), (4 << 30) + 1);
    run(&[
        "sign",
        dir,
        "--key",
        &keys.private("ed25519"),
        "--manifest",
        manifest.to_str().unwrap(),
    ])
    .error("big.json` is 4.0 GiB (4294967297 bytes), larger than any manifest scelle reads (4.0 GiB, 4294967296 bytes)");
    run(&["check", manifest.to_str().unwrap()])
        .error("big.json` is 4.0 GiB (4294967297 bytes), larger than any manifest scelle reads");
    let pack = sparse(&outside.path().join("pack.yaml"), 9 << 20);
    run(&["check", dir, "--policy", pack.to_str().unwrap()])
        .error("pack.yaml` is 9.0 MiB (9437184 bytes), larger than any policy pack scelle reads (8.0 MiB, 8388608 bytes)");
}
