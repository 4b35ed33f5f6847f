package dev.pinwarden;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;

/**
 * Base64 (strict, as the Rust {@code base64} crate decodes), hex, SHA-256 and UTF-8 helpers.
 * {@code java.util.Base64} is not used: Android has it only from API 26.
 */
public final class Bytes {
    private Bytes() {}

    static final Charset UTF8 = Charset.forName("UTF-8");
    private static final char[] HEX = "0123456789abcdef".toCharArray();
    private static final char[] STD =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    /** SHA-256 of {@code data}. */
    public static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing", e);
        }
    }

    /** Lower-case hex. */
    public static String hex(byte[] data) {
        return hex(data, data.length);
    }

    static String hex(byte[] data, int len) {
        char[] out = new char[len * 2];
        for (int i = 0; i < len; i++) {
            out[2 * i] = HEX[(data[i] >> 4) & 0xf];
            out[2 * i + 1] = HEX[data[i] & 0xf];
        }
        return new String(out);
    }

    /** {@code n} random bytes as hex: names nobody can predict. */
    static String randomHex(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return hex(b);
    }

    static byte[] utf8(String s) {
        return s.getBytes(UTF8);
    }

    /** Decodes strict UTF-8 or returns null. */
    static String strictUtf8(byte[] data) {
        try {
            return UTF8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(data))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** Standard, padded base64. */
    public static String base64(byte[] data) {
        StringBuilder out = new StringBuilder((data.length + 2) / 3 * 4);
        int i = 0;
        for (; i + 2 < data.length; i += 3) {
            int v = ((data[i] & 0xff) << 16) | ((data[i + 1] & 0xff) << 8) | (data[i + 2] & 0xff);
            out.append(STD[v >>> 18]).append(STD[(v >>> 12) & 63]).append(STD[(v >>> 6) & 63]).append(STD[v & 63]);
        }
        int rest = data.length - i;
        if (rest == 1) {
            int v = (data[i] & 0xff) << 16;
            out.append(STD[v >>> 18]).append(STD[(v >>> 12) & 63]).append("==");
        } else if (rest == 2) {
            int v = ((data[i] & 0xff) << 16) | ((data[i + 1] & 0xff) << 8);
            out.append(STD[v >>> 18]).append(STD[(v >>> 12) & 63]).append(STD[(v >>> 6) & 63]).append('=');
        }
        return out.toString();
    }

    /**
     * DSSE base64, as the Rust side reads it: the standard or the URL-safe alphabet, padded or
     * not; canonical padding and zero trailing bits. Null when none decodes.
     */
    public static byte[] decodeDsseBase64(String text) {
        byte[] out = decode(text, '+', '/', true);
        if (out == null) out = decode(text, '+', '/', false);
        if (out == null) out = decode(text, '-', '_', true);
        if (out == null) out = decode(text, '-', '_', false);
        return out;
    }

    /** Standard padded base64, strict; null when invalid. */
    public static byte[] decodeStandard(String text) {
        return decode(text, '+', '/', true);
    }

    private static int value(char c, char c62, char c63) {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == c62) return 62;
        if (c == c63) return 63;
        return -1;
    }

    static byte[] decode(String s, char c62, char c63, boolean padded) {
        int n = s.length();
        int data = n;
        if (padded) {
            if (n % 4 != 0) return null;
            int pads = 0;
            while (pads < 2 && data > 0 && s.charAt(data - 1) == '=') {
                data--;
                pads++;
            }
            if (pads == 1 && data % 4 != 3) return null;
            if (pads == 2 && data % 4 != 2) return null;
            if (pads == 0 && data % 4 != 0) return null;
        } else if (data % 4 == 1) {
            return null;
        }
        int whole = data / 4;
        int rest = data % 4;
        byte[] out = new byte[whole * 3 + (rest == 0 ? 0 : rest - 1)];
        int o = 0;
        int[] v = new int[4];
        for (int g = 0; g < whole; g++) {
            for (int k = 0; k < 4; k++) {
                v[k] = value(s.charAt(g * 4 + k), c62, c63);
                if (v[k] < 0) return null;
            }
            int x = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
            out[o++] = (byte) (x >>> 16);
            out[o++] = (byte) (x >>> 8);
            out[o++] = (byte) x;
        }
        if (rest > 0) {
            for (int k = 0; k < rest; k++) {
                v[k] = value(s.charAt(whole * 4 + k), c62, c63);
                if (v[k] < 0) return null;
            }
            if (rest == 2) {
                if ((v[1] & 0xf) != 0) return null;
                out[o] = (byte) ((v[0] << 2) | (v[1] >>> 4));
            } else {
                if ((v[2] & 0x3) != 0) return null;
                int x = (v[0] << 12) | (v[1] << 6) | v[2];
                out[o++] = (byte) (x >>> 10);
                out[o] = (byte) (x >>> 2);
            }
        }
        return out;
    }

    static boolean isAsciiAlnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    static String asciiLower(String s) {
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 'A' && c <= 'Z') {
                if (b == null) b = new StringBuilder(s);
                b.setCharAt(i, (char) (c + 32));
            }
        }
        return b == null ? s : b.toString();
    }
}
