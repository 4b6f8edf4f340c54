//! One X.509 certificate as the path check sees it: parsed strictly from DER, with the facts
//! the checks ask about (names, validity, extensions) read once, each read failing with a line
//! that names the certificate.

use std::ops::Range;

use der::asn1::ObjectIdentifier;
use der::{Decode as _, Encode as _};
use x509_cert::Certificate;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectKeyIdentifier,
};

/// The largest certificate read (a 4096-bit RSA CA with the usual extensions is under 3 KiB).
pub(super) const MAX_DER: usize = 16 * 1024;

pub(super) const OID_BASIC_CONSTRAINTS: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("2.5.29.19");
pub(super) const OID_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
pub(super) const OID_EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
const OID_SUBJECT_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");
const OID_AUTHORITY_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.35");
const OID_SUBJECT_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
const OID_CERTIFICATE_POLICIES: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.32");
/// `id-kp-codeSigning`.
pub(super) const OID_CODE_SIGNING: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");

/// Extensions scelle understands well enough to honour when they are marked critical. Name
/// constraints and policy constraints are not enforced, so a critical one is refused rather
/// than ignored; certificate policies only restrict what a relying party that asks for a
/// policy accepts, and scelle asks for none.
const UNDERSTOOD: [ObjectIdentifier; 7] = [
    OID_BASIC_CONSTRAINTS,
    OID_KEY_USAGE,
    OID_EXT_KEY_USAGE,
    OID_SUBJECT_KEY_ID,
    OID_AUTHORITY_KEY_ID,
    OID_SUBJECT_ALT_NAME,
    OID_CERTIFICATE_POLICIES,
];

/// Where a certificate came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Origin {
    /// `certificates[i]` of the bundle's chain.
    Bundle(usize),
    /// A PEM file given on the command line (`--cert-chain`, `--cert-root`, `--cert`).
    File(std::path::PathBuf),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Bundle(0) => write!(f, "the bundle's signing certificate"),
            Origin::Bundle(i) => write!(f, "certificate {} of the bundle's chain", i + 1),
            Origin::File(p) => write!(f, "a certificate of `{}`", p.display()),
        }
    }
}

/// A parsed certificate and the bytes its issuer signed.
#[derive(Debug, Clone)]
pub(super) struct Cert {
    pub(super) der: Vec<u8>,
    pub(super) x509: Certificate,
    /// Where `tbsCertificate` lies in `der`: the signed bytes, exactly as received.
    tbs: Range<usize>,
    /// RFC 4514, for messages and reports.
    pub(super) subject: String,
    pub(super) issuer: String,
    subject_der: Vec<u8>,
    issuer_der: Vec<u8>,
    pub(super) not_before: jiff::Timestamp,
    pub(super) not_after: jiff::Timestamp,
    pub(super) origin: Origin,
}

impl Cert {
    /// Parses one DER certificate. It must be the whole input, within [`MAX_DER`], and encode
    /// back to the same bytes: a lenient parse of non-DER input could make the checks read
    /// other fields than the issuer signed.
    pub(super) fn parse(der: &[u8], origin: Origin) -> Result<Cert, String> {
        if der.len() > MAX_DER {
            return Err(format!(
                "{origin} is {} bytes, more than the {MAX_DER} a certificate may have",
                der.len()
            ));
        }
        let not_x509 = |why: String| format!("{origin} is not an X.509 certificate in DER: {why}");
        let cert = Certificate::from_der(der).map_err(|e| not_x509(e.to_string()))?;
        if cert.to_der().map_err(|e| not_x509(e.to_string()))? != der {
            return Err(not_x509("it is not in canonical DER".into()));
        }
        let tbs = tbs_range(der).ok_or_else(|| not_x509("no `tbsCertificate`".into()))?;
        let tbs_cert = cert.tbs_certificate();
        let subject_der = tbs_cert
            .subject()
            .to_der()
            .map_err(|e| not_x509(e.to_string()))?;
        let issuer_der = tbs_cert
            .issuer()
            .to_der()
            .map_err(|e| not_x509(e.to_string()))?;
        let validity = tbs_cert.validity();
        let time = |t: x509_cert::time::Time| {
            i64::try_from(t.to_unix_duration().as_secs())
                .ok()
                .and_then(|s| jiff::Timestamp::from_second(s).ok())
                .ok_or_else(|| not_x509("a validity date out of range".into()))
        };
        let parsed = Cert {
            der: der.to_vec(),
            subject: tbs_cert.subject().to_string(),
            issuer: tbs_cert.issuer().to_string(),
            subject_der,
            issuer_der,
            not_before: time(validity.not_before)?,
            not_after: time(validity.not_after)?,
            tbs,
            x509: cert,
            origin,
        };
        Ok(parsed)
    }

