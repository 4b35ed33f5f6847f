package dev.pinwarden;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.List;

import org.json.JSONArray;
import org.json.JSONObject;

/** Signs manifests in the tests, as `pinwarden manifest sign` does. */
final class TestSigner {
    final KeyPair pair;
    final boolean ed25519;

    private TestSigner(KeyPair pair, boolean ed25519) {
        this.pair = pair;
        this.ed25519 = ed25519;
    }

    static TestSigner p256() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            return new TestSigner(g.generateKeyPair(), false);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static TestSigner ed25519() {
        try {
            return new TestSigner(KeyPairGenerator.getInstance("Ed25519").generateKeyPair(), true);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    VerifyingKey verifying() {
        try {
            return VerifyingKey.fromSpkiDer(pair.getPublic().getEncoded());
        } catch (ManifestException e) {
            throw new IllegalStateException(e);
        }
    }

    String id() {
        return verifying().id();
    }

    byte[] sign(byte[] message) {
        try {
            Signature s = Signature.getInstance(ed25519 ? "Ed25519" : "SHA256withECDSA");
            s.initSign(pair.getPrivate());
            s.update(message);
            return s.sign();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static TrustSet trust(int threshold, TestSigner... keys) {
        try {
            return new TrustSet(java.util.Arrays.stream(keys).map(TestSigner::verifying).toList(), threshold);
        } catch (ManifestException e) {
            throw new IllegalStateException(e);
        }
    }

    interface Json<T> {
        T get() throws Exception;
    }

    /** org.json's checked exceptions, unchecked for the tests. */
    static <T> T j(Json<T> f) {
        try {
            return f.get();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A DSSE envelope of {@code payload} signed by {@code keys}. */
    static String envelope(String payload, TestSigner... keys) {
        return j(() -> envelope0(payload, keys));
    }

    private static String envelope0(String payload, TestSigner... keys) throws Exception {
        byte[] p = payload.getBytes(StandardCharsets.UTF_8);
        byte[] message = Envelope.pae(Envelope.PAYLOAD_TYPE, p);
        JSONArray sigs = new JSONArray();
        for (TestSigner k : keys) {
            sigs.put(new JSONObject().put("keyid", k.id()).put("sig", Base64.getEncoder().encodeToString(k.sign(message))));
        }
        return new JSONObject()
                .put("payload", Base64.getEncoder().encodeToString(p))
                .put("payloadType", Envelope.PAYLOAD_TYPE)
                .put("signatures", sigs)
                .toString();
    }

    /** A pin set's JSON. */
    static JSONObject set(String id, List<String> hosts, List<SpkiPin> pins, boolean enforce) {
        return j(() -> set0(id, hosts, pins, enforce));
    }

    private static JSONObject set0(String id, List<String> hosts, List<SpkiPin> pins, boolean enforce) throws Exception {
        JSONArray ps = new JSONArray();
        for (int k = 0; k < pins.size(); k++) {
            ps.put(new JSONObject().put("pin", pins.get(k).toString()).put("role", k == 0 ? "primary" : "backup"));
        }
        return new JSONObject().put("id", id).put("hosts", new JSONArray(hosts)).put("pins", ps).put("enforce", enforce);
    }

    /** A manifest issued now (minus a minute), expiring in {@code days}. */
    static JSONObject manifest(String app, long version, long days, JSONObject... sets) {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        return manifest(app, version, now.minusSeconds(60), now.plus(days, ChronoUnit.DAYS), sets);
    }

    static JSONObject manifest(String app, long version, Instant issued, Instant expires, JSONObject... sets) {
        return j(() -> manifest0(app, version, issued, expires, sets));
    }

    private static JSONObject manifest0(String app, long version, Instant issued, Instant expires, JSONObject... sets)
            throws Exception {
        JSONArray a = new JSONArray();
        for (JSONObject s : sets) a.put(s);
        return new JSONObject().put("app", app).put("version", version).put("issued_at", issued.toString())
                .put("expires_at", expires.toString()).put("pin_sets", a);
    }
}
