//! Certificate chains: the first byte says how many of the length-prefixed pieces that follow
//! are the bundle's chain (leaf first); the rest are trust anchors. Path building and every
//! check run on them at a fixed time; only `Err` lines may come out, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scelle::sign::trust::{CertificateDer, CertificateTrust};

fuzz_target!(|data: &[u8]| {
    let Some((&split, mut rest)) = data.split_first() else { return };
    let mut pieces = Vec::new();
    while rest.len() >= 2 && pieces.len() < 12 {
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]])).min(rest.len() - 2);
        pieces.push(rest[2..2 + len].to_vec());
        rest = &rest[2 + len..];
    }
    let at = usize::from(split % 8).min(pieces.len());
    let (chain, anchors) = pieces.split_at(at);
    let trust = CertificateTrust {
        roots: anchors
            .iter()
            .map(|der| CertificateDer { der: der.clone(), source: "fuzz.pem".into() })
            .collect(),
        intermediates: Vec::new(),
    };
    let Ok(now) = scelle::clock::from_epoch_str("1800000000") else { return };
    let _ = scelle::sign::x509::verify_chain(chain, &trust, now);
});
