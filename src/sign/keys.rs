//! Signing and verifying keys: generation, PEM files in the forms OpenSSL writes, and the key id.
//!
//! Private keys are PKCS#8 (`PRIVATE KEY`), passphrase-encrypted PKCS#8 (`ENCRYPTED PRIVATE KEY`)
//! or, for EC keys, SEC1 (`EC PRIVATE KEY`, what `openssl ecparam -genkey` writes). Public keys
//! are `SubjectPublicKeyInfo` (`PUBLIC KEY`). Ed25519 keys are written in the PKCS#8 v1 form that
//! `openssl genpkey` writes: the v2 form ed25519-dalek produces by default does not load in
//! OpenSSL 3.0 or Python's `cryptography`.
//!
//! The key id is the lowercase hex SHA-256 of the public key's PEM text as OpenSSL writes it (LF
//! line ends, 64-column base64, uncompressed EC point): the rule of the OpenSSF Model Signing
//! reference, so one key has one id in scelle bundles and OMS bundles.
//!
//! A key comes from a file, from an environment variable (`env:VAR`, how CI systems hand out
//! secrets) or from stdin (`-`); every message names it as the user typed it. A private key file
//! that group or others can read is used with a warning, as gpg does: CI runners often check
//! files out with a permissive umask, and refusing would only push users to worse workarounds.
//! What the file holds is checked first, so a public key given where a private key is needed is
//! named for what it is rather than for its mode.
//!
//! Secrets live in types that zeroize on drop, decoded key bytes in `Zeroizing` buffers, and no
//! `Debug` output ever shows them.

use std::fmt;
use std::io::{IsTerminal, Read as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use fs_err as fs;
use pkcs8::der::Decode;
use pkcs8::der::pem::LineEnding;
use pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, ObjectIdentifier,
};
use zeroize::Zeroizing;

use crate::manifest::Sha256Digest;

/// PBKDF2-SHA256 iterations for keys scelle encrypts.
const PBKDF2_ITERATIONS: u32 = 100_000;

const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const OID_P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");

/// A signature algorithm scelle can sign and verify with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Algorithm {
    /// Ed25519 (RFC 8032); scelle's default. Not accepted by the OMS reference verifier.
    Ed25519,
    /// ECDSA on NIST P-256 with SHA-256.
    P256,
    /// ECDSA on NIST P-384 with SHA-384.
    P384,
    /// ECDSA on NIST P-521 with SHA-512.
    P521,
}

impl Algorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Ed25519 => "ed25519",
            Algorithm::P256 => "ecdsa-p256-sha256",
            Algorithm::P384 => "ecdsa-p384-sha384",
            Algorithm::P521 => "ecdsa-p521-sha512",
        }
    }

    /// Whether the OMS reference (`model_signing`) can verify signatures of this algorithm.
    pub fn oms_compatible(self) -> bool {
        !matches!(self, Algorithm::Ed25519)
    }

    fn from_ec_curve(oid: ObjectIdentifier) -> Option<Self> {
        match oid {
            OID_P256 => Some(Algorithm::P256),
            OID_P384 => Some(Algorithm::P384),
            OID_P521 => Some(Algorithm::P521),
            _ => None,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What is wrong with a key file. Paths are the key arguments as typed (`env:VAR`, `-`).
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("`env:` names no environment variable")]
    NoVariableName,
    #[error("`env:{0}`: the environment variable `{0}` is not set")]
    KeyVariable(String),
    #[error("`env:{0}`: the environment variable `{0}` is not UTF-8 text")]
    KeyVariableNotText(String),
    #[error("`-` was given twice: stdin can carry one key")]
    StdinTwice,
    #[error("`--key -` reads the key from stdin, but stdin is a terminal")]
    StdinTerminal,
    #[error("`--key -` reads the key from stdin, but stdin was empty")]
    StdinEmpty,
    #[error(
        "`-`: the key on stdin is encrypted, and its passphrase cannot be asked on the terminal while stdin carries the key"
    )]
    StdinPassphrase,
    #[error("`{}` is {size} bytes, too large to be a key", .path.display())]
    TooLarge { path: PathBuf, size: u64 },
    #[error("`{}` names a folder, not the NAME of a key pair", .0.display())]
    PairName(PathBuf),
    #[error(transparent)]
    Input(#[from] crate::input::InputError),
    #[error("`{}`: {problem}", .path.display())]
    Invalid { path: PathBuf, problem: KeyProblem },
    #[error("`{}` is encrypted and no passphrase was given", .0.display())]
    NeedsPassphrase(PathBuf),
    #[error("`{}`: wrong passphrase, or the encrypted key is corrupt", .0.display())]
    WrongPassphrase(PathBuf),
    #[error("the passphrase variable `{0}` is not set")]
    PassphraseVariable(String),
    #[error("cannot read the passphrase from the terminal")]
    Prompt(#[source] std::io::Error),
    #[error("the operating system's random number generator failed: {0}")]
    Random(String),
}

impl KeyError {
    pub fn hint(&self) -> Option<String> {
        match self {
            KeyError::PairName(path) => Some(format!(
                "give a name such as `{}` (writes `NAME.key` and `NAME.pub`)",
                path.join("publisher").display()
            )),
            KeyError::StdinPassphrase => Some(
                "pass `--passphrase-env VAR` naming a variable that holds the passphrase".into(),
            ),
            KeyError::StdinTerminal | KeyError::StdinEmpty => Some(
                "pipe the key in (`... | scelle sign DIR --key -`), or give `--key FILE` or `--key env:VAR`"
                    .into(),
            ),
            KeyError::NoVariableName | KeyError::KeyVariable(_) => Some(
                "`--key env:VAR` reads the PEM text of a key from the environment variable VAR"
                    .into(),
            ),
            KeyError::NeedsPassphrase(_) => Some(
                "pass `--passphrase-env VAR` naming a variable that holds the passphrase, or run in a terminal"
                    .into(),
            ),
            KeyError::Invalid { problem: KeyProblem::PublicNotPrivate, .. } => {
                Some("signing needs the private key (`NAME.key`)".into())
            }
            KeyError::Invalid { problem: KeyProblem::PrivateNotPublic, .. } => {
                Some("verifying needs only the public key (`NAME.pub`); keep the private key with the publisher".into())
            }
            KeyError::Invalid { problem: KeyProblem::OpenSsh, .. } => Some(
                "convert it with `ssh-keygen -p -m PKCS8 -f FILE`, or make a key with `scelle keygen`".into(),
            ),
            KeyError::Input(e) => e.hint(),
            _ => None,
        }
    }
}

/// Why the contents of a key file are not a usable key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyProblem {
    #[error("no PEM key block (`-----BEGIN ...-----`) found")]
    NoPem,
    #[error("malformed PEM: {0}")]
    Pem(String),
    #[error("malformed key: {0}")]
    Der(String),
    #[error(
        "unsupported key algorithm {0} (scelle signs with Ed25519, ECDSA P-256, P-384 or P-521)"
    )]
    Algorithm(String),
    #[error("an OpenSSH key file, not PEM")]
    OpenSsh,
    #[error("a public key, where a private key is needed")]
    PublicNotPrivate,
    #[error("a private key, where a public key is expected")]
    PrivateNotPublic,
    #[error("a certificate, where a key is expected")]
    Certificate,
    #[error("unsupported PEM block `{0}`")]
    Label(String),
}

