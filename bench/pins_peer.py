#!/usr/bin/env python3
"""The independent peer for `pinwarden pin --format plain --roots none`.

For every certificate of a PEM bundle, in file order, prints the SPKI pin
`sha256/BASE64`, where BASE64 = base64(SHA-256(DER SubjectPublicKeyInfo)),
computed with Python's `cryptography` package and hashlib (RFC 7469 §2.4).

    python3 bench/pins_peer.py BUNDLE.pem
        print the pins (this is what the benchmark times)

    python3 bench/pins_peer.py BUNDLE.pem --check PINWARDEN [ARGS...]
        also run `PINWARDEN pin BUNDLE.pem --format plain --roots none` and
        fail (exit 1) unless both outputs are byte-identical
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import subprocess
import sys

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def pins(pem: bytes) -> bytes:
    lines = []
    for cert in x509.load_pem_x509_certificates(pem):
        spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        digest = hashlib.sha256(spki).digest()
        lines.append(b"sha256/" + base64.b64encode(digest) + b"\n")
    return b"".join(lines)


def check(bundle: str, ours: bytes, pinwarden: str) -> int:
    cmd = [pinwarden, "pin", bundle, "--format", "plain", "--roots", "none"]
    run = subprocess.run(cmd, capture_output=True, check=False)
    if run.returncode != 0:
        sys.stderr.write(run.stderr.decode(errors="replace"))
        print(f"pins_peer: FAIL: {' '.join(cmd)} exited {run.returncode}", file=sys.stderr)
        return 1
    theirs = run.stdout
    if theirs == ours:
        n = ours.count(b"\n")
        print(f"pins_peer: OK: {n} pins, outputs byte-identical ({len(ours)} bytes)", file=sys.stderr)
        return 0
    a, b = ours.split(b"\n"), theirs.split(b"\n")
    print(
        f"pins_peer: FAIL: outputs differ: python {len(ours)} bytes / {len(a) - 1} lines, "
        f"pinwarden {len(theirs)} bytes / {len(b) - 1} lines",
        file=sys.stderr,
    )
    shown = 0
    for i in range(max(len(a), len(b))):
        x = a[i] if i < len(a) else b"<missing>"
        y = b[i] if i < len(b) else b"<missing>"
        if x != y:
            print(f"  line {i + 1}: python {x!r} pinwarden {y!r}", file=sys.stderr)
            shown += 1
            if shown == 5:
                break
    return 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bundle", help="PEM bundle")
    ap.add_argument("--check", metavar="PINWARDEN", help="compare with this pinwarden binary instead of printing")
    args = ap.parse_args()
    with open(args.bundle, "rb") as f:
        ours = pins(f.read())
    if args.check:
        return check(args.bundle, ours, args.check)
    sys.stdout.buffer.write(ours)
    return 0


if __name__ == "__main__":
    sys.exit(main())
