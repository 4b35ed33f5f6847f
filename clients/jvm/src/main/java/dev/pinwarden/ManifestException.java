package dev.pinwarden;

/** Why an envelope, a manifest or a key was refused; {@link #reason()} names the cause. */
public class ManifestException extends Exception {
    private static final long serialVersionUID = 1L;

    /** The causes, as the Rust {@code pinwarden_manifest::Error} variants. */
    public enum Reason {
        ENVELOPE, PAYLOAD_TYPE, TOO_MANY_SIGNATURES, PAYLOAD, VERSION_TOO_LARGE,
        /** No signature verifies with a trusted key. */
        SIGNATURES,
        /** Some do, from fewer distinct trusted keys than the threshold. */
        THRESHOLD,
        WRONG_APP, ROLLBACK, EQUIVOCATION, KEY, TRUST,
        /** Older than the app's built-in pins (the {@link Baseline}). */
        OLDER_THAN_BUILT_IN
    }

    private final Reason reason;

    public ManifestException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    /** The reason in kebab-case ({@code wrong-app}). */
    public String reasonName() {
        return reason.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    /**
     * The reason as the shared vectors (testdata/vectors/manifests.json) name it: {@code malformed},
     * {@code payload-type}, {@code signature}, {@code threshold}, {@code app}, {@code rollback},
     * {@code equivocation}.
     */
    public String vectorReason() {
        switch (reason) {
            case ENVELOPE: case TOO_MANY_SIGNATURES: case PAYLOAD: case VERSION_TOO_LARGE: return "malformed";
            case PAYLOAD_TYPE: return "payload-type";
            case SIGNATURES: return "signature";
            case THRESHOLD: return "threshold";
            case WRONG_APP: return "app";
            case ROLLBACK: return "rollback";
            case EQUIVOCATION: return "equivocation";
            default: return reasonName();
        }
    }

    @Override
    public String toString() {
        return reasonName() + ": " + getMessage();
    }
}