/// Where the passphrase of an encrypted private key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Passphrase {
    /// The environment variable with this name.
    Env(String),
    /// Ask on the terminal when there is one; otherwise the key cannot be used.
    Prompt,
}

enum Secret {
    Ed25519(ed25519_dalek::SigningKey),
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    P521(p521::ecdsa::SigningKey),
}

/// A private signing key. Its bytes are wiped when it is dropped.
pub struct PrivateKey(Secret);

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateKey({}, <redacted>)", self.algorithm())
    }
}

/// A public verifying key.
#[derive(Clone, PartialEq, Eq)]
pub enum PublicKey {
    Ed25519(ed25519_dalek::VerifyingKey),
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    P521(p521::ecdsa::VerifyingKey),
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({}, {})", self.algorithm(), self.key_id())
    }
}

fn random_bytes<const N: usize>() -> Result<Zeroizing<[u8; N]>, KeyError> {
    let mut bytes = Zeroizing::new([0u8; N]);
    getrandom::fill(bytes.as_mut()).map_err(|e| KeyError::Random(e.to_string()))?;
    Ok(bytes)
}

fn der_problem(e: impl fmt::Display) -> KeyProblem {
    KeyProblem::Der(e.to_string())
}

impl PrivateKey {
    /// A fresh key from the operating system's entropy.
    pub fn generate(algorithm: Algorithm) -> Result<Self, KeyError> {
        // A uniformly random scalar is a valid EC key except with negligible probability (a value
        // of zero or one above the group order); retry in that case rather than bias the key.
        for _ in 0..16 {
            let secret = match algorithm {
                Algorithm::Ed25519 => {
                    let seed = random_bytes::<32>()?;
                    Some(Secret::Ed25519(ed25519_dalek::SigningKey::from_bytes(
                        &seed,
                    )))
                }
                Algorithm::P256 => {
                    let bytes = random_bytes::<32>()?;
                    p256::ecdsa::SigningKey::from_slice(bytes.as_ref())
                        .ok()
                        .map(Secret::P256)
                }
                Algorithm::P384 => {
                    let bytes = random_bytes::<48>()?;
                    p384::ecdsa::SigningKey::from_slice(bytes.as_ref())
                        .ok()
                        .map(Secret::P384)
                }
                Algorithm::P521 => {
                    let mut bytes = random_bytes::<66>()?;
                    // P-521 scalars have 521 bits: clear the top 7 bits of the first byte.
                    bytes[0] &= 0x01;
                    p521::ecdsa::SigningKey::from_slice(bytes.as_ref())
                        .ok()
                        .map(Secret::P521)
                }
            };
            if let Some(secret) = secret {
                return Ok(PrivateKey(secret));
            }
        }
        Err(KeyError::Random("no valid key after 16 attempts".into()))
    }

    pub fn algorithm(&self) -> Algorithm {
        match &self.0 {
            Secret::Ed25519(_) => Algorithm::Ed25519,
            Secret::P256(_) => Algorithm::P256,
            Secret::P384(_) => Algorithm::P384,
            Secret::P521(_) => Algorithm::P521,
        }
    }

    pub fn public_key(&self) -> PublicKey {
        match &self.0 {
            Secret::Ed25519(k) => PublicKey::Ed25519(k.verifying_key()),
            Secret::P256(k) => PublicKey::P256(*k.verifying_key()),
            Secret::P384(k) => PublicKey::P384(*k.verifying_key()),
            Secret::P521(k) => PublicKey::P521(p521::ecdsa::VerifyingKey::from(k)),
        }
    }

