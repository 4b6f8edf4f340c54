//! Verification reports: a human table, and JSON for machines (the [`Verification`] fields plus
//! the findings, with `schema_version`).

use std::fmt::Write as _;

use serde::Serialize;

use crate::finding::{Finding, Severity};
use crate::report::signer;
use crate::sign::findings::FindingCounts;
use crate::sign::trust::Signer;
use crate::text::escape;
use crate::verify::{SignatureStatus, Verification, short};

#[derive(Serialize)]
struct JsonReport<'a> {
    #[serde(flatten)]
    verification: &'a Verification,
    findings: &'a [Finding],
}

/// The JSON report, two-space indented, with a final newline.
pub fn json(verification: &Verification, findings: &[Finding]) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(&JsonReport {
        verification,
        findings,
    })
    .unwrap_or_default();
    out.push(b'\n');
    out
}

/// What the publisher sealed: the signed manifest's findings by severity and rule.
fn sealed_findings(counts: &FindingCounts, paint: &dyn Fn(&str, &str) -> String, out: &mut String) {
    if counts.total == 0 {
        let _ = writeln!(out, "findings   none in the signed manifest");
        return;
    }
    let _ = writeln!(
        out,
        "findings   {} in the signed manifest, sealed by the publisher:",
        counts.total
    );
    for r in &counts.rules {
        let name = r.severity.as_str();
        let pad = " ".repeat(8usize.saturating_sub(name.len()));
        let severity = if r.severity == Severity::Error {
            paint("31", name)
        } else {
            name.to_owned()
        };
        let _ = writeln!(
            out,
            "             {severity}{pad} {} x{}",
            escape(&r.rule),
            r.count
        );
    }
}

/// The human report: what was checked, every difference, and the verdict on the last line.
pub fn table(v: &Verification, color: bool) -> String {
    let paint = |code: &str, s: &str| {
        if color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    };
    let mut out = String::new();
    let format = v
        .format
        .map_or(String::new(), |f| format!(" ({})", f.as_str()));
    let _ = writeln!(out, "bundle     {}{format}", escape(&v.bundle));
    if let Some(model) = &v.model {
        let _ = writeln!(out, "model      {}", escape(model));
    }
    let signer = v.signer.clone().or_else(|| {
        v.key.as_ref().map(|k| Signer::Key {
            key_id: k.id.clone(),
            algorithm: k.algorithm.clone(),
        })
    });
    match (&v.signature, signer) {
        (SignatureStatus::Verified, Some(signer)) => {
            for (label, value) in signer::verify_lines(&signer) {
                let value = match value.strip_prefix("verified") {
                    Some(rest) if label == "signature" => {
                        format!("{}{rest}", paint("32", "verified"))
                    }
                    _ => value,
                };
                let _ = writeln!(out, "{label:<10} {value}");
            }
        }
        _ => {
            let _ = writeln!(out, "signature  {}", paint("1;31", "rejected"));
        }
    }
    if let Some(root) = &v.root {
        let _ = writeln!(out, "root       sha256:{root}");
    }
    if let Some(counts) = &v.sealed_findings {
        sealed_findings(counts, &paint, &mut out);
    }
    if let Some(check) = &v.files {
        let _ = writeln!(
            out,
            "files      {} signed, {} on disk, {} match",
            v.signed_files,
            check.checked + check.unsigned.len(),
            check.matched
        );
        let lines = differences(check, &paint);
        if !lines.is_empty() {
            let _ = writeln!(out);
            for line in lines {
                let _ = writeln!(out, "{line}");
            }
        }
    }
    if let (Some(key), Some(_)) = (&v.key, &v.problem) {
        let _ = writeln!(out, "signed by  key {}", short(&key.id));
    } else if let (Some(signer), Some(_), SignatureStatus::Failed) =
        (&v.signer, &v.problem, &v.signature)
    {
        let _ = writeln!(out, "signed by  {}", escape(&signer.describe()));
    }
    let _ = writeln!(out);
    let verdict = if v.verdict.starts_with("verified") {
        paint("1;32", &escape(&v.verdict))
    } else {
        paint("1;31", &escape(&v.verdict))
    };
    let _ = writeln!(out, "{verdict}");
    out
}

