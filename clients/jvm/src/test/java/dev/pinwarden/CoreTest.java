package dev.pinwarden;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

class CoreTest {
    static HostPattern p(String s) {
        return HostPattern.parse(s);
    }

    @Test
    void okhttpSemantics() {
        HostPattern exact = p("api.example.com");
        assertTrue(exact.matches("api.example.com"));
        assertTrue(exact.matches("API.Example.com."));
        assertFalse(exact.matches("x.api.example.com"));
        HostPattern one = p("*.example.com");
        assertTrue(one.matches("api.example.com"));
        assertFalse(one.matches("example.com"));
        assertFalse(one.matches("a.b.example.com"));
        assertFalse(one.matches("badexample.com"));
        HostPattern any = p("**.example.com");
        assertTrue(any.matches("example.com"));
        assertTrue(any.matches("api.example.com"));
        assertTrue(any.matches("a.b.example.com"));
        assertFalse(any.matches("badexample.com"));
        assertFalse(any.matches("example.com.evil.net"));
    }

    @Test
    void ipv6InAnyNotation() {
        for (String written : List.of("::1", "[::1]", "0:0:0:0:0:0:0:1")) {
            HostPattern pattern = p(written);
            assertEquals("::1", pattern.toString());
            assertTrue(pattern.matches("::1") && pattern.matches("[::1]"));
            assertFalse(pattern.matches("::2"));
        }
        assertTrue(p("2001:DB8::1").matches("2001:db8:0:0:0:0:0:1"));
        assertEquals("::ffff:1.2.3.4", p("0:0:0:0:0:ffff:102:304").toString());
        assertThrows(IllegalArgumentException.class, () -> p("*.::1"));
        assertThrows(IllegalArgumentException.class, () -> p("api.example.com:443"));
    }

