package dev.pinwarden;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.json.JSONArray;
import org.json.JSONException;
import org.json.JSONObject;

/**
 * A DSSE envelope: the payload, its type, and signatures over {@code PAE(type, payload)}. Unknown
 * fields are ignored, as DSSE requires.
 */
public final class Envelope {
    /** The payload type of a pinwarden manifest. */
    public static final String PAYLOAD_TYPE = "application/vnd.pinwarden.manifest+json";
    /** Envelopes larger than this are refused before parsing. */
    public static final int MAX_ENVELOPE_BYTES = 1 << 20;
    /** Envelopes with more signatures than this are refused. */
    public static final int MAX_SIGNATURES = 32;

    /** One signature; {@code keyid} is an unauthenticated hint, null when absent or empty. */
    public static final class Sig {
        public final String keyid;
        public final String sig;

        Sig(String keyid, String sig) {
            this.keyid = keyid == null || keyid.isEmpty() ? null : keyid;
            this.sig = sig;
        }
    }

    public final String payload;
    public final String payloadType;
    public final List<Sig> signatures;

    private Envelope(String payload, String payloadType, List<Sig> signatures) {
        this.payload = payload;
        this.payloadType = payloadType;
        this.signatures = Collections.unmodifiableList(signatures);
    }

    /** DSSE's pre-authentication encoding: {@code "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body}. */
    public static byte[] pae(String payloadType, byte[] payload) {
        byte[] type = Bytes.utf8(payloadType);
        ByteArrayOutputStream out = new ByteArrayOutputStream(type.length + payload.length + 32);
        byte[] head = Bytes.utf8("DSSEv1 " + type.length + " ");
        out.write(head, 0, head.length);
        out.write(type, 0, type.length);
        byte[] mid = Bytes.utf8(" " + payload.length + " ");
        out.write(mid, 0, mid.length);
        out.write(payload, 0, payload.length);
        return out.toByteArray();
    }

    /** Parses an envelope, refusing oversized input and more than {@link #MAX_SIGNATURES} signatures. */
    public static Envelope fromJson(byte[] bytes) throws ManifestException {
        if (bytes.length > MAX_ENVELOPE_BYTES) {
            throw envelope(bytes.length + " bytes, more than the " + MAX_ENVELOPE_BYTES + " allowed");
        }
        String text = Bytes.strictUtf8(bytes);
        if (text == null) throw envelope("not UTF-8");
        try {
            JSONObject o = StrictJson.object(text);
            String payload = StrictJson.string(o, "payload", true);
            String type = StrictJson.string(o, "payloadType", true);
            if (o.isNull("payload") || o.isNull("payloadType")) throw new JSONException("null field");
            JSONArray sigs = StrictJson.array(o, "signatures");
            List<Sig> kept = new ArrayList<Sig>();
            // As the Rust reader: the first MAX_SIGNATURES are read, the rest only counted.
            for (int k = 0; k < Math.min(sigs.length(), MAX_SIGNATURES); k++) {
                Object v = sigs.get(k);
                if (!(v instanceof JSONObject)) throw new JSONException("signature " + (k + 1) + ": not an object");
                JSONObject s = (JSONObject) v;
                String sig = StrictJson.string(s, "sig", true);
                if (s.isNull("sig")) throw new JSONException("signature " + (k + 1) + ": sig is null");
                kept.add(new Sig(StrictJson.string(s, "keyid", false), sig));
            }
            if (sigs.length() > MAX_SIGNATURES) {
                throw new ManifestException(ManifestException.Reason.TOO_MANY_SIGNATURES,
                        "the envelope carries " + sigs.length() + " signatures, more than the "
                                + MAX_SIGNATURES + " allowed");
            }
            return new Envelope(payload, type, kept);
        } catch (JSONException e) {
            throw envelope(e.getMessage());
        }
    }

    /** The decoded payload bytes. */
    public byte[] payloadBytes() throws ManifestException {
        byte[] p = Bytes.decodeDsseBase64(payload);
        if (p == null) throw envelope("payload is not base64");
        return p;
    }

    private static ManifestException envelope(String why) {
        return new ManifestException(ManifestException.Reason.ENVELOPE, "not a DSSE envelope: " + why);
    }
}
