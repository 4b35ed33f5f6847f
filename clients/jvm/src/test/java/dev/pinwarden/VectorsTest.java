package dev.pinwarden;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayInputStream;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.json.JSONArray;
import org.json.JSONObject;
import org.json.JSONTokener;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** The shared vectors in testdata/vectors, every file and every case. */
class VectorsTest {
    static final File DIR = new File(System.getProperty("pinwarden.root", "../.."), "testdata/vectors");
    static final Set<String> KNOWN = Set.of("keys.json", "manifests.json", "cohorts.json", "hosts.json", "sets.json", "chains.json");

    static JSONObject read(String name) throws Exception {
        File f = new File(DIR, name);
        assertTrue(f.isFile(), f + " is missing: regenerate with `pinwarden manifest vectors --out testdata/vectors`");
        return (JSONObject) new JSONTokener(new String(Files.readAllBytes(f.toPath()), StandardCharsets.UTF_8)).nextValue();
    }

    static List<JSONObject> cases(String name) throws Exception {
        JSONArray a = read(name).getJSONArray("cases");
        List<JSONObject> out = new ArrayList<>();
        for (int k = 0; k < a.length(); k++) out.add(a.getJSONObject(k));
        assertFalse(out.isEmpty(), name + " has no cases");
        return out;
    }

    static String label(JSONObject c, int k) {
        return k + ": " + c.optString("name", c.toString().length() > 80 ? c.toString().substring(0, 80) : c.toString());
    }

    @Test
    void everyFileIsKnown() {
        assertTrue(DIR.isDirectory(), DIR + " is missing");
        String[] names = DIR.list((d, n) -> n.endsWith(".json"));
        assertNotNull(names);
        assertEquals(KNOWN, new TreeSet<>(Arrays.asList(names)).stream().collect(java.util.stream.Collectors.toSet()),
                "a vector file this test doesn't read (or one missing)");
    }

    static Map<String, VerifyingKey> keys() throws Exception {
        JSONArray a = read("keys.json").getJSONArray("keys");
        Map<String, VerifyingKey> out = new HashMap<>();
        for (int k = 0; k < a.length(); k++) {
            JSONObject o = a.getJSONObject(k);
            VerifyingKey key = VerifyingKey.fromSpkiDer(Bytes.decodeStandard(o.getString("spki_der_base64")));
            assertEquals(o.getString("id"), key.id());
            assertEquals(o.getString("algorithm"), key.algorithm().wireName());
            VerifyingKey fromPem = VerifyingKey.fromText(o.getString("public_pem"));
            assertEquals(key.id(), fromPem.id());
            assertEquals(key.id(), VerifyingKey.fromText(o.getString("spki_der_base64")).id());
            assertTrue(key.supported(), key + " can't be verified on this JVM");
            out.put(key.id(), key);
        }
        assertTrue(out.size() >= 3);
        return out;
    }

    @TestFactory
    Stream<DynamicTest> manifests() throws Exception {
        Map<String, VerifyingKey> keys = keys();
        List<JSONObject> cases = cases("manifests.json");
        List<DynamicTest> tests = new ArrayList<>();
        for (int k = 0; k < cases.size(); k++) {
            JSONObject c = cases.get(k);
            tests.add(DynamicTest.dynamicTest(label(c, k), () -> manifestCase(keys, c)));
        }
        return tests.stream();
    }

    static void manifestCase(Map<String, VerifyingKey> keys, JSONObject c) throws Exception {
        List<VerifyingKey> trusted = new ArrayList<>();
        JSONArray ids = c.getJSONArray("trusted_key_ids");
        for (int k = 0; k < ids.length(); k++) trusted.add(Objects.requireNonNull(keys.get(ids.getString(k)), ids.getString(k)));
        TrustSet trust = new TrustSet(trusted, c.getInt("threshold"));
        Accepted last = null;
        if (!c.isNull("last")) {
            JSONObject l = c.getJSONObject("last");
            last = new Accepted(l.getLong("version"), l.getString("payload_sha256"));
        }
        long now = Times.parseInstant(c.getString("now"));
        byte[] envelope = c.getString("envelope").getBytes(StandardCharsets.UTF_8);
        String what = c.getString("name") + " (" + c.optString("description") + ")";
        if (c.getString("expect").equals("accept")) {
            VerifiedManifest v;
            try {
                v = trust.verify(envelope, c.getString("app"), last);
            } catch (ManifestException e) {
                fail(what + ": refused: " + e);
                return;
            }
            assertEquals(c.getLong("version"), v.manifest().version, what);
            assertEquals(c.getString("payload_sha256"), v.accepted().payloadSha256, what);
            assertEquals(c.getBoolean("expired"), v.expired(now), what);
            if (c.has("signed_by")) {
                List<String> want = new ArrayList<>();
                JSONArray s = c.getJSONArray("signed_by");
                for (int k = 0; k < s.length(); k++) want.add(s.getString(k));
                assertEquals(want, v.signedBy(), what);
            }
        } else {
            ManifestException e = assertThrows(ManifestException.class, () -> trust.verify(envelope, c.getString("app"),
                    lastOf(c)), what + ": accepted");
            assertEquals(c.getString("reject_reason"), e.vectorReason(), what + ": " + e);
        }
    }

