//! Checks a certificate's signature with its issuer's key: ECDSA (P-256, P-384, P-521) with
//! SHA-256/384/512, RSA PKCS#1 v1.5 with SHA-256/384/512, and RSASSA-PSS whose parameters name
//! the same SHA-2 hash for the message and MGF1. Nothing else (no SHA-1, no MD5).

use der::Encode as _;
use der::asn1::ObjectIdentifier;
use p256::ecdsa::signature::hazmat::PrehashVerifier as _;
use sha2::Digest as _;

use super::cert::Cert;
use crate::sign::keys::PublicKey;

const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const ECDSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4");
const RSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const RSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const RSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
const RSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const MGF1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.8");
const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");

/// RSA issuer keys shorter than this are refused (NIST SP 800-131A).
const MIN_RSA_BITS: usize = 2048;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn of_oid(oid: ObjectIdentifier) -> Option<Hash> {
        match oid {
            o if o == SHA256 => Some(Hash::Sha256),
            o if o == SHA384 => Some(Hash::Sha384),
            o if o == SHA512 => Some(Hash::Sha512),
            _ => None,
        }
    }

    fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Hash::Sha256 => sha2::Sha256::digest(data).to_vec(),
            Hash::Sha384 => sha2::Sha384::digest(data).to_vec(),
            Hash::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }
}

/// The signature scheme a certificate names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Ecdsa(Hash),
    RsaPkcs1(Hash),
    RsaPss { hash: Hash, salt: usize },
}

/// Reads `signatureAlgorithm`, which must equal the `signature` field inside the signed part
/// (RFC 5280 §4.1.1.2), else an attacker could change what the outer field says.
fn scheme(cert: &Cert) -> Result<Scheme, String> {
    let outer = cert.x509.signature_algorithm();
    let inner = cert.x509.tbs_certificate().signature();
    if outer != inner {
        return Err(format!(
            "{}: its two signature algorithm fields differ",
            cert.name()
        ));
    }
    let params_absent_or_null = || match &outer.parameters {
        None => true,
        Some(p) => der::Tagged::tag(p) == der::Tag::Null && p.value().is_empty(),
    };
    let ecdsa = |h| {
        if outer.parameters.is_some() {
            Err(format!(
                "{}: its ECDSA signature algorithm has parameters",
                cert.name()
            ))
        } else {
            Ok(Scheme::Ecdsa(h))
        }
    };
    let pkcs1 = |h| {
        if params_absent_or_null() {
            Ok(Scheme::RsaPkcs1(h))
        } else {
            Err(format!(
                "{}: its RSA signature algorithm has parameters",
                cert.name()
            ))
        }
    };
    match outer.oid {
        o if o == ECDSA_SHA256 => ecdsa(Hash::Sha256),
        o if o == ECDSA_SHA384 => ecdsa(Hash::Sha384),
        o if o == ECDSA_SHA512 => ecdsa(Hash::Sha512),
        o if o == RSA_SHA256 => pkcs1(Hash::Sha256),
        o if o == RSA_SHA384 => pkcs1(Hash::Sha384),
        o if o == RSA_SHA512 => pkcs1(Hash::Sha512),
        o if o == RSA_PSS => pss_params(cert),
        o => Err(format!(
            "{} is signed with an algorithm scelle does not accept ({o}); accepted: ECDSA or RSA with SHA-256, SHA-384 or SHA-512, and RSASSA-PSS",
            cert.name()
        )),
    }
}

/// RSASSA-PSS parameters: a SHA-2 hash, MGF1 with the same hash, trailer field 1. The SHA-1
/// defaults of RFC 4055 are refused with the rest of SHA-1.
fn pss_params(cert: &Cert) -> Result<Scheme, String> {
    let bad = |why: &str| format!("{}: its RSASSA-PSS parameters {why}", cert.name());
    let params = cert
        .x509
        .signature_algorithm()
        .parameters
        .as_ref()
        .ok_or_else(|| bad("are missing (the SHA-1 default is refused)"))?;
    let der = params.to_der().map_err(|e| bad(&e.to_string()))?;
    let parsed = rsa::pkcs1::RsaPssParams::<der::Any>::try_from(der.as_slice())
        .map_err(|e| bad(&format!("are malformed: {e}")))?;
    let hash = Hash::of_oid(parsed.hash.oid).ok_or_else(|| {
        bad(&format!(
            "name the hash {}, not SHA-256/384/512",
            parsed.hash.oid
        ))
    })?;
    if parsed.mask_gen.oid != MGF1 {
        return Err(bad(&format!(
            "name the mask function {}, not MGF1",
            parsed.mask_gen.oid
        )));
    }
    let mgf_hash = parsed
        .mask_gen
        .parameters
        .as_ref()
        .and_then(|p| Hash::of_oid(p.oid));
    if mgf_hash != Some(hash) {
        return Err(bad("use MGF1 with another hash than the message's"));
    }
    if parsed.trailer_field != rsa::pkcs1::TrailerField::BC {
        return Err(bad("have a trailer field other than 1"));
    }
    Ok(Scheme::RsaPss {
        hash,
        salt: usize::from(parsed.salt_len),
    })
}