    /// Signs `message`: 64 raw bytes for Ed25519, an ASN.1 DER signature for ECDSA (hashed with
    /// the curve's SHA-2), deterministic in both cases (RFC 8032, RFC 6979).
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        use p256::ecdsa::signature::Signer as _;
        match &self.0 {
            Secret::Ed25519(k) => k.sign(message).to_bytes().to_vec(),
            Secret::P256(k) => {
                let sig: p256::ecdsa::Signature = k.sign(message);
                sig.to_der().as_bytes().to_vec()
            }
            Secret::P384(k) => {
                let sig: p384::ecdsa::Signature = k.sign(message);
                sig.to_der().as_bytes().to_vec()
            }
            Secret::P521(k) => {
                let sig: p521::ecdsa::Signature = k.sign(message);
                sig.to_der().as_bytes().to_vec()
            }
        }
    }

    /// Signs a message that `feed` hands over in pieces (to the sink it is given), giving the
    /// same signature as [`PrivateKey::sign`] over the whole message, which is never held.
    /// Ed25519 reads the message twice (nonce, then challenge): a message that differs between
    /// the two readings could give the key away, so each reading is hashed and `None` is
    /// returned, and nothing signed, unless both are the same.
    pub fn sign_streaming(&self, feed: &Feed<'_>) -> Option<Vec<u8>> {
        use p256::ecdsa::signature::hazmat::PrehashSigner as _;
        use sha2::Digest as _;
        match &self.0 {
            Secret::Ed25519(k) => {
                let secret = Zeroizing::new(k.to_bytes());
                let expanded = ed25519_dalek::hazmat::ExpandedSecretKey::from(&*secret);
                let readings = std::cell::RefCell::new(Vec::new());
                let sig = ed25519_dalek::hazmat::raw_sign_byupdate::<sha2::Sha512, _>(
                    &expanded,
                    |h| {
                        let mut check = sha2::Sha256::new();
                        feed(&mut |b| {
                            h.update(b);
                            check.update(b);
                        });
                        readings.borrow_mut().push(check.finalize());
                        Ok(())
                    },
                    &k.verifying_key(),
                )
                .ok()?;
                let readings = readings.into_inner();
                (readings.len() == 2 && readings[0] == readings[1]).then(|| sig.to_bytes().to_vec())
            }
            Secret::P256(k) => {
                let mut h = sha2::Sha256::new();
                feed(&mut |b| h.update(b));
                let sig: p256::ecdsa::Signature = k.sign_prehash(&h.finalize()).ok()?;
                Some(sig.to_der().as_bytes().to_vec())
            }
            Secret::P384(k) => {
                let mut h = sha2::Sha384::new();
                feed(&mut |b| h.update(b));
                let sig: p384::ecdsa::Signature = k.sign_prehash(&h.finalize()).ok()?;
                Some(sig.to_der().as_bytes().to_vec())
            }
            Secret::P521(k) => {
                let mut h = sha2::Sha512::new();
                feed(&mut |b| h.update(b));
                let sig: p521::ecdsa::Signature = k.sign_prehash(&h.finalize()).ok()?;
                Some(sig.to_der().as_bytes().to_vec())
            }
        }
    }

    /// The key as PKCS#8 DER, in the v1 form OpenSSL writes.
    fn to_pkcs8_der(&self) -> Result<pkcs8::SecretDocument, KeyProblem> {
        match &self.0 {
            Secret::Ed25519(k) => {
                let pair = ed25519_dalek::pkcs8::KeypairBytes {
                    secret_key: k.to_bytes(),
                    public_key: None,
                };
                pair.to_pkcs8_der().map_err(der_problem)
            }
            Secret::P256(k) => p256::SecretKey::from(k).to_pkcs8_der().map_err(der_problem),
            Secret::P384(k) => p384::SecretKey::from(k).to_pkcs8_der().map_err(der_problem),
            Secret::P521(k) => {
                let secret = p521::SecretKey::from_bytes(&k.to_bytes()).map_err(der_problem)?;
                secret.to_pkcs8_der().map_err(der_problem)
            }
        }
    }

    /// The key as PEM: PKCS#8, or encrypted PKCS#8 (PBKDF2-SHA256, AES-256-CBC) with a passphrase.
    pub fn to_pem(&self, passphrase: Option<&str>) -> Result<Zeroizing<String>, KeyError> {
        let invalid = |problem| KeyError::Invalid {
            path: PathBuf::from("<new key>"),
            problem,
        };
        let der = self.to_pkcs8_der().map_err(invalid)?;
        let Some(passphrase) = passphrase else {
            return der
                .to_pem("PRIVATE KEY", LineEnding::LF)
                .map_err(|e| invalid(der_problem(e)));
        };
        let salt = random_bytes::<16>()?;
        let iv = random_bytes::<16>()?;
        let params = pkcs8::pkcs5::pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(
            PBKDF2_ITERATIONS,
            salt.as_ref(),
            *iv,
        )
        .map_err(|e| invalid(der_problem(e)))?;
        let info = pkcs8::PrivateKeyInfoRef::try_from(der.as_bytes())
            .map_err(|e| invalid(der_problem(e)))?;
        let encrypted = info
            .encrypt_with_params(params, passphrase)
            .map_err(|e| invalid(der_problem(e)))?;
        encrypted
            .to_pem("ENCRYPTED PRIVATE KEY", LineEnding::LF)
            .map_err(|e| invalid(der_problem(e)))
    }

    /// Parses a private key from PEM text; `passphrase` is asked only for an encrypted key.
    /// Errors name no file: [`load_private_key`] adds the path.
    pub fn from_pem(
        text: &str,
        passphrase: &mut dyn FnMut() -> Result<Zeroizing<String>, KeyError>,
    ) -> Result<Self, KeyError> {
        let invalid = |problem| KeyError::Invalid {
            path: PathBuf::new(),
            problem,
        };
        let block = find_block(text, Wanted::Private).map_err(invalid)?;
        let der = pem_to_der(block).map_err(invalid)?;
        match block_label(block) {
            "ENCRYPTED PRIVATE KEY" => {
                let info = pkcs8::EncryptedPrivateKeyInfoRef::try_from(der.as_slice())
                    .map_err(|e| invalid(der_problem(e)))?;
                let pass = passphrase()?;
                let plain = info
                    .decrypt(pass.as_bytes())
                    .map_err(|_| KeyError::WrongPassphrase(PathBuf::new()))?;
                from_pkcs8(plain.as_bytes()).map_err(invalid)
            }
            "EC PRIVATE KEY" => from_sec1(&der).map_err(invalid),
            _ => from_pkcs8(&der).map_err(invalid),
        }
    }
}

