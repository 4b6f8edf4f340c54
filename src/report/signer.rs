//! Who signed, as every report states it. A release can be signed three ways (a key, an X.509
//! certificate, a keyless Sigstore identity), and an auditor must see which, and whom, in
//! every format: the `verify` table lists the signer field by field ([`verify_lines`]); the
//! check reports, documents and diffs say it in one phrase from the policy facts
//! ([`signed_by`]), so a check read back from its JSON or an attestation says the same.

use std::fmt::Write as _;

use crate::policy::VerificationFacts;
use crate::sign::trust::Signer;
use crate::text::escape;

/// Who signed, in the terms of the method: the key (algorithm and the first 16 characters of
/// its id), the certificate's subject and issuer, or the keyless identity and its OIDC issuer
/// with the log entry when there is one. `None` when verification established no signer.
/// Strings are as given: each caller escapes for its format.
pub fn signed_by(v: &VerificationFacts) -> Option<String> {
    let issuer = v.issuer.as_deref().unwrap_or("?");
    match (v.method.as_deref(), v.identity.as_deref()) {
        (Some("certificate"), Some(subject)) => {
            Some(format!("certificate `{subject}` issued by `{issuer}`"))
        }
        (Some("keyless"), Some(identity)) => {
            let mut s = format!("keyless identity `{identity}` (OIDC issuer `{issuer}`");
            if let Some(i) = v.log_index {
                let _ = write!(s, ", log index {i}");
            }
            if let Some(t) = &v.integrated_time {
                let _ = write!(s, ", logged {t}");
            }
            s.push(')');
            Some(s)
        }
        // The key method, and check reports written before `method` existed.
        _ => v.key_id.as_deref().map(|k| {
            format!(
                "{} key {}",
                v.algorithm.as_deref().unwrap_or("a"),
                k.get(..16).unwrap_or(k)
            )
        }),
    }
}

/// The `verify` table's lines on a verified signer, label and value, values escaped: the
/// `signature` line, then for a certificate its subject, issuer, validity, serial and chain,
/// and for a keyless bundle the identity, OIDC issuer, log entry and trusted root. A key is
/// named on the `signature` line itself, in full.
pub fn verify_lines(signer: &Signer) -> Vec<(&'static str, String)> {
    match signer {
        Signer::Key { key_id, algorithm } => {
            vec![(
                "signature",
                format!("verified by {} key {}", escape(algorithm), escape(key_id)),
            )]
        }
        Signer::Certificate(c) => {
            let mut lines = vec![
                (
                    "signature",
                    format!("verified by certificate ({} key)", escape(&c.algorithm)),
                ),
                ("signed by", escape(&c.subject).into_owned()),
                ("issuer", escape(&c.issuer).into_owned()),
                (
                    "valid",
                    format!("{} to {}", escape(&c.not_before), escape(&c.not_after)),
                ),
                ("serial", escape(&c.serial).into_owned()),
            ];
            if !c.chain.is_empty() {
                let chain: Vec<String> = c.chain.iter().map(|s| escape(s).into_owned()).collect();
                lines.push(("chain", chain.join(" -> ")));
            }
            lines
        }
        Signer::Keyless(k) => {
            let mut lines = vec![
                ("signature", "verified keyless (Sigstore)".to_owned()),
                ("signed by", escape(&k.identity).into_owned()),
                ("issuer", escape(&k.issuer).into_owned()),
            ];
            if let Some(i) = k.log_index {
                lines.push(("log index", i.to_string()));
            }
            if let Some(t) = &k.integrated_time {
                lines.push(("logged at", escape(t).into_owned()));
            }
            lines.push(("trust root", escape(&k.trusted_root).into_owned()));
            lines
        }
    }
}

#[cfg(test)]
pub(crate) mod samples {
    //! Signers of the two methods only other helpers' verifiers produce, for rendering tests.
    use crate::policy::VerificationFacts;
    use crate::sign::trust::{CertificateSigner, KeylessSigner, Signer};

