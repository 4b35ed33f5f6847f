//! What `pinwarden schema` says where a field's Rust type can't: the text of
//! pins, host patterns and dates. Each pattern is the language the loader
//! parses, so a schema-valid policy loads and a value the loader refuses is
//! schema-invalid (issue 16; `policy_schema` in the CLI's integration tests
//! generates policies from the schema to hold both to it).
//!
//! Patterns are ECMA-262 regular expressions, as JSON Schema specifies.

use schemars::{Schema, SchemaGenerator, json_schema};

/// The notations `SpkiPin::from_str` reads: `sha256/BASE64` (and curl's
/// `sha256//BASE64`), `pin-sha256="BASE64"`, 64 hex digits, bare BASE64. The
/// base64 is of 32 bytes, so its 43rd character carries 2 unused bits that
/// must be zero. The loader refuses text containing "fingerprint" and bare
/// base64 that starts like another notation (`sha1/…`, `md5/…`).
const PIN: &str = concat!(
    "^(?![\\s\\S]*[Ff][Ii][Nn][Gg][Ee][Rr][Pp][Rr][Ii][Nn][Tt])(?:",
    "[Ss][Hh][Aa]256//?",
    "[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=",
    "|[Pp][Ii][Nn]-[Ss][Hh][Aa]256=\"",
    "[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=",
    "\"|[0-9A-Fa-f]{64}",
    "|(?![Ss][Hh][Aa](?:1|224|256|384|512)/|[Mm][Dd]5/)",
    "[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=",
    ")$"
);

/// What `HostPattern::from_str` reads: a name of labels (letters, digits,
/// '-' and '_', 1–63 characters, no '-' at either end), or `*.` / `**.`
/// before a name of at least two labels; a final dot is allowed.
const HOST_PATTERN: &str = concat!(
    "^(?:\\*\\*?\\.",
    "[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?",
    "(?:\\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)+",
    "|[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?",
    "(?:\\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*",
    ")\\.?$"
);

/// A calendar date, `YYYY-MM-DD`. The pattern holds where a validator takes
/// `format` as an annotation only; `format: date` refuses 2026-02-30.
const DATE: &str = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$";

/// A pin, in any notation the loader reads.
pub(super) fn pin(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "string", "pattern": PIN })
}

/// A list of host patterns.
pub(super) fn host_patterns(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "array",
        "items": { "type": "string", "pattern": HOST_PATTERN },
    })
}

/// An optional date: written as a TOML date (`2026-05-31`) or a string
/// (`"2026-05-31"`, as JSON and YAML converters write it).
pub(super) fn date(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": ["string", "null"], "format": "date", "pattern": DATE })
}