fn from_pkcs8(der: &[u8]) -> Result<PrivateKey, KeyProblem> {
    let info = pkcs8::PrivateKeyInfoRef::try_from(der).map_err(der_problem)?;
    let oid = info.algorithm.oid;
    let secret = if oid == OID_ED25519 {
        Secret::Ed25519(ed25519_dalek::SigningKey::from_pkcs8_der(der).map_err(der_problem)?)
    } else if oid == OID_EC_PUBLIC_KEY {
        let curve = info.algorithm.parameters_oid().map_err(der_problem)?;
        match Algorithm::from_ec_curve(curve) {
            Some(Algorithm::P256) => {
                Secret::P256(p256::ecdsa::SigningKey::from_pkcs8_der(der).map_err(der_problem)?)
            }
            Some(Algorithm::P384) => {
                Secret::P384(p384::ecdsa::SigningKey::from_pkcs8_der(der).map_err(der_problem)?)
            }
            Some(Algorithm::P521) => {
                let secret = p521::SecretKey::from_pkcs8_der(der).map_err(der_problem)?;
                Secret::P521(
                    p521::ecdsa::SigningKey::from_bytes(&secret.to_bytes()).map_err(der_problem)?,
                )
            }
            _ => return Err(KeyProblem::Algorithm(format!("EC curve {curve}"))),
        }
    } else {
        return Err(KeyProblem::Algorithm(oid.to_string()));
    };
    Ok(PrivateKey(secret))
}

fn from_sec1(der: &[u8]) -> Result<PrivateKey, KeyProblem> {
    let key = sec1::EcPrivateKey::from_der(der).map_err(der_problem)?;
    let curve = key
        .parameters
        .and_then(sec1::EcParameters::named_curve)
        .ok_or_else(|| KeyProblem::Der("SEC1 key without a named curve".into()))?;
    let secret = match Algorithm::from_ec_curve(curve) {
        Some(Algorithm::P256) => {
            let k = p256::SecretKey::from_sec1_der(der).map_err(der_problem)?;
            Secret::P256(p256::ecdsa::SigningKey::from(&k))
        }
        Some(Algorithm::P384) => {
            let k = p384::SecretKey::from_sec1_der(der).map_err(der_problem)?;
            Secret::P384(p384::ecdsa::SigningKey::from(&k))
        }
        Some(Algorithm::P521) => {
            let k = p521::SecretKey::from_sec1_der(der).map_err(der_problem)?;
            Secret::P521(p521::ecdsa::SigningKey::from_bytes(&k.to_bytes()).map_err(der_problem)?)
        }
        _ => return Err(KeyProblem::Algorithm(format!("EC curve {curve}"))),
    };
    Ok(PrivateKey(secret))
}

impl PublicKey {
    /// Parses a `PUBLIC KEY` (`SubjectPublicKeyInfo`) PEM block.
    pub fn from_pem(text: &str) -> Result<Self, KeyProblem> {
        let block = find_block(text, Wanted::Public)?;
        let der = pem_to_der(block)?;
        Self::from_spki_der(&der)
    }

