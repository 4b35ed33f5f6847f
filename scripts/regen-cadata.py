#!/usr/bin/env python3
"""Regenerate pinwarden's CA key dataset from real certificates.

Reads crates/core/data/sources.toml (hand-edited) and the PEM files under
crates/core/data/certs/, and writes crates/core/data/cas.toml and
crates/core/data/distrust.toml.

    python3 scripts/regen-cadata.py            # rewrite both files
    python3 scripts/regen-cadata.py --check    # exit 1 if they are stale

For every certificate it computes the SPKI pin (sha256/ + base64 of the
SHA-256 of the DER SubjectPublicKeyInfo), subject and issuer DN, validity,
SKI/AKI and whether it is self-signed. Certificates that share an SPKI are
one key. Each certificate's issuer is found among the other certificates
(issuer DN = subject DN, AKI = SKI when both are present) and the signature
is verified. An intermediate's operator is derived from the roots it chains
to, never from its name.

Output is deterministic: the same inputs give byte-identical files.
Needs Python 3.11+ (tomllib) and the `cryptography` package.
"""

from __future__ import annotations

import argparse
import base64
import difflib
import hashlib
import re
import sys
import tomllib
import warnings
from dataclasses import dataclass, field
from pathlib import Path

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
    from cryptography.x509.oid import NameOID
except ImportError:  # pragma: no cover
    sys.exit("regen-cadata: the Python package `cryptography` is needed (pip install cryptography)")

# Some long-lived roots (Go Daddy's and Starfield's) have serial number 0,
# which cryptography accepts with a deprecation warning.
warnings.filterwarnings("ignore", message=".*serial number.*")

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "crates" / "core" / "data"
SOURCES = DATA / "sources.toml"
CERTS = DATA / "certs"
CAS_OUT = DATA / "cas.toml"
DISTRUST_OUT = DATA / "distrust.toml"
SOURCES_MD = CERTS / "SOURCES.md"

COMMAND = "python3 scripts/regen-cadata.py"
KINDS = ("distrusted", "issued-after", "expired")


class DataError(Exception):
    """A problem in the inputs; the message names the file and what to do."""


# --------------------------------------------------------------------------
# certificates and keys


@dataclass(eq=False)
class Cert:
    path: str  # relative to certs/
    cert: x509.Certificate
    pin: str
    fingerprint: str
    subject: x509.Name
    issuer: x509.Name
    ski: bytes | None
    aki: bytes | None
    not_before: str  # YYYY-MM-DD (UTC)
    not_after: str
    self_signed: bool
    issuers: list["Cert"] = field(default_factory=list)

    @property
    def label(self) -> str:
        return name_label(self.subject)


def name_label(name: x509.Name) -> str:
    def first(oid):
        attrs = name.get_attributes_for_oid(oid)
        return str(attrs[0].value) if attrs else None

    cn = first(NameOID.COMMON_NAME)
    org = first(NameOID.ORGANIZATION_NAME)
    unit = first(NameOID.ORGANIZATIONAL_UNIT_NAME)
    # A CN that only repeats the organisation ("GlobalSign", "Amazon") names
    # no key: the unit does ("GlobalSign Root CA - R3", "Server CA 3B").
    if cn is not None and unit is not None and cn == org:
        return unit if unit.startswith(cn) else f"{cn} {unit}"
    if cn is not None:
        return cn
    if org is not None:
        return org
    return name.rfc4514_string()


def signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """True if `issuer`'s key made `cert`'s signature and the names chain.

    Done by hand rather than with verify_directly_issued_by, which refuses the
    SHA-1 signatures that old roots (and their cross-signs) still carry.
    """
    if cert.issuer != issuer.subject:
        return False
    key = issuer.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes,
                       cert.signature_algorithm_parameters, cert.signature_hash_algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, cert.signature_algorithm_parameters)
        elif isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
            key.verify(cert.signature, cert.tbs_certificate_bytes)
        else:
            return False
        return True
    except Exception:  # wrong key, or an algorithm cryptography does not support
        return False


