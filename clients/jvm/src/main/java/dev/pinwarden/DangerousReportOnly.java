package dev.pinwarden;

/**
 * DANGEROUS: report-only pinning. Mismatches are reported and the connection goes on. For
 * measuring a pin set before enforcing it, never the end state; it takes a {@link Reporter}
 * because report-only pinning without one would accept everything and tell no one.
 */
public final class DangerousReportOnly {
    private DangerousReportOnly() {}

    /** A report-only {@link PinnedOkHttp} builder. */
    public static PinnedOkHttp.Builder pinning(PinStore pins, Reporter reporter) {
        if (reporter == null) throw new IllegalArgumentException("report-only pinning needs a reporter");
        return PinnedOkHttp.reportOnlyBuilder(pins, reporter);
    }
}
