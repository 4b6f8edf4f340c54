//! The OMS certificate method: X.509 chains, built and checked offline against the verifier's
//! own trust anchors (RFC 5280 path validation, the subset a signing certificate needs).
//!
//! The checks, in order (docs/signing.md lists them for users): every certificate parses as
//! strict DER; the leaf carries no critical extension scelle does not enforce, is not
//! self-signed, is not a CA, allows signing by its key usage and extended key usage, has an
//! ECDSA key of the OMS registry, and is valid now; then a path is built upward by issuer name
//! (and key identifiers), each step checked by signature and by the issuer's constraints
//! (extensions, v3, CA, keyCertSign, path length, validity now and when the leaf became valid)
//! until a trust anchor given by the verifier is reached. Nothing in the bundle is trusted by
//! itself.

mod cert;
mod signature;

use cert::{Cert, OID_CODE_SIGNING, Origin};

use super::PublicKey;
use super::keys::Algorithm;
use super::trust::{CertificateDer, CertificateSigner, CertificateTrust};

/// The most certificates a path may hold, leaf and anchor included.
const MAX_PATH: usize = 8;
/// The most certificates considered at all (bundle, `--cert-chain` and `--cert-root`).
const MAX_POOL: usize = 256;
/// The most signature checks one path search may make: a pool crafted with many certificates
/// of the same name cannot make the search exponential.
const MAX_SIGNATURE_CHECKS: usize = 64;

/// A leaf whose path to a trust anchor was validated: its key verifies the DSSE signature.
#[derive(Debug, Clone)]
pub struct VerifiedLeaf {
    pub key: PublicKey,
    pub signer: CertificateSigner,
}

/// Builds and checks the path from `chain[0]` (the leaf; the rest are untrusted intermediates)
/// to one of `trust`'s anchors at time `now`. `Err` is the one-line reason the chain is refused.
pub fn verify_chain(
    chain: &[Vec<u8>],
    trust: &CertificateTrust,
    now: jiff::Timestamp,
) -> Result<VerifiedLeaf, String> {
    let Some((leaf_der, rest)) = chain.split_first() else {
        return Err("the bundle's certificate chain is empty".into());
    };
    let leaf = Cert::parse(leaf_der, Origin::Bundle(0))?;
    let mut pool = Pool {
        looked_in: "is not among the bundle's certificates, `--cert-chain` or `--cert-root`",
        certs: Vec::new(),
    };
    for (i, der) in rest.iter().enumerate() {
        pool.add(Cert::parse(der, Origin::Bundle(i + 1))?, false)?;
    }
    validate(&leaf, pool, trust, now)
}

/// The leaf's own checks, then a path through `pool` (with `trust`'s certificates added) to an
/// anchor.
fn validate(
    leaf: &Cert,
    mut pool: Pool,
    trust: &CertificateTrust,
    now: jiff::Timestamp,
) -> Result<VerifiedLeaf, String> {
    for c in &trust.intermediates {
        pool.add(Cert::parse(&c.der, Origin::File(c.source.clone()))?, false)?;
    }
    for c in &trust.roots {
        pool.add(Cert::parse(&c.der, Origin::File(c.source.clone()))?, true)?;
    }
    let key = check_leaf(leaf, now)?;
    let path = pool.path_from(leaf, now)?;
    let chain = path
        .iter()
        .map(|&i| pool.certs[i].0.subject.clone())
        .collect();
    let signer = signer_of(leaf, &key, chain);
    Ok(VerifiedLeaf { key, signer })
}

/// What reports show of the leaf; `chain` is the subjects above it up to the anchor.
fn signer_of(leaf: &Cert, key: &PublicKey, chain: Vec<String>) -> CertificateSigner {
    let rfc = crate::clock::rfc3339;
    CertificateSigner {
        subject: leaf.subject.clone(),
        issuer: leaf.issuer.clone(),
        serial: leaf.serial_hex(),
        sha256: crate::manifest::Sha256Digest::of(&leaf.der).to_hex(),
        algorithm: key.algorithm().as_str().to_owned(),
        not_before: rfc(leaf.not_before),
        not_after: rfc(leaf.not_after),
        chain,
    }
}

/// What `scelle sign --cert` writes after checking it: the leaf and the intermediates, without
/// the self-signed certificates the chain files held (a bundle must not carry roots).
#[derive(Debug, Clone)]
pub struct SigningChain {
    /// Leaf first, then the intermediates in the order the files gave them.
    pub certificates: Vec<Vec<u8>>,
    /// Subjects of the self-signed certificates left out.
    pub dropped_roots: Vec<String>,
    pub leaf: VerifiedLeaf,
}

