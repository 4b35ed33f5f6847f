"""Schemathesis hooks for pinwarden's OpenAPI document.

The report schema names a custom string format, `pem-certificate`: one PEM
CERTIFICATE block holding an X.509 certificate. JSON Schema can't say that,
so schemathesis is told how to make such strings: from the certificates of
the real-client report fixtures (crates/core/testdata/reports/certs, see the
README there). Loaded with SCHEMATHESIS_HOOKS=hooks (PYTHONPATH=this folder).
"""
import pathlib

import schemathesis
from hypothesis import strategies as st

CERTS = pathlib.Path(__file__).resolve().parents[2] / "crates/core/testdata/reports/certs"
PEMS = sorted(p.read_text() for p in CERTS.glob("*.pem"))
assert PEMS, f"no certificates in {CERTS}"

schemathesis.openapi.format("pem-certificate", st.sampled_from(PEMS))
