"""Regenerates the DSSE fixtures here with DSSE's reference implementation.

signing_spec.py is DSSE's reference implementation, copied unchanged. Its
example crypto (ecdsa.py) needs pycryptodome; this script gives Sign() and
Verify() the same key and the same deterministic ECDSA (RFC 6979) through
pyca/cryptography instead. Run from anywhere: python3 generate.py
"""

import json
import os
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import signing_spec  # noqa: E402

# The key of protocol.md's "Test Vectors" and signing_spec.py's doctest.
D = 97358161215184420915383655311931858321456579547487070936769975997791359926199
X = 46950820868899156662930047687818585632848591499744589407958293238635476079160
Y = 5640078356564379163099075877009565129882514886557779369047442380624545832820
KEY = ec.derive_private_key(D, ec.SECP256R1())
assert KEY.public_key().public_numbers() == ec.EllipticCurvePublicNumbers(X, Y, ec.SECP256R1())
# The key id signing_spec.py's doctest shows for this key (ecdsa.py's own
# fingerprint): foreign to pinwarden, whose key ids are SHA-256 of the SPKI.
REFERENCE_KEYID = "66301bbf"
PINWARDEN_TYPE = "application/vnd.pinwarden.manifest+json"


class Signer:
    """signing_spec.Signer for the spec's key. `raw` gives r || s as the
    reference's ecdsa.py does; otherwise DER, which pinwarden verifies."""

    def __init__(self, keyid, raw=False):
        self._keyid = keyid
        self._raw = raw

    def sign(self, message):
        der = KEY.sign(message, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
        if not self._raw:
            return der
        r, s = decode_dss_signature(der)
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    def keyid(self):
        return self._keyid


class Verifier:
    def verify(self, message, signature):
        try:
            KEY.public_key().verify(signature, message, ec.ECDSA(hashes.SHA256()))
            return True
        except Exception:
            return False

    def keyid(self):
        return None


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def main():
    write(
        "spec-key.pub.pem",
        KEY.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
    )

    # The doctest of signing_spec.py, reproduced byte for byte (its sig is the
    # one protocol.md prints).
    reference = signing_spec.Sign(
        "http://example.com/HelloWorld", b"hello world", Signer(REFERENCE_KEYID, raw=True)
    )
    with open(os.path.join(HERE, "protocol-example.json")) as f:
        spec = json.load(f)
    assert json.loads(reference)["signatures"][0]["sig"] == spec["signatures"][0]["sig"]
    assert json.loads(reference)["signatures"][0]["keyid"] == REFERENCE_KEYID
    write("reference-example.json", reference + "\n")

    with open(os.path.join(HERE, "manifest.json"), "rb") as f:
        payload = f.read()

    def signed(keyid):
        text = signing_spec.Sign(PINWARDEN_TYPE, payload, Signer(keyid))
        verified = signing_spec.Verify(text, [("spec-key", Verifier())])
        assert verified.payload == payload and verified.recognizedSigners == ["spec-key"]
        return text

    # Sign() leaves keyid out when the signer has none.
    write("envelope-no-keyid.json", signed(None) + "\n")
    write("envelope-foreign-keyid.json", signed(REFERENCE_KEYID) + "\n")

    # Sign() drops a falsy keyid, so these two are edited after signing; the
    # edits touch no signed byte.
    envelope = json.loads(signed(None))
    envelope["signatures"][0] = {"keyid": "", **envelope["signatures"][0]}
    write("envelope-empty-keyid.json", json.dumps(envelope) + "\n")

    envelope = json.loads(signed(REFERENCE_KEYID))
    envelope["signatures"][0]["x-signer-note"] = "an unknown field in a signature"
    envelope["x-producer"] = {"name": "generate.py", "note": "an unknown top-level field"}
    write("envelope-extra-fields.json", json.dumps(envelope) + "\n")


if __name__ == "__main__":
    main()
