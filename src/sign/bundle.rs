//! Sigstore bundles v0.3 holding a DSSE envelope, as scelle and the OpenSSF Model Signing
//! reference write them for keys (no certificate, no transparency log).
//!
//! Reading is lenient where real bundles differ and harmless (`tlogEntries` or `keyid` missing,
//! `keyid` null, the pre-1.1 `rawBytes` key material of `model_signing`) and strict where it
//! matters: the exact media type, a size limit checked before reading, exactly one signature
//! counted by the verifier.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::dsse::Envelope;

/// The media type of a Sigstore bundle v0.3 in JSON.
pub const BUNDLE_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// The older spelling of the same media type, which the bundle specification says to accept.
const BUNDLE_MEDIA_TYPE_ALIAS: &str = "application/vnd.dev.sigstore.bundle+json;version=0.3";

/// A bundle as written.
#[derive(Debug, Clone, Serialize)]
pub struct Bundle {
    #[serde(rename = "mediaType")]
    pub media_type: &'static str,
    #[serde(rename = "verificationMaterial")]
    pub verification_material: VerificationMaterial,
    #[serde(rename = "dsseEnvelope")]
    pub dsse_envelope: Envelope,
}

#[derive(Debug, Clone, Serialize)]
pub struct VerificationMaterial {
    #[serde(rename = "publicKey")]
    pub public_key: PublicKeyHint,
    #[serde(rename = "tlogEntries")]
    pub tlog_entries: [(); 0],
}

#[derive(Debug, Clone, Serialize)]
pub struct PublicKeyHint {
    pub hint: String,
}

impl Bundle {
    /// A key-signed bundle around `envelope`.
    pub fn new(hint: String, envelope: Envelope) -> Self {
        Bundle {
            media_type: BUNDLE_MEDIA_TYPE,
            verification_material: VerificationMaterial {
                public_key: PublicKeyHint { hint },
                tlog_entries: [],
            },
            dsse_envelope: envelope,
        }
    }

    /// Two-space indented JSON with a final newline.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).unwrap_or_default();
        out.push(b'\n');
        out
    }
}

/// What identifies the signing key in a bundle that was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyMaterial {
    /// A key id (`publicKey.hint`), compared with the given keys' ids.
    Hint(String),
    /// The pre-1.1 `model_signing` form: the signer's public key PEM itself (`rawBytes`), not
    /// trusted, only used to say which key signed.
    LegacyRawBytes,
    /// Nothing that names the key: every given key is tried.
    None,
}

/// A bundle that was read and structurally checked (nothing in it is trusted yet).
#[derive(Debug, Clone)]
pub struct ReadBundle {
    pub key: KeyMaterial,
    pub envelope: Envelope,
}

/// Why a file is not a usable bundle (exit status 2: it could not be checked at all).
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error(transparent)]
    Input(#[from] crate::input::InputError),
    #[error("`{}` is not JSON", .path.display())]
    NotJson {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("`{}` is not a Sigstore bundle: {reason}", .path.display())]
    Malformed { path: PathBuf, reason: String },
    #[error("`{}` has media type `{found}`, expected `{BUNDLE_MEDIA_TYPE}`", .path.display())]
    MediaType { path: PathBuf, found: String },
    #[error("`{}` is signed with a certificate; scelle verifies bundles signed with a key", .path.display())]
    Certificate { path: PathBuf },
}

/// The raw shape, parsed loosely so that each problem gets its own message.
#[derive(Deserialize)]
struct RawBundle {
    #[serde(rename = "mediaType")]
    media_type: Option<Value>,
    #[serde(rename = "verificationMaterial")]
    verification_material: Option<Value>,
    #[serde(rename = "dsseEnvelope")]
    dsse_envelope: Option<Value>,
    #[serde(rename = "messageSignature")]
    message_signature: Option<Value>,
}

/// Reads and structurally checks the bundle at `path`.
pub fn read_bundle(path: &Path) -> Result<ReadBundle, BundleError> {
    let bytes = crate::input::read(path, crate::input::Kind::BUNDLE)?;
    parse(path, &bytes)
}

/// Parses and structurally checks bundle bytes; `path` only names the bundle in errors.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<ReadBundle, BundleError> {
    parse_bundle(bytes).map_err(|e| match e {
        ParseError::Json(source) => BundleError::NotJson {
            path: path.into(),
            source,
        },
        ParseError::Malformed(reason) => BundleError::Malformed {
            path: path.into(),
            reason,
        },
        ParseError::MediaType(found) => BundleError::MediaType {
            path: path.into(),
            found,
        },
        ParseError::Certificate => BundleError::Certificate { path: path.into() },
    })
}

enum ParseError {
    Json(serde_json::Error),
    Malformed(String),
    MediaType(String),
    Certificate,
}

