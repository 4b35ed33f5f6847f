package dev.pinwarden;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.json.JSONArray;
import org.json.JSONException;
import org.json.JSONObject;

/** A versioned, expiring pin configuration for one app (the signed payload). */
public final class Manifest {
    /** The highest version: 2^53 - 1. */
    public static final long MAX_VERSION = (1L << 53) - 1;

    /** What a client does once the manifest has expired and no newer one came. */
    public enum AfterExpiry {
        /** Enforce the built-in pins instead (the default). */
        FALL_BACK_TO_BUILT_IN,
        /** The manifest's sets turn report-only, behind the built-in ones. */
        SUSPEND_AND_REPORT
    }

    /** A staged rollout of other pin sets. */
    public static final class Candidate {
        public final List<PinSet> pinSets;
        public final int percentage;

        Candidate(List<PinSet> pinSets, int percentage) {
            this.pinSets = Collections.unmodifiableList(pinSets);
            this.percentage = percentage;
        }
    }

    public final String app;
    public final long version;
    public final long issuedAtMillis;
    public final long expiresAtMillis;
    public final List<PinSet> pinSets;
    public final String reportUri;
    public final AfterExpiry afterExpiry;
    public final Candidate candidate;

    private Manifest(String app, long version, long issuedAt, long expiresAt, List<PinSet> pinSets,
            String reportUri, AfterExpiry afterExpiry, Candidate candidate) {
        this.app = app;
        this.version = version;
        this.issuedAtMillis = issuedAt;
        this.expiresAtMillis = expiresAt;
        this.pinSets = Collections.unmodifiableList(pinSets);
        this.reportUri = reportUri;
        this.afterExpiry = afterExpiry;
        this.candidate = candidate;
    }

    /** Whether it has expired at {@code nowMillis}. */
    public boolean expired(long nowMillis) {
        return nowMillis >= expiresAtMillis;
    }

    /** The sets an installation uses: the candidate's when its cohort is in the rollout. */
    public List<PinSet> pinSetsFor(String installId) {
        if (candidate != null && Cohort.inCandidate(installId, app, candidate.percentage)) return candidate.pinSets;
        return pinSets;
    }

    /** Parses and checks a payload, as the Rust {@code Manifest::from_json}. */
    public static Manifest fromJson(byte[] bytes) throws ManifestException {
        String text = Bytes.strictUtf8(bytes);
        if (text == null) throw payload("not UTF-8");
        Manifest m;
        try {
            JSONObject o = StrictJson.object(text);
            StrictJson.onlyFields(o, "manifest", "app", "version", "issued_at", "expires_at", "pin_sets",
                    "report_uri", "after_expiry", "candidate");
            String app = StrictJson.string(o, "app", true);
            long version = StrictJson.unsigned(o, "version", true);
            long issued = instant(o, "issued_at");
            long expires = instant(o, "expires_at");
            List<PinSet> sets = sets(StrictJson.array(o, "pin_sets"));
            String reportUri = StrictJson.string(o, "report_uri", false);
            AfterExpiry after = AfterExpiry.FALL_BACK_TO_BUILT_IN;
            if (o.has("after_expiry")) {
                Object a = o.get("after_expiry");
                if ("fall-back-to-built-in".equals(a)) after = AfterExpiry.FALL_BACK_TO_BUILT_IN;
                else if ("suspend-and-report".equals(a)) after = AfterExpiry.SUSPEND_AND_REPORT;
                else throw new JSONException("after_expiry: fall-back-to-built-in or suspend-and-report");
            }
            Candidate candidate = null;
            if (o.has("candidate") && !o.isNull("candidate")) {
                Object c = o.get("candidate");
                if (!(c instanceof JSONObject)) throw new JSONException("candidate: expected an object");
                JSONObject co = (JSONObject) c;
                StrictJson.onlyFields(co, "candidate", "pin_sets", "percentage");
                List<PinSet> cs = sets(StrictJson.array(co, "pin_sets"));
                long p = StrictJson.unsigned(co, "percentage", true);
                if (p > 255) throw new JSONException("percentage: " + p + " is not a u8");
                candidate = new Candidate(cs, (int) p);
            }
            m = new Manifest(app, version, issued, expires, sets, reportUri, after, candidate);
        } catch (JSONException e) {
            throw payload(e.getMessage());
        }
        m.check();
        return m;
    }

    private static long instant(JSONObject o, String name) throws JSONException {
        String s = StrictJson.string(o, name, true);
        try {
            return Times.parseInstant(s);
        } catch (IllegalArgumentException e) {
            throw new JSONException(name + ": " + e.getMessage());
        }
    }

    private static List<PinSet> sets(JSONArray a) throws JSONException {
        List<PinSet> out = new ArrayList<PinSet>();
        for (int k = 0; k < a.length(); k++) {
            Object v = a.get(k);
            if (!(v instanceof JSONObject)) throw new JSONException("pin sets: expected objects");
            out.add(PinSet.fromJson((JSONObject) v));
        }
        return out;
    }

    private static ManifestException payload(String why) {
        return new ManifestException(ManifestException.Reason.PAYLOAD, "manifest: " + why);
    }

    private void check() throws ManifestException {
        boolean control = false;
        for (int k = 0; k < app.length(); k++) {
            char c = app.charAt(k);
            control |= c < 0x20 || (c >= 0x7f && c <= 0x9f);
        }
        if (app.isEmpty() || Bytes.utf8(app).length > 128 || control) {
            throw payload("app \"" + app + "\": 1 to 128 characters, no control characters");
        }
        if (version == 0) throw payload("version must be 1 or more");
        if (version > MAX_VERSION) {
            throw new ManifestException(ManifestException.Reason.VERSION_TOO_LARGE,
                    "manifest version " + version + " is above " + MAX_VERSION + " (2^53 - 1)");
        }
        if (expiresAtMillis <= issuedAtMillis) throw payload("expires_at is not after issued_at");
        checkSets("pin_sets", pinSets);
        if (candidate != null) {
            if (candidate.percentage > 100) throw payload("candidate percentage " + candidate.percentage + " is above 100");
            checkSets("candidate.pin_sets", candidate.pinSets);
        }
    }

    private static void checkSets(String field, List<PinSet> sets) throws ManifestException {
        Set<String> ids = new HashSet<String>();
        for (PinSet s : sets) {
            if (!ids.add(s.id)) throw payload(field + ": pin set id \"" + s.id + "\" appears twice");
            if (s.hosts.isEmpty()) throw payload(field + ": pin set \"" + s.id + "\" names no hosts");
            if (s.pins.isEmpty()) throw payload(field + ": pin set \"" + s.id + "\" has no pins");
        }
    }
}
