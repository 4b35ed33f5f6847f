package dev.pinwarden;

import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.util.Arrays;

/** A public-key pin: SHA-256 of a DER SubjectPublicKeyInfo, written {@code sha256/BASE64}. */
public final class SpkiPin {
    private final byte[] digest;

    private SpkiPin(byte[] digest) {
        this.digest = digest;
    }

    /** The pin of a DER SubjectPublicKeyInfo. */
    public static SpkiPin ofSpki(byte[] spkiDer) {
        return new SpkiPin(Bytes.sha256(spkiDer));
    }

    /** The pin of a certificate's key. */
    public static SpkiPin of(X509Certificate cert) {
        return of(cert.getPublicKey());
    }

    /** The pin of a key ({@code getEncoded()} is its DER SubjectPublicKeyInfo). */
    public static SpkiPin of(PublicKey key) {
        return ofSpki(key.getEncoded());
    }

    /**
     * Parses {@code sha256/BASE64}, curl's {@code sha256//BASE64}, {@code pin-sha256="BASE64"},
     * bare base64 or 64 hex digits.
     */
    public static SpkiPin parse(String input) {
        String s = input.trim();
        if (s.isEmpty()) throw bad(input, "empty");
        String lower = Bytes.asciiLower(s);
        if (lower.startsWith("pin-sha256=")) {
            String rest = s.substring("pin-sha256=".length());
            if (rest.length() < 2 || !rest.startsWith("\"") || !rest.endsWith("\"")) {
                throw bad(input, "the value of pin-sha256= must be quoted");
            }
            return fromBase64(input, rest.substring(1, rest.length() - 1));
        }
        if (lower.startsWith("sha256/")) {
            String rest = s.substring("sha256/".length());
            if (rest.startsWith("/") && rest.length() != 44) return fromBase64(input, rest.substring(1));
            return fromBase64(input, rest);
        }
        if (s.length() == 64 && isHex(s)) {
            byte[] out = new byte[32];
            for (int k = 0; k < 32; k++) {
                out[k] = (byte) Integer.parseInt(s.substring(2 * k, 2 * k + 2), 16);
            }
            return new SpkiPin(out);
        }
        return fromBase64(input, s);
    }

    private static boolean isHex(String s) {
        for (int k = 0; k < s.length(); k++) {
            if (Character.digit(s.charAt(k), 16) < 0 || s.charAt(k) > 127) return false;
        }
        return true;
    }

    private static SpkiPin fromBase64(String input, String b64) {
        if (b64.isEmpty()) throw bad(input, "empty");
        byte[] d = Bytes.decodeStandard(b64);
        if (d == null) throw bad(input, "not base64");
        if (d.length != 32) throw bad(input, d.length + " bytes, not the 32 of a SHA-256 digest");
        return new SpkiPin(d);
    }

    private static IllegalArgumentException bad(String input, String why) {
        return new IllegalArgumentException("pin \"" + input + "\": " + why);
    }

    public byte[] digest() {
        return digest.clone();
    }

    public String base64() {
        return Bytes.base64(digest);
    }

    @Override
    public String toString() {
        return "sha256/" + base64();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SpkiPin && Arrays.equals(((SpkiPin) o).digest, digest);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(digest);
    }
}
