"""Writes a test leaf for HOST that names the CA certificate in CA_PEM as its
issuer, byte for byte (its subject DER as the issuer, its subject key
identifier as the authority key identifier), signed by a throwaway key.

Chain building links it to that CA as it would a served leaf; a signature
check refuses it. The simulation scenarios use it to put a test leaf under
real public CA certificates: simulate reads keys, not signatures.

usage: python3 leaf_claiming.py CA_PEM HOST > leaf.pem
"""

import datetime
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ca = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())
host = sys.argv[2]
key = ec.generate_private_key(ec.SECP256R1())
now = datetime.datetime.now(datetime.timezone.utc)
builder = (
    x509.CertificateBuilder()
    .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
    .issuer_name(ca.subject)
    .public_key(key.public_key())
    .serial_number(x509.random_serial_number())
    .not_valid_before(now - datetime.timedelta(days=1))
    .not_valid_after(now + datetime.timedelta(days=30))
    .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
)
try:
    ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    builder = builder.add_extension(
        x509.AuthorityKeyIdentifier(ski.digest, None, None), critical=False
    )
except x509.ExtensionNotFound:
    pass
cert = builder.sign(key, hashes.SHA256())
sys.stdout.buffer.write(cert.public_bytes(serialization.Encoding.PEM))
