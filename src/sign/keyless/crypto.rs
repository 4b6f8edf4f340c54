//! The cryptography sigstore-verify runs on, from the `RustCrypto` crates scelle already uses.
//!
//! `sigstore-crypto` defaults to aws-lc (C); scelle builds it without default features and
//! installs this provider instead, so the binary stays pure Rust. Only verification is offered:
//! scelle never signs keyless. The schemes are those the trusted roots and the conformance
//! vectors use: ECDSA P-256/P-384 (DER signatures, raw or prehashed), Ed25519 (Rekor v2 logs),
//! and RSA PKCS#1 v1.5 and PSS (CT logs and CAs of private instances). ML-DSA is refused.

use std::sync::OnceLock;

use sha2::Digest as _;
use sigstore_crypto::{CryptoProvider, Error, HashContext, Result, SigningScheme};
use sigstore_types::HashAlgorithm;

/// The provider scelle installs for `sigstore-crypto`.
#[derive(Debug)]
pub struct RustCryptoProvider;

static PROVIDER: RustCryptoProvider = RustCryptoProvider;

/// Installs [`RustCryptoProvider`] as sigstore-crypto's process-wide provider, once. Another
/// provider already installed (a test harness) is left in place: it is the one that will run.
pub fn install() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let _already_installed = sigstore_crypto::install_default_provider(&PROVIDER);
    });
}

struct Hasher<D>(D);

impl<D: sha2::Digest + Send> HashContext for Hasher<D> {
    fn update(&mut self, data: &[u8]) {
        sha2::Digest::update(&mut self.0, data);
    }

    fn finalize(self: Box<Self>) -> Vec<u8> {
        self.0.finalize().to_vec()
    }
}

fn invalid(scheme: SigningScheme) -> Error {
    Error::Verification(format!("{} signature invalid", scheme.name()))
}

fn unsupported(scheme: SigningScheme) -> Error {
    Error::UnsupportedAlgorithm(format!("{} is not supported by scelle", scheme.name()))
}

impl CryptoProvider for RustCryptoProvider {
    fn hash(&self, algorithm: HashAlgorithm) -> Result<Box<dyn HashContext>> {
        match algorithm {
            HashAlgorithm::Sha2256 => Ok(Box::new(Hasher(sha2::Sha256::new()))),
            HashAlgorithm::Sha2384 => Ok(Box::new(Hasher(sha2::Sha384::new()))),
            HashAlgorithm::Sha2512 => Ok(Box::new(Hasher(sha2::Sha512::new()))),
            other => Err(Error::UnsupportedAlgorithm(format!(
                "cannot compute {other} digests"
            ))),
        }
    }

    fn sha256(&self, data: &[u8]) -> [u8; 32] {
        sha2::Sha256::digest(data).into()
    }

    fn sha384(&self, data: &[u8]) -> [u8; 48] {
        sha2::Sha384::digest(data).into()
    }

    fn sha512(&self, data: &[u8]) -> [u8; 64] {
        sha2::Sha512::digest(data).into()
    }

    fn verify_raw(
        &self,
        scheme: SigningScheme,
        key: &[u8],
        data: &[u8],
        signature: &[u8],
    ) -> Result<()> {
        match scheme {
            SigningScheme::Ed25519 => verify_ed25519(key, data, signature),
            SigningScheme::MlDsa44 | SigningScheme::MlDsa65 | SigningScheme::MlDsa87 => {
                Err(unsupported(scheme))
            }
            _ => {
                let digest = match scheme.hash_algorithm() {
                    Some(HashAlgorithm::Sha2256) => sha2::Sha256::digest(data).to_vec(),
                    Some(HashAlgorithm::Sha2384) => sha2::Sha384::digest(data).to_vec(),
                    Some(HashAlgorithm::Sha2512) => sha2::Sha512::digest(data).to_vec(),
                    _ => return Err(unsupported(scheme)),
                };
                self.verify_prehashed(scheme, key, &digest, signature)
            }
        }
        .map_err(|e| match e {
            Error::UnsupportedAlgorithm(_) => e,
            _ => invalid(scheme),
        })
    }

