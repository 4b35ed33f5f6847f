"""Policies generated from `pinwarden schema`, written as TOML (issue 16).

Usage: policy_schema.py SCHEMA.json OUT_DIR EXAMPLES

Schemathesis (PyPI, through its public API: the schema as the request body of
a one-operation OpenAPI 3.1 document) draws EXAMPLES schema-valid policies,
derandomized so every run sees the same ones. jsonschema (PyPI) checks each
against the schema with formats asserted; each goes to OUT_DIR/accept-N.toml
for the Rust test, which requires every one to load.

OUT_DIR/refuse-N.toml hold values the loader refuses: this script asserts
the schema refuses them too, and the Rust test that the loader does.
"""

import base64
import binascii
import copy
import json
import pathlib
import re
import sys

import jsonschema
import schemathesis
from hypothesis import HealthCheck, given, settings

DATE_KEYS = {"expires", "last_rehearsed", "ota_last_exercised"}
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def toml_value(value, key, bare_dates):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        # TOML integers are 64-bit: a larger JSON number is a TOML float.
        return str(value) if -(2**63) <= value < 2**63 else repr(float(value))
    if isinstance(value, float):
        # 77.0 is the integer 77 to JSON Schema (and "integer" fields get
        # it): TOML tells the two apart, so write the integer.
        if value.is_integer() and -(2**63) <= value < 2**63:
            return str(int(value))
        return repr(value)
    if isinstance(value, str):
        if bare_dates and key in DATE_KEYS and DATE.fullmatch(value):
            return value
        # JSON's escapes are TOML's, but for DEL, which TOML wants escaped.
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v, key, bare_dates) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {toml_value(v, k, bare_dates)}" for k, v in value.items()) + "}"
    raise TypeError(f"no TOML for {value!r}")


def to_toml(policy, bare_dates):
    """Top-level tables and arrays of tables as a person writes them
    (`[organisation]`, `[[pinset]]`), everything under them inline. A null is
    a key left out: TOML has no null."""
    policy = without_nulls(policy)
    head, sections = [], []
    for key, value in policy.items():
        if isinstance(value, dict):
            sections.append((f"[{key}]", value))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            sections.extend((f"[[{key}]]", v) for v in value)
        else:
            head.append(f"{key} = {toml_value(value, key, bare_dates)}")
    for header, table in sections:
        head.append(header)
        head.extend(f"{k} = {toml_value(v, k, bare_dates)}" for k, v in table.items())
    return "\n".join(head) + "\n"


def without_nulls(value):
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def references_resolved(policy):
    """What a JSON Schema can't say: ids unique, pins unique in their set,
    applications naming pin sets that exist. Generated policies are made to
    keep those rules; the loader's own tests cover breaking them."""
    ids = []
    for n, set_ in enumerate(policy.get("pinset", [])):
        if set_["id"] in ids:
            set_["id"] = f"{set_['id']}#{n}"
        ids.append(set_["id"])
        if "pins" in set_:
            keys, pins = set(), []
            for pin in set_["pins"]:
                # Two notations of one key are one pin: keep the first.
                if pin_bytes(pin["pin"]) not in keys:
                    keys.add(pin_bytes(pin["pin"]))
                    pins.append(pin)
            set_["pins"] = pins
    app_ids = set()
    for n, app in enumerate(policy.get("application", [])):
        if app["id"] in app_ids:
            app["id"] = f"{app['id']}#{n}"
        app_ids.add(app["id"])
        if app.get("pinsets"):
            app["pinsets"] = [ids[j % len(ids)] for j in range(len(app["pinsets"]))] if ids else []
    return policy


def pin_bytes(text):
    """The digest a pin names, in the notations the schema allows (the text
    itself for any other: the loader will judge it)."""
    try:
        return digest(text.strip())
    except ValueError:  # binascii.Error included
        return text


def digest(s):
    if s.lower().startswith('pin-sha256="'):
        return base64.b64decode(s[len('pin-sha256="') : -1])
    if s.lower().startswith("sha256/"):
        return base64.b64decode(s[len("sha256/") :].lstrip("/")[-44:])
    if len(s) == 64:
        return binascii.unhexlify(s)
    return base64.b64decode(s)


