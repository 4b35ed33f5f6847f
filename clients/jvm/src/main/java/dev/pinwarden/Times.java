package dev.pinwarden;

/** RFC 3339 instants and calendar dates without java.time (Android has it from API 26 only). */
final class Times {
    private Times() {}

    /** Days since 1970-01-01 of a proleptic Gregorian date. */
    static long epochDay(long y, int m, int d) {
        y -= m <= 2 ? 1 : 0;
        long era = Math.floorDiv(y, 400);
        long yoe = y - era * 400;
        long doy = (153L * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
    }

    static int daysIn(long y, int m) {
        switch (m) {
            case 2: return (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : 28;
            case 4: case 6: case 9: case 11: return 30;
            default: return 31;
        }
    }

    private static int num(String s, int from, int len) {
        if (from + len > s.length()) throw new IllegalArgumentException("too short");
        int v = 0;
        for (int k = from; k < from + len; k++) {
            char c = s.charAt(k);
            if (c < '0' || c > '9') throw new IllegalArgumentException("a digit expected at " + k);
            v = v * 10 + (c - '0');
        }
        return v;
    }

    private static void expect(String s, int at, char c) {
        if (at >= s.length() || s.charAt(at) != c) throw new IllegalArgumentException("'" + c + "' expected at " + at);
    }

    /** {@code YYYY-MM-DD} as an epoch day. */
    static long parseDate(String s) {
        if (s.length() != 10) throw new IllegalArgumentException("a date is YYYY-MM-DD");
        int y = num(s, 0, 4);
        expect(s, 4, '-');
        int m = num(s, 5, 2);
        expect(s, 7, '-');
        int d = num(s, 8, 2);
        if (m < 1 || m > 12 || d < 1 || d > daysIn(y, m)) throw new IllegalArgumentException("no such date");
        return epochDay(y, m, d);
    }

    /** An RFC 3339 date-time as milliseconds since the epoch. */
    static long parseInstant(String s) {
        int y = num(s, 0, 4);
        expect(s, 4, '-');
        int mo = num(s, 5, 2);
        expect(s, 7, '-');
        int d = num(s, 8, 2);
        if (s.length() < 11 || (s.charAt(10) != 'T' && s.charAt(10) != 't')) throw new IllegalArgumentException("'T' expected");
        int h = num(s, 11, 2);
        expect(s, 13, ':');
        int mi = num(s, 14, 2);
        expect(s, 16, ':');
        int se = num(s, 17, 2);
        int at = 19;
        long nanosMillis = 0;
        if (at < s.length() && s.charAt(at) == '.') {
            at++;
            int start = at;
            int millis = 0;
            while (at < s.length() && s.charAt(at) >= '0' && s.charAt(at) <= '9') {
                if (at - start < 3) millis = millis * 10 + (s.charAt(at) - '0');
                at++;
            }
            if (at == start) throw new IllegalArgumentException("digits expected after '.'");
            for (int k = at - start; k < 3; k++) millis *= 10;
            nanosMillis = millis;
        }
        if (at >= s.length()) throw new IllegalArgumentException("an offset expected");
        long offsetMin;
        char z = s.charAt(at);
        if (z == 'Z' || z == 'z') {
            offsetMin = 0;
            at++;
        } else if (z == '+' || z == '-') {
            int oh = num(s, at + 1, 2);
            expect(s, at + 3, ':');
            int om = num(s, at + 4, 2);
            if (oh > 23 || om > 59) throw new IllegalArgumentException("bad offset");
            offsetMin = (oh * 60L + om) * (z == '-' ? -1 : 1);
            at += 6;
        } else {
            throw new IllegalArgumentException("an offset expected");
        }
        if (at != s.length()) throw new IllegalArgumentException("trailing characters");
        if (mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59 || se > 60) {
            throw new IllegalArgumentException("no such time");
        }
        if (se == 60) se = 59; // a leap second: its last representable instant
        long secs = epochDay(y, mo, d) * 86400L + h * 3600L + mi * 60L + se - offsetMin * 60L;
        return secs * 1000L + nanosMillis;
    }

    /** RFC 3339 in UTC, seconds precision. */
    static String formatInstant(long millis) {
        long secs = Math.floorDiv(millis, 1000L);
        long day = Math.floorDiv(secs, 86400L);
        long sod = secs - day * 86400L;
        // civil from days
        long z = day + 719468;
        long era = Math.floorDiv(z, 146097);
        long doe = z - era * 146097;
        long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        long y = yoe + era * 400;
        long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        long mp = (5 * doy + 2) / 153;
        long d = doy - (153 * mp + 2) / 5 + 1;
        long m = mp < 10 ? mp + 3 : mp - 9;
        if (m <= 2) y++;
        return String.format(java.util.Locale.ROOT, "%04d-%02d-%02dT%02d:%02d:%02dZ",
                y, m, d, sod / 3600, (sod / 60) % 60, sod % 60);
    }

    static long epochDayOf(long millis) {
        return Math.floorDiv(millis, 86400000L);
    }
}