/// Checks a signing certificate and its chain files before a bundle is written: the leaf's own
/// checks, then a path through the given intermediates, to a self-signed root when the files
/// hold one, else to the topmost intermediate given. Without chain files only the leaf is
/// checked (the verifier's `--cert-chain` may complete the path).
pub fn check_for_signing(
    leaf: &CertificateDer,
    chain: &[CertificateDer],
    now: jiff::Timestamp,
) -> Result<SigningChain, String> {
    let parsed_leaf = Cert::parse(&leaf.der, Origin::File(leaf.source.clone()))?;
    let mut intermediates = Vec::new();
    let mut roots = Vec::new();
    let mut dropped_roots = Vec::new();
    for c in chain {
        let parsed = Cert::parse(&c.der, Origin::File(c.source.clone()))?;
        if parsed.self_issued() && signature::verify_issued_by(&parsed, &parsed).is_ok() {
            dropped_roots.push(parsed.subject.clone());
            roots.push(c.clone());
        } else {
            intermediates.push((c.clone(), parsed));
        }
    }
    let mut certificates = vec![leaf.der.clone()];
    certificates.extend(intermediates.iter().map(|(c, _)| c.der.clone()));
    let verified = if roots.is_empty() && intermediates.is_empty() {
        let key = check_leaf(&parsed_leaf, now)?;
        VerifiedLeaf {
            signer: signer_of(&parsed_leaf, &key, Vec::new()),
            key,
        }
    } else {
        // Without a root, the path ends at the intermediates no other given certificate issued.
        let anchors = if roots.is_empty() {
            intermediates
                .iter()
                .filter(|(_, p)| {
                    !intermediates
                        .iter()
                        .any(|(_, q)| !std::ptr::eq(p, q) && p.named_issuer(q))
                })
                .map(|(c, _)| c.clone())
                .collect()
        } else {
            roots
        };
        let trust = CertificateTrust {
            roots: anchors,
            intermediates: intermediates.into_iter().map(|(c, _)| c).collect(),
        };
        // The same checks a verifier makes, the leaf named by its file and the issuer looked
        // for where a signer gives it.
        let pool = Pool {
            looked_in: "is not in the `--cert-chain` files",
            certs: Vec::new(),
        };
        validate(&parsed_leaf, pool, &trust, now)?
    };
    Ok(SigningChain {
        certificates,
        dropped_roots,
        leaf: verified,
    })
}

/// The leaf's own checks; returns its key. The order is the one docs/signing.md gives.
fn check_leaf(leaf: &Cert, now: jiff::Timestamp) -> Result<PublicKey, String> {
    leaf.check_extension_list()?;
    if leaf.self_issued() && signature::verify_issued_by(leaf, leaf).is_ok() {
        return Err(format!(
            "{} is self-signed: a certificate that vouches only for itself is a bare key in disguise; \
             use its key with `--key` (the key method), or a certificate a CA issued",
            leaf.name()
        ));
    }
    if leaf.basic_constraints()?.is_some_and(|b| b.ca) {
        return Err(format!(
            "{} is a CA certificate (basicConstraints cA=TRUE), not a signing certificate; \
             sign with an end-entity certificate the CA issued",
            leaf.name()
        ));
    }
    let key_usage = leaf.key_usage()?;
    let extended = leaf.extended_key_usage()?;
    if key_usage.is_none() && extended.is_none() {
        return Err(format!(
            "{} says nothing of its use: it needs keyUsage digitalSignature or extendedKeyUsage codeSigning",
            leaf.name()
        ));
    }
    if key_usage.is_some_and(|k| !k.digital_signature()) {
        return Err(format!(
            "{} may not sign: its keyUsage lacks digitalSignature",
            leaf.name()
        ));
    }
    if let Some(eku) = &extended
        && !eku.0.contains(&OID_CODE_SIGNING)
    {
        let names: Vec<String> = eku.0.iter().map(|o| eku_name(*o)).collect();
        return Err(format!(
            "{} may not sign code: its extendedKeyUsage is {} without codeSigning",
            leaf.name(),
            names.join(", ")
        ));
    }
    let key = leaf_key(leaf)?;
    leaf.valid_at(now, "now")?;
    Ok(key)
}

