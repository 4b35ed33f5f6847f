package dev.pinwarden;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The pin sets in force and their origin. Which set applies to a host: {@link PinSet#forHost}
 * over the manifest's sets, then the built-in ones (the floor) for hosts those don't cover; after
 * a manifest expires the built-in sets come first (expiry never weakens them).
 */
public final class ActivePins {
    /** Where the pins came from. */
    public enum Source { BUILT_IN, MANIFEST }

    public final List<PinSet> sets;
    public final List<PinSet> floor;
    public final boolean floorFirst;
    /** Where a report goes when its set names none (the manifest's). */
    public final String reportUri;
    public final Source source;
    /** The manifest version, or -1 for built-in pins. */
    public final long manifestVersion;
    public final boolean candidate;
    public final boolean expired;
    /** This installation's cohort (0–99), or -1 when unknown. */
    public final int cohort;

    public ActivePins(List<PinSet> sets, List<PinSet> floor, boolean floorFirst, String reportUri,
            Source source, long manifestVersion, boolean candidate, boolean expired, int cohort) {
        this.sets = Collections.unmodifiableList(new ArrayList<PinSet>(sets));
        this.floor = Collections.unmodifiableList(new ArrayList<PinSet>(floor));
        this.floorFirst = floorFirst;
        this.reportUri = reportUri;
        this.source = source;
        this.manifestVersion = manifestVersion;
        this.candidate = candidate;
        this.expired = expired;
        this.cohort = cohort;
    }

    /** The built-in sets alone. */
    public static ActivePins builtIn(List<PinSet> sets, int cohort) {
        return new ActivePins(sets, Collections.<PinSet>emptyList(), false, null, Source.BUILT_IN, -1, false, false, cohort);
    }

    /** The set that applies to {@code host} and its pattern that matched, or null. */
    public PinSet.Match resolve(String host) {
        List<PinSet> first = floorFirst ? floor : sets;
        List<PinSet> then = floorFirst ? sets : floor;
        PinSet.Match m = PinSet.forHost(first, host);
        return m != null ? m : PinSet.forHost(then, host);
    }

    /** Whether any set could apply to some host (nothing to check when false). */
    public boolean isEmpty() {
        return sets.isEmpty() && floor.isEmpty();
    }

    @Override
    public String toString() {
        return source == Source.BUILT_IN ? "built-in pins" : "manifest v" + manifestVersion
                + (candidate ? " (candidate)" : "") + (expired ? " (expired)" : "");
    }
}
