//! DSSE envelopes (secure-systems-lab/dsse v1): a payload, its type, and signatures over the
//! pre-authentication encoding (PAE) of both, so that a signature can never be replayed for a
//! payload of another type.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::{Deserialize, Serialize};

use super::keys::PrivateKey;

/// The payload type of an in-toto statement.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// `PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths as ASCII
/// decimal byte counts. This is what gets signed.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + payload_type.len() + 32);
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

/// The part of the PAE before the payload, for a payload of `len` bytes: a signature over a
/// payload read in pieces is this, then each piece.
pub fn pae_prefix(payload_type: &str, len: u64) -> Vec<u8> {
    format!("DSSEv1 {} {payload_type} {len} ", payload_type.len()).into_bytes()
}

/// A DSSE envelope as JSON carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// Base64 of the payload bytes.
    pub payload: String,
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    pub signatures: Vec<Signature>,
}

/// One signature. `keyid` is an unauthenticated hint: absent, empty and `null` are all accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    /// Base64 of the signature bytes.
    pub sig: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyid: Option<String>,
}

/// Base64 that DSSE allows: standard or URL-safe alphabet, padded or not.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid base64 in `{field}`: {reason}")]
pub struct Base64Error {
    pub field: &'static str,
    pub reason: String,
}

/// Decodes base64 in either DSSE alphabet, with or without padding.
pub fn decode_base64(field: &'static str, text: &str) -> Result<Vec<u8>, Base64Error> {
    let config =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    let alphabet = if text.contains(['-', '_']) {
        &base64::alphabet::URL_SAFE
    } else {
        &base64::alphabet::STANDARD
    };
    GeneralPurpose::new(alphabet, config)
        .decode(text)
        .map_err(|e| Base64Error {
            field,
            reason: e.to_string().trim_end_matches('.').to_owned(),
        })
}

/// Standard padded base64, what scelle writes.
pub fn encode_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

impl Envelope {
    /// Signs `payload` of `payload_type` with `key`, recording `keyid` as the hint.
    pub fn sign(
        payload_type: &str,
        payload: &[u8],
        key: &PrivateKey,
        keyid: Option<String>,
    ) -> Self {
        let sig = key.sign(&pae(payload_type, payload));
        Envelope {
            payload: encode_base64(payload),
            payload_type: payload_type.to_owned(),
            signatures: vec![Signature {
                sig: encode_base64(&sig),
                keyid,
            }],
        }
    }

    /// The payload bytes exactly as signed.
    pub fn payload_bytes(&self) -> Result<Vec<u8>, Base64Error> {
        decode_base64("dsseEnvelope.payload", &self.payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_dsse_specification_vector() {
        // From the DSSE protocol description.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
        );
    }

    #[test]
    fn pae_of_an_empty_payload_ends_with_a_space() {
        assert_eq!(
            pae(IN_TOTO_PAYLOAD_TYPE, b""),
            b"DSSEv1 28 application/vnd.in-toto+json 0 "
        );
    }

    #[test]
    fn the_prefix_is_the_pae_of_an_empty_payload_with_the_right_length() {
        let mut whole = pae_prefix(IN_TOTO_PAYLOAD_TYPE, 5);
        whole.extend_from_slice(b"hello");
        assert_eq!(whole, pae(IN_TOTO_PAYLOAD_TYPE, b"hello"));
    }

    #[test]
    fn pae_counts_bytes_not_characters() {
        assert!(pae("application/vnd.exämple+json", b"x").starts_with(b"DSSEv1 29 "));
    }

    #[test]
    fn base64_accepts_both_alphabets_with_or_without_padding() {
        let bytes = [0xfbu8, 0xff, 0xbf, 0x01];
        for text in ["+/+/AQ==", "+/+/AQ", "-_-_AQ==", "-_-_AQ"] {
            assert_eq!(decode_base64("t", text).unwrap(), bytes, "{text}");
        }
        assert!(decode_base64("t", "not base64!").is_err());
    }

    #[test]
    fn keyid_may_be_absent_empty_or_null() {
        for json in [
            r#"{"sig":"AA=="}"#,
            r#"{"sig":"AA==","keyid":""}"#,
            r#"{"sig":"AA==","keyid":null}"#,
        ] {
            let sig: Signature = serde_json::from_str(json).unwrap();
            assert_eq!(sig.sig, "AA==");
        }
    }
}