/// The leaf's key, which must be ECDSA on a curve of the OMS registry.
fn leaf_key(leaf: &Cert) -> Result<PublicKey, String> {
    let spki = leaf.spki_der()?;
    let key = PublicKey::from_spki_der(&spki).map_err(|_| {
        let oid = leaf
            .x509
            .tbs_certificate()
            .subject_public_key_info()
            .algorithm
            .oid;
        format!(
            "{} has a key of type {}; the OMS certificate method signs with ECDSA P-256, P-384 or P-521",
            leaf.name(),
            key_name(oid)
        )
    })?;
    if key.algorithm() == Algorithm::Ed25519 {
        return Err(format!(
            "{} has an Ed25519 key; the OMS certificate method signs with ECDSA P-256, P-384 or P-521",
            leaf.name()
        ));
    }
    Ok(key)
}

fn key_name(oid: der::asn1::ObjectIdentifier) -> String {
    match oid.to_string().as_str() {
        "1.2.840.113549.1.1.1" => "RSA".into(),
        "1.2.840.113549.1.1.10" => "RSASSA-PSS".into(),
        "1.2.840.10045.2.1" => "EC on another curve".into(),
        "1.3.101.112" => "Ed25519".into(),
        "1.3.101.113" => "Ed448".into(),
        other => format!("`{other}`"),
    }
}

fn eku_name(oid: der::asn1::ObjectIdentifier) -> String {
    match oid.to_string().as_str() {
        "1.3.6.1.5.5.7.3.1" => "serverAuth".into(),
        "1.3.6.1.5.5.7.3.2" => "clientAuth".into(),
        "1.3.6.1.5.5.7.3.4" => "emailProtection".into(),
        "1.3.6.1.5.5.7.3.8" => "timeStamping".into(),
        "1.3.6.1.5.5.7.3.9" => "OCSPSigning".into(),
        "2.5.29.37.0" => "anyExtendedKeyUsage".into(),
        other => other.to_owned(),
    }
}

/// The certificates a path may go through: intermediates (bundle, `--cert-chain`) and anchors
/// (`--cert-root`). A certificate given twice is kept once, as an anchor if either copy was
/// one: a bundle that carries the root itself reaches that root.
#[derive(Debug)]
struct Pool {
    /// Where a missing issuer was looked for, in the words of the command that looked
    /// ("is not among ...").
    looked_in: &'static str,
    certs: Vec<(Cert, bool)>,
}

impl Pool {
    fn add(&mut self, cert: Cert, anchor: bool) -> Result<(), String> {
        if let Some(existing) = self.certs.iter_mut().find(|(c, _)| c.der == cert.der) {
            existing.1 |= anchor;
            return Ok(());
        }
        if self.certs.len() >= MAX_POOL {
            return Err(format!(
                "more than {MAX_POOL} certificates given to build a path from"
            ));
        }
        self.certs.push((cert, anchor));
        Ok(())
    }

    /// The path above `leaf`: pool indices from its issuer up to an anchor.
    fn path_from(&self, leaf: &Cert, now: jiff::Timestamp) -> Result<Vec<usize>, String> {
        let mut search = Search {
            pool: self,
            leaf,
            now,
            checks: 0,
            path: Vec::new(),
        };
        search.above(leaf)?;
        Ok(search.path)
    }
}

struct Search<'a> {
    pool: &'a Pool,
    leaf: &'a Cert,
    now: jiff::Timestamp,
    checks: usize,
    /// Pool indices, from the leaf's issuer upward.
    path: Vec<usize>,
}