    /// How messages name the certificate: its subject, or where it came from when it has none.
    pub(super) fn name(&self) -> String {
        if self.subject.is_empty() {
            format!("{} (no subject)", self.origin)
        } else {
            format!("`{}`", self.subject)
        }
    }

    pub(super) fn tbs_bytes(&self) -> &[u8] {
        &self.der[self.tbs.clone()]
    }

    pub(super) fn spki_der(&self) -> Result<Vec<u8>, String> {
        self.x509
            .tbs_certificate()
            .subject_public_key_info()
            .to_der()
            .map_err(|e| format!("{}: its public key cannot be read: {e}", self.name()))
    }

    pub(super) fn is_v3(&self) -> bool {
        self.x509.tbs_certificate().version() == x509_cert::certificate::Version::V3
    }

    /// Same subject and issuer (a root, or a leaf that vouches for itself).
    pub(super) fn self_issued(&self) -> bool {
        self.subject_der == self.issuer_der
    }

    /// Whether `issuer` may have issued `self`: names equal, and the key identifiers equal when
    /// both are present.
    pub(super) fn named_issuer(&self, issuer: &Cert) -> bool {
        if self.issuer_der != issuer.subject_der {
            return false;
        }
        match (self.authority_key_id(), issuer.subject_key_id()) {
            (Some(aki), Some(ski)) => aki == ski,
            _ => true,
        }
    }

    /// Refuses duplicated extensions (RFC 5280 §4.2) and critical ones scelle does not
    /// enforce; asked of the certificates on the path only, so that an unrelated certificate
    /// among the anchors cannot block a verification.
    pub(super) fn check_extension_list(&self) -> Result<(), String> {
        let exts: &[x509_cert::ext::Extension] = self
            .x509
            .tbs_certificate()
            .extensions()
            .map_or(&[], Vec::as_slice);
        for (i, e) in exts.iter().enumerate() {
            if exts[..i].iter().any(|o| o.extn_id == e.extn_id) {
                return Err(format!(
                    "{} has the extension {} twice",
                    self.name(),
                    e.extn_id
                ));
            }
            if e.critical && !UNDERSTOOD.contains(&e.extn_id) {
                return Err(format!(
                    "{} has a critical extension scelle does not enforce ({})",
                    self.name(),
                    e.extn_id
                ));
            }
        }
        Ok(())
    }

    fn extension<'a, T: der::Decode<'a, Error = der::Error> + der::oid::AssociatedOid>(
        &'a self,
        what: &str,
    ) -> Result<Option<T>, String> {
        self.x509
            .tbs_certificate()
            .get_extension::<T>()
            .map(|o| o.map(|(_, v)| v))
            .map_err(|e| format!("{}: its {what} extension is malformed: {e}", self.name()))
    }

    pub(super) fn basic_constraints(&self) -> Result<Option<BasicConstraints>, String> {
        self.extension("basicConstraints")
    }

    pub(super) fn key_usage(&self) -> Result<Option<KeyUsage>, String> {
        self.extension("keyUsage")
    }

    pub(super) fn extended_key_usage(&self) -> Result<Option<ExtendedKeyUsage>, String> {
        self.extension("extKeyUsage")
    }