    /// Parses `SubjectPublicKeyInfo` DER.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyProblem> {
        let info = pkcs8::spki::SubjectPublicKeyInfoRef::try_from(der).map_err(der_problem)?;
        let oid = info.algorithm.oid;
        if oid == OID_ED25519 {
            return ed25519_dalek::VerifyingKey::from_public_key_der(der)
                .map(PublicKey::Ed25519)
                .map_err(der_problem);
        }
        if oid != OID_EC_PUBLIC_KEY {
            return Err(KeyProblem::Algorithm(oid.to_string()));
        }
        let curve = info.algorithm.parameters_oid().map_err(der_problem)?;
        match Algorithm::from_ec_curve(curve) {
            Some(Algorithm::P256) => p256::ecdsa::VerifyingKey::from_public_key_der(der)
                .map(PublicKey::P256)
                .map_err(der_problem),
            Some(Algorithm::P384) => p384::ecdsa::VerifyingKey::from_public_key_der(der)
                .map(PublicKey::P384)
                .map_err(der_problem),
            Some(Algorithm::P521) => {
                let key = p521::PublicKey::from_public_key_der(der).map_err(der_problem)?;
                p521::ecdsa::VerifyingKey::from_sec1_bytes(&key.to_sec1_bytes())
                    .map(PublicKey::P521)
                    .map_err(der_problem)
            }
            _ => Err(KeyProblem::Algorithm(format!("EC curve {curve}"))),
        }
    }

    pub fn algorithm(&self) -> Algorithm {
        match self {
            PublicKey::Ed25519(_) => Algorithm::Ed25519,
            PublicKey::P256(_) => Algorithm::P256,
            PublicKey::P384(_) => Algorithm::P384,
            PublicKey::P521(_) => Algorithm::P521,
        }
    }

    /// `SubjectPublicKeyInfo` DER (EC points uncompressed).
    pub fn to_spki_der(&self) -> Vec<u8> {
        let der = match self {
            PublicKey::Ed25519(k) => k.to_public_key_der(),
            PublicKey::P256(k) => k.to_public_key_der(),
            PublicKey::P384(k) => k.to_public_key_der(),
            PublicKey::P521(k) => {
                p521::PublicKey::from_sec1_bytes(k.to_sec1_point(false).as_bytes())
                    .map_err(|_| pkcs8::spki::Error::KeyMalformed)
                    .and_then(|k| k.to_public_key_der())
            }
        };
        der.map(pkcs8::Document::into_vec).unwrap_or_default()
    }

    /// The PEM text exactly as OpenSSL writes it: the input of the key id.
    pub fn to_pem(&self) -> String {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(self.to_spki_der());
        let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
        for line in b64.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).unwrap_or_default());
            pem.push('\n');
        }
        pem.push_str("-----END PUBLIC KEY-----\n");
        pem
    }

    /// Lowercase hex SHA-256 of [`PublicKey::to_pem`]: the OMS key hint, and scelle's key id.
    pub fn key_id(&self) -> String {
        Sha256Digest::of(self.to_pem().as_bytes()).to_hex()
    }

    /// Checks `signature` over `message`: strict Ed25519 (no small-order keys, canonical
    /// encodings), or an ASN.1 DER ECDSA signature hashed with the curve's SHA-2.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        use p256::ecdsa::signature::Verifier as _;
        match self {
            PublicKey::Ed25519(k) => ed25519_dalek::Signature::from_slice(signature)
                .is_ok_and(|sig| k.verify_strict(message, &sig).is_ok()),
            PublicKey::P256(k) => p256::ecdsa::Signature::from_der(signature)
                .is_ok_and(|sig| k.verify(message, &sig).is_ok()),
            PublicKey::P384(k) => p384::ecdsa::Signature::from_der(signature)
                .is_ok_and(|sig| k.verify(message, &sig).is_ok()),
            PublicKey::P521(k) => p521::ecdsa::Signature::from_der(signature)
                .is_ok_and(|sig| k.verify(message, &sig).is_ok()),
        }
    }
}

/// Hands a message, piece by piece, to the sink it is given (as often as it is called).
pub type Feed<'a> = dyn Fn(&mut dyn FnMut(&[u8])) + 'a;

/// A signature being checked over a message that arrives in pieces (a payload decoded from a
/// bundle as it is read): the same checks as [`PublicKey::verify`], strict Ed25519 included.
pub struct StreamVerifier(Streaming);

enum Streaming {
    Ed25519(Box<ed25519_dalek::StreamVerifier>),
    P256(
        p256::ecdsa::VerifyingKey,
        p256::ecdsa::Signature,
        sha2::Sha256,
    ),
    P384(
        p384::ecdsa::VerifyingKey,
        p384::ecdsa::Signature,
        sha2::Sha384,
    ),
    P521(
        p521::ecdsa::VerifyingKey,
        p521::ecdsa::Signature,
        sha2::Sha512,
    ),
    /// The signature cannot verify (malformed, or a weak Ed25519 key or nonce).
    Fails,
}

impl fmt::Debug for StreamVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StreamVerifier")
    }
}

impl PublicKey {
    /// Starts checking `signature` (as [`PublicKey::verify`] takes it) over a message fed to
    /// [`StreamVerifier::update`].
    pub fn stream_verifier(&self, signature: &[u8]) -> StreamVerifier {
        use sha2::Digest as _;
        let streaming = match self {
            PublicKey::Ed25519(k) => match ed25519_dalek::Signature::from_slice(signature) {
                // `verify_strict` refuses small-order keys and nonces (`R`); the streaming
                // verifier does not, so the same checks come first.
                Ok(sig) if !k.is_weak() && !small_order(&sig.r_bytes()[..]) => k
                    .verify_stream(&sig)
                    .map_or(Streaming::Fails, |v| Streaming::Ed25519(Box::new(v))),
                _ => Streaming::Fails,
            },
            PublicKey::P256(k) => p256::ecdsa::Signature::from_der(signature)
                .map_or(Streaming::Fails, |s| {
                    Streaming::P256(*k, s, sha2::Sha256::new())
                }),
            PublicKey::P384(k) => p384::ecdsa::Signature::from_der(signature)
                .map_or(Streaming::Fails, |s| {
                    Streaming::P384(*k, s, sha2::Sha384::new())
                }),
            PublicKey::P521(k) => p521::ecdsa::Signature::from_der(signature)
                .map_or(Streaming::Fails, |s| {
                    Streaming::P521(*k, s, sha2::Sha512::new())
                }),
        };
        StreamVerifier(streaming)
    }
}

/// Whether a compressed Edwards point is of small order (or not a point at all).
fn small_order(bytes: &[u8]) -> bool {
    let Ok(bytes) = <[u8; 32]>::try_from(bytes) else {
        return true;
    };
    curve25519_dalek::edwards::CompressedEdwardsY(bytes)
        .decompress()
        .is_none_or(|p| p.is_small_order())
}

