//! HTML documents opened in a real headless browser (Debian's `chromium`, driven by
//! `tests/browser/check_page.py` with the pinned Playwright): each page renders with no console
//! error or warning and no request but itself, shows its key figures, and prints on A4. The PDF
//! and a screenshot of each page are kept under `target/ci-artifacts/` (never committed).
//!
//! A missing browser or Playwright fails these tests with the way to install them.

use std::path::{Path, PathBuf};

use crate::common::{python, run};
use crate::report_audit::{Signed, demo, demo_root};

/// Where CI keeps what a person may want to look at after a run.
fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/ci-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn chromium() -> PathBuf {
    let path = std::env::var_os("SCELLE_CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    assert!(
        path.exists(),
        "Chromium is missing at `{}`: install Debian's browser with `apt-get install chromium` \
         (`.ci/run` does), or name another in SCELLE_CHROMIUM",
        path.display()
    );
    path
}

/// Opens `page` in the browser and asserts the script found nothing wrong and every text of
/// `expected` in the rendered page; returns the PDF it printed.
fn check_in_browser(page: &Path, name: &str, expected: &[&str]) -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/check_page.py");
    let prefix = artifacts().join(name);
    let out = std::process::Command::new(python())
        .arg(&script)
        .arg(page)
        .arg(&prefix)
        .args(expected)
        .env("SCELLE_CHROMIUM", chromium())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the browser check of `{name}` failed (exit {:?}):\n{stdout}{stderr}",
        out.status.code()
    );
    assert_eq!(stderr, "", "{name}");
    let pdf = prefix.with_extension("pdf");
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF-"));
    assert!(
        std::fs::metadata(prefix.with_extension("png"))
            .unwrap()
            .len()
            > 0
    );
    // Say where the artefacts are (shown with `--nocapture`, and in CI's log on failure).
    #[allow(clippy::print_stdout)]
    {
        println!("{stdout}");
    }
    pdf
}

#[test]
fn audit_html_of_the_signed_demo_renders_in_chromium() {
    let s = Signed::new();
    let html = s.dir.path().join("audit.html");
    s.report(&demo(), &["--format", "html", "-o", html.to_str().unwrap()])
        .success();
    let root = format!("sha256:{}", demo_root());
    let key_id = s.key_id();
    check_in_browser(
        &html,
        "audit-demo",
        &[
            "Audit report",
            &root,
            &key_id,
            // The demo's weights hold 158,016 parameters (2 safetensors files).
            "158,016",
            // A rule that fails on the demo: its dataset `wikipedia-fr-2025-09` has no notice.
            "GDPR-14-01",
            "wikipedia-fr-2025-09",
            "It is not a legal opinion",
        ],
    );
}

#[test]
fn declared_markup_stays_text_in_the_browser() {
    let dir = tempfile::tempdir().unwrap();
    let release = dir.path().join("release");
    std::fs::create_dir(&release).unwrap();
    std::fs::write(release.join("config.json"), r#"{"model_type":"llama"}"#).unwrap();
    let name = "</style><script>console.error('ran')</script><img src=x onerror=alert(1)>";
    let version = "javascript:alert(2)";
    std::fs::write(
        release.join("scelle.yaml"),
        format!("model:\n  name: \"{name}\"\n  version: \"{version}\"\n"),
    )
    .unwrap();
    let html = dir.path().join("audit.html");
    let r = run(&[
        "report",
        release.to_str().unwrap(),
        "--kind",
        "audit",
        "--format",
        "html",
        "-o",
        html.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // The script's own checks fail on any script element, console error or request (the image
    // would be one); the hostile text must be on the page, as text.
    check_in_browser(&html, "audit-hostile", &[name, version, "not verified"]);
}

#[test]
fn every_other_kind_renders_in_chromium() {
    for (kind, extra) in [
        ("training-summary", None),
        ("model-documentation", Some("downstream")),
        ("annex-xi", None),
        ("annex-xii", None),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let html = dir.path().join(format!("{kind}.html"));
        let (input, out) = (demo(), html.to_str().unwrap().to_owned());
        let mut args = vec![
            "report",
            input.to_str().unwrap(),
            "--kind",
            kind,
            "--format",
            "html",
            "-o",
            &out,
        ];
        if let Some(a) = extra {
            args.extend(["--audience", a]);
        }
        let r = run(&args);
        assert_eq!(r.code, 0, "{kind}: {}", r.stderr);
        let root = format!("sha256:{}", demo_root());
        check_in_browser(&html, kind, &[&root, "tiny-llama-fr-en"]);
    }
}

#[test]
fn a_missing_browser_fails_with_how_to_install_it() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/check_page.py");
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.html");
    std::fs::write(&page, "<!DOCTYPE html><title>t</title>").unwrap();
    let out = std::process::Command::new(python())
        .arg(&script)
        .arg(&page)
        .arg(dir.path().join("out"))
        .env("SCELLE_CHROMIUM", dir.path().join("no-chromium"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("error: no Chromium at `"), "{stderr}");
    assert!(
        stderr.contains("hint: install Debian's browser with `apt-get install chromium`"),
        "{stderr}"
    );
}