    fn verify_prehashed(
        &self,
        scheme: SigningScheme,
        key: &[u8],
        digest: &[u8],
        signature: &[u8],
    ) -> Result<()> {
        use p256::ecdsa::signature::hazmat::PrehashVerifier as _;
        let expected_len = match scheme.hash_algorithm() {
            Some(HashAlgorithm::Sha2256) => 32,
            Some(HashAlgorithm::Sha2384) => 48,
            Some(HashAlgorithm::Sha2512) => 64,
            _ => return Err(unsupported(scheme)),
        };
        if digest.len() != expected_len {
            return Err(invalid(scheme));
        }
        let ok = match scheme {
            SigningScheme::EcdsaP256Sha256 | SigningScheme::EcdsaP256Sha384 => {
                let key =
                    p256::ecdsa::VerifyingKey::from_sec1_bytes(key).map_err(|_| invalid(scheme))?;
                let sig =
                    p256::ecdsa::Signature::from_der(signature).map_err(|_| invalid(scheme))?;
                key.verify_prehash(digest, &sig).is_ok()
            }
            SigningScheme::EcdsaP384Sha256 | SigningScheme::EcdsaP384Sha384 => {
                let key =
                    p384::ecdsa::VerifyingKey::from_sec1_bytes(key).map_err(|_| invalid(scheme))?;
                let sig =
                    p384::ecdsa::Signature::from_der(signature).map_err(|_| invalid(scheme))?;
                key.verify_prehash(digest, &sig).is_ok()
            }
            SigningScheme::RsaPkcs1Sha256 => rsa_pkcs1::<sha2::Sha256>(key, digest, signature),
            SigningScheme::RsaPkcs1Sha384 => rsa_pkcs1::<sha2::Sha384>(key, digest, signature),
            SigningScheme::RsaPkcs1Sha512 => rsa_pkcs1::<sha2::Sha512>(key, digest, signature),
            SigningScheme::RsaPssSha256 => rsa_pss::<sha2::Sha256>(key, digest, signature),
            SigningScheme::RsaPssSha384 => rsa_pss::<sha2::Sha384>(key, digest, signature),
            SigningScheme::RsaPssSha512 => rsa_pss::<sha2::Sha512>(key, digest, signature),
            _ => return Err(unsupported(scheme)),
        };
        if ok { Ok(()) } else { Err(invalid(scheme)) }
    }
}

/// Strict Ed25519: canonical encodings, no small-order keys (as for scelle's own keys).
fn verify_ed25519(key: &[u8], data: &[u8], signature: &[u8]) -> Result<()> {
    let bad = || invalid(SigningScheme::Ed25519);
    let key: [u8; 32] = key.try_into().map_err(|_| bad())?;
    let key = ed25519_dalek::VerifyingKey::from_bytes(&key).map_err(|_| bad())?;
    let sig = ed25519_dalek::Signature::from_slice(signature).map_err(|_| bad())?;
    key.verify_strict(data, &sig).map_err(|_| bad())
}

/// The PKCS#1 `RSAPublicKey` sigstore-crypto hands over for RSA keys.
fn rsa_key(key: &[u8]) -> Option<rsa::PublicKey> {
    use rsa::pkcs1::DecodeRsaPublicKey as _;
    rsa::PublicKey::from_pkcs1_der(key).ok()
}

fn rsa_pkcs1<D>(key: &[u8], digest: &[u8], signature: &[u8]) -> bool
where
    D: sha2::Digest + sha2::digest::const_oid::AssociatedOid,
{
    use rsa::signature::hazmat::PrehashVerifier as _;
    let (Some(key), Ok(sig)) = (rsa_key(key), rsa::pkcs1v15::Signature::try_from(signature)) else {
        return false;
    };
    rsa::pkcs1v15::VerifyingKey::<D>::new(key)
        .verify_prehash(digest, &sig)
        .is_ok()
}