    @Test
    void badPatternsSayWhy() {
        String[][] cases = {
            {"", "no domain"}, {"*.", "no domain"}, {"**.", "no domain"}, {"api.*.example.com", "wildcard"},
            {"*foo.example.com", "wildcard"}, {"https://example.com/", "URL"}, {"example.com:443", "port"},
            {"a..b", "empty label"}, {"*.com", "top-level"}, {"exa mple.com", "letters"},
        };
        for (String[] c : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p(c[0]));
            assertTrue(e.getMessage().contains(c[1]), c[0] + " gave " + e.getMessage());
        }
    }

    static PinSet set(String id, String pattern, boolean enforce) {
        return new PinSet(id, List.of(p(pattern)), List.of(), enforce, false, null, null);
    }

    @Test
    void theMostSpecificPatternThenEnforcementDecides() {
        PinSet wide = set("wide", "**.example.com", false);
        PinSet one = set("one", "*.example.com", true);
        PinSet exact = set("exact", "api.example.com", true);
        for (List<PinSet> order : List.of(List.of(wide, one, exact), List.of(exact, one, wide))) {
            assertEquals("exact", PinSet.forHost(order, "api.example.com").set.id);
            assertEquals("one", PinSet.forHost(order, "www.example.com").set.id);
            assertEquals("wide", PinSet.forHost(order, "a.b.example.com").set.id);
            assertEquals("wide", PinSet.forHost(order, "example.com").set.id);
            assertNull(PinSet.forHost(order, "example.org"));
        }
        PinSet report = set("report", "api.example.com", false);
        assertEquals("exact", PinSet.forHost(List.of(report, exact), "api.example.com").set.id);
        assertEquals("exact", PinSet.forHost(List.of(exact, report), "api.example.com").set.id);
        PinSet first = set("first", "api.example.com", true);
        assertEquals("first", PinSet.forHost(List.of(first, exact), "api.example.com").set.id);
        assertEquals("**.example.com", PinSet.forHost(List.of(wide), "x.example.com").pattern.toString());
    }

    @Test
    void includeSubdomainsWidensExactPatternsOnly() {
        PinSet s = new PinSet("api", List.of(p("example.com"), p("*.cdn.example.net")), List.of(), true, true, null, null);
        assertTrue(s.covers("example.com"));
        assertTrue(s.covers("a.b.example.com"));
        assertTrue(s.covers("x.cdn.example.net"));
        assertFalse(s.covers("a.x.cdn.example.net"));
        assertFalse(s.covers("cdn.example.net"));
    }

    @Test
    void cohortsMatchAnIndependentComputation() {
        assertEquals(81, Cohort.of("install-1", "mobile"));
        assertEquals(74, Cohort.of("4b7e2c1a-0f3d-4c55-9a61-2f0e8d9c7b10", "northwind-mobile"));
        assertEquals(52, Cohort.of("", ""));
        assertTrue(Cohort.inCandidate("install-1", "mobile", 82));
        assertFalse(Cohort.inCandidate("install-1", "mobile", 81));
        assertFalse(Cohort.inCandidate("x", "app", 0));
    }

    @Test
    void paeIsDsses() {
        assertEquals("DSSEv1 29 http://example.com/HelloWorld 11 hello world",
                new String(Envelope.pae("http://example.com/HelloWorld", "hello world".getBytes(StandardCharsets.UTF_8)),
                        StandardCharsets.UTF_8));
    }

    @Test
    void base64IsStrictAsTheRustSide() {
        assertArrayEquals(new byte[] {(byte) 0xfb, (byte) 0xff}, Bytes.decodeDsseBase64("+/8="));
        assertArrayEquals(new byte[] {(byte) 0xfb, (byte) 0xff}, Bytes.decodeDsseBase64("-_8="));
        assertArrayEquals(new byte[] {(byte) 0xfb, (byte) 0xff}, Bytes.decodeDsseBase64("-_8"));
        // DSSE allows either alphabet, padded or not (the Rust side's STANDARD_NO_PAD fallback).
        assertArrayEquals(new byte[] {(byte) 0xfb, (byte) 0xff}, Bytes.decodeDsseBase64("+/8"), "standard alphabet unpadded");
        assertNull(Bytes.decodeDsseBase64("+/9"), "trailing bits, unpadded");
        assertNull(Bytes.decodeDsseBase64("+/9="), "trailing bits");
        assertNull(Bytes.decodeDsseBase64("A"));
        assertNull(Bytes.decodeDsseBase64(" AA="));
        assertArrayEquals(new byte[0], Bytes.decodeDsseBase64(""));
        byte[] all = new byte[256];
        for (int k = 0; k < 256; k++) all[k] = (byte) k;
        assertEquals(java.util.Base64.getEncoder().encodeToString(all), Bytes.base64(all));
        assertArrayEquals(all, Bytes.decodeStandard(Bytes.base64(all)));
    }

    @Test
    void pinsParseInEveryNotation() {
        String b64 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
        String hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        SpkiPin empty = SpkiPin.ofSpki(new byte[0]);
        for (String t : List.of("sha256/" + b64, "SHA256/" + b64, "sha256//" + b64, "pin-sha256=\"" + b64 + "\"", b64, hex)) {
            assertEquals(empty, SpkiPin.parse(t), t);
        }
        assertEquals("sha256/" + b64, empty.toString());
        byte[] fc = new byte[32];
        Arrays.fill(fc, (byte) 0xfc);
        SpkiPin slash = SpkiPin.parse("sha256/" + Bytes.base64(fc));
        assertTrue(slash.toString().startsWith("sha256//"));
        assertEquals(slash, SpkiPin.parse(slash.toString()));
        assertThrows(IllegalArgumentException.class, () -> SpkiPin.parse("sha256/AAAA"));
    }

    @Test
    void rfc3339AndDates() {
        assertEquals(0, Times.parseInstant("1970-01-01T00:00:00Z"));
        assertEquals(1767225600000L, Times.parseInstant("2026-01-01T00:00:00Z"));
        assertEquals(1767225600000L, Times.parseInstant("2026-01-01T01:00:00+01:00"));
        assertEquals(1767225600500L, Times.parseInstant("2026-01-01T00:00:00.5Z"));
        assertEquals("2026-01-01T00:00:00Z", Times.formatInstant(1767225600000L));
        assertEquals(20454, Times.parseDate("2026-01-01"));
        assertThrows(IllegalArgumentException.class, () -> Times.parseInstant("2026-01-01 00:00:00"));
        assertThrows(IllegalArgumentException.class, () -> Times.parseDate("2026-02-30"));
    }

    @Test
    void signaturesThresholdDistinctKeysAppAndVersions() throws Exception {
        TestSigner a = TestSigner.p256();
        TestSigner b = TestSigner.ed25519();
        String payload = TestSigner.manifest("mobile", 3, 30).toString();
        String env = TestSigner.envelope(payload, a, b);
        VerifiedManifest v = TestSigner.trust(2, a, b).verify(env.getBytes(StandardCharsets.UTF_8), "mobile", null);
        assertEquals(3, v.manifest().version);
        assertEquals(2, v.signedBy().size());
        // The same key twice counts once.
        String twice = TestSigner.envelope(payload, a, a);
        ManifestException e = assertThrows(ManifestException.class,
                () -> TestSigner.trust(2, a, b).verify(twice.getBytes(StandardCharsets.UTF_8), "mobile", null));
        assertEquals(ManifestException.Reason.THRESHOLD, e.reason());
        assertEquals(ManifestException.Reason.WRONG_APP, assertThrows(ManifestException.class,
                () -> TestSigner.trust(1, a).verify(env.getBytes(StandardCharsets.UTF_8), "web", null)).reason());
        Accepted newer = new Accepted(4, "00");
        assertEquals(ManifestException.Reason.ROLLBACK, assertThrows(ManifestException.class,
                () -> TestSigner.trust(1, a).verify(env.getBytes(StandardCharsets.UTF_8), "mobile", newer)).reason());
        Accepted other = new Accepted(3, "00");
        assertEquals(ManifestException.Reason.EQUIVOCATION, assertThrows(ManifestException.class,
                () -> TestSigner.trust(1, a).verify(env.getBytes(StandardCharsets.UTF_8), "mobile", other)).reason());
        assertEquals(v.accepted(), TestSigner.trust(1, a).verify(env.getBytes(StandardCharsets.UTF_8), "mobile", v.accepted()).accepted());
        // A non-strict payload (a comment org.json alone would take) is refused.
        String lenient = TestSigner.envelope("{\"app\":\"mobile\" /* x */}", a);
        assertEquals(ManifestException.Reason.PAYLOAD, assertThrows(ManifestException.class,
                () -> TestSigner.trust(1, a).verify(lenient.getBytes(StandardCharsets.UTF_8), "mobile", null)).reason());
    }
}
