package dev.pinwarden;

import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;

/**
 * A public key that verifies manifest signatures: ECDSA P-256 with SHA-256 (ASN.1 DER signatures,
 * as ring's {@code ECDSA_P256_SHA256_ASN1}), verifiable on every Android version, or Ed25519 where
 * the platform has it (Java 15+, Android 13+). Its id is the SHA-256 of its DER
 * SubjectPublicKeyInfo in lowercase hex.
 */
public final class VerifyingKey {
    /** The signature algorithm. */
    public enum Algorithm { ED25519, ECDSA_P256;
        public String wireName() { return this == ED25519 ? "ed25519" : "ecdsa-p256"; }
    }

    private static final byte[] ED25519_PREFIX = {
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
    };
    private static final byte[] P256_PREFIX = {
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01,
        0x06, 0x08, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
    };

    private final Algorithm algorithm;
    private final byte[] spki;
    private final String id;
    /** Null when the platform can't verify this algorithm (Ed25519 before Java 15 / Android 13). */
    private final PublicKey key;

    private VerifyingKey(Algorithm algorithm, byte[] spki, PublicKey key) {
        this.algorithm = algorithm;
        this.spki = spki;
        this.id = Bytes.hex(Bytes.sha256(spki));
        this.key = key;
    }

    /** Reads a canonical DER SubjectPublicKeyInfo of an Ed25519 or P-256 key. */
    public static VerifyingKey fromSpkiDer(byte[] der) throws ManifestException {
        Algorithm alg;
        if (der.length == ED25519_PREFIX.length + 32 && startsWith(der, ED25519_PREFIX)) {
            alg = Algorithm.ED25519;
        } else if (der.length == P256_PREFIX.length + 65 && startsWith(der, P256_PREFIX)) {
            if (der[P256_PREFIX.length] != 4) {
                throw new ManifestException(ManifestException.Reason.KEY, "P-256 key is not an uncompressed point");
            }
            alg = Algorithm.ECDSA_P256;
        } else {
            throw new ManifestException(ManifestException.Reason.KEY,
                    "not the canonical DER SubjectPublicKeyInfo of an Ed25519 or ECDSA P-256 key");
        }
        PublicKey key = null;
        try {
            KeyFactory f = KeyFactory.getInstance(alg == Algorithm.ED25519 ? "Ed25519" : "EC");
            key = f.generatePublic(new X509EncodedKeySpec(der));
        } catch (Exception e) {
            if (alg == Algorithm.ECDSA_P256) {
                throw new ManifestException(ManifestException.Reason.KEY, "P-256 key: " + e);
            }
            // Ed25519 unavailable here: the key is kept, and never verifies.
        }
        return new VerifyingKey(alg, der.clone(), key);
    }

    /** Reads a {@code PUBLIC KEY} PEM or base64 of the DER (as embedded in apps). */
    public static VerifyingKey fromText(String text) throws ManifestException {
        String t = text.trim();
        if (t.startsWith("-----BEGIN")) {
            String begin = "-----BEGIN PUBLIC KEY-----";
            String end = "-----END PUBLIC KEY-----";
            int a = t.indexOf(begin);
            int b = t.indexOf(end);
            if (a != 0 || b < 0) {
                throw new ManifestException(ManifestException.Reason.KEY, "PEM block is not \"PUBLIC KEY\"");
            }
            t = t.substring(begin.length(), b).replaceAll("\\s", "");
        }
        byte[] der = Bytes.decodeStandard(t);
        if (der == null) throw new ManifestException(ManifestException.Reason.KEY, "neither PEM nor base64 DER");
        return fromSpkiDer(der);
    }

    /** Whether the platform can verify this key's signatures. */
    public boolean supported() {
        return key != null;
    }

    public Algorithm algorithm() {
        return algorithm;
    }

    public String id() {
        return id;
    }

    public byte[] spkiDer() {
        return spki.clone();
    }

    /** Whether {@code sig} is this key's signature over {@code message}. */
    public boolean verify(byte[] message, byte[] sig) {
        if (key == null) return false;
        if (algorithm == Algorithm.ED25519 && sig.length != 64) return false;
        if (algorithm == Algorithm.ECDSA_P256 && !strictDerEcdsa(sig)) return false;
        try {
            Signature s = Signature.getInstance(algorithm == Algorithm.ED25519 ? "Ed25519" : "SHA256withECDSA");
            s.initVerify(key);
            s.update(message);
            return s.verify(sig);
        } catch (Exception e) {
            return false;
        }
    }

    /**
     * A DER {@code SEQUENCE { INTEGER r, INTEGER s }} with minimal encodings and positive values
     * below 2^256, nothing after it: what ring accepts. Some providers are laxer (BER lengths,
     * trailing bytes); a signature must verify the same here as in the Rust client.
     */
    static boolean strictDerEcdsa(byte[] sig) {
        if (sig.length < 8 || sig.length > 72 || sig[0] != 0x30) return false;
        int len = sig[1] & 0xff;
        if (len >= 0x80 || len != sig.length - 2) return false;
        int at = 2;
        for (int k = 0; k < 2; k++) {
            if (at + 2 > sig.length || sig[at] != 0x02) return false;
            int n = sig[at + 1] & 0xff;
            at += 2;
            if (n == 0 || n > 33 || at + n > sig.length) return false;
            if ((sig[at] & 0x80) != 0) return false; // negative
            if (n > 1 && sig[at] == 0 && (sig[at + 1] & 0x80) == 0) return false; // not minimal
            if (n == 33 && sig[at] != 0) return false; // beyond 256 bits
            boolean zero = true;
            for (int j = 0; j < n; j++) zero &= sig[at + j] == 0;
            if (zero) return false;
            at += n;
        }
        return at == sig.length;
    }

    private static boolean startsWith(byte[] a, byte[] prefix) {
        return a.length >= prefix.length && Arrays.equals(Arrays.copyOf(a, prefix.length), prefix);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VerifyingKey && ((VerifyingKey) o).id.equals(id);
    }

    @Override
    public int hashCode() {
        return id.hashCode();
    }

    @Override
    public String toString() {
        return algorithm.wireName() + " " + id;
    }
}
