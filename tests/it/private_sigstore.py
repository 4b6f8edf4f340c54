# A private Sigstore instance, played offline with `cryptography`, around one in-toto statement.
#
# Usage: python private_sigstore.py OUT_DIR STATEMENT_FILE IDENTITY ISSUER NOW
#
# Writes OUT_DIR/trusted_root.json (a Fulcio-style CA, a CT log key, a Rekor log key) and
# OUT_DIR/keyless.sig: a v0.3 bundle whose DSSE envelope signs the statement with a short-lived
# leaf certificate (email SAN, OIDC issuer extensions 1.1 and 1.8, an embedded SCT over the
# precertificate), logged as a Rekor v1 `dsse` 0.0.1 entry with a signed entry timestamp, an
# inclusion proof in a tree of two leaves, and a signed checkpoint. Written for scelle's tests
# from the Sigstore and RFC 6962 specifications; nothing here is a real Sigstore key.

import base64
import datetime
import hashlib
import json
import struct
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

out_dir, statement_file, identity, issuer, now = sys.argv[1:6]
now = int(now)
statement = open(statement_file, "rb").read()


def b64(data):
    return base64.b64encode(data).decode()


def spki(key):
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def sign(key, data):
    return key.sign(data, ec.ECDSA(hashes.SHA256()))


def time(seconds):
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)


def iso(seconds):
    return time(seconds).strftime("%Y-%m-%dT%H:%M:%SZ")


ca_key = ec.generate_private_key(ec.SECP384R1())
ct_key = ec.generate_private_key(ec.SECP256R1())
rekor_key = ec.generate_private_key(ec.SECP256R1())
leaf_key = ec.generate_private_key(ec.SECP256R1())

# The CA: self-signed, valid for a year around now.
ca_name = x509.Name(
    [
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "scelle-test"),
        x509.NameAttribute(NameOID.COMMON_NAME, "private-fulcio"),
    ]
)
ca = (
    x509.CertificateBuilder()
    .subject_name(ca_name)
    .issuer_name(ca_name)
    .public_key(ca_key.public_key())
    .serial_number(x509.random_serial_number())
    .not_valid_before(time(now - 86400 * 180))
    .not_valid_after(time(now + 86400 * 180))
    .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
    .add_extension(
        x509.KeyUsage(
            digital_signature=False,
            content_commitment=False,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=True,
            crl_sign=True,
            encipher_only=False,
            decipher_only=False,
        ),
        critical=True,
    )
    .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
    .sign(ca_key, hashes.SHA384())
)

# The leaf: ten minutes, as Fulcio issues them; the precertificate first (no SCT), then the same
# certificate with the SCT list, so that removing the extension gives back the precertificate.
serial = x509.random_serial_number()
issued = now - 120


def leaf_builder():
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([]))
        .issuer_name(ca_name)
        .public_key(leaf_key.public_key())
        .serial_number(serial)
        .not_valid_before(time(issued))
        .not_valid_after(time(issued + 600))
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
        .add_extension(
            x509.SubjectAlternativeName([x509.RFC822Name(identity)]), critical=True
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        # Fulcio's OIDC issuer: the legacy raw string (1.1) and the DER UTF8String (1.8).
        .add_extension(
            x509.UnrecognizedExtension(
                ObjectIdentifier("1.3.6.1.4.1.57264.1.1"), issuer.encode()
            ),
            critical=False,
        )
        .add_extension(
            x509.UnrecognizedExtension(
                ObjectIdentifier("1.3.6.1.4.1.57264.1.8"),
                bytes([0x0C, len(issuer)]) + issuer.encode(),
            ),
            critical=False,
        )
    )


precert = leaf_builder().sign(ca_key, hashes.SHA256())
tbs = precert.tbs_certificate_bytes
ct_log_id = hashlib.sha256(spki(ct_key)).digest()
sct_time_ms = issued * 1000
issuer_key_hash = hashlib.sha256(spki(ca_key)).digest()
# RFC 6962 3.2: version v1, certificate_timestamp, timestamp, precert_entry, issuer key hash,
# the TBS (24-bit length), no extensions.
signed = (
    bytes([0, 0])
    + struct.pack(">Q", sct_time_ms)
    + struct.pack(">H", 1)
    + issuer_key_hash
    + struct.pack(">I", len(tbs))[1:]
    + tbs
    + struct.pack(">H", 0)
)
sct_sig = sign(ct_key, signed)
sct = (
    bytes([0])
    + ct_log_id
    + struct.pack(">Q", sct_time_ms)
    + struct.pack(">H", 0)
    + bytes([4, 3])  # sha256, ecdsa
    + struct.pack(">H", len(sct_sig))
    + sct_sig
)
sct_list = struct.pack(">H", len(sct) + 2) + struct.pack(">H", len(sct)) + sct


