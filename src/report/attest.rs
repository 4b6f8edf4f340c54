//! What `verify` reports about an attestation ([`Checked`]): its signature, what it attests,
//! and whether a release folder given with it is the attested release; rendered as a human table
//! and as JSON for machines (the fields plus the findings, with `schema_version`).

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::attest::{Attestation, Kind, SCHEMA_VERSION, Subject};
use crate::finding::{Finding, Severity};
use crate::manifest::Sha256Digest;
use crate::text::escape;
use crate::verify::{self, SignatureStatus, SignerKey};

/// What `verify` reports about an attestation, and about the release it names when one was
/// given.
#[derive(Debug, Clone, Serialize)]
pub struct Checked {
    pub schema_version: u32,
    pub attestation: String,
    pub signature: SignatureStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicate_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subjects: Vec<Subject>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attester: Option<SignerKey>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attested_at: Option<String>,
    /// The attested result in one line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The release folder compared with the attested root digest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<ReleaseCheck>,
    pub verdict: String,
}

/// A release folder re-hashed now and compared with the attestation's root subject.
#[derive(Debug, Clone, Serialize)]
pub struct ReleaseCheck {
    pub path: String,
    /// The folder's root digest, hashed now.
    pub root: Sha256Digest,
    /// The root digest the attestation names, if any.
    pub attested: Option<Sha256Digest>,
    pub matches: bool,
}

impl Checked {
    /// The report of an attestation that verified; `release` is the folder's root digest now.
    pub fn verified(path: &Path, a: &Attestation, release: Option<(&Path, Sha256Digest)>) -> Self {
        let attested = a.root().map(|s| s.digest.sha256);
        let release = release.map(|(dir, root)| ReleaseCheck {
            path: dir.display().to_string(),
            root,
            attested,
            matches: attested == Some(root),
        });
        let what = format!(
            "{} attested by {} key {} at {}",
            match a.kind {
                Kind::Check => "check",
                Kind::Verify => "verification",
            },
            a.signer.algorithm,
            verify::short(&a.signer.id),
            a.attested_at
        );
        let verdict = match &release {
            Some(r) if !r.matches => format!(
                "FAILED: the signature holds, but `{}` is not the attested release (root sha256:{})",
                r.path, r.root
            ),
            Some(r) => format!("verified: {what}; `{}` is the attested release", r.path),
            None => format!("verified: {what}"),
        };
        Checked {
            schema_version: SCHEMA_VERSION,
            attestation: path.display().to_string(),
            signature: SignatureStatus::Verified,
            problem: None,
            predicate_type: Some(a.kind.predicate_type()),
            subjects: a.subjects.clone(),
            attester: Some(a.signer.clone()),
            attested_at: Some(a.attested_at.clone()),
            summary: Some(a.summary()),
            release,
            verdict,
        }
    }

    /// The report of an attestation whose signature did not hold.
    pub fn rejected(path: &Path, problem: String) -> Self {
        Checked {
            schema_version: SCHEMA_VERSION,
            attestation: path.display().to_string(),
            signature: SignatureStatus::Failed,
            verdict: format!("FAILED: {problem}"),
            problem: Some(problem),
            predicate_type: None,
            subjects: Vec::new(),
            attester: None,
            attested_at: None,
            summary: None,
            release: None,
        }
    }

    /// The findings: a signature that failed, a release that is not the attested one.
    pub fn findings(&self) -> Vec<Finding> {
        let mut out = Vec::new();
        if let Some(problem) = &self.problem {
            out.push(
                Finding::fail("verify/signature", Severity::Error, problem.clone())
                    .with_subject(self.attestation.clone())
                    .with_fix(
                        "check that the attester's public key and the right attestation were given",
                    ),
            );
        }
        if let Some(r) = self.release.as_ref().filter(|r| !r.matches) {
            let attested = r
                .attested
                .map_or_else(|| "no root digest".to_owned(), |d| format!("sha256:{d}"));
            out.push(
                Finding::fail(
                    "verify/attested-root",
                    Severity::Error,
                    format!(
                        "`{}` has root sha256:{}, the attestation names {attested}",
                        r.path, r.root
                    ),
                )
                .with_subject(r.path.clone())
                .with_fix("the release changed since it was attested: verify it against its own bundle, or attest it again"),
            );
        }
        out
    }
}

/// The JSON report with its findings, two-space indented, final newline.
pub fn json(checked: &Checked) -> Vec<u8> {
    #[derive(Serialize)]
    struct Json<'a> {
        #[serde(flatten)]
        checked: &'a Checked,
        findings: Vec<Finding>,
    }
    let mut out = serde_json::to_vec_pretty(&Json {
        checked,
        findings: checked.findings(),
    })
    .unwrap_or_default();
    out.push(b'\n');
    out
}

/// The human report, the verdict on the last line.
pub fn table(checked: &Checked) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "attestation  {}", escape(&checked.attestation));
    if let Some(t) = checked.predicate_type {
        let _ = writeln!(out, "predicate    {t}");
    }
    if let Some(k) = &checked.attester {
        let _ = writeln!(out, "attester     {} key {}", k.algorithm, k.id);
    }
    if let Some(at) = &checked.attested_at {
        let _ = writeln!(out, "attested at  {}", escape(at));
    }
    for s in &checked.subjects {
        let _ = writeln!(
            out,
            "subject      {} sha256:{}",
            escape(&s.name),
            s.digest.sha256
        );
    }
    if let Some(summary) = &checked.summary {
        let _ = writeln!(out, "result       {}", escape(summary));
    }
    if let Some(r) = &checked.release {
        let _ = writeln!(
            out,
            "release      {} root sha256:{} ({})",
            escape(&r.path),
            r.root,
            if r.matches { "matches" } else { "DIFFERS" }
        );
    }
    let _ = writeln!(out, "{}", escape(&checked.verdict));
    out
}
