#!/usr/bin/env python3
"""Writes the report fixtures byte for byte as the real clients serialise
them (see README.md beside this file for the sources read). Standard library
only; run make-certs.sh first for new certificates.

Every report is of one failure: api.northwind.example, served a chain the
app's pins don't match, at 2026-03-01T12:00:00Z (three hours after the leaf
was issued).
"""

import base64
import json
import pathlib
import subprocess

HERE = pathlib.Path(__file__).resolve().parent
CERTS = HERE / "certs"


def der(name):
    """A fixture certificate's DER bytes (PEM decoded with openssl)."""
    return subprocess.run(
        ["openssl", "x509", "-in", str(CERTS / f"{name}.pem"), "-outform", "DER"],
        check=True,
        capture_output=True,
    ).stdout


def spki_pin(spki_der):
    """The base64 SHA-256 of a DER SubjectPublicKeyInfo, with openssl."""
    digest = subprocess.run(
        ["openssl", "dgst", "-sha256", "-binary"],
        input=spki_der,
        check=True,
        capture_output=True,
    ).stdout
    return base64.b64encode(digest).decode()


def known_pins():
    return [
        spki_pin((CERTS / f"{k}-spki.der").read_bytes()) for k in ("pinned", "backup")
    ]


# --- TrustKit (iOS) -------------------------------------------------------