    pub(crate) fn certificate() -> Signer {
        Signer::Certificate(CertificateSigner {
            subject: "CN=Release signing,O=Example".into(),
            issuer: "CN=Example Issuing CA,O=Example".into(),
            serial: "0a1b2c".into(),
            sha256: "ab".repeat(32),
            algorithm: "ecdsa-p256".into(),
            not_before: "2026-01-01T00:00:00Z".into(),
            not_after: "2027-01-01T00:00:00Z".into(),
            chain: vec![
                "CN=Example Issuing CA,O=Example".into(),
                "CN=Example Root,O=Example".into(),
            ],
        })
    }

    pub(crate) fn keyless() -> Signer {
        Signer::Keyless(KeylessSigner {
            identity: "https://github.com/example/model/.github/workflows/release.yml@refs/tags/v1"
                .into(),
            issuer: "https://token.actions.githubusercontent.com".into(),
            log_index: Some(123_456),
            integrated_time: Some("2026-05-01T12:00:00Z".into()),
            verified_times: vec!["2026-05-01T12:00:00Z".into()],
            trusted_root: "`trusted_root.json`".into(),
        })
    }

    /// The verified facts of a check signed by `signer`.
    pub(crate) fn facts(signer: &Signer) -> VerificationFacts {
        let (log_index, integrated_time) = match signer {
            Signer::Keyless(k) => (k.log_index, k.integrated_time.clone()),
            _ => (None, None),
        };
        VerificationFacts {
            signed: true,
            verified: true,
            method: Some(signer.method().into()),
            identity: Some(signer.identity().into()),
            issuer: signer.issuer().map(Into::into),
            log_index,
            integrated_time,
            ..VerificationFacts::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::samples::{certificate, facts, keyless};
    use super::*;

    #[test]
    fn signed_by_names_the_key_by_algorithm_and_short_id() {
        let v = VerificationFacts {
            method: Some("key".into()),
            identity: Some("0123456789abcdef0123".into()),
            key_id: Some("0123456789abcdef0123".into()),
            algorithm: Some("ed25519".into()),
            ..VerificationFacts::default()
        };
        assert_eq!(signed_by(&v).unwrap(), "ed25519 key 0123456789abcdef");
    }

    #[test]
    fn signed_by_names_a_certificate_by_subject_and_issuer() {
        assert_eq!(
            signed_by(&facts(&certificate())).unwrap(),
            "certificate `CN=Release signing,O=Example` issued by `CN=Example Issuing CA,O=Example`"
        );
    }

    #[test]
    fn signed_by_names_a_keyless_identity_its_issuer_and_log_entry() {
        assert_eq!(
            signed_by(&facts(&keyless())).unwrap(),
            "keyless identity `https://github.com/example/model/.github/workflows/release.yml@refs/tags/v1` \
             (OIDC issuer `https://token.actions.githubusercontent.com`, log index 123456, \
             logged 2026-05-01T12:00:00Z)"
        );
    }

    #[test]
    fn signed_by_is_none_without_a_signer() {
        assert_eq!(signed_by(&VerificationFacts::default()), None);
    }

    #[test]
    fn verify_lines_give_a_certificates_validity_serial_and_chain() {
        let lines = verify_lines(&certificate());
        assert_eq!(
            lines,
            vec![
                (
                    "signature",
                    "verified by certificate (ecdsa-p256 key)".to_owned()
                ),
                ("signed by", "CN=Release signing,O=Example".to_owned()),
                ("issuer", "CN=Example Issuing CA,O=Example".to_owned()),
                (
                    "valid",
                    "2026-01-01T00:00:00Z to 2027-01-01T00:00:00Z".to_owned()
                ),
                ("serial", "0a1b2c".to_owned()),
                (
                    "chain",
                    "CN=Example Issuing CA,O=Example -> CN=Example Root,O=Example".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn verify_lines_give_a_keyless_identity_log_entry_and_trusted_root() {
        let lines = verify_lines(&keyless());
        assert_eq!(
            lines,
            vec![
                ("signature", "verified keyless (Sigstore)".to_owned()),
                (
                    "signed by",
                    "https://github.com/example/model/.github/workflows/release.yml@refs/tags/v1"
                        .to_owned()
                ),
                (
                    "issuer",
                    "https://token.actions.githubusercontent.com".to_owned()
                ),
                ("log index", "123456".to_owned()),
                ("logged at", "2026-05-01T12:00:00Z".to_owned()),
                ("trust root", "`trusted_root.json`".to_owned()),
            ]
        );
    }

    #[test]
    fn verify_lines_escape_a_subject_that_would_forge_a_line() {
        let Signer::Certificate(mut c) = certificate() else {
            unreachable!()
        };
        c.subject = "CN=x\nsignature  verified".into();
        let lines = verify_lines(&Signer::Certificate(c));
        assert!(lines.iter().all(|(_, v)| !v.contains('\n')), "{lines:?}");
    }

    /// A check report with no pack over an empty statement, verified as `v` says.
    fn check_report(v: VerificationFacts) -> crate::policy::CheckReport {
        let statement = serde_json::json!({"predicate": {"files": []}});
        crate::policy::check::run(
            crate::policy::facts::Source::Json(&statement),
            v,
            crate::policy::Subject {
                kind: "folder".into(),
                name: "release".into(),
                root: None,
                files: 0,
                declared: false,
                model: None,
                provider: None,
                parameters: None,
                formats: Vec::new(),
            },
            &[],
            crate::policy::check::Options {
                as_of: "2026-12-01",
                stage: crate::policy::Stage::Release,
                positions: None,
                ledger: crate::waiver::Ledger::new(Vec::new(), "2026-12-01"),
                waived_findings: Vec::new(),
            },
        )
    }

    #[test]
    fn check_reports_say_who_signed_in_every_format() {
        let report = check_report(facts(&certificate()));
        let phrase = "signed by certificate `CN=Release signing,O=Example` issued by \
                      `CN=Example Issuing CA,O=Example`, files not re-hashed";
        assert_eq!(super::super::check::verification_line(&report), phrase);
        let layout = crate::report::table::Layout {
            width: 400,
            color: false,
        };
        let table = super::super::check::table(&report, false, &layout);
        assert!(table.lines().any(|l| l == format!("  {phrase}")), "{table}");
        let markdown = super::super::check::markdown(&report, false);
        assert!(
            markdown
                .lines()
                .any(|l| l == format!("- Verification: {phrase}")),
            "{markdown}"
        );
        let json: serde_json::Value =
            serde_json::from_slice(&super::super::check::json(&report)).unwrap();
        assert_eq!(json["verification"]["method"], "certificate");
        assert_eq!(
            json["verification"]["identity"],
            "CN=Release signing,O=Example"
        );
        assert_eq!(
            json["verification"]["issuer"],
            "CN=Example Issuing CA,O=Example"
        );
        assert!(json["verification"].get("log_index").is_none());

        let report = check_report(facts(&keyless()));
        let json: serde_json::Value =
            serde_json::from_slice(&super::super::check::json(&report)).unwrap();
        assert_eq!(json["verification"]["log_index"], 123_456);
        assert_eq!(
            json["verification"]["integrated_time"],
            "2026-05-01T12:00:00Z"
        );
    }

    #[test]
    fn a_hostile_identity_cannot_forge_a_line_of_a_check_report() {
        let mut v = facts(&keyless());
        v.identity = Some("x\n  signed by ed25519 key 0000\u{1b}[2K".into());
        let report = check_report(v);
        let layout = crate::report::table::Layout {
            width: 400,
            color: false,
        };
        let table = super::super::check::table(&report, false, &layout);
        let markdown = super::super::check::markdown(&report, false);
        for out in [&table, &markdown] {
            assert!(!out.contains('\u{1b}'), "{out}");
            assert!(
                !out.lines()
                    .any(|l| l.trim_start().starts_with("signed by ed25519")),
                "{out}"
            );
        }
    }
}