impl Search<'_> {
    /// Extends the path above `cert` (the leaf or the last certificate on the path) to an
    /// anchor, trying the anchors first. On failure, the first candidate's reason: with
    /// well-formed chains there is one candidate per name, and its failure is the one to tell.
    fn above(&mut self, cert: &Cert) -> Result<(), String> {
        let pool = self.pool;
        let mut candidates: Vec<usize> = (0..pool.certs.len())
            .filter(|&i| !self.path.contains(&i) && pool.certs[i].0.der != self.leaf.der)
            .filter(|&i| cert.named_issuer(&pool.certs[i].0))
            .collect();
        candidates.sort_by_key(|&i| !pool.certs[i].1);
        let mut first_error = None;
        for i in candidates {
            if self.checks >= MAX_SIGNATURE_CHECKS {
                first_error.get_or_insert_with(|| {
                    format!(
                        "no path from {} to a trust anchor within {MAX_SIGNATURE_CHECKS} signature checks",
                        self.leaf.name()
                    )
                });
                break;
            }
            match self.try_issuer(cert, i) {
                Ok(()) => return Ok(()),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        Err(first_error.unwrap_or_else(|| {
            format!(
                "no path from {} to a trust anchor: its issuer `{}` {}",
                self.leaf.name(),
                cert.issuer,
                self.pool.looked_in
            )
        }))
    }

    fn try_issuer(&mut self, cert: &Cert, i: usize) -> Result<(), String> {
        let (issuer, anchor) = &self.pool.certs[i];
        self.checks += 1;
        signature::verify_issued_by(cert, issuer)?;
        // Intermediates between this issuer and the leaf, for its pathLenConstraint.
        let below = self.path.len();
        check_issuer(issuer, below, self.leaf, self.now)?;
        if *anchor {
            self.path.push(i);
            return Ok(());
        }
        if self.path.len() + 2 >= MAX_PATH {
            return Err(format!(
                "no path from {} to a trust anchor within {MAX_PATH} certificates",
                self.leaf.name()
            ));
        }
        self.path.push(i);
        match self.above(issuer) {
            Ok(()) => Ok(()),
            Err(e) => {
                self.path.pop();
                Err(e)
            }
        }
    }
}

/// What a certificate that issued another on the path must be: v3, a CA, allowed to sign
/// certificates, within its path length, valid now and when the leaf became valid.
fn check_issuer(
    issuer: &Cert,
    below: usize,
    leaf: &Cert,
    now: jiff::Timestamp,
) -> Result<(), String> {
    issuer.check_extension_list()?;
    if !issuer.is_v3() {
        return Err(format!(
            "{} is not an X.509 v3 certificate, so it cannot say it is a CA",
            issuer.name()
        ));
    }
    let Some(constraints) = issuer.basic_constraints()?.filter(|b| b.ca) else {
        return Err(format!(
            "{} issued {} but is not a CA (no basicConstraints cA=TRUE)",
            issuer.name(),
            if below == 0 {
                leaf.name()
            } else {
                "a certificate of the path".into()
            }
        ));
    };
    if issuer.key_usage()?.is_some_and(|k| !k.key_cert_sign()) {
        return Err(format!(
            "{} may not issue certificates: its keyUsage lacks keyCertSign",
            issuer.name()
        ));
    }
    if let Some(max) = constraints.path_len_constraint
        && below > usize::from(max)
    {
        return Err(format!(
            "{} allows {max} intermediate certificate{} below it (pathLenConstraint), the path has {below}",
            issuer.name(),
            if max == 1 { "" } else { "s" }
        ));
    }
    issuer.valid_at(now, "now")?;
    issuer.valid_at(
        leaf.not_before,
        &format!("when {} became valid", leaf.name()),
    )
}

#[cfg(test)]
// Chains spelled out as literal slices read better than `from_ref` here.
#[allow(clippy::cloned_ref_to_slice_refs)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Leaf, intermediate (pathlen 0), root; all P-256, valid 2020-01-01 to 2049-12-31. Made by
    /// `tests/it/make_pki.py OUT fixed` (`cryptography`).
    const CHAIN: &str = include_str!("testdata/chain.pem");

    fn chain() -> Vec<Vec<u8>> {
        super::super::trust::pem_certificates(CHAIN).unwrap()
    }

    fn trust(roots: &[Vec<u8>], intermediates: &[Vec<u8>]) -> CertificateTrust {
        let wrap = |v: &[Vec<u8>]| {
            v.iter()
                .map(|der| CertificateDer {
                    der: der.clone(),
                    source: "roots.pem".into(),
                })
                .collect()
        };
        CertificateTrust {
            roots: wrap(roots),
            intermediates: wrap(intermediates),
        }
    }

    fn at(date: &str) -> jiff::Timestamp {
        format!("{date}T00:00:00Z").parse().unwrap()
    }

    const LEAF: &str = "CN=Fixture Leaf,O=Scelle Test";
    const INT: &str = "CN=Fixture Intermediate,O=Scelle Test";
    const ROOT: &str = "CN=Fixture Root,O=Scelle Test";

    #[test]
    fn the_path_is_built_by_name_to_the_anchor_and_reported() {
        let [leaf, int, root] = <[Vec<u8>; 3]>::try_from(chain()).unwrap();
        let verified = verify_chain(
            &[leaf.clone(), int.clone()],
            &trust(&[root.clone()], &[]),
            at("2030-01-01"),
        )
        .unwrap();
        assert_eq!(verified.signer.subject, LEAF);
        assert_eq!(verified.signer.issuer, INT);
        assert_eq!(verified.signer.chain, [INT, ROOT]);
        assert_eq!(verified.signer.algorithm, "ecdsa-p256-sha256");
        assert_eq!(verified.signer.not_after, "2049-12-31T00:00:00Z");
        // The intermediate from the verifier instead of the bundle; a root in the bundle too.
        assert!(
            verify_chain(
                &[leaf.clone()],
                &trust(&[root.clone()], &[int.clone()]),
                at("2030-01-01")
            )
            .is_ok()
        );
        assert!(
            verify_chain(
                &[leaf.clone(), int.clone(), root.clone()],
                &trust(&[root.clone()], &[]),
                at("2030-01-01")
            )
            .is_ok()
        );
        // The intermediate as the verifier's anchor: the path ends there.
        let partial = verify_chain(
            &[leaf.clone()],
            &trust(&[int.clone()], &[]),
            at("2030-01-01"),
        )
        .unwrap();
        assert_eq!(partial.signer.chain, [INT]);
        // A root in the bundle is not an anchor by itself.
        let e = verify_chain(
            &[leaf.clone(), int.clone(), root.clone()],
            &trust(&[], &[]),
            at("2030-01-01"),
        )
        .unwrap_err();
        assert_eq!(
            e,
            format!(
                "no path from `{LEAF}` to a trust anchor: its issuer `{ROOT}` is not among the bundle's certificates, `--cert-chain` or `--cert-root`"
            )
        );
        let e = verify_chain(&[leaf], &trust(&[root], &[]), at("2030-01-01")).unwrap_err();
        assert!(
            e.contains(&format!("its issuer `{INT}` is not among")),
            "{e}"
        );
    }

    #[test]
    fn every_certificate_must_be_valid_now() {
        let [leaf, int, root] = <[Vec<u8>; 3]>::try_from(chain()).unwrap();
        let t = trust(&[root], &[]);
        let e = verify_chain(&[leaf.clone(), int.clone()], &t, at("2050-06-01")).unwrap_err();
        assert_eq!(e, format!("`{LEAF}` expired on 2049-12-31T00:00:00Z"));
        let e = verify_chain(&[leaf, int], &t, at("2019-06-01")).unwrap_err();
        assert_eq!(
            e,
            format!(
                "`{LEAF}` is not valid now (2019-06-01T00:00:00Z): its validity starts 2020-01-01T00:00:00Z"
            )
        );
    }

    #[test]
    fn an_issuer_must_be_a_ca_and_its_signature_must_hold() {
        let [leaf, int, root] = <[Vec<u8>; 3]>::try_from(chain()).unwrap();
        // The leaf itself offered as the issuer of nothing, and as an anchor: it is refused as
        // no CA would be, and the leaf is never its own issuer.
        let e = verify_chain(
            &[leaf.clone()],
            &trust(&[leaf.clone()], &[]),
            at("2030-01-01"),
        )
        .unwrap_err();
        assert!(e.contains("no path from"), "{e}");
        // A flipped bit in the intermediate's signature.
        let mut bad = int.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        let e = verify_chain(&[leaf, bad], &trust(&[root], &[]), at("2030-01-01")).unwrap_err();
        assert!(
            e == format!("the signature on `{INT}` does not verify with the key of `{ROOT}`")
                || e.contains("is not an X.509 certificate in DER"),
            "{e}"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
        /// Any byte of any certificate changed: one line, never a panic, and a changed leaf or
        /// intermediate never passes (every byte is signed, or is the signature).
        #[test]
        fn changed_bytes_are_refused_in_one_line(which in 0usize..3, at_byte in 0usize..2000, xor in 1u8..=255) {
            let mut certs = chain();
            let i = at_byte % certs[which].len();
            certs[which][i] ^= xor;
            let root = certs.pop().unwrap();
            // Only the anchor may change and still pass (outside its name and key: its own
            // signature is not what makes it trusted).
            if let Err(e) = verify_chain(&certs, &trust(&[root], &[]), at("2030-01-01")) {
                prop_assert!(!e.contains('\n'));
            } else {
                prop_assert_eq!(which, 2);
            }
        }
    }

    #[test]
    fn usages_and_key_types_are_named_in_words() {
        let oid = der::asn1::ObjectIdentifier::new_unwrap;
        assert_eq!(eku_name(oid("1.3.6.1.5.5.7.3.1")), "serverAuth");
        assert_eq!(eku_name(oid("1.2.3.4")), "1.2.3.4");
        assert_eq!(key_name(oid("1.2.840.113549.1.1.1")), "RSA");
        assert_eq!(key_name(oid("1.2.3")), "`1.2.3`");
    }

    #[test]
    fn an_empty_or_garbage_chain_is_one_line() {
        let trust = CertificateTrust::default();
        let now = jiff::Timestamp::UNIX_EPOCH;
        assert_eq!(
            verify_chain(&[], &trust, now).unwrap_err(),
            "the bundle's certificate chain is empty"
        );
        let e = verify_chain(&[b"junk".to_vec()], &trust, now).unwrap_err();
        assert!(
            e.starts_with("the bundle's signing certificate is not an X.509 certificate in DER"),
            "{e}"
        );
    }
}
