package dev.pinwarden;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.json.JSONArray;
import org.json.JSONException;
import org.json.JSONObject;

/** A set of pins for some hosts, as in a manifest (the Rust {@code PinSet}). */
public final class PinSet {
    /** A pin and its role. */
    public static final class Entry {
        public final SpkiPin pin;
        /** {@code primary} or {@code backup}. */
        public final String role;
        /** {@code leaf}, {@code intermediate}, {@code root} or null. */
        public final String level;
        public final String label;

        public Entry(SpkiPin pin, String role, String level, String label) {
            this.pin = pin;
            this.role = role;
            this.level = level;
            this.label = label;
        }
    }

    public final String id;
    public final List<HostPattern> hosts;
    public final List<Entry> pins;
    public final boolean enforce;
    public final boolean includeSubdomains;
    /** The last day it is enforced, as days since 1970-01-01 (UTC), or null. */
    public final Long expiresEpochDay;
    public final String reportUri;
    private final Set<SpkiPin> pinSet;
    private final List<HostPattern> effective;

    public PinSet(String id, List<HostPattern> hosts, List<Entry> pins, boolean enforce,
            boolean includeSubdomains, Long expiresEpochDay, String reportUri) {
        this.id = id;
        this.hosts = Collections.unmodifiableList(new ArrayList<HostPattern>(hosts));
        this.pins = Collections.unmodifiableList(new ArrayList<Entry>(pins));
        this.enforce = enforce;
        this.includeSubdomains = includeSubdomains;
        this.expiresEpochDay = expiresEpochDay;
        this.reportUri = reportUri;
        Set<SpkiPin> set = new HashSet<SpkiPin>();
        for (Entry e : pins) set.add(e.pin);
        this.pinSet = set;
        List<HostPattern> eff = new ArrayList<HostPattern>();
        for (HostPattern h : hosts) {
            eff.add(h.kind() == HostPattern.Kind.EXACT && includeSubdomains ? h.withKind(HostPattern.Kind.ANY_DEPTH) : h);
        }
        this.effective = eff;
    }

    /** An enforced set: the first pin primary, the others backups. */
    public static PinSet enforced(String id, List<String> hostPatterns, List<SpkiPin> pins) {
        List<HostPattern> hosts = new ArrayList<HostPattern>();
        for (String h : hostPatterns) hosts.add(HostPattern.parse(h));
        List<Entry> entries = new ArrayList<Entry>();
        for (int k = 0; k < pins.size(); k++) entries.add(new Entry(pins.get(k), k == 0 ? "primary" : "backup", null, null));
        return new PinSet(id, hosts, entries, true, false, null, null);
    }

    /** The same set, enforced or not. */
    public PinSet withEnforce(boolean e) {
        return new PinSet(id, hosts, pins, e, includeSubdomains, expiresEpochDay, reportUri);
    }

    /** Whether one of the set's pins is {@code pin}. */
    public boolean contains(SpkiPin pin) {
        return pinSet.contains(pin);
    }

    /** Whether the set is past its {@code expires} day on {@code todayEpochDay}. */
    public boolean expiredOn(long todayEpochDay) {
        return expiresEpochDay != null && expiresEpochDay < todayEpochDay;
    }

    /** The most specific pattern covering {@code host} (as written), or null. */
    HostPattern bestMatch(String host, int[][] specificityOut) {
        HostPattern best = null;
        int[] bestSpec = null;
        for (int k = 0; k < hosts.size(); k++) {
            HostPattern eff = effective.get(k);
            if (!eff.matches(host)) continue;
            int[] spec = eff.specificity();
            // max_by_key keeps the last of equal maxima.
            if (bestSpec == null || HostPattern.compareSpecificity(spec, bestSpec) >= 0) {
                best = hosts.get(k);
                bestSpec = spec;
            }
        }
        specificityOut[0] = bestSpec;
        return best;
    }

    /** Whether the set covers {@code host}. */
    public boolean covers(String host) {
        for (HostPattern p : effective) if (p.matches(host)) return true;
        return false;
    }

    /** A set and the pattern of it that matched a host. */
    public static final class Match {
        public final PinSet set;
        public final HostPattern pattern;

        Match(PinSet set, HostPattern pattern) {
            this.set = set;
            this.pattern = pattern;
        }
    }

    /**
     * The set for {@code host} among {@code sets}: the most specific pattern (more labels, then
     * exact before {@code *.} before {@code **.}), then an enforced set over a report-only one,
     * then the first listed. Null when none covers the host.
     */
    public static Match forHost(List<PinSet> sets, String host) {
        Match best = null;
        int[] bestSpec = null;
        boolean bestEnforce = false;
        int[][] spec = new int[1][];
        for (PinSet set : sets) {
            HostPattern p = set.bestMatch(host, spec);
            if (p == null) continue;
            boolean better;
            if (best == null) {
                better = true;
            } else {
                int c = HostPattern.compareSpecificity(spec[0], bestSpec);
                better = c > 0 || (c == 0 && set.enforce && !bestEnforce);
            }
            if (better) {
                best = new Match(set, p);
                bestSpec = spec[0];
                bestEnforce = set.enforce;
            }
        }
        return best;
    }

    /** Reads a pin set from its JSON (the Rust {@code PinSet}'s serde form). */
    public static PinSet fromJson(JSONObject o) throws JSONException {
        String id = StrictJson.string(o, "id", true);
        JSONArray h = StrictJson.array(o, "hosts");
        List<HostPattern> hosts = new ArrayList<HostPattern>();
        for (int k = 0; k < h.length(); k++) {
            Object v = h.get(k);
            if (!(v instanceof String)) throw new JSONException("hosts: expected strings");
            try {
                hosts.add(HostPattern.parse((String) v));
            } catch (IllegalArgumentException e) {
                throw new JSONException(e.getMessage());
            }
        }
        JSONArray p = StrictJson.array(o, "pins");
        List<Entry> pins = new ArrayList<Entry>();
        for (int k = 0; k < p.length(); k++) {
            Object v = p.get(k);
            if (!(v instanceof JSONObject)) throw new JSONException("pins: expected objects");
            JSONObject e = (JSONObject) v;
            SpkiPin pin;
            try {
                pin = SpkiPin.parse(StrictJson.string(e, "pin", true));
            } catch (IllegalArgumentException ex) {
                throw new JSONException(ex.getMessage());
            }
            String role = "primary";
            if (e.has("role")) {
                Object r = e.get("role");
                if (!("primary".equals(r) || "backup".equals(r))) throw new JSONException("role: primary or backup");
                role = (String) r;
            }
            String level = StrictJson.string(e, "level", false);
            if (level != null && !(level.equals("leaf") || level.equals("intermediate") || level.equals("root"))) {
                throw new JSONException("level: leaf, intermediate or root");
            }
            pins.add(new Entry(pin, role, level, StrictJson.string(e, "label", false)));
        }
        boolean enforce = StrictJson.bool(o, "enforce", null);
        boolean sub = StrictJson.bool(o, "include_subdomains", Boolean.FALSE);
        String expires = StrictJson.string(o, "expires", false);
        Long day = null;
        if (expires != null) {
            try {
                day = Times.parseDate(expires);
            } catch (IllegalArgumentException e) {
                throw new JSONException("expires: " + e.getMessage());
            }
        }
        return new PinSet(id, hosts, pins, enforce, sub, day, StrictJson.string(o, "report_uri", false));
    }

    @Override
    public String toString() {
        return "PinSet(" + id + ", " + hosts + ", enforce=" + enforce + ")";
    }
}
