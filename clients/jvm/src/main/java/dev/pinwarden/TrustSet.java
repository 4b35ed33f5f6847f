package dev.pinwarden;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.TreeSet;

/** The keys a verifier trusts and how many distinct ones must have signed. */
public final class TrustSet {
    private final List<VerifyingKey> keys;
    private final int threshold;

    /** Trusts {@code keys}, requiring {@code threshold} distinct ones to have signed. */
    public TrustSet(List<VerifyingKey> keys, int threshold) throws ManifestException {
        TreeSet<String> distinct = new TreeSet<String>();
        for (VerifyingKey k : keys) distinct.add(k.id());
        if (keys.isEmpty()) throw new ManifestException(ManifestException.Reason.TRUST, "no trusted keys");
        if (threshold <= 0 || threshold > distinct.size()) {
            throw new ManifestException(ManifestException.Reason.TRUST, "threshold " + threshold + " with "
                    + distinct.size() + " distinct key(s): it must be 1 to " + distinct.size());
        }
        if (threshold > Envelope.MAX_SIGNATURES) {
            throw new ManifestException(ManifestException.Reason.TRUST, "threshold " + threshold
                    + ": an envelope carries at most " + Envelope.MAX_SIGNATURES + " signatures");
        }
        this.keys = Collections.unmodifiableList(new ArrayList<VerifyingKey>(keys));
        this.threshold = threshold;
    }

    public List<VerifyingKey> keys() { return keys; }

    public int threshold() { return threshold; }

    /**
     * Verifies an envelope for {@code app}: payload type, {@code threshold} valid signatures from
     * distinct trusted keys (a key id only orders the keys tried, as DSSE requires), a valid
     * manifest for that app, and, given the last accepted version, no rollback or equivocation.
     * Expiry is the caller's decision.
     */
    public VerifiedManifest verify(byte[] envelopeJson, String app, Accepted last) throws ManifestException {
        Envelope env = Envelope.fromJson(envelopeJson);
        if (!Envelope.PAYLOAD_TYPE.equals(env.payloadType)) {
            throw new ManifestException(ManifestException.Reason.PAYLOAD_TYPE,
                    "payload type \"" + env.payloadType + "\" is not a pinwarden manifest");
        }
        byte[] payload = env.payloadBytes();
        byte[] message = Envelope.pae(env.payloadType, payload);
        TreeSet<String> signedBy = new TreeSet<String>();
        List<String> details = new ArrayList<String>();
        int n = 0;
        for (Envelope.Sig s : env.signatures) {
            n++;
            byte[] sig = Bytes.decodeDsseBase64(s.sig);
            if (sig == null) {
                details.add("signature " + n + ": not base64");
                continue;
            }
            int named = -1;
            if (s.keyid != null) {
                for (int k = 0; k < keys.size(); k++) {
                    if (keys.get(k).id().equals(s.keyid)) {
                        named = k;
                        break;
                    }
                }
            }
            VerifyingKey found = null;
            if (named >= 0 && keys.get(named).verify(message, sig)) found = keys.get(named);
            for (int k = 0; found == null && k < keys.size(); k++) {
                if (k != named && keys.get(k).verify(message, sig)) found = keys.get(k);
            }
            if (found != null) {
                if (!signedBy.add(found.id())) details.add("signature " + n + ": by key " + found.id() + " again, which counts once");
            } else if (s.keyid == null) {
                details.add("signature " + n + " (no key id): verifies with none of the " + keys.size() + " trusted key(s)");
            } else if (named >= 0) {
                details.add("signature " + n + ": does not verify with key " + s.keyid + " nor any other trusted key");
            } else {
                String shown = s.keyid.length() > 64 ? s.keyid.substring(0, 64) + "…" : s.keyid;
                details.add("signature " + n + ": key \"" + shown + "\" is not trusted, and the signature verifies with none of the "
                        + keys.size() + " trusted key(s)");
            }
        }
        if (env.signatures.isEmpty()) details.add("the envelope has no signatures");
        if (signedBy.size() < threshold) {
            StringBuilder b = new StringBuilder();
            for (String d : details) b.append(b.length() == 0 ? "" : "; ").append(d);
            throw new ManifestException(signedBy.isEmpty() ? ManifestException.Reason.SIGNATURES
                    : ManifestException.Reason.THRESHOLD, signedBy.size()
                    + " valid signature(s) from trusted keys, " + threshold + " needed: " + b);
        }
        Manifest m = Manifest.fromJson(payload);
        if (!m.app.equals(app)) {
            throw new ManifestException(ManifestException.Reason.WRONG_APP,
                    "manifest is for app \"" + m.app + "\", not \"" + app + "\"");
        }
        Accepted accepted = new Accepted(m.version, Bytes.hex(Bytes.sha256(payload)));
        if (last != null) {
            if (m.version < last.version) {
                throw new ManifestException(ManifestException.Reason.ROLLBACK, "version " + m.version
                        + " is older than the accepted version " + last.version + ": rollback refused");
            }
            if (m.version == last.version && !accepted.payloadSha256.equals(last.payloadSha256)) {
                throw new ManifestException(ManifestException.Reason.EQUIVOCATION, "version " + m.version
                        + " was already accepted with different content: equivocation refused");
            }
        }
        return new VerifiedManifest(m, accepted, new ArrayList<String>(signedBy));
    }
}