impl StreamVerifier {
    /// The next piece of the message.
    pub fn update(&mut self, bytes: &[u8]) {
        use sha2::Digest as _;
        match &mut self.0 {
            Streaming::Ed25519(v) => v.update(bytes),
            Streaming::P256(_, _, h) => h.update(bytes),
            Streaming::P384(_, _, h) => h.update(bytes),
            Streaming::P521(_, _, h) => h.update(bytes),
            Streaming::Fails => {}
        }
    }

    /// Whether the signature verifies over everything fed.
    pub fn finish(self) -> bool {
        use p256::ecdsa::signature::hazmat::PrehashVerifier as _;
        use sha2::Digest as _;
        match self.0 {
            Streaming::Ed25519(v) => v.finalize_and_verify().is_ok(),
            Streaming::P256(k, s, h) => k.verify_prehash(&h.finalize(), &s).is_ok(),
            Streaming::P384(k, s, h) => k.verify_prehash(&h.finalize(), &s).is_ok(),
            Streaming::P521(k, s, h) => k.verify_prehash(&h.finalize(), &s).is_ok(),
            Streaming::Fails => false,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Wanted {
    Private,
    Public,
}

fn block_label(block: &str) -> &str {
    block
        .strip_prefix("-----BEGIN ")
        .and_then(|rest| rest.split_once("-----"))
        .map_or("", |(label, _)| label)
}

/// The PEM block holding the wanted kind of key; other blocks (such as the `EC PARAMETERS` that
/// `openssl ecparam` writes first) are skipped.
fn find_block(text: &str, wanted: Wanted) -> Result<&str, KeyProblem> {
    if text.contains("-----BEGIN OPENSSH PRIVATE KEY-----") {
        return Err(KeyProblem::OpenSsh);
    }
    let mut rest = text;
    let mut other: Option<KeyProblem> = None;
    while let Some(start) = rest.find("-----BEGIN ") {
        let block_start = &rest[start..];
        let label = block_label(block_start).to_owned();
        let end_marker = format!("-----END {label}-----");
        let Some(end) = block_start.find(&end_marker) else {
            return Err(KeyProblem::Pem(format!(
                "`BEGIN {label}` without its `END` line"
            )));
        };
        let block = &block_start[..end + end_marker.len()];
        rest = &block_start[end + end_marker.len()..];
        let problem = match (label.as_str(), wanted) {
            ("PRIVATE KEY" | "ENCRYPTED PRIVATE KEY" | "EC PRIVATE KEY", Wanted::Private)
            | ("PUBLIC KEY", Wanted::Public) => return Ok(block),
            ("EC PARAMETERS", _) => continue,
            ("PUBLIC KEY", Wanted::Private) => KeyProblem::PublicNotPrivate,
            ("PRIVATE KEY" | "ENCRYPTED PRIVATE KEY" | "EC PRIVATE KEY", Wanted::Public) => {
                KeyProblem::PrivateNotPublic
            }
            ("CERTIFICATE", _) => KeyProblem::Certificate,
            ("RSA PRIVATE KEY" | "RSA PUBLIC KEY" | "DSA PRIVATE KEY", _) => {
                KeyProblem::Algorithm(label.clone())
            }
            _ => KeyProblem::Label(label.clone()),
        };
        other.get_or_insert(problem);
    }
    Err(other.unwrap_or(KeyProblem::NoPem))
}

fn pem_to_der(block: &str) -> Result<Zeroizing<Vec<u8>>, KeyProblem> {
    let (_, der) = pkcs8::der::pem::decode_vec(block.as_bytes())
        .map_err(|e| KeyProblem::Pem(e.to_string()))?;
    Ok(Zeroizing::new(der))
}

/// Where a key comes from, as given to `--key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// A PEM file.
    File(PathBuf),
    /// `env:VAR`: PEM text in the environment variable `VAR`.
    Env(String),
    /// `-`: PEM text on stdin.
    Stdin,
}

/// Set once a key has been read from stdin: a second `-` would read nothing.
static STDIN_TAKEN: AtomicBool = AtomicBool::new(false);

impl KeySource {
    /// Reads a `--key` argument: `-` is stdin, `env:VAR` a variable, anything else a file (write
    /// `./env:x` for a file of that name).
    pub fn parse(arg: &Path) -> Result<Self, KeyError> {
        match arg.to_str() {
            Some("-") => Ok(KeySource::Stdin),
            Some(text) => match text.strip_prefix("env:") {
                Some("") => Err(KeyError::NoVariableName),
                Some(var) => Ok(KeySource::Env(var.to_owned())),
                None => Ok(KeySource::File(arg.to_path_buf())),
            },
            None => Ok(KeySource::File(arg.to_path_buf())),
        }
    }

    /// The name messages give the key: the argument as typed.
    pub fn label(&self) -> PathBuf {
        match self {
            KeySource::File(path) => path.clone(),
            KeySource::Env(var) => PathBuf::from(format!("env:{var}")),
            KeySource::Stdin => PathBuf::from("-"),
        }
    }

    /// The key's PEM text. A file must exist and be a regular file; every source is refused when
    /// larger than a key can be, before its text is kept.
    fn read(&self) -> Result<Zeroizing<String>, KeyError> {
        match self {
            KeySource::File(path) => read_key_file(path),
            KeySource::Env(var) => {
                let value =
                    std::env::var_os(var).ok_or_else(|| KeyError::KeyVariable(var.clone()))?;
                let text = Zeroizing::new(
                    value
                        .into_string()
                        .map_err(|_| KeyError::KeyVariableNotText(var.clone()))?,
                );
                let size = text.len() as u64;
                if size > crate::input::Kind::KEY.max {
                    return Err(KeyError::TooLarge {
                        path: self.label(),
                        size,
                    });
                }
                Ok(text)
            }
            KeySource::Stdin => {
                if STDIN_TAKEN.swap(true, Ordering::SeqCst) {
                    return Err(KeyError::StdinTwice);
                }
                let stdin = std::io::stdin();
                if stdin.is_terminal() {
                    return Err(KeyError::StdinTerminal);
                }
                let mut bytes = Zeroizing::new(Vec::new());
                stdin
                    .lock()
                    .take(crate::input::Kind::KEY.max + 1)
                    .read_to_end(&mut bytes)?;
                let size = bytes.len() as u64;
                if size == 0 {
                    return Err(KeyError::StdinEmpty);
                }
                if size > crate::input::Kind::KEY.max {
                    return Err(KeyError::TooLarge {
                        path: self.label(),
                        size,
                    });
                }
                key_text(&self.label(), &bytes)
            }
        }
    }
}

/// The text of a key read as bytes; PEM is ASCII, so anything else is named for what it likely is.
fn key_text(label: &Path, bytes: &[u8]) -> Result<Zeroizing<String>, KeyError> {
    let text = std::str::from_utf8(bytes).map_err(|_| KeyError::Invalid {
        path: label.into(),
        problem: KeyProblem::Pem("not text (a DER file? scelle reads PEM)".into()),
    })?;
    Ok(Zeroizing::new(text.to_owned()))
}

/// Reads a key file: a regular file, refused before reading when too large to be a key.
fn read_key_file(path: &Path) -> Result<Zeroizing<String>, KeyError> {
    let bytes = Zeroizing::new(crate::input::read(path, crate::input::Kind::KEY)?);
    key_text(path, &bytes)
}

/// A private key, and what its user should be warned about.
#[derive(Debug)]
pub struct LoadedKey {
    pub key: PrivateKey,
    /// One line each (a key file others can read).
    pub warnings: Vec<String>,
}

/// Loads the private key `arg` names (a file, `env:VAR` or `-`). What it holds is checked
/// first; then a key file group or others can access gets a warning; then an encrypted key is
/// decrypted with the passphrase.
pub fn load_private_key(arg: &Path, passphrase: &Passphrase) -> Result<LoadedKey, KeyError> {
    use std::os::unix::fs::PermissionsExt;
    let source = KeySource::parse(arg)?;
    let label = source.label();
    // Read first: a FIFO or a device is refused by its type, and a public key is named as one,
    // before the file's mode means anything.
    let text = source.read()?;
    find_block(&text, Wanted::Private).map_err(|problem| KeyError::Invalid {
        path: label.clone(),
        problem,
    })?;
    let mut warnings = Vec::new();
    if let KeySource::File(path) = &source {
        let mode = fs::metadata(path)?.permissions().mode() & 0o7777;
        if mode & 0o077 != 0 {
            warnings.push(format!(
                "`{}` is accessible by group or others (mode {mode:04o}): anyone who can read it can sign as you; run `chmod 600 {}`",
                path.display(),
                path.display()
            ));
        }
    }
    let mut ask = || -> Result<Zeroizing<String>, KeyError> {
        match passphrase {
            Passphrase::Env(var) => std::env::var(var)
                .map(Zeroizing::new)
                .map_err(|_| KeyError::PassphraseVariable(var.clone())),
            Passphrase::Prompt if source == KeySource::Stdin => Err(KeyError::StdinPassphrase),
            Passphrase::Prompt => {
                if !std::io::stdin().is_terminal() {
                    return Err(KeyError::NeedsPassphrase(label.clone()));
                }
                rpassword::prompt_password(format!("passphrase for `{}`: ", label.display()))
                    .map(Zeroizing::new)
                    .map_err(KeyError::Prompt)
            }
        }
    };
    let key = PrivateKey::from_pem(&text, &mut ask).map_err(|e| match e {
        KeyError::Invalid { problem, .. } => KeyError::Invalid {
            path: label.clone(),
            problem,
        },
        KeyError::WrongPassphrase(_) => KeyError::WrongPassphrase(label.clone()),
        other => other,
    })?;
    Ok(LoadedKey { key, warnings })
}

/// Loads every public key of a repeated `--key`, stopping at the first that does not load.
pub fn load_public_keys(args: &[std::path::PathBuf]) -> Result<Vec<PublicKey>, KeyError> {
    args.iter().map(|a| load_public_key(a)).collect()
}

/// Loads the public key `arg` names (a file, `env:VAR` or `-`).
pub fn load_public_key(arg: &Path) -> Result<PublicKey, KeyError> {
    let source = KeySource::parse(arg)?;
    let text = source.read()?;
    PublicKey::from_pem(&text).map_err(|problem| KeyError::Invalid {
        path: source.label(),
        problem,
    })
}

#[cfg(test)]
mod tests {
    use clap::ValueEnum;

    use super::*;

    fn no_passphrase() -> impl FnMut() -> Result<Zeroizing<String>, KeyError> {
        || panic!("no passphrase expected")
    }

    #[test]
    fn streaming_verification_agrees_with_whole_message_verification() {
        for &alg in Algorithm::value_variants() {
            let key = PrivateKey::generate(alg).unwrap();
            let public = key.public_key();
            let message = vec![5u8; 100_000];
            let sig = key.sign(&message);
            for (msg, sig, want) in [
                (&message[..], &sig[..], true),
                (&message[..99_999], &sig[..], false),
                (&message[..], &sig[..sig.len() - 1], false),
            ] {
                let mut v = public.stream_verifier(sig);
                for piece in msg.chunks(7_777) {
                    v.update(piece);
                }
                assert_eq!(v.finish(), want, "{alg}");
                assert_eq!(public.verify(msg, sig), want, "{alg}");
            }
        }
    }

    #[test]
    fn streaming_signatures_are_the_signatures_of_the_whole_message() {
        for &alg in Algorithm::value_variants() {
            let key = PrivateKey::generate(alg).unwrap();
            let message = vec![9u8; 50_000];
            let streamed = key
                .sign_streaming(&|sink| message.chunks(999).for_each(&mut *sink))
                .unwrap();
            assert_eq!(streamed, key.sign(&message), "{alg}");
        }
    }

    #[test]
    fn an_ed25519_message_that_changes_between_readings_is_not_signed() {
        let key = PrivateKey::generate(Algorithm::Ed25519).unwrap();
        let reading = std::cell::Cell::new(0u8);
        let changing = |sink: &mut dyn FnMut(&[u8])| {
            reading.set(reading.get() + 1);
            sink(&[reading.get()]);
        };
        assert_eq!(key.sign_streaming(&changing), None);
    }

    #[test]
    fn streaming_ed25519_refuses_a_small_order_nonce_as_verify_strict_does() {
        let key = PrivateKey::generate(Algorithm::Ed25519).unwrap();
        let public = key.public_key();
        // R = the identity point (small order), s = 0.
        let mut sig = [0u8; 64];
        sig[0] = 1;
        assert!(!public.verify(b"m", &sig));
        let mut v = public.stream_verifier(&sig);
        v.update(b"m");
        assert!(!v.finish());
    }

    #[test]
    fn every_algorithm_round_trips_through_pem_and_signs() {
        for &alg in Algorithm::value_variants() {
            let key = PrivateKey::generate(alg).unwrap();
            let pem = key.to_pem(None).unwrap();
            assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{alg}");
            let back = PrivateKey::from_pem(&pem, &mut no_passphrase()).unwrap();
            assert_eq!(back.public_key(), key.public_key(), "{alg}");
            let sig = key.sign(b"message");
            let public = PublicKey::from_pem(&key.public_key().to_pem()).unwrap();
            assert!(public.verify(b"message", &sig), "{alg}");
            assert!(!public.verify(b"messagf", &sig), "{alg}");
            assert_eq!(public.algorithm(), alg);
        }
    }

    #[test]
    fn encrypted_keys_need_the_right_passphrase() {
        let key = PrivateKey::generate(Algorithm::P256).unwrap();
        let pem = key.to_pem(Some("correct horse")).unwrap();
        assert!(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"));
        let mut right = || Ok(Zeroizing::new("correct horse".to_owned()));
        let back = PrivateKey::from_pem(&pem, &mut right).unwrap();
        assert_eq!(back.public_key(), key.public_key());
        let mut wrong = || Ok(Zeroizing::new("battery staple".to_owned()));
        assert!(matches!(
            PrivateKey::from_pem(&pem, &mut wrong),
            Err(KeyError::WrongPassphrase(_))
        ));
    }

    #[test]
    fn ed25519_private_key_is_pkcs8_v1_as_openssl_writes_it() {
        // RFC 8032 test 1 seed.
        let seed = hex32("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
        let key = PrivateKey(Secret::Ed25519(ed25519_dalek::SigningKey::from_bytes(
            &seed,
        )));
        let der = key.to_pkcs8_der().unwrap();
        let mut expected = vec![
            0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22,
            0x04, 0x20,
        ];
        expected.extend_from_slice(&seed);
        assert_eq!(der.as_bytes(), expected.as_slice());
    }

    #[test]
    fn key_id_is_sha256_of_the_openssl_pem_text() {
        // RFC 8032 test 1 public key; its SPKI PEM as OpenSSL prints it.
        let seed = hex32("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
        let key = PrivateKey(Secret::Ed25519(ed25519_dalek::SigningKey::from_bytes(
            &seed,
        )))
        .public_key();
        let pem = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n-----END PUBLIC KEY-----\n";
        assert_eq!(key.to_pem(), pem);
        assert_eq!(key.key_id(), Sha256Digest::of(pem.as_bytes()).to_hex());
    }

    #[test]
    fn wrong_kind_of_pem_is_named() {
        let key = PrivateKey::generate(Algorithm::Ed25519).unwrap();
        let public = key.public_key().to_pem();
        assert!(matches!(
            PrivateKey::from_pem(&public, &mut no_passphrase()),
            Err(KeyError::Invalid {
                problem: KeyProblem::PublicNotPrivate,
                ..
            })
        ));
        let private = key.to_pem(None).unwrap();
        assert_eq!(
            PublicKey::from_pem(&private),
            Err(KeyProblem::PrivateNotPublic)
        );
        assert_eq!(PublicKey::from_pem("not a key"), Err(KeyProblem::NoPem));
        assert_eq!(
            PublicKey::from_pem(
                "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n"
            ),
            Err(KeyProblem::OpenSsh)
        );
        assert!(matches!(
            PublicKey::from_pem("-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n"),
            Err(KeyProblem::Pem(_))
        ));
    }

    #[test]
    fn private_key_debug_is_redacted() {
        let key = PrivateKey::generate(Algorithm::P256).unwrap();
        assert_eq!(
            format!("{key:?}"),
            "PrivateKey(ecdsa-p256-sha256, <redacted>)"
        );
    }

    fn hex32(s: &str) -> [u8; 32] {
        Sha256Digest::from_hex(s).unwrap().0
    }
}