def ios_pem(cert):
    # reporting_utils.m, convertTrustToPemArray: "-----BEGIN CERTIFICATE-----\n%@\n
    # -----END CERTIFICATE-----" around base64EncodedStringWithOptions:
    # NSDataBase64Encoding64CharacterLineLength, which, given neither
    # line-ending option, ends lines with CR LF and adds none at the end.
    b64 = base64.b64encode(cert).decode()
    lines = [b64[i : i + 64] for i in range(0, len(b64), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\r\n".join(lines) + "\n-----END CERTIFICATE-----"


def ns_json_string(s):
    # NSJSONSerialization without NSJSONWritingWithoutEscapingSlashes: '/'
    # comes out as '\/'; other characters as JSON requires; non-ASCII raw.
    out = ['"']
    for c in s:
        if c in '"\\/':
            out.append("\\" + c)
        elif c == "\n":
            out.append("\\n")
        elif c == "\r":
            out.append("\\r")
        elif c == "\t":
            out.append("\\t")
        elif ord(c) < 0x20:
            out.append("\\u%04x" % ord(c))
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def compact(pairs, string):
    """Compact JSON of (key, value) pairs in the given order; values are
    str, bool, int, None or lists of str."""

    def value(v):
        if v is None:
            return "null"
        if v is True:
            return "true"
        if v is False:
            return "false"
        if isinstance(v, int):
            return str(v)
        if isinstance(v, str):
            return string(v)
        return "[" + ",".join(value(x) for x in v) + "]"

    return "{" + ",".join(string(k) + ":" + value(v) for k, v in pairs) + "}"


def trustkit_ios():
    # TSKPinFailureReport.m -json: an NSDictionary, which has no order (this
    # file uses one such order), serialised with options 0 (compact).
    # TSKBackgroundReporter.m: port nil -> @(0) (TrustKit.m always passes
    # nil); app-platform "IOS"; app-platform-version "%ld.%ld.%ld";
    # app-vendor-id an NSUUID UUIDString (upper case); trustkit-version the
    # TrustKitVersion constant (TSKTrustKitConfig.m, "3.0.0"). date-time:
    # "yyyy-MM-dd'T'HH:mm:ss'Z'" in GMT; known-pins-expiration-date:
    # "yyyy-MM-dd" in GMT. The validated chain is the evaluated SecTrust's,
    # anchor included, leaf first. validation-result 1 is
    # TSKTrustEvaluationFailedNoMatchingPin.
    chain = [ios_pem(der(c)) for c in ("leaf", "issuing", "root")]
    pins = ['pin-sha256="%s"' % p for p in known_pins()]
    pairs = [
        ("validated-certificate-chain", chain),
        ("app-platform-version", "17.4.1"),
        ("hostname", "api.northwind.example"),
        ("known-pins-expiration-date", "2026-12-31"),
        ("app-vendor-id", "3F2C9A61-7B0E-4D5A-9C1E-2B8F6D4A7E90"),
        ("include-subdomains", True),
        ("app-bundle-id", "com.northwind.mobile"),
        ("trustkit-version", "3.0.0"),
        ("port", 0),
        ("date-time", "2026-03-01T12:00:00Z"),
        ("noted-hostname", "northwind.example"),
        ("app-version", "5.2"),
        ("known-pins", pins),
        ("enforce-pinning", True),
        ("app-platform", "IOS"),
        ("validation-result", 1),
    ]
    return compact(pairs, ns_json_string)


# --- TrustKit-Android -------------------------------------------------------


def android_pem(cert):
    # BackgroundReporter.certificateToPem: "-----BEGIN CERTIFICATE-----\n" +
    # android.util.Base64.encodeToString(data, Base64.DEFAULT) +
    # "-----END CERTIFICATE-----\n". DEFAULT wraps at 76 characters with LF
    # and ends the last line with LF too.
    b64 = base64.b64encode(cert).decode()
    lines = [b64[i : i + 76] + "\n" for i in range(0, len(b64), 76)]
    return "-----BEGIN CERTIFICATE-----\n" + "".join(lines) + "-----END CERTIFICATE-----\n"


def org_json_string(s):
    # Android's org.json JSONStringer.string: '"', '\\' and '/' escaped with a
    # backslash, \t \b \n \r \f short, other controls \u00XX, U+2028/9
    # escaped, the rest (non-ASCII included) as is.
    out = ['"']
    short = {"\t": "\\t", "\b": "\\b", "\n": "\\n", "\r": "\\r", "\f": "\\f"}
    for c in s:
        if c in '"\\/':
            out.append("\\" + c)
        elif c in short:
            out.append(short[c])
        elif ord(c) <= 0x1F or c in "\u2028\u2029":
            out.append("\\u%04x" % ord(c))
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def localized(text, zero):
    """ASCII digits written in the numbering system whose zero is `zero`, as
    Java's Formatter does for a locale (android.text.format.DateFormat's
    zeroPad: String.format(Locale.getDefault(), "%0Nd", v))."""
    return "".join(chr(ord(zero) + int(c)) if c.isdigit() else c for c in text)


def trustkit_android(local_time, vendor_id):
    # PinningFailureReport.toJson: a JSONObject (insertion order) sent as
    # toString() (compact). port: PinningTrustManager passes 0.
    # date-time: android.text.format.DateFormat.format(
    # "yyyy-MM-dd'T'HH:mm:ssZ", date): the device's local time (a
    # GregorianCalendar in the default zone), and 'Z' is no DateFormat
    # letter, so it stays a literal Z. validation-result is the
    # PinningValidationResult ordinal (FAILED = 1). On Android 7+ the pin
    # failure comes from the network security config, checkServerTrusted
    # throws, and the "validated" chain stays the served one.
    # trustkit-version: BuildConfig.VERSION_NAME (gradle/libs.versions.toml).
    # app-vendor-id: java.util.UUID.toString() (lower case).
    chain = [android_pem(der(c)) for c in ("leaf", "issuing")]
    pins = ['pin-sha256="%s"' % p for p in known_pins()]
    pairs = [
        ("app-bundle-id", "com.northwind.mobile"),
        ("app-version", "5.2.0"),
        ("app-vendor-id", vendor_id),
        ("app-platform", "ANDROID"),
        ("trustkit-version", "1.1.5"),
        ("hostname", "api.northwind.example"),
        ("port", 0),
        ("noted-hostname", "northwind.example"),
        ("include-subdomains", True),
        ("enforce-pinning", True),
        ("validation-result", 1),
        ("date-time", local_time),
        ("validated-certificate-chain", chain),
        ("served-certificate-chain", chain),
        ("known-pins", pins),
    ]
    return compact(pairs, org_json_string)


# --- RFC 7469 section 3 -----------------------------------------------------


def rfc7469():
    # The example of RFC 7469 section 3 (Figure 7) made valid JSON: the comma
    # missing after effective-expiration-date added, the single-quoted
    # known-pin double-quoted, each PEM string on one line (its "\n"
    # escapes kept), the elided certificate completed with the one whose
    # first and last lines the RFC prints (Google Internet Authority G2,
    # serial 0x023A69), and the "..." for further certificates dropped.
    pem = (CERTS / "rfc7469-giag2.pem").read_text().strip()
    report = {
        "date-time": "2014-04-06T13:00:50Z",
        "hostname": "www.example.com",
        "port": 443,
        "effective-expiration-date": "2014-05-01T12:40:50Z",
        "include-subdomains": False,
        "noted-hostname": "example.com",
        "served-certificate-chain": [pem],
        "validated-certificate-chain": [pem],
        "known-pins": [
            'pin-sha256="d6qzRu9zOECb90Uez27xWltNsj0e1Md7GkYYkVoZWmM="',
            'pin-sha256="E9CZ9INDbd+2eRQozYqqbQ2yXLVKB9+xcprMF+44U1g="',
        ],
    }
    return json.dumps(report, indent=2) + "\n"


def write(name, text):
    (HERE / name).write_bytes(text.encode("utf-8"))


write("trustkit-ios.json", trustkit_ios())
# A device in Los Angeles (UTC-8 on 1 March): 12:00Z is 04:00 local.
write(
    "trustkit-android.json",
    trustkit_android("2026-03-01T04:00:00Z", "0b7f3c2e-5d1a-4e8b-9f60-a4c2d8e1b357"),
)
# A device in Tehran (UTC+3:30) with a Persian locale: 12:00Z is 15:30
# local, written in Extended Arabic-Indic digits (CLDR's default numbering
# system for fa, "arabext", zero U+06F0).
write(
    "trustkit-android-fa.json",
    trustkit_android(
        localized("2026-03-01T15:30:00Z", "\u06f0"),
        "6a1d0e94-c2b7-4f35-8e0a-71d9b3c5f248",
    ),
)
write("rfc7469.json", rfc7469())