fn parse_bundle(bytes: &[u8]) -> Result<ReadBundle, ParseError> {
    let raw: RawBundle = serde_json::from_slice(bytes).map_err(ParseError::Json)?;
    let media_type = match raw.media_type {
        Some(Value::String(s)) => s,
        Some(other) => return Err(ParseError::MediaType(other.to_string())),
        None => return Err(ParseError::Malformed("no `mediaType`".into())),
    };
    if media_type != BUNDLE_MEDIA_TYPE && media_type != BUNDLE_MEDIA_TYPE_ALIAS {
        return Err(ParseError::MediaType(media_type));
    }
    if raw.message_signature.is_some() && raw.dsse_envelope.is_none() {
        return Err(ParseError::Malformed(
            "a message signature, not a DSSE envelope".into(),
        ));
    }
    let envelope = raw
        .dsse_envelope
        .ok_or_else(|| ParseError::Malformed("no `dsseEnvelope`".into()))?;
    let envelope: Envelope = serde_json::from_value(envelope)
        .map_err(|e| ParseError::Malformed(format!("`dsseEnvelope`: {e}")))?;
    let material = raw
        .verification_material
        .ok_or_else(|| ParseError::Malformed("no `verificationMaterial`".into()))?;
    Ok(ReadBundle {
        key: key_material(&material)?,
        envelope,
    })
}

fn key_material(material: &Value) -> Result<KeyMaterial, ParseError> {
    let Value::Object(map) = material else {
        return Err(ParseError::Malformed(
            "`verificationMaterial` is not an object".into(),
        ));
    };
    if map.contains_key("x509CertificateChain") || map.contains_key("certificate") {
        return Err(ParseError::Certificate);
    }
    match map.get("publicKey") {
        None | Some(Value::Null) => Ok(KeyMaterial::None),
        Some(Value::Object(key)) => match (key.get("hint"), key.get("rawBytes")) {
            (Some(Value::String(hint)), _) if !hint.is_empty() => {
                Ok(KeyMaterial::Hint(hint.clone()))
            }
            (_, Some(Value::String(_))) => Ok(KeyMaterial::LegacyRawBytes),
            (None | Some(Value::Null | Value::String(_)), _) => Ok(KeyMaterial::None),
            (Some(other), _) => Err(ParseError::Malformed(format!(
                "`publicKey.hint` is {other}, not a string"
            ))),
        },
        Some(_) => Err(ParseError::Malformed(
            "`verificationMaterial.publicKey` is not an object".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<ReadBundle, ParseError> {
        parse_bundle(json.as_bytes())
    }

    const ENVELOPE: &str = r#""dsseEnvelope":{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"AA=="}]}"#;

    #[test]
    fn reads_the_forms_real_bundles_take() {
        let hint = format!(
            r#"{{"mediaType":"{BUNDLE_MEDIA_TYPE}","verificationMaterial":{{"publicKey":{{"hint":"ab"}},"tlogEntries":[]}},{ENVELOPE}}}"#
        );
        assert_eq!(
            parse(&hint).ok().unwrap().key,
            KeyMaterial::Hint("ab".into())
        );
        let legacy = format!(
            r#"{{"mediaType":"{BUNDLE_MEDIA_TYPE}","verificationMaterial":{{"publicKey":{{"rawBytes":"LS0t","keyDetails":"PKIX_ECDSA_P384_SHA_384"}}}},{ENVELOPE}}}"#
        );
        assert_eq!(
            parse(&legacy).ok().unwrap().key,
            KeyMaterial::LegacyRawBytes
        );
        let bare = format!(
            r#"{{"mediaType":"{BUNDLE_MEDIA_TYPE}","verificationMaterial":{{}},{ENVELOPE}}}"#
        );
        assert_eq!(parse(&bare).ok().unwrap().key, KeyMaterial::None);
    }

    #[test]
    fn rejects_other_media_types_and_certificates() {
        let wrong =
            format!(r#"{{"mediaType":"application/json","verificationMaterial":{{}},{ENVELOPE}}}"#);
        assert!(matches!(parse(&wrong), Err(ParseError::MediaType(m)) if m == "application/json"));
        let cert = format!(
            r#"{{"mediaType":"{BUNDLE_MEDIA_TYPE}","verificationMaterial":{{"certificate":{{"rawBytes":"AA=="}}}},{ENVELOPE}}}"#
        );
        assert!(matches!(parse(&cert), Err(ParseError::Certificate)));
        assert!(matches!(parse("[1,2"), Err(ParseError::Json(_))));
        let no_envelope =
            format!(r#"{{"mediaType":"{BUNDLE_MEDIA_TYPE}","verificationMaterial":{{}}}}"#);
        assert!(matches!(parse(&no_envelope), Err(ParseError::Malformed(_))));
    }
}
