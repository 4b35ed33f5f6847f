package dev.pinwarden;

import java.math.BigInteger;

/**
 * Rollout cohorts, computed as the server and every client do:
 * {@code first 8 bytes of SHA-256(install_id || app), big-endian, mod 100}.
 */
public final class Cohort {
    private Cohort() {}

    private static final BigInteger HUNDRED = BigInteger.valueOf(100);

    /** The cohort (0–99) of an installation of an app. */
    public static int of(String installId, String app) {
        byte[] hash = Bytes.sha256(Bytes.utf8(installId + app));
        byte[] first = new byte[8];
        System.arraycopy(hash, 0, first, 0, 8);
        return new BigInteger(1, first).mod(HUNDRED).intValue();
    }

    /** Whether an installation takes part in a rollout of {@code percentage} percent. */
    public static boolean inCandidate(String installId, String app, int percentage) {
        return of(installId, app) < percentage;
    }
}
