//! `-o FILE --force` replaces regular files only: a device, a FIFO, a socket, a folder, or a
//! symbolic link to one is refused before anything is written, and stays as it was.

use std::os::unix::fs::FileTypeExt;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::common::{Keys, is_root, sample_release, scelle};
use crate::input::run_bounded;

/// Every command that writes a file, writing to `target` with `--force`.
fn writers(
    release: &Path,
    bundle: &Path,
    keys: &Keys,
    target: &str,
) -> Vec<(&'static str, Vec<String>)> {
    let dir = release.to_str().unwrap().to_owned();
    let args = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    vec![
        ("scan", args(&["scan", &dir, "-o", target, "--force"])),
        (
            "sign",
            args(&[
                "sign",
                &dir,
                "--key",
                &keys.private("ed25519"),
                "-o",
                target,
                "--force",
            ]),
        ),
        (
            "verify",
            args(&[
                "verify",
                &dir,
                "--key",
                &keys.public("ed25519"),
                "--bundle",
                bundle.to_str().unwrap(),
                "-o",
                target,
                "--force",
            ]),
        ),
        ("check", args(&["check", &dir, "-o", target, "--force"])),
        ("init", args(&["init", &dir, "-o", target, "--force"])),
    ]
}

fn assert_refused(setup: &Setup, target: &Path, what: &str) {
    let (release, keys) = (setup.release.path(), &setup.keys);
    let bundle = setup.outside.path().join("bundle.json");
    for (command, args) in writers(release, &bundle, keys, target.to_str().unwrap()) {
        let out = run_bounded(scelle().args(&args).stdin(Stdio::null()));
        assert_eq!(out.code, 2, "{command} into a {what}: {}", out.stderr);
        assert!(
            out.stderr.contains(&format!(
                "is a {what}, not a regular file: scelle replaces regular files only"
            )),
            "{command}: {}",
            out.stderr
        );
        assert_eq!(out.stdout, "", "{command}");
    }
}

/// A release, its bundle in another folder (for `verify`), and the keys.
struct Setup {
    release: crate::common::Release,
    keys: Keys,
    outside: tempfile::TempDir,
}

fn setup() -> Setup {
    let keys = Keys::new();
    let r = sample_release();
    let outside = tempfile::tempdir().unwrap();
    let bundle = outside.path().join("bundle.json");
    let out = crate::common::run(&[
        "sign",
        r.path().to_str().unwrap(),
        "--key",
        &keys.private("ed25519"),
        "-o",
        bundle.to_str().unwrap(),
        "--force",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    Setup {
        release: r,
        keys,
        outside,
    }
}

#[test]
fn a_fifo_a_folder_and_a_link_to_a_device_are_never_replaced() {
    let setup = setup();
    let outside = tempfile::tempdir().unwrap();
    let fifo = outside.path().join("out.fifo");
    crate::common::mkfifo(&fifo);
    assert_refused(&setup, &fifo, "FIFO");
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );

    let folder = outside.path().join("out");
    std::fs::create_dir(&folder).unwrap();
    assert_refused(&setup, &folder, "folder");
    assert!(folder.is_dir());

    let link = outside.path().join("null");
    std::os::unix::fs::symlink("/dev/null", &link).unwrap();
    assert_refused(&setup, &link, "symbolic link to a character device");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn keygen_refuses_before_writing_either_key() {
    let outside = tempfile::tempdir().unwrap();
    let name = outside.path().join("k");
    let public = outside.path().join("k.pub");
    crate::common::mkfifo(&public);
    let out = run_bounded(
        scelle()
            .args(["keygen", "-o", name.to_str().unwrap(), "--force"])
            .stdin(Stdio::null()),
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("k.pub` is a FIFO, not a regular file"),
        "{}",
        out.stderr
    );
    assert!(
        !outside.path().join("k.key").exists(),
        "nothing is written when one of the two targets is refused"
    );
}

#[test]
fn a_device_node_is_never_replaced_when_running_as_root() {
    if !is_root() {
        // Only root can make a device node; CI runs the tests as root.
        return;
    }
    let setup = setup();
    let outside = tempfile::tempdir().unwrap();
    let node = outside.path().join("null-device");
    // A second node for /dev/null (major 1, minor 3).
    assert!(
        Command::new("mknod")
            .arg(&node)
            .args(["c", "1", "3"])
            .status()
            .unwrap()
            .success()
    );
    assert_refused(&setup, &node, "character device");
    assert!(
        std::fs::symlink_metadata(&node)
            .unwrap()
            .file_type()
            .is_char_device()
    );
}
