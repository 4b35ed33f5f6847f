package dev.pinwarden;

/** Why a refresh failed; the pins in force stay as they were. */
public class UpdaterException extends Exception {
    private static final long serialVersionUID = 1L;

    public enum Kind { FETCH, REFUSED, OLDER_THAN_BUILT_IN, PERSIST, CACHE_DIR }

    private final Kind kind;

    public UpdaterException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    /** For {@link Kind#REFUSED}: the verification's reason. */
    public ManifestException.Reason refusal() {
        return getCause() instanceof ManifestException ? ((ManifestException) getCause()).reason() : null;
    }
}