def load_cert(rel: str) -> Cert:
    path = CERTS / rel
    if not path.is_file():
        raise DataError(f"{rel}: no such file under {CERTS.relative_to(REPO)}/")
    data = path.read_bytes()
    blocks = re.findall(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", data, re.S)
    if len(blocks) != 1:
        raise DataError(f"{rel}: expected exactly one PEM certificate, found {len(blocks)}")
    try:
        c = x509.load_pem_x509_certificate(blocks[0])
    except Exception as e:
        raise DataError(f"{rel}: does not parse as an X.509 certificate: {e}") from None
    spki = c.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    der = c.public_bytes(serialization.Encoding.DER)
    try:
        ski = c.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        ski = None
    try:
        aki = c.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
    except x509.ExtensionNotFound:
        aki = None
    self_signed = c.subject == c.issuer and (aki is None or ski is None or aki == ski) and signed_by(c, c)
    return Cert(
        path=rel,
        cert=c,
        pin="sha256/" + base64.b64encode(hashlib.sha256(spki).digest()).decode(),
        fingerprint=hashlib.sha256(der).hexdigest(),
        subject=c.subject,
        issuer=c.issuer,
        ski=ski,
        aki=aki,
        not_before=c.not_valid_before_utc.date().isoformat(),
        not_after=c.not_valid_after_utc.date().isoformat(),
        self_signed=self_signed,
    )


@dataclass(eq=False)
class Key:
    pin: str
    certs: list[Cert]

    def self_signed(self) -> list[Cert]:
        return [c for c in self.certs if c.self_signed]

    @property
    def label(self) -> str:
        ss = self.self_signed()
        if ss:
            return ss[0].label
        newest = max(self.certs, key=lambda c: (c.not_before, c.path))
        return newest.label

    @property
    def not_before(self) -> str:
        return min(c.not_before for c in self.certs)

    def not_after(self, as_root: bool) -> str:
        ss = self.self_signed()
        if as_root and ss:
            return max(c.not_after for c in ss)
        return max(c.not_after for c in self.certs)

    def issued_by(self) -> list[str]:
        return sorted({i.pin for c in self.certs for i in c.issuers if i.pin != self.pin})

    def cert_paths(self) -> list[str]:
        return [c.path for c in sorted(self.certs, key=lambda c: (not c.self_signed, c.path))]


# --------------------------------------------------------------------------
# reading sources.toml


def req(table: dict, key: str, typ, where: str):
    if key not in table:
        raise DataError(f"sources.toml: {where}: `{key}` is missing")
    v = table[key]
    if not isinstance(v, typ):
        raise DataError(f"sources.toml: {where}: `{key}` has the wrong type")
    return v


def str_list(table: dict, key: str, where: str, optional: bool = False) -> list[str]:
    if optional and key not in table:
        return []
    v = req(table, key, list, where)
    if not all(isinstance(x, str) for x in v):
        raise DataError(f"sources.toml: {where}: `{key}` must be a list of strings")
    return v


def read_sources(path: Path) -> dict:
    try:
        src = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise DataError(f"{path.relative_to(REPO)}: {e}") from None
    ops, inters, events = [], [], []
    seen_names: set[str] = set()
    for i, t in enumerate(src.get("operator", [])):
        where = f"[[operator]] #{i + 1}"
        name = req(t, "name", str, where)
        where = f"operator {name!r}"
        if name in seen_names:
            raise DataError(f"sources.toml: {where} is listed twice")
        seen_names.add(name)
        extra = set(t) - {
            "name", "aliases", "caa", "caa_source", "note", "rotates_intermediates", "roots",
        }
        if extra:
            raise DataError(f"sources.toml: {where}: unknown field(s) {sorted(extra)}")
        ops.append(
            {
                "name": name,
                "aliases": str_list(t, "aliases", where),
                "caa": str_list(t, "caa", where),
                "caa_source": req(t, "caa_source", str, where),
                "note": req(t, "note", str, where) if "note" in t else None,
                "rotates_intermediates": (
                    req(t, "rotates_intermediates", str, where)
                    if "rotates_intermediates" in t
                    else None
                ),
                "roots": str_list(t, "roots", where),
            }
        )
    for i, t in enumerate(src.get("intermediate", [])):
        where = f"[[intermediate]] #{i + 1}"
        extra = set(t) - {"cert"}
        if extra:
            raise DataError(
                f"sources.toml: {where}: unknown field(s) {sorted(extra)} "
                "(an intermediate's operator is derived from its issuing root)"
            )
        inters.append(req(t, "cert", str, where))
    for i, t in enumerate(src.get("distrust", [])):
        where = f"[[distrust]] #{i + 1}"
        name = req(t, "name", str, where)
        where = f"distrust {name!r}"
        extra = set(t) - {"name", "effective", "kind", "event", "certs"}
        if extra:
            raise DataError(f"sources.toml: {where}: unknown field(s) {sorted(extra)}")
        eff = t.get("effective")
        if not hasattr(eff, "isoformat") or hasattr(eff, "hour"):
            raise DataError(f"sources.toml: {where}: `effective` must be a TOML date (YYYY-MM-DD)")
        kind = req(t, "kind", str, where)
        if kind not in KINDS:
            raise DataError(f"sources.toml: {where}: `kind` must be one of {', '.join(KINDS)}")
        events.append(
            {
                "name": name,
                "effective": eff.isoformat(),
                "kind": kind,
                "event": req(t, "event", str, where),
                "certs": str_list(t, "certs", where),
            }
        )
    extra = set(src) - {"operator", "intermediate", "distrust"}
    if extra:
        raise DataError(f"sources.toml: unknown top-level table(s) {sorted(extra)}")
    return {"operators": ops, "intermediates": inters, "distrust": events}


# --------------------------------------------------------------------------
# building the dataset


def build(src: dict) -> tuple[str, str]:
    # every certificate file named anywhere, loaded once
    role: dict[str, str] = {}  # path -> first place it is named

    def claim(path: str, where: str, shared_ok: bool = False) -> None:
        if path in role and not shared_ok:
            raise DataError(f"sources.toml: {path} is named twice ({role[path]} and {where})")
        role.setdefault(path, where)

    for op in src["operators"]:
        for p in op["roots"]:
            claim(p, f"roots of {op['name']!r}")
    for p in src["intermediates"]:
        claim(p, "[[intermediate]]")
    distrust_paths: set[str] = set()
    for ev in src["distrust"]:
        for p in ev["certs"]:
            # a distrusted certificate may also be an operator's root (Entrust)
            claim(p, f"distrust {ev['name']!r}", shared_ok=p in role and role[p].startswith("roots of"))
            distrust_paths.add(p)

    certs: dict[str, Cert] = {p: load_cert(p) for p in sorted(role)}

    on_disk = sorted(str(p.relative_to(CERTS)) for p in CERTS.rglob("*.pem"))
    unlisted = [p for p in on_disk if p not in certs]
    if unlisted:
        raise DataError(
            "certificates in certs/ that sources.toml does not name (add them or delete them): "
            + ", ".join(unlisted)
        )
    by_fp: dict[str, str] = {}
    for c in certs.values():
        if c.fingerprint in by_fp:
            raise DataError(f"{c.path} and {by_fp[c.fingerprint]} are the same certificate")
        by_fp[c.fingerprint] = c.path
    check_sources_md(certs)

    # issuers: subject DN + SKI match, signature verified
    by_subject: dict[bytes, list[Cert]] = {}
    for c in certs.values():
        by_subject.setdefault(c.subject.public_bytes(), []).append(c)
    for c in certs.values():
        if c.self_signed:
            continue
        cands = [
            i
            for i in by_subject.get(c.issuer.public_bytes(), [])
            if i is not c and (c.aki is None or i.ski is None or c.aki == i.ski)
        ]
        c.issuers = sorted((i for i in cands if signed_by(c.cert, i.cert)), key=lambda i: i.path)
        if not c.issuers and c.path not in distrust_paths:
            hint = " (a certificate with that subject is present, but its key did not sign this one)" if cands else ""
            raise DataError(
                f"{c.path}: its issuer {c.issuer.rfc4514_string()!r} is not in the data{hint}; "
                "add the issuing certificate to certs/ and sources.toml"
            )

    keys: dict[str, Key] = {}
    for c in certs.values():
        keys.setdefault(c.pin, Key(c.pin, [])).certs.append(c)

    # operator roots
    op_index = {op["name"]: n for n, op in enumerate(src["operators"])}
    root_op: dict[str, str] = {}  # pin -> operator
    op_root_pins: dict[str, list[str]] = {}
    for op in src["operators"]:
        pins: list[str] = []
        for p in op["roots"]:
            c = certs[p]
            if not c.self_signed:
                raise DataError(
                    f"{p}: listed in the roots of {op['name']!r} but it is not self-signed "
                    f"(issuer {c.issuer.rfc4514_string()!r}); list it under [[intermediate]]"
                )
            other = root_op.get(c.pin)
            if other is not None and other != op["name"]:
                raise DataError(
                    f"pin collision: {p} ({c.pin}) is a root of both {other!r} and {op['name']!r}"
                )
            root_op[c.pin] = op["name"]
            if c.pin not in pins:
                pins.append(c.pin)
        op_root_pins[op["name"]] = pins

    distrusted_pins = {certs[p].pin for ev in src["distrust"] for p in ev["certs"]}

    # operator of every other key, from the roots its issuers chain to
    memo: dict[str, tuple | None] = {}

    def resolve(pin: str, stack: tuple[str, ...]) -> tuple | None:
        """Best (rank, operator, root pin) for a key, or None if it reaches no operator root."""
        if pin in root_op:
            k = keys[pin]
            root_nb = min(c.not_before for c in k.self_signed())
            # rank: non-distrusted roots first, then the newest root, then sources order
            return ((pin in distrusted_pins, _neg_date(root_nb), op_index[root_op[pin]]), root_op[pin], pin)
        if pin in memo:
            return memo[pin]
        if pin in stack:
            return None
        best = None
        for ipin in keys[pin].issued_by():
            r = resolve(ipin, stack + (pin,))
            if r is not None and (best is None or r[0] < best[0]):
                best = r
        memo[pin] = best
        return best

    key_op: dict[str, str] = {}
    for pin, k in keys.items():
        if pin in root_op:
            key_op[pin] = root_op[pin]
            continue
        if all(c.path in distrust_paths for c in k.certs):
            continue  # a distrusted root of no operator: distrust.toml only
        r = resolve(pin, ())
        if r is None:
            paths = ", ".join(k.cert_paths())
            raise DataError(
                f"{paths}: chains to no operator's root (only to distrusted roots or to nothing); "
                "add the operator's root to sources.toml, or list the certificate under a [[distrust]] event"
            )
        key_op[pin] = r[1]

    labels = {pin: k.label for pin, k in keys.items()}
    return render_cas(src, keys, key_op, root_op, op_root_pins, labels), render_distrust(
        src, certs, keys, root_op, labels
    )


def _neg_date(d: str) -> str:
    # newer dates sort first: invert each digit
    return "".join(chr(ord("9") - ord(ch) + ord("0")) if ch.isdigit() else ch for ch in d)


def check_sources_md(certs: dict[str, Cert]) -> None:
    if not SOURCES_MD.is_file():
        raise DataError(f"{SOURCES_MD.relative_to(REPO)} is missing: every certificate's provenance goes there")
    text = SOURCES_MD.read_text(encoding="utf-8")
    listed = set(re.findall(r"^\|\s*`?([^|`\s]+\.pem)`?\s*\|", text, re.M))
    missing = sorted(p for p in certs if p not in listed)
    if missing:
        raise DataError(
            f"{SOURCES_MD.relative_to(REPO)} has no row for: {', '.join(missing)} "
            "(say where each certificate came from)"
        )


# --------------------------------------------------------------------------
# rendering


def q(s: str) -> str:
    out = s.replace("\\", "\\\\").replace('"', '\\"')
    out = "".join(ch if ch >= " " or ch == "\t" else f"\\u{ord(ch):04x}" for ch in out)
    return f'"{out}"'


def qlist(xs: list[str]) -> str:
    return "[" + ", ".join(q(x) for x in xs) + "]"


def comment_safe(s: str) -> str:
    return s.replace("\n", " ")


def header(what: str) -> list[str]:
    rel_src = SOURCES.relative_to(REPO)
    rel_certs = CERTS.relative_to(REPO)
    return [
        f"# GENERATED FILE, do not edit. Written by `{COMMAND}`",
        f"# from {rel_src} and the certificates in",
        f"# {rel_certs}/ (provenance: certs/SOURCES.md). Edit those, rerun",
        "# the command and commit everything; `--check` fails while they disagree.",
        "#",
    ] + what.strip("\n").split("\n")


CAS_DOC = """
# Public CAs pinwarden knows by name and the keys their certificates chain to.
# `pinwarden caa` names the CAs a CAA record permits and cross-checks them with
# pin sets; the CT monitor maps a chain's keys to a CA; a policy's
# `organisation.cas` names are resolved against `name` and `aliases`
# (case-insensitively, apostrophes and spaces ignored). A private CA goes into
# a separate file of this same format, passed with `--cas FILE`.
#
# [[ca]]        name, aliases, caa (issuer domain names for CAA `issue` /
#               `issuewild`, RFC 8659 §4.2), caa_source (where the CA documents
#               them), note (optional).
# [[ca.keys]]   one per public key (SPKI); certificates sharing a key are one
#               entry, e.g. a root and its cross-signed copy.
#   label       subject CN (or O) of the key's self-signed, else newest, certificate
#   pin         "sha256/" + base64(SHA-256(DER SubjectPublicKeyInfo))
#   level       "root": a self-signed certificate of the key is one of the
#               operator's roots; "intermediate" otherwise
#   not_before  earliest notBefore of the key's certificates
#   not_after   a root's self-signed notAfter; else the latest notAfter
#   issued_by   pins of the other keys that signed a certificate for this key
#               (signature verified)
#   certs       the certificates, relative to crates/core/data/certs/
# A key's operator is the operator of the root(s) it chains to; when it chains
# to several operators' roots, a root not under a distrust event wins, then the
# newest root. Roots are in sources.toml order, then intermediates by label.
"""

DISTRUST_DOC = """
# Root-program actions against CA keys: a pin to one of them is a pin to a dead
# end (or soon will be).
#
# [[ca]]        name, effective (date), kind, event (what happened, with its
#               sources). Keys only, never names: a brand of a distrusted CA may
#               live on under another operator's roots (RapidSSL at DigiCert).
#   kind        "distrusted": every certificate chaining to the keys, from
#               `effective` on; "issued-after": certificates issued (or logged)
#               after `effective`; "expired": the root's certificate expired.
# [[ca.keys]]   label, pin, not_after, certs: as in cas.toml. A key may be both
#               here and under its operator in cas.toml (Entrust's roots).
"""


def render_key(lines: list[str], k: Key, level: str | None, labels: dict[str, str]) -> None:
    lines.append("[[ca.keys]]")
    lines.append(f"label = {q(k.label)}")
    lines.append(f"pin = {q(k.pin)}")
    if level is not None:
        lines.append(f"level = {q(level)}")
        lines.append(f"not_before = {k.not_before}")
    lines.append(f"not_after = {k.not_after(level != 'intermediate')}")
    if level is not None:
        iss = k.issued_by()
        if not iss:
            lines.append("issued_by = []")
        else:
            lines.append("issued_by = [")
            for p in sorted(iss, key=lambda p: (labels[p], p)):
                lines.append(f"  {q(p)}, # {comment_safe(labels[p])}")
            lines.append("]")
    paths = k.cert_paths()
    if len(paths) == 1:
        lines.append(f"certs = {qlist(paths)}")
    else:
        lines.append("certs = [")
        lines.extend(f"  {q(p)}," for p in paths)
        lines.append("]")
    lines.append("")


def render_cas(src, keys, key_op, root_op, op_root_pins, labels) -> str:
    lines = header(CAS_DOC)
    lines.append("")
    for op in src["operators"]:
        name = op["name"]
        lines.append("[[ca]]")
        lines.append(f"name = {q(name)}")
        lines.append(f"aliases = {qlist(op['aliases'])}")
        lines.append(f"caa = {qlist(op['caa'])}")
        lines.append(f"caa_source = {q(op['caa_source'])}")
        if op["note"] is not None:
            lines.append(f"note = {q(op['note'])}")
        if op["rotates_intermediates"] is not None:
            lines.append(f"rotates_intermediates = {q(op['rotates_intermediates'])}")
        lines.append("")
        for pin in op_root_pins[name]:
            render_key(lines, keys[pin], "root", labels)
        inters = sorted(
            (k for pin, k in keys.items() if key_op.get(pin) == name and pin not in root_op),
            key=lambda k: (k.label.casefold(), k.label, k.pin),
        )
        for k in inters:
            render_key(lines, k, "intermediate", labels)
    return "\n".join(lines).rstrip("\n") + "\n"


def render_distrust(src, certs, keys, root_op, labels) -> str:
    lines = header(DISTRUST_DOC)
    lines.append("")
    for ev in src["distrust"]:
        lines.append("[[ca]]")
        lines.append(f"name = {q(ev['name'])}")
        lines.append(f"effective = {ev['effective']}")
        lines.append(f"kind = {q(ev['kind'])}")
        lines.append(f"event = {q(ev['event'])}")
        lines.append("")
        pins: list[str] = []
        for p in ev["certs"]:
            if certs[p].pin not in pins:
                pins.append(certs[p].pin)
        for pin in pins:
            k = keys[pin]
            render_key(lines, k, None, labels)
    return "\n".join(lines).rstrip("\n") + "\n"


# --------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--check",
        action="store_true",
        help="regenerate in memory and exit 1 if cas.toml or distrust.toml differ from it",
    )
    args = ap.parse_args(argv)
    try:
        src = read_sources(SOURCES)
        cas, distrust = build(src)
    except DataError as e:
        print(f"regen-cadata: error: {e}", file=sys.stderr)
        return 2
    outputs = [(CAS_OUT, cas), (DISTRUST_OUT, distrust)]
    if args.check:
        stale = []
        for path, text in outputs:
            old = path.read_text(encoding="utf-8") if path.is_file() else ""
            if old != text:
                stale.append(path)
                diff = list(
                    difflib.unified_diff(
                        old.splitlines(), text.splitlines(),
                        f"{path.relative_to(REPO)} (checked in)", f"{path.relative_to(REPO)} (regenerated)",
                        lineterm="", n=1,
                    )
                )
                print("\n".join(diff[:40]), file=sys.stderr)
                if len(diff) > 40:
                    print(f"... ({len(diff) - 40} more diff lines)", file=sys.stderr)
        if stale:
            names = ", ".join(str(p.relative_to(REPO)) for p in stale)
            print(f"regen-cadata: {names} out of date; run `{COMMAND}`", file=sys.stderr)
            return 1
        print(f"regen-cadata: {CAS_OUT.relative_to(REPO)} and {DISTRUST_OUT.relative_to(REPO)} are up to date")
        return 0
    for path, text in outputs:
        old = path.read_text(encoding="utf-8") if path.is_file() else None
        if old != text:
            path.write_text(text, encoding="utf-8")
            print(f"regen-cadata: wrote {path.relative_to(REPO)}")
        else:
            print(f"regen-cadata: {path.relative_to(REPO)} unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
