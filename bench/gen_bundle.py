#!/usr/bin/env python3
"""Write a PEM bundle of N certificates for benchmarking `pinwarden pin`.

The bundle looks like a large real-world dump: one root, a few intermediates,
then leaves. Leaves mostly carry ECDSA P-256 keys; about one in ten carries an
RSA-2048 key. RSA key generation is slow, so RSA leaves reuse a small pool of
keys (several leaves then share a pin, which real bundles also do after key
reuse across renewals). Every leaf gets its own serial number and SANs.

Key material comes from the OS RNG, so pins differ between runs; the layout,
names, serials and validity dates are fixed by --seed. The benchmark checks
pinwarden against an independent implementation on the same bundle, so
byte-for-byte reproducible keys are not needed.

    python3 bench/gen_bundle.py OUT.pem [--count N] [--seed S]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

INTERMEDIATES = 4
RSA_POOL = 4
RSA_EVERY = 10  # one leaf in RSA_EVERY has an RSA key
NOT_BEFORE = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)


def name(cn: str, org: str = "Pinwarden Bench") -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "ZZ"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def ca_cert(subject, issuer, key, signer, serial, days, path_len):
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key())
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_BEFORE + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_len), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
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
        .add_extension(ski, critical=False)
        .add_extension(aki, critical=False)
        .sign(signer, hashes.SHA256())
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", help="where to write the PEM bundle")
    ap.add_argument("--count", type=int, default=10_000, help="certificates in total (default 10000)")
    ap.add_argument("--seed", type=int, default=1, help="seed for names, serials and dates")
    args = ap.parse_args()
    if args.count < 1 + INTERMEDIATES + 1:
        ap.error(f"--count must be at least {INTERMEDIATES + 2}")

    started = time.perf_counter()
    rng = random.Random(args.seed)

    root_key = ec.generate_private_key(ec.SECP384R1())
    root_name = name("Pinwarden Bench Root R1")
    root = ca_cert(root_name, root_name, root_key, root_key, rng.getrandbits(127), 3650, None)

    # Intermediates alternate ECDSA P-256 and RSA-2048, as public CAs do.
    inters = []
    for i in range(INTERMEDIATES):
        key = (
            ec.generate_private_key(ec.SECP256R1())
            if i % 2 == 0
            else rsa.generate_private_key(public_exponent=65537, key_size=2048)
        )
        subject = name(f"Pinwarden Bench Issuing CA {i + 1}")
        cert = ca_cert(subject, root_name, key, root_key, rng.getrandbits(127), 1825, 0)
        inters.append((cert, key))

    rsa_pool = [rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(RSA_POOL)]
    eku = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH])
    leaf_ku = x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )

    leaves = args.count - 1 - INTERMEDIATES
    pems = [root.public_bytes(serialization.Encoding.PEM)]
    pems += [c.public_bytes(serialization.Encoding.PEM) for c, _ in inters]
    for n in range(leaves):
        issuer, issuer_key = inters[n % INTERMEDIATES]
        if n % RSA_EVERY == RSA_EVERY - 1:
            public = rsa_pool[n % RSA_POOL].public_key()
        else:
            public = ec.generate_private_key(ec.SECP256R1()).public_key()
        host = f"svc{n:05d}.bench.pinwarden.invalid"
        sans = [x509.DNSName(host), x509.DNSName(f"www.{host}")]
        not_before = NOT_BEFORE + dt.timedelta(days=rng.randrange(300))
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
            .issuer_name(issuer.subject)
            .public_key(public)
            .serial_number(rng.getrandbits(127) | 1)
            .not_valid_before(not_before)
            .not_valid_after(not_before + dt.timedelta(days=90))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(leaf_ku, critical=True)
            .add_extension(eku, critical=False)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                critical=False,
            )
            .sign(issuer_key, hashes.SHA256())
        )
        pems.append(cert.public_bytes(serialization.Encoding.PEM))

    with open(args.out, "wb") as f:
        f.write(b"".join(pems))
    elapsed = time.perf_counter() - started
    rsa_leaves = sum(1 for n in range(leaves) if n % RSA_EVERY == RSA_EVERY - 1)
    print(
        f"gen_bundle: wrote {len(pems)} certificates to {args.out} "
        f"(1 root, {INTERMEDIATES} intermediates, {leaves - rsa_leaves} ECDSA P-256 leaves, "
        f"{rsa_leaves} RSA-2048 leaves from a pool of {RSA_POOL} keys) in {elapsed:.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