/// One entry per difference between the signed list and the disk, names escaped.
fn differences(
    check: &crate::verify::FileCheck,
    paint: &dyn Fn(&str, &str) -> String,
) -> Vec<String> {
    let mut lines = Vec::new();
    for m in &check.modified {
        let of = m.content_of.as_ref().map_or(String::new(), |p| {
            format!(
                " (now holds the content signed as `{}`)",
                escape(p.as_str())
            )
        });
        lines.push(format!(
            "{}   {}{of}\n             signed sha256:{}\n             found  sha256:{}",
            paint("31", "modified"),
            escape(m.path.as_str()),
            m.expected,
            m.actual
        ));
    }
    for m in &check.missing {
        lines.push(format!(
            "{}    {} (signed sha256:{})",
            paint("31", "missing"),
            escape(m.path.as_str()),
            m.expected
        ));
    }
    for e in &check.extra {
        lines.push(format!(
            "{}      {} (not signed)",
            paint("31", "extra"),
            escape(e.path.as_str())
        ));
    }
    for r in &check.renamed {
        lines.push(format!(
            "{}    {} -> {}",
            paint("31", "renamed"),
            escape(r.from.as_str()),
            escape(r.to.as_str())
        ));
    }
    for l in &check.lookalike {
        lines.push(format!(
            "{} {} ({}) -> {} ({}): the same name in another Unicode normal form{}",
            paint("31", "look-alike"),
            escape(l.signed.as_str()),
            crate::verify::normal_form(l.signed.as_str()),
            escape(l.found.as_str()),
            crate::verify::normal_form(l.found.as_str()),
            if l.expected == l.actual {
                ", same content"
            } else {
                ", other content"
            }
        ));
    }
    for u in &check.unsigned {
        lines.push(format!(
            "unsigned   {} (ignored: --ignore-unsigned-files)",
            escape(u.as_str())
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::signer::samples::{certificate, keyless};

    fn verified_by(signer: Signer) -> Verification {
        Verification {
            schema_version: crate::verify::SCHEMA_VERSION,
            bundle: "release/model.sig".into(),
            format: Some(crate::sign::BundleFormat::Oms),
            model: None,
            key: crate::verify::SignerKey::of(&signer),
            signer: Some(signer),
            signature: SignatureStatus::Verified,
            problem: None,
            root: None,
            signed_files: 0,
            sealed_findings: None,
            files: None,
            warnings: Vec::new(),
            verdict: "verified".into(),
            payload: Vec::new(),
        }
    }

    #[test]
    fn a_certificate_signer_gets_its_subject_issuer_validity_serial_and_chain() {
        let table = table(&verified_by(certificate()), false);
        let expected = "bundle     release/model.sig (oms)\n\
             signature  verified by certificate (ecdsa-p256 key)\n\
             signed by  CN=Release signing,O=Example\n\
             issuer     CN=Example Issuing CA,O=Example\n\
             valid      2026-01-01T00:00:00Z to 2027-01-01T00:00:00Z\n\
             serial     0a1b2c\n\
             chain      CN=Example Issuing CA,O=Example -> CN=Example Root,O=Example\n\
             \n\
             verified\n";
        assert_eq!(table, expected);
    }

    #[test]
    fn a_keyless_signer_gets_its_identity_issuer_log_entry_and_trusted_root() {
        let table = table(&verified_by(keyless()), false);
        let expected = "bundle     release/model.sig (oms)\n\
             signature  verified keyless (Sigstore)\n\
             signed by  https://github.com/example/model/.github/workflows/release.yml@refs/tags/v1\n\
             issuer     https://token.actions.githubusercontent.com\n\
             log index  123456\n\
             logged at  2026-05-01T12:00:00Z\n\
             trust root `trusted_root.json`\n\
             \n\
             verified\n";
        assert_eq!(table, expected);
    }

    #[test]
    fn the_key_field_of_the_json_report_is_for_the_key_method_only() {
        for (signer, key) in [
            (certificate(), serde_json::Value::Null),
            (keyless(), serde_json::Value::Null),
            (
                Signer::Key {
                    key_id: "ab12".into(),
                    algorithm: "ed25519".into(),
                },
                serde_json::json!({"id": "ab12", "algorithm": "ed25519"}),
            ),
        ] {
            let method = signer.method();
            let report: serde_json::Value =
                serde_json::from_slice(&json(&verified_by(signer), &[])).unwrap();
            assert_eq!(report["key"], key, "{method}");
            assert_eq!(report["signer"]["method"], method);
        }
        let report: serde_json::Value =
            serde_json::from_slice(&json(&verified_by(keyless()), &[])).unwrap();
        assert_eq!(report["signer"]["log_index"], 123_456);
        assert_eq!(
            report["signer"]["issuer"],
            "https://token.actions.githubusercontent.com"
        );
    }
}