PIN = "sha256/" + "A" * 43 + "="
BASE = {
    "organisation": {"runbook": [{"kind": "rotation", "path": "r"}]},
    "application": [{"id": "a", "type": "mobile"}],
    "pinset": [{"id": "s", "hosts": ["api.example.com"], "pins": [{"pin": PIN}]}],
}
# A path into BASE and a value the loader refuses there.
REFUSED = [
    (("organisation", "automated_renewal_percent"), 101),
    (("application", 0, "ota_fleet_reach_percent"), 255),
    (("application", 0, "update_days_to_95"), 2**32),
    (("organisation", "hours_to_switch_ca"), -1),
    (("organisation", "runbook", 0, "last_rehearsed"), "2026-02-30"),
    (("organisation", "runbook", 0, "last_rehearsed"), "01/05/2026"),
    (("application", 0, "ota_last_exercised"), "2026-05-01T10:00:00Z"),
    (("pinset", 0, "expires"), "tomorrow"),
    (("pinset", 0, "expires"), 20270630),
    (("pinset", 0, "pins", 0, "pin"), "sha256/" + "A" * 43),
    (("pinset", 0, "pins", 0, "pin"), "sha256/" + "A" * 42 + "B="),
    (("pinset", 0, "pins", 0, "pin"), "sha1/" + "A" * 27 + "="),
    (("pinset", 0, "pins", 0, "pin"), "md5/" + "A" * 40 + "="),
    (("pinset", 0, "pins", 0, "pin"), "AB:CD"),
    (("pinset", 0, "pins", 0, "pin"), "e3b0c44298fc1c149afbf4c8996fb924"),
    (("pinset", 0, "pins", 0, "pin"), "fingerprint" + "A" * 32 + "="),
    (("pinset", 0, "hosts", 0), "https://api.example.com/"),
    (("pinset", 0, "hosts", 0), "api.example.com:443"),
    (("pinset", 0, "hosts", 0), "*.com"),
    (("pinset", 0, "hosts", 0), "**.com."),
    (("pinset", 0, "hosts", 0), "api..example.com"),
    (("pinset", 0, "hosts", 0), "-api.example.com"),
    (("pinset", 0, "hosts", 0), "api.*.example.com"),
    (("pinset", 0, "hosts", 0), "a" * 64 + ".example.com"),
    (("pinset", 0, "hosts", 0), ""),
    (("pinset", 0, "enforce"), "yes"),
    (("application", 0, "type"), "watch"),
    (("application", 0, "colour"), "red"),
    (("colour",), "red"),
    (("endpoint",), [{"host": "h", "port": 65536}]),
]


def main():
    schema_path, out_dir, examples = sys.argv[1], pathlib.Path(sys.argv[2]), int(sys.argv[3])
    schema = json.loads(pathlib.Path(schema_path).read_text())
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    validator.validate(BASE)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "accept-base.toml").write_text(to_toml(BASE, False))

    for n, (path, value) in enumerate(REFUSED):
        doc = copy.deepcopy(BASE)
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        assert not validator.is_valid(doc), f"the schema accepts {path} = {value!r}"
        (out_dir / f"refuse-{n}.toml").write_text(to_toml(doc, False))

    # The policy schema as a request body; its $defs become components.
    body = json.loads(json.dumps(schema).replace('"#/$defs/', '"#/components/schemas/'))
    components = body.pop("$defs")
    body.pop("$schema", None)
    api = schemathesis.openapi.from_dict(
        {
            "openapi": "3.1.0",
            "info": {"title": "pinwarden.toml", "version": "1"},
            "paths": {
                "/policy": {
                    "post": {
                        "requestBody": {
                            "required": True,
                            "content": {"application/json": {"schema": body}},
                        },
                        "responses": {"200": {"description": "loaded"}},
                    }
                }
            },
            "components": {"schemas": components},
        }
    )
    written = []

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(api["/policy"]["POST"].as_strategy())
    def write(case):
        policy = case.body
        validator.validate(policy)
        policy = references_resolved(policy)
        validator.validate(policy)
        n = len(written)
        # Dates as TOML dates in every other policy, as strings in the rest.
        (out_dir / f"accept-{n}.toml").write_text(to_toml(policy, n % 2 == 1))
        written.append(n)

    write()
    print(len(written))


if __name__ == "__main__":
    main()
