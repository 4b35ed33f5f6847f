package dev.pinwarden;

import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

/**
 * The pin decision: for a host a pin set covers ({@link ActivePins#resolve}), the platform's
 * validated path(s) must hold one of the set's keys (leaf, intermediate or anchor). A mismatch is
 * reported; it refuses the connection unless the set is report-only, past its {@code expires}
 * day, or the verifier is report-only ({@link DangerousReportOnly}).
 */
public final class PinVerifier {
    /** A clock, for tests. */
    public interface Clock {
        long nowMillis();
    }

    private final PinStore pins;
    private final ChainValidator validator;
    private final Reporter reporter;
    private final boolean reportOnly;
    private final Clock clock;

    PinVerifier(PinStore pins, ChainValidator validator, Reporter reporter, boolean reportOnly, Clock clock) {
        if (reportOnly && reporter == null) {
            throw new IllegalArgumentException("report-only pinning needs a reporter: it would accept everything and tell no one");
        }
        this.pins = pins;
        this.validator = validator;
        this.reporter = reporter;
        this.reportOnly = reportOnly;
        this.clock = clock != null ? clock : new Clock() {
            @Override
            public long nowMillis() {
                return System.currentTimeMillis();
            }
        };
    }

    public PinStore pins() {
        return pins;
    }

    ChainValidator validator() {
        return validator;
    }

    /**
     * Validates {@code served} for {@code host} and checks the pins in force. Returns the
     * generation of the pins it checked against.
     */
    long check(X509Certificate[] served, String authType, String host, int port, Object socketOrEngine)
            throws CertificateException {
        long generation = pins.generation();
        ActivePins active = pins.current();
        PinSet.Match match = host == null ? null : active.resolve(host);
        if (match == null) {
            if (host == null && !active.isEmpty()) {
                throw new CertificateException("pinning needs the host name: connect through an SSLSocket or SSLEngine with a peer host");
            }
            // Unpinned: the platform's validation alone.
            if (validator instanceof PkixChainValidator) {
                PkixChainValidator pkix = (PkixChainValidator) validator;
                PinningTrustManager.platformCheck(pkix.platform(), served, authType, socketOrEngine);
            } else {
                validator.validatedPaths(served, authType, host, socketOrEngine);
            }
            return generation;
        }
        List<List<X509Certificate>> paths = validator.validatedPaths(served, authType, host, socketOrEngine);
        PinSet set = match.set;
        for (List<X509Certificate> path : paths) {
            for (X509Certificate c : path) {
                if (set.contains(SpkiPin.of(c))) return generation;
            }
        }
        List<X509Certificate> seen = paths.get(0);
        List<SpkiPin> saw = new ArrayList<SpkiPin>();
        for (X509Certificate c : seen) saw.add(SpkiPin.of(c));
        boolean enforce = set.enforce && !reportOnly && !set.expiredOn(Times.epochDayOf(clock.nowMillis()));
        if (reporter != null) {
            List<SpkiPin> known = new ArrayList<SpkiPin>();
            for (PinSet.Entry e : set.pins) known.add(e.pin);
            // The validated chain without its anchor, as the Rust client reports it.
            List<X509Certificate> reported = seen.size() > 1 ? seen.subList(0, seen.size() - 1) : seen;
            reporter.report(new PinFailure(host, port, match.pattern.toString(), set.includeSubdomains, enforce,
                    PinFailure.der(reported), known, active.manifestVersion, active.cohort,
                    set.reportUri != null ? set.reportUri : active.reportUri));
        }
        if (enforce) throw new PinMismatchException(host, set.id, saw);
        return generation;
    }
}