/// Checks that `issuer`'s key signed `cert`. `Err` names both.
pub(super) fn verify_issued_by(cert: &Cert, issuer: &Cert) -> Result<(), String> {
    let scheme = scheme(cert)?;
    let sig = cert
        .x509
        .signature()
        .as_bytes()
        .ok_or_else(|| format!("{}: its signature is not whole bytes", cert.name()))?;
    let spki = issuer.spki_der()?;
    let key_oid = issuer
        .x509
        .tbs_certificate()
        .subject_public_key_info()
        .algorithm
        .oid;
    let (wanted, kind) = match scheme {
        Scheme::Ecdsa(_) => (EC_PUBLIC_KEY, "ECDSA"),
        Scheme::RsaPkcs1(_) | Scheme::RsaPss { .. } => (RSA_ENCRYPTION, "RSA"),
    };
    if key_oid != wanted {
        return Err(format!(
            "{} is signed with {kind} but the key of {} is not an {kind} key",
            cert.name(),
            issuer.name()
        ));
    }
    let ok = match scheme {
        Scheme::Ecdsa(hash) => ecdsa(&spki, hash, cert.tbs_bytes(), sig)
            .map_err(|e| format!("{}: {e}", issuer.name()))?,
        Scheme::RsaPkcs1(hash) => rsa_verify(&spki, hash, None, cert.tbs_bytes(), sig)
            .map_err(|e| format!("{}: {e}", issuer.name()))?,
        Scheme::RsaPss { hash, salt } => rsa_verify(&spki, hash, Some(salt), cert.tbs_bytes(), sig)
            .map_err(|e| format!("{}: {e}", issuer.name()))?,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "the signature on {} does not verify with the key of {}",
            cert.name(),
            issuer.name()
        ))
    }
}

/// ECDSA over `tbs` hashed with `hash` (any SHA-2 with any of the three curves, as X.509
/// allows); `Err` when the key cannot be read.
fn ecdsa(spki: &[u8], hash: Hash, tbs: &[u8], sig: &[u8]) -> Result<bool, String> {
    let key = PublicKey::from_spki_der(spki).map_err(|e| e.to_string())?;
    let digest = hash.digest(tbs);
    Ok(match key {
        PublicKey::P256(k) => p256::ecdsa::Signature::from_der(sig)
            .is_ok_and(|s| k.verify_prehash(&digest, &s).is_ok()),
        PublicKey::P384(k) => p384::ecdsa::Signature::from_der(sig)
            .is_ok_and(|s| k.verify_prehash(&digest, &s).is_ok()),
        PublicKey::P521(k) => p521::ecdsa::Signature::from_der(sig)
            .is_ok_and(|s| k.verify_prehash(&digest, &s).is_ok()),
        PublicKey::Ed25519(_) => false,
    })
}

/// RSA PKCS#1 v1.5 (`pss` None) or PSS with this salt length over `tbs`; `Err` when the key
/// cannot be read or is too short.
fn rsa_verify(
    spki: &[u8],
    hash: Hash,
    pss: Option<usize>,
    tbs: &[u8],
    sig: &[u8],
) -> Result<bool, String> {
    use rsa::pkcs8::DecodePublicKey as _;
    use rsa::pss::VerifyingKey as Pss;
    use rsa::traits::PublicKeyParts as _;
    let key = rsa::PublicKey::from_public_key_der(spki)
        .map_err(|e| format!("its RSA key cannot be read: {e}"))?;
    if key.size() * 8 < MIN_RSA_BITS {
        return Err(format!(
            "its RSA key has {} bits; scelle accepts {MIN_RSA_BITS} bits or more",
            key.size() * 8
        ));
    }
    let digest = hash.digest(tbs);
    let verified = if let Some(salt) = pss {
        let Ok(s) = rsa::pss::Signature::try_from(sig) else {
            return Ok(false);
        };
        match hash {
            Hash::Sha256 => {
                Pss::<sha2::Sha256>::new_with_salt_len(key, salt).verify_prehash(&digest, &s)
            }
            Hash::Sha384 => {
                Pss::<sha2::Sha384>::new_with_salt_len(key, salt).verify_prehash(&digest, &s)
            }
            Hash::Sha512 => {
                Pss::<sha2::Sha512>::new_with_salt_len(key, salt).verify_prehash(&digest, &s)
            }
        }
    } else {
        use rsa::pkcs1v15::VerifyingKey as Pkcs1;
        let Ok(s) = rsa::pkcs1v15::Signature::try_from(sig) else {
            return Ok(false);
        };
        match hash {
            Hash::Sha256 => Pkcs1::<sha2::Sha256>::new(key).verify_prehash(&digest, &s),
            Hash::Sha384 => Pkcs1::<sha2::Sha384>::new(key).verify_prehash(&digest, &s),
            Hash::Sha512 => Pkcs1::<sha2::Sha512>::new(key).verify_prehash(&digest, &s),
        }
    };
    Ok(verified.is_ok())
}