    fn subject_key_id(&self) -> Option<Vec<u8>> {
        self.extension::<SubjectKeyIdentifier>("subjectKeyIdentifier")
            .ok()
            .flatten()
            .map(|k| k.0.as_bytes().to_vec())
    }

    fn authority_key_id(&self) -> Option<Vec<u8>> {
        self.extension::<AuthorityKeyIdentifier>("authorityKeyIdentifier")
            .ok()
            .flatten()
            .and_then(|k| k.key_identifier)
            .map(|k| k.as_bytes().to_vec())
    }

    /// Serial number, lowercase hexadecimal without the sign byte DER may add.
    pub(super) fn serial_hex(&self) -> String {
        use std::fmt::Write as _;
        let bytes = self.x509.tbs_certificate().serial_number().as_bytes();
        let start = bytes
            .iter()
            .position(|b| *b != 0)
            .unwrap_or(bytes.len().saturating_sub(1));
        bytes[start..].iter().fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
    }

    /// `Err` says how `self` is outside its validity period at `at`; `when` names that time in
    /// the message ("now", "when `CN=Leaf` became valid").
    pub(super) fn valid_at(&self, at: jiff::Timestamp, when: &str) -> Result<(), String> {
        let rfc = crate::clock::rfc3339;
        if at < self.not_before {
            return Err(format!(
                "{} is not valid {when} ({}): its validity starts {}",
                self.name(),
                rfc(at),
                rfc(self.not_before)
            ));
        }
        if at > self.not_after {
            return Err(format!(
                "{} expired on {}{}",
                self.name(),
                rfc(self.not_after),
                if when == "now" {
                    String::new()
                } else {
                    format!(", before {when} ({})", rfc(at))
                }
            ));
        }
        Ok(())
    }
}

/// The span of the first element (`tbsCertificate`) inside the outer SEQUENCE of `der`.
fn tbs_range(der: &[u8]) -> Option<Range<usize>> {
    let (outer_header, _) = tlv(der, 0)?;
    let start = outer_header;
    let (header, len) = tlv(der, start)?;
    let end = start.checked_add(header)?.checked_add(len)?;
    (end <= der.len()).then_some(start..end)
}

/// The header length and content length of the DER TLV at `at` (a SEQUENCE).
fn tlv(der: &[u8], at: usize) -> Option<(usize, usize)> {
    if *der.get(at)? != 0x30 {
        return None;
    }
    let first = *der.get(at + 1)?;
    if first < 0x80 {
        return Some((2, usize::from(first)));
    }
    let n = usize::from(first & 0x7f);
    if n == 0 || n > 4 {
        return None;
    }
    let mut len = 0usize;
    for i in 0..n {
        len = (len << 8) | usize::from(*der.get(at + 2 + i)?);
    }
    Some((2 + n, len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tlv_lengths_short_and_long_form() {
        assert_eq!(tlv(&[0x30, 0x03, 1, 2, 3], 0), Some((2, 3)));
        assert_eq!(tlv(&[0x30, 0x82, 0x01, 0x00], 0), Some((4, 256)));
        assert_eq!(tlv(&[0x31, 0x00], 0), None);
        assert_eq!(tlv(&[0x30, 0x80], 0), None);
        assert_eq!(tlv(&[0x30], 0), None);
    }

    #[test]
    fn garbage_is_one_line_naming_its_origin() {
        for bytes in [&b""[..], b"\x30\x03abc", b"not a certificate", &[0x30; 40]] {
            let e = Cert::parse(bytes, Origin::Bundle(1)).unwrap_err();
            assert!(
                e.starts_with("certificate 2 of the bundle's chain is not an X.509 certificate"),
                "{e}"
            );
            assert!(!e.contains('\n'));
        }
        let big = vec![0u8; MAX_DER + 1];
        assert!(
            Cert::parse(&big, Origin::Bundle(0))
                .unwrap_err()
                .contains("more than the 16384")
        );
    }
}
