package dev.pinwarden;

import java.util.Collections;
import java.util.List;

/** A manifest whose signatures, app and version were checked; only {@link TrustSet#verify} makes one. */
public final class VerifiedManifest {
    private final Manifest manifest;
    private final Accepted accepted;
    private final List<String> signedBy;

    VerifiedManifest(Manifest manifest, Accepted accepted, List<String> signedBy) {
        this.manifest = manifest;
        this.accepted = accepted;
        this.signedBy = Collections.unmodifiableList(signedBy);
    }

    public Manifest manifest() { return manifest; }

    /** What to remember for the next verification. */
    public Accepted accepted() { return accepted; }

    /** Ids of the trusted keys whose signatures verified, sorted. */
    public List<String> signedBy() { return signedBy; }

    public boolean expired(long nowMillis) { return manifest.expired(nowMillis); }
}
