package dev.pinwarden;

/** What a client remembers of the last manifest it accepted: its version and payload hash. */
public final class Accepted {
    public final long version;
    /** SHA-256 of its payload, lowercase hex. */
    public final String payloadSha256;

    public Accepted(long version, String payloadSha256) {
        this.version = version;
        this.payloadSha256 = payloadSha256;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Accepted && ((Accepted) o).version == version
                && ((Accepted) o).payloadSha256.equals(payloadSha256);
    }

    @Override
    public int hashCode() {
        return (int) version ^ payloadSha256.hashCode();
    }

    @Override
    public String toString() {
        return "v" + version + " (" + payloadSha256 + ")";
    }
}