fn rsa_pss<D>(key: &[u8], digest: &[u8], signature: &[u8]) -> bool
where
    D: sha2::Digest + sha2::digest::FixedOutputReset,
{
    use rsa::signature::hazmat::PrehashVerifier as _;
    let (Some(key), Ok(sig)) = (rsa_key(key), rsa::pss::Signature::try_from(signature)) else {
        return false;
    };
    // Salt as long as the digest: what Sigstore's signers and OpenSSL's default verifier use.
    rsa::pss::VerifyingKey::<D>::new(key)
        .verify_prehash(digest, &sig)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_match_the_sha2_definitions() {
        // SHA-256("abc") from FIPS 180-2, appendix B.1.
        assert_eq!(
            hex(&RustCryptoProvider.sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let mut h = RustCryptoProvider.hash(HashAlgorithm::Sha2384).unwrap();
        h.update(b"a");
        h.update(b"bc");
        // SHA-384("abc"), FIPS 180-2 appendix D.1.
        assert!(hex(&h.finalize()).starts_with("cb00753f45a35e8bb5a03d699ac65007"));
    }

    #[test]
    fn ecdsa_and_ed25519_verify_and_refuse_a_changed_message() {
        use p256::ecdsa::signature::Signer as _;
        let sk = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
        let sig: p256::ecdsa::Signature = sk.sign(b"message");
        let point = sk.verifying_key().to_sec1_point(false);
        let der = sig.to_der();
        let p = RustCryptoProvider;
        let s = SigningScheme::EcdsaP256Sha256;
        assert!(
            p.verify_raw(s, point.as_bytes(), b"message", der.as_bytes())
                .is_ok()
        );
        assert!(
            p.verify_raw(s, point.as_bytes(), b"messagE", der.as_bytes())
                .is_err()
        );
        let digest = p.sha256(b"message");
        assert!(
            p.verify_prehashed(s, point.as_bytes(), &digest, der.as_bytes())
                .is_ok()
        );
        // A digest of the wrong length is refused, never truncated.
        assert!(
            p.verify_prehashed(s, point.as_bytes(), &digest[..31], der.as_bytes())
                .is_err()
        );

        let ed = ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]);
        let sig = ed.sign(b"note");
        let e = SigningScheme::Ed25519;
        let pk = ed.verifying_key().to_bytes();
        assert!(p.verify_raw(e, &pk, b"note", &sig.to_bytes()).is_ok());
        assert!(p.verify_raw(e, &pk, b"nope", &sig.to_bytes()).is_err());
        assert!(matches!(
            p.verify_raw(SigningScheme::MlDsa44, &pk, b"x", b"y"),
            Err(Error::UnsupportedAlgorithm(_))
        ));
    }

    /// An RSA-2048 key (PKCS#1 `RSAPublicKey`, as sigstore-crypto hands it over) and its
    /// signatures over `scelle rsa vector`, made with Python's `cryptography` for this test:
    /// PKCS#1 v1.5 with SHA-256, and PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt.
    const RSA_KEY: &str = "MIIBCgKCAQEA0bA43tsVkwZpl5S5KyuKZHSUZvFf9bG704K7y7JgAuhhiAi6HOGpNJJ+uc/xeoDGAnKR2e06bxKl66mXe0NFjC2bm4u5gzXaJ6oOBYcJloRkh6EDMaE0IAVJ2UdKSwuNtrr+fQdyUIpIZlblh37qtIcCo3senG8I4cL5z04YuXoGS/538aGBc1oariBdiDzvScXzmlN/CSI/F/B94hI6zyBDVeDeTx9YwMlb2VX8Xo0TuXzGRh8bz3yWsDX8fuJPQTjAWMNkR8LpwAPzWzGM/h1Nvz4Za61Lf/OZXb1WQyJP7OdGTrqLEL29T7JzOO3PAGzAzTH51K3CEUVZmF7shQIDAQAB";
    const RSA_PKCS1: &str = "hGwyHHMoW6+olpFyr1X1LFLK9kOd+lvtSakNbn8FrDAXgXCi6agB21fkpS9vDYdgIeT7fBc5Ibyv0SnQSvhkxLrBbdW2KPXtlqtFYHmFtEObt6F/L4LD9y5c7Kk3/XVaO0hKfUHBh4qvkqqiEPOe1Qap1iW2yN2FvTOdLtTmJBqrAijPgdroV5sGyL324v3Nzo2odAkImnctoT0vXkmhLGgDIvuZuwTa+S1QO5uki0UCFdCfvooj/VoGvJcy1/4TjIcQ6RR+2X3EQahrLrjK5of9gZMRZIevjqHf/DPHC0Vpm0P8+3eymU4o7vlDI68/siXfIvrahQGHURcVoeRlhQ==";
    const RSA_PSS: &str = "n7H+6UMAH9IhPeJlImvjvy7nm3iqmKvp79MwOLV7LdUXuhbwD10gElsZCtxZs86zZ9Nq+aCY8TVFOmj76BVSAdgs+0S4Tczs3xpX3LH5YXo6qc8Iv/A4Fc8uqjF9KQOvNESeEUABA5Q94GGvIeJ4z9HGtjZxLlG1NwslQPbhN6aZ8GRgy4jJaPp88als2Ks9SqHoO5CfRU2cp86GgkQvyrfofr50LiFAE6t4VBjE9xitBqFxdUKrnRV2zW+x4RBflQ5JiJGMsQOrD5wUNNEWHk+4x2Py9VQex9TSj6ZHHEGguCZvkkxuXe4fkMMyhWPJR0W74j/8+nMjKPZkMjR7gw==";

    #[test]
    fn rsa_pkcs1_and_pss_verify_and_are_not_interchangeable() {
        use base64::Engine as _;
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.decode(s).unwrap();
        let (key, pkcs1, pss) = (b64(RSA_KEY), b64(RSA_PKCS1), b64(RSA_PSS));
        let p = RustCryptoProvider;
        let m = b"scelle rsa vector";
        assert!(
            p.verify_raw(SigningScheme::RsaPkcs1Sha256, &key, m, &pkcs1)
                .is_ok()
        );
        assert!(
            p.verify_raw(SigningScheme::RsaPssSha256, &key, m, &pss)
                .is_ok()
        );
        let digest = p.sha256(m);
        assert!(
            p.verify_prehashed(SigningScheme::RsaPkcs1Sha256, &key, &digest, &pkcs1)
                .is_ok()
        );
        // The other padding, another hash or another message fails.
        assert!(
            p.verify_raw(SigningScheme::RsaPssSha256, &key, m, &pkcs1)
                .is_err()
        );
        assert!(
            p.verify_raw(SigningScheme::RsaPkcs1Sha256, &key, m, &pss)
                .is_err()
        );
        assert!(
            p.verify_raw(SigningScheme::RsaPkcs1Sha384, &key, m, &pkcs1)
                .is_err()
        );
        assert!(
            p.verify_raw(SigningScheme::RsaPkcs1Sha256, &key, b"other", &pkcs1)
                .is_err()
        );
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().fold(String::new(), |mut s, b| {
            use std::fmt::Write as _;
            let _ = write!(s, "{b:02x}");
            s
        })
    }
}
