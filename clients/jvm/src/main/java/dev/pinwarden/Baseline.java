package dev.pinwarden;

/**
 * The manifest an app's built-in pins came from: nothing older is taken, on a fresh install too
 * (a manifest with a lower version, or issued before it, is refused).
 */
public final class Baseline {
    public final long version;
    public final long issuedAtMillis;

    public Baseline(long version, long issuedAtMillis) {
        this.version = version;
        this.issuedAtMillis = issuedAtMillis;
    }

    /** From the version and the RFC 3339 {@code issued_at} of the manifest. */
    public static Baseline of(long version, String issuedAt) {
        return new Baseline(version, Times.parseInstant(issuedAt));
    }

    /** The baseline of a verified manifest (for building an app's built-in pins from one). */
    public static Baseline of(VerifiedManifest m) {
        return new Baseline(m.manifest().version, m.manifest().issuedAtMillis);
    }
}
