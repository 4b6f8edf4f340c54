"""Makes the X.509 test PKIs of tests/it/certificates.rs with `cryptography`, into OUT_DIR.

Usage: make_pki.py OUT_DIR [fixed]

With `fixed`, it writes instead the fixed-date chain the unit tests of src/sign/x509 read
(`chain.pem`: leaf, intermediate, root, valid 2020-01-01 to 2049-12-31; kept in the repository).

Every certificate is written as NAME.pem and its private key as NAME.key (PKCS#8 PEM, mode
0600). Dates are relative to now, except the expired leaf (2023-2024), so the root and the
intermediates start in 2020: the reference validates a chain at the leaf's notBefore.
"""

import datetime
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

OUT = sys.argv[1]
NOW = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
DAY = datetime.timedelta(days=1)
LONG_AGO = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
FAR = NOW + 3650 * DAY
SERIAL = [0x1000]


def name(cn):
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Scelle Test"),
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
    ])


def save(stem, cert, key):
    with open(os.path.join(OUT, stem + ".pem"), "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    path = os.path.join(OUT, stem + ".key")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ))


def make(stem, cn, key, issuer=None, *, ca=False, pathlen=None, ku=None, eku=None,
         not_before=LONG_AGO, not_after=FAR, hash_alg=None, pss=False):
    """`issuer` is (cert, key); None for self-signed. `ku` a set of KeyUsage field names."""
    SERIAL[0] += 1
    issuer_name = issuer[0].subject if issuer else name(cn)
    signing_key = issuer[1] if issuer else key
    b = (x509.CertificateBuilder()
         .subject_name(name(cn))
         .issuer_name(issuer_name)
         .public_key(key.public_key())
         .serial_number(SERIAL[0])
         .not_valid_before(not_before)
         .not_valid_after(not_after)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
             signing_key.public_key()), False))
    if ca or pathlen is not None:
        b = b.add_extension(x509.BasicConstraints(ca=ca, path_length=pathlen), True)
    if ku is not None:
        fields = dict.fromkeys([
            "digital_signature", "content_commitment", "key_encipherment",
            "data_encipherment", "key_agreement", "key_cert_sign", "crl_sign",
            "encipher_only", "decipher_only"], False)
        for k in ku:
            fields[k] = True
        b = b.add_extension(x509.KeyUsage(**fields), True)
    if eku is not None:
        b = b.add_extension(x509.ExtendedKeyUsage(eku), False)
    h = hash_alg or hashes.SHA256()
    if pss:
        cert = b.sign(signing_key, h, rsa_padding=padding.PSS(
            mgf=padding.MGF1(h), salt_length=padding.PSS.DIGEST_LENGTH))
    else:
        cert = b.sign(signing_key, h)
    save(stem, cert, key)
    return cert, key


P256 = lambda: ec.generate_private_key(ec.SECP256R1())

if len(sys.argv) > 2 and sys.argv[2] == "fixed":
    END = datetime.datetime(2049, 12, 31, tzinfo=datetime.timezone.utc)
    r = make("f_root", "Fixture Root", P256(), ca=True, ku={"key_cert_sign"}, not_after=END)
    i = make("f_int", "Fixture Intermediate", P256(), r, ca=True, pathlen=0,
             ku={"key_cert_sign"}, not_after=END)
    l = make("f_leaf", "Fixture Leaf", P256(), i, ku={"digital_signature"},
             eku=[ExtendedKeyUsageOID.CODE_SIGNING], not_after=END)
    with open(os.path.join(OUT, "chain.pem"), "wb") as f:
        for c in (l, i, r):
            f.write(c[0].public_bytes(serialization.Encoding.PEM))
    sys.exit(0)
SIGNING = {"digital_signature"}
CODE = [ExtendedKeyUsageOID.CODE_SIGNING]
CA_KU = {"key_cert_sign", "crl_sign"}

root = make("root", "Root CA", ec.generate_private_key(ec.SECP384R1()), ca=True, ku=CA_KU,
            hash_alg=hashes.SHA384())
inter = make("int", "Intermediate CA", P256(), root, ca=True, pathlen=0, ku=CA_KU,
             hash_alg=hashes.SHA384())
make("leaf", "Release Signer", P256(), inter, ku=SIGNING, eku=CODE, not_before=NOW - DAY)
make("leaf_p521", "Release Signer P-521", ec.generate_private_key(ec.SECP521R1()), inter,
     ku=SIGNING, eku=CODE, not_before=NOW - DAY)
make("leaf_self", "Self Signed", P256(), None, ku=SIGNING, eku=CODE, not_before=NOW - DAY)
make("leaf_expired", "Expired Signer", P256(), inter, ku=SIGNING, eku=CODE,
     not_before=datetime.datetime(2023, 1, 1, tzinfo=datetime.timezone.utc),
     not_after=datetime.datetime(2024, 5, 1, tzinfo=datetime.timezone.utc))
make("leaf_nousage", "No Usage", P256(), inter, not_before=NOW - DAY)
make("leaf_server", "Server Only", P256(), inter,
     eku=[ExtendedKeyUsageOID.SERVER_AUTH], not_before=NOW - DAY)
make("leaf_ca", "Leaf As CA", P256(), inter, ca=True, ku=SIGNING | CA_KU, eku=CODE,
     not_before=NOW - DAY)
make("leaf_rsa_key", "RSA Key Leaf", rsa.generate_private_key(65537, 2048), inter, ku=SIGNING,
     eku=CODE, not_before=NOW - DAY)
make("other_root", "Other Root CA", ec.generate_private_key(ec.SECP384R1()), ca=True, ku=CA_KU)
# An intermediate that starts tomorrow, and a leaf under it that started yesterday.
future = make("int_future", "Future Intermediate CA", P256(), root, ca=True, pathlen=0,
              ku=CA_KU, not_before=NOW + DAY)
make("leaf_future", "Under Future", P256(), future, ku=SIGNING, eku=CODE, not_before=NOW - DAY)
# An RSA root signing an ECDSA intermediate with PKCS#1 v1.5, another with PSS.
rsa_root = make("rsa_root", "RSA Root CA", rsa.generate_private_key(65537, 2048), ca=True,
                ku=CA_KU)
rsa_int = make("rsa_int", "RSA-signed Intermediate", P256(), rsa_root, ca=True, pathlen=0,
               ku=CA_KU)
make("rsa_leaf", "Under RSA", P256(), rsa_int, ku=SIGNING, eku=CODE, not_before=NOW - DAY)
pss_int = make("pss_int", "PSS-signed Intermediate", P256(), rsa_root, ca=True, pathlen=0,
               ku=CA_KU, hash_alg=hashes.SHA256(), pss=True)
make("pss_leaf", "Under PSS", P256(), pss_int, ku=SIGNING, eku=CODE, not_before=NOW - DAY)
# pathlen 0 on the intermediate: a second intermediate below it breaks the constraint.
sub = make("int_sub", "Sub Intermediate CA", P256(), inter, ca=True, ku=CA_KU)
make("leaf_deep", "Too Deep", P256(), sub, ku=SIGNING, eku=CODE, not_before=NOW - DAY)
