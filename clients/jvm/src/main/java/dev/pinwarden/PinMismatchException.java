package dev.pinwarden;

import java.security.cert.CertificateException;
import java.util.Collections;
import java.util.List;

/**
 * A chain that validated but whose keys match none of the host's pins: thrown by the trust
 * manager inside the handshake, so the connection fails before any request byte is written.
 */
public final class PinMismatchException extends CertificateException {
    private static final long serialVersionUID = 1L;

    public final String host;
    public final String pinSet;
    /** The keys of the validated chain, leaf first. */
    public final transient List<SpkiPin> saw;

    PinMismatchException(String host, String pinSet, List<SpkiPin> saw) {
        super("pin mismatch for " + host + ": the validated chain's keys " + saw + " match none of pin set \"" + pinSet + "\"");
        this.host = host;
        this.pinSet = pinSet;
        this.saw = Collections.unmodifiableList(saw);
    }
}