def der_octets(data):
    n = len(data)
    if n < 128:
        return bytes([0x04, n]) + data
    length = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x04, 0x80 | len(length)]) + length + data


leaf = (
    leaf_builder()
    .add_extension(
        x509.UnrecognizedExtension(
            ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2"), der_octets(sct_list)
        ),
        critical=False,
    )
    .sign(ca_key, hashes.SHA256())
)
leaf_der = leaf.public_bytes(serialization.Encoding.DER)
leaf_pem = leaf.public_bytes(serialization.Encoding.PEM)

# The DSSE envelope over the statement.
payload_type = "application/vnd.in-toto+json"
pae = b"DSSEv1 %d %s %d %s" % (
    len(payload_type),
    payload_type.encode(),
    len(statement),
    statement,
)
signature = sign(leaf_key, pae)
envelope = {
    "payload": b64(statement),
    "payloadType": payload_type,
    "signatures": [{"sig": b64(signature), "keyid": ""}],
}

# The Rekor v1 dsse 0.0.1 entry, JSON without spaces as Rekor canonicalises it.
body = json.dumps(
    {
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {
            "envelopeHash": {
                "algorithm": "sha256",
                "value": hashlib.sha256(
                    json.dumps(envelope, separators=(",", ":")).encode()
                ).hexdigest(),
            },
            "payloadHash": {
                "algorithm": "sha256",
                "value": hashlib.sha256(statement).hexdigest(),
            },
            "signatures": [{"signature": b64(signature), "verifier": b64(leaf_pem)}],
        },
    },
    separators=(",", ":"),
    sort_keys=True,
).encode()

rekor_log_id = hashlib.sha256(spki(rekor_key)).digest()
log_index = 1
integrated_time = now - 60

# The signed entry timestamp: RFC 8785 JSON of body, integratedTime, logID (hex), logIndex.
set_payload = json.dumps(
    {
        "body": b64(body),
        "integratedTime": integrated_time,
        "logID": rekor_log_id.hex(),
        "logIndex": log_index,
    },
    separators=(",", ":"),
    sort_keys=True,
).encode()
set_sig = sign(rekor_key, set_payload)

# A tree of two leaves, ours second: the proof is the other leaf's hash (RFC 6962 2.1).
other = hashlib.sha256(b"\x00" + b"another entry").digest()
ours = hashlib.sha256(b"\x00" + body).digest()
root = hashlib.sha256(b"\x01" + other + ours).digest()
origin = "private-rekor.example - " + str(int.from_bytes(rekor_log_id[:8], "big"))
note = "%s\n2\n%s\n" % (origin, b64(root))
note_sig = rekor_log_id[:4] + sign(rekor_key, note.encode())
checkpoint = note + "\n\u2014 private-rekor.example " + b64(note_sig) + "\n"

bundle = {
    "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
    "verificationMaterial": {
        "certificate": {"rawBytes": b64(leaf_der)},
        "tlogEntries": [
            {
                "logIndex": str(log_index),
                "logId": {"keyId": b64(rekor_log_id)},
                "kindVersion": {"kind": "dsse", "version": "0.0.1"},
                "integratedTime": str(integrated_time),
                "inclusionPromise": {"signedEntryTimestamp": b64(set_sig)},
                "inclusionProof": {
                    "logIndex": str(log_index),
                    "rootHash": b64(root),
                    "treeSize": "2",
                    "hashes": [b64(other)],
                    "checkpoint": {"envelope": checkpoint},
                },
                "canonicalizedBody": b64(body),
            }
        ],
    },
    "dsseEnvelope": envelope,
}


def log_key(key, url):
    return {
        "baseUrl": url,
        "hashAlgorithm": "SHA2_256",
        "publicKey": {
            "rawBytes": b64(spki(key)),
            "keyDetails": "PKIX_ECDSA_P256_SHA_256",
            "validFor": {"start": iso(now - 86400 * 180)},
        },
        "logId": {"keyId": b64(hashlib.sha256(spki(key)).digest())},
    }


trusted_root = {
    "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
    "tlogs": [log_key(rekor_key, "https://private-rekor.example")],
    "certificateAuthorities": [
        {
            "subject": {"organization": "scelle-test", "commonName": "private-fulcio"},
            "uri": "https://private-fulcio.example",
            "certChain": {
                "certificates": [{"rawBytes": b64(ca.public_bytes(serialization.Encoding.DER))}]
            },
            "validFor": {"start": iso(now - 86400 * 180)},
        }
    ],
    "ctlogs": [log_key(ct_key, "https://private-ct.example")],
    "timestampAuthorities": [],
}

with open(out_dir + "/trusted_root.json", "w") as f:
    json.dump(trusted_root, f, indent=2)
with open(out_dir + "/keyless.sig", "w") as f:
    json.dump(bundle, f, indent=2)