    static Accepted lastOf(JSONObject c) throws Exception {
        if (c.isNull("last")) return null;
        JSONObject l = c.getJSONObject("last");
        return new Accepted(l.getLong("version"), l.getString("payload_sha256"));
    }

    @TestFactory
    Stream<DynamicTest> cohorts() throws Exception {
        List<JSONObject> cases = cases("cohorts.json");
        List<DynamicTest> tests = new ArrayList<>();
        for (int k = 0; k < cases.size(); k++) {
            JSONObject c = cases.get(k);
            tests.add(DynamicTest.dynamicTest(k + ": " + c.getString("install_id") + " / " + c.getString("app"),
                    () -> assertEquals(c.getInt("cohort"), Cohort.of(c.getString("install_id"), c.getString("app")))));
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> hosts() throws Exception {
        List<JSONObject> cases = cases("hosts.json");
        List<DynamicTest> tests = new ArrayList<>();
        for (int k = 0; k < cases.size(); k++) {
            JSONObject c = cases.get(k);
            String what = c.getString("pattern") + " ~ " + c.getString("host") + " " + c.optString("note");
            tests.add(DynamicTest.dynamicTest(k + ": " + what, () -> assertEquals(c.getBoolean("matches"),
                    HostPattern.parse(c.getString("pattern")).matches(c.getString("host")), what)));
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> sets() throws Exception {
        List<JSONObject> cases = cases("sets.json");
        List<DynamicTest> tests = new ArrayList<>();
        for (int k = 0; k < cases.size(); k++) {
            JSONObject c = cases.get(k);
            tests.add(DynamicTest.dynamicTest(label(c, k), () -> {
                JSONArray a = c.getJSONArray("sets");
                List<PinSet> sets = new ArrayList<>();
                for (int j = 0; j < a.length(); j++) sets.add(PinSet.fromJson(a.getJSONObject(j)));
                PinSet.Match m = PinSet.forHost(sets, c.getString("host"));
                String want = c.isNull("expect_set") ? null : c.getString("expect_set");
                assertEquals(want, m == null ? null : m.set.id, c.getString("name") + ": " + c.optString("description"));
            }));
        }
        return tests.stream();
    }

    static X509Certificate cert(String b64) throws CertificateException {
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(Bytes.decodeStandard(b64)));
    }

    static X509Certificate[] certs(JSONArray a) throws Exception {
        X509Certificate[] out = new X509Certificate[a.length()];
        for (int k = 0; k < out.length; k++) out[k] = cert(a.getString(k));
        return out;
    }

    @TestFactory
    Stream<DynamicTest> chains() throws Exception {
        List<JSONObject> cases = cases("chains.json");
        List<DynamicTest> tests = new ArrayList<>();
        for (int k = 0; k < cases.size(); k++) {
            JSONObject c = cases.get(k);
            tests.add(DynamicTest.dynamicTest(label(c, k), () -> chainCase(c)));
        }
        return tests.stream();
    }

    /**
     * Each case through the JVM path: the platform trust manager with the validated path's anchor
     * as the only root, the PKIX paths built from the served certificates, the pins matched on them.
     */
    static void chainCase(JSONObject c) throws Exception {
        X509Certificate[] path = certs(c.getJSONArray("validated_path_der_base64"));
        X509Certificate[] served = certs(c.getJSONArray("served_der_base64"));
        X509Certificate anchor = path[path.length - 1];
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        ks.setCertificateEntry("anchor", anchor);
        PkixChainValidator validator = new PkixChainValidator(PkixChainValidator.trustManager(ks));
        String host = c.optString("host", "api.vectors.example");
        List<List<X509Certificate>> paths = validator.validatedPaths(served, "UNKNOWN", host, null);
        String what = c.getString("name") + ": " + c.optString("description");
        assertTrue(paths.contains(Arrays.asList(path)), what + ": the Rust verifier's path is not among " + paths.size() + " validated here");
        List<String> pinTexts = new ArrayList<>();
        JSONArray p = c.getJSONArray("pins");
        for (int k = 0; k < p.length(); k++) pinTexts.add(p.getString(k));
        List<SpkiPin> pins = pinTexts.stream().map(SpkiPin::parse).toList();
        PinSet set = PinSet.enforced("vectors", List.of(host), pins);
        boolean match = false;
        for (List<X509Certificate> candidate : paths) {
            for (X509Certificate cert : candidate) match |= set.contains(SpkiPin.of(cert));
        }
        assertEquals(c.getString("expect"), match ? "match" : "mismatch", what);
        // And through the trust manager itself, as a handshake would call it.
        PinStore store = new PinStore(List.of(set));
        PinVerifier verifier = new PinVerifier(store, validator, null, false, null);
        if (match) {
            verifier.check(served, "UNKNOWN", host, 443, null);
        } else {
            assertThrows(PinMismatchException.class, () -> verifier.check(served, "UNKNOWN", host, 443, null), what);
        }
    }
}
