package dev.pinwarden;

import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** One pin failure, as the trust manager saw it. */
public final class PinFailure {
    public final String host;
    public final int port;
    /** The pin set's host pattern that matched. */
    public final String notedHostname;
    public final boolean includeSubdomains;
    /** Whether the connection was refused. */
    public final boolean enforce;
    /** The validated chain, DER, leaf first. */
    public final List<byte[]> chainDer;
    public final List<SpkiPin> knownPins;
    /** The manifest version in force, or -1. */
    public final long manifestVersion;
    /** The installation's cohort, or -1. */
    public final int cohort;
    /** The set's report URI, else the manifest's; null for the reporter's default. */
    public final String reportUri;

    public PinFailure(String host, int port, String notedHostname, boolean includeSubdomains, boolean enforce,
            List<byte[]> chainDer, List<SpkiPin> knownPins, long manifestVersion, int cohort, String reportUri) {
        this.host = host;
        this.port = port;
        this.notedHostname = notedHostname;
        this.includeSubdomains = includeSubdomains;
        this.enforce = enforce;
        this.chainDer = Collections.unmodifiableList(new ArrayList<byte[]>(chainDer));
        this.knownPins = Collections.unmodifiableList(new ArrayList<SpkiPin>(knownPins));
        this.manifestVersion = manifestVersion;
        this.cohort = cohort;
        this.reportUri = reportUri;
    }

    static List<byte[]> der(List<X509Certificate> chain) {
        List<byte[]> out = new ArrayList<byte[]>();
        for (X509Certificate c : chain) {
            try {
                out.add(c.getEncoded());
            } catch (CertificateEncodingException e) {
                // skipped
            }
        }
        return out;
    }
}
