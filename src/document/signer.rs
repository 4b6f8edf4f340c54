//! Who signed a release, as a document's header states it: the key, the certificate (subject
//! and issuer) or the keyless identity (identity, OIDC issuer, log entry), read from the
//! verification facts so a document made from an attested check says the same.

use serde::Serialize;

/// Who signed a verified release, whatever the method.
#[derive(Debug, Clone, Serialize)]
pub struct Signer {
    /// `key`, `certificate` or `keyless`.
    pub method: String,
    /// The key's id (the key method only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    pub algorithm: Option<String>,
    /// `scelle` or `oms`.
    pub format: Option<String>,
    /// The key id, the certificate's subject, or the keyless identity.
    pub identity: String,
    /// The certificate's issuer, or the keyless identity's OIDC issuer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// A keyless signature's transparency-log index and integrated time (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_index: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integrated_time: Option<String>,
}

impl Signer {
    /// The signer as the verification facts name it, once the signature verified. A check
    /// report written before `method` existed names a key only.
    pub fn of(v: &crate::policy::VerificationFacts) -> Option<Signer> {
        if !v.verified {
            return None;
        }
        let method = v
            .method
            .clone()
            .or_else(|| v.key_id.as_ref().map(|_| "key".to_owned()))?;
        let identity = v.identity.clone().or_else(|| v.key_id.clone())?;
        Some(Signer {
            method,
            key_id: v.key_id.clone(),
            algorithm: v.algorithm.clone(),
            format: v.format.clone(),
            identity,
            issuer: v.issuer.clone(),
            log_index: v.log_index,
            integrated_time: v.integrated_time.clone(),
        })
    }

    /// Whom, in a phrase following "signed by": "key `ab12`", "certificate `CN=x` issued by
    /// `CN=y`", "keyless identity `x` (OIDC issuer `y`)". Not escaped.
    pub fn describe(&self) -> String {
        self.describe_with(&|s| format!("`{s}`"))
    }

    /// How the model documentation's "model authenticity" states the signature: "signature
    /// verified with key ab12 (ed25519)", "... with the certificate of CN=x, issued by CN=y",
    /// "... keyless (Sigstore): identity x, OIDC issuer y". Plain text.
    pub fn verified_with(&self) -> String {
        let issuer = self.issuer.as_deref().unwrap_or("?");
        match self.method.as_str() {
            "certificate" => format!(
                "signature verified with the certificate of {}, issued by {issuer}",
                self.identity
            ),
            "keyless" => format!(
                "signature verified keyless (Sigstore): identity {}, OIDC issuer {issuer}",
                self.identity
            ),
            _ => format!(
                "signature verified with key {}{}",
                self.key_id.as_deref().unwrap_or(&self.identity),
                self.algorithm
                    .as_deref()
                    .map_or(String::new(), |a| format!(" ({a})"))
            ),
        }
    }

    /// [`Signer::describe`] with each name quoted by `quote` (a code span in Markdown, a
    /// `<code>` element in HTML), which escapes it for its format.
    pub fn describe_with(&self, quote: &dyn Fn(&str) -> String) -> String {
        let issuer = quote(self.issuer.as_deref().unwrap_or("?"));
        match self.method.as_str() {
            "certificate" => format!("certificate {} issued by {issuer}", quote(&self.identity)),
            "keyless" => format!(
                "keyless identity {} (OIDC issuer {issuer})",
                quote(&self.identity)
            ),
            _ => format!(
                "key {}",
                quote(self.key_id.as_deref().unwrap_or(&self.identity))
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::VerificationFacts;
    use crate::report::signer::samples::{certificate, facts, keyless};

    fn quoted(s: &Signer) -> String {
        s.describe_with(&|x| format!("[{x}]"))
    }

    #[test]
    fn a_certificate_signer_is_named_by_subject_and_issuer() {
        let s = Signer::of(&facts(&certificate())).unwrap();
        assert_eq!(s.method, "certificate");
        assert_eq!(s.key_id, None);
        assert_eq!(
            quoted(&s),
            "certificate [CN=Release signing,O=Example] issued by [CN=Example Issuing CA,O=Example]"
        );
    }

    #[test]
    fn a_keyless_signer_is_named_by_identity_and_oidc_issuer_with_its_log_entry() {
        let s = Signer::of(&facts(&keyless())).unwrap();
        assert_eq!(
            quoted(&s),
            "keyless identity \
             [https://github.com/example/model/.github/workflows/release.yml@refs/tags/v1] \
             (OIDC issuer [https://token.actions.githubusercontent.com])"
        );
        assert_eq!(s.log_index, Some(123_456));
        assert_eq!(s.integrated_time.as_deref(), Some("2026-05-01T12:00:00Z"));
    }

    #[test]
    fn a_check_written_before_the_method_existed_names_its_key() {
        let v = VerificationFacts {
            signed: true,
            verified: true,
            key_id: Some("ab12".into()),
            algorithm: Some("ed25519".into()),
            ..VerificationFacts::default()
        };
        let s = Signer::of(&v).unwrap();
        assert_eq!((s.method.as_str(), s.identity.as_str()), ("key", "ab12"));
        assert_eq!(s.describe(), "key `ab12`");
    }

    #[test]
    fn model_authenticity_names_the_signer_per_method() {
        let of = |signer| Signer::of(&facts(&signer)).unwrap().verified_with();
        assert_eq!(
            of(certificate()),
            "signature verified with the certificate of CN=Release signing,O=Example, \
             issued by CN=Example Issuing CA,O=Example"
        );
        assert_eq!(
            of(keyless()),
            "signature verified keyless (Sigstore): identity \
             https://github.com/example/model/.github/workflows/release.yml@refs/tags/v1, \
             OIDC issuer https://token.actions.githubusercontent.com"
        );
    }

    #[test]
    fn an_unverified_release_has_no_signer() {
        let mut v = facts(&certificate());
        v.verified = false;
        assert!(Signer::of(&v).is_none());
    }
}
