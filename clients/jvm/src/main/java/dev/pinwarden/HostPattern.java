package dev.pinwarden;

/**
 * A host name pattern with OkHttp's meaning: {@code api.example.com} that name only,
 * {@code *.example.com} exactly one label below, {@code **.example.com} the domain itself and
 * any depth below. Case-insensitive, trailing dot ignored; IPv6 addresses in any notation.
 */
public final class HostPattern {
    /** How far below its domain a pattern reaches. */
    public enum Kind { EXACT, ONE_LABEL, ANY_DEPTH }

    private final Kind kind;
    private final String domain;

    private HostPattern(Kind kind, String domain) {
        this.kind = kind;
        this.domain = domain;
    }

    public Kind kind() { return kind; }

    public String domain() { return domain; }

    HostPattern withKind(Kind k) { return new HostPattern(k, domain); }

    /** Parses a pattern, refusing with a reason what the Rust side refuses. */
    public static HostPattern parse(String input) {
        String s = Bytes.asciiLower(input.trim());
        Kind kind;
        String domain;
        if (s.startsWith("**.")) {
            kind = Kind.ANY_DEPTH;
            domain = s.substring(3);
        } else if (s.startsWith("*.")) {
            kind = Kind.ONE_LABEL;
            domain = s.substring(2);
        } else {
            kind = Kind.EXACT;
            domain = s;
        }
        String bare = stripBrackets(domain);
        byte[] ip = Ipv6.parse(bare);
        if (ip != null) {
            if (kind != Kind.EXACT) throw bad(input, "an IP address can't take a wildcard");
            return new HostPattern(kind, Ipv6.format(ip));
        }
        if (domain.endsWith(".")) domain = domain.substring(0, domain.length() - 1);
        if (domain.isEmpty()) throw bad(input, "no domain name");
        if (domain.indexOf('*') >= 0) {
            throw bad(input, "a wildcard may only be the whole first label: `*.example.com` or `**.example.com`");
        }
        if (domain.contains("://") || domain.indexOf('/') >= 0) {
            throw bad(input, "a host pattern is a name, not a URL: drop the scheme and path");
        }
        if (domain.indexOf(':') >= 0) {
            throw bad(input, "a host pattern has no port (an IPv6 address is written bare or in brackets)");
        }
        for (String label : domain.split("\\.", -1)) {
            if (label.isEmpty()) throw bad(input, "empty label (two dots in a row?)");
            if (utf8Length(label) > 63) throw bad(input, "a label is longer than 63 characters");
            for (int k = 0; k < label.length(); k++) {
                char c = label.charAt(k);
                if (!(Bytes.isAsciiAlnum(c) || c == '-' || c == '_')) {
                    throw bad(input, "only letters, digits, '-' and '_' are allowed in a label (use the punycode form of IDNs)");
                }
            }
            if (label.startsWith("-") || label.endsWith("-")) throw bad(input, "a label may not start or end with '-'");
        }
        if (kind != Kind.EXACT && domain.indexOf('.') < 0) {
            throw bad(input, "a wildcard directly under a top-level domain matches far too much");
        }
        return new HostPattern(kind, domain);
    }

    private static int utf8Length(String s) {
        return Bytes.utf8(s).length;
    }

    private static IllegalArgumentException bad(String input, String reason) {
        return new IllegalArgumentException("host pattern \"" + input + "\": " + reason);
    }

    private static String stripBrackets(String s) {
        int a = 0;
        int b = s.length();
        while (a < b && s.charAt(a) == '[') a++;
        while (b > a && s.charAt(b - 1) == ']') b--;
        return s.substring(a, b);
    }

    /** Labels, then exact before {@code *.} before {@code **.}: higher is more specific. */
    public int[] specificity() {
        int labels = domain.split("\\.", -1).length;
        int rank = kind == Kind.EXACT ? 2 : kind == Kind.ONE_LABEL ? 1 : 0;
        return new int[] {labels, rank};
    }

    static int compareSpecificity(int[] a, int[] b) {
        if (a[0] != b[0]) return a[0] < b[0] ? -1 : 1;
        return Integer.compare(a[1], b[1]);
    }

    /** Whether {@code host} falls under this pattern. */
    public boolean matches(String host) {
        byte[] ip = Ipv6.parse(stripBrackets(host));
        if (ip != null) return kind == Kind.EXACT && domain.equals(Ipv6.format(ip));
        String h = host;
        while (h.endsWith(".")) h = h.substring(0, h.length() - 1);
        h = Bytes.asciiLower(h);
        switch (kind) {
            case EXACT:
                return h.equals(domain);
            case ONE_LABEL: {
                if (!h.endsWith(domain)) return false;
                String head = h.substring(0, h.length() - domain.length());
                if (!head.endsWith(".")) return false;
                String label = head.substring(0, head.length() - 1);
                return !label.isEmpty() && label.indexOf('.') < 0;
            }
            default: {
                if (h.equals(domain)) return true;
                if (!h.endsWith(domain)) return false;
                String head = h.substring(0, h.length() - domain.length());
                return head.length() > 1 && head.endsWith(".");
            }
        }
    }

    @Override
    public String toString() {
        switch (kind) {
            case ONE_LABEL: return "*." + domain;
            case ANY_DEPTH: return "**." + domain;
            default: return domain;
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HostPattern && ((HostPattern) o).kind == kind && ((HostPattern) o).domain.equals(domain);
    }

    @Override
    public int hashCode() {
        return kind.hashCode() * 31 + domain.hashCode();
    }

    /** IPv6 text to bytes and back, as Rust's {@code Ipv6Addr} reads and prints it. */
    static final class Ipv6 {
        private Ipv6() {}

        static byte[] parse(String s) {
            if (s.indexOf(':') < 0) return null;
            int dbl = s.indexOf("::");
            if (dbl >= 0 && s.indexOf("::", dbl + 1) >= 0) return null;
            int[] head;
            int[] tail;
            if (dbl >= 0) {
                head = groups(s.substring(0, dbl), true);
                tail = groups(s.substring(dbl + 2), true);
                if (head == null || tail == null) return null;
                if (head.length + tail.length > 7) return null;
            } else {
                head = groups(s, false);
                if (head == null || head.length != 8) return null;
                tail = new int[0];
            }
            int[] all = new int[8];
            System.arraycopy(head, 0, all, 0, head.length);
            System.arraycopy(tail, 0, all, 8 - tail.length, tail.length);
            byte[] out = new byte[16];
            for (int k = 0; k < 8; k++) {
                out[2 * k] = (byte) (all[k] >> 8);
                out[2 * k + 1] = (byte) all[k];
            }
            return out;
        }

        /** Groups of up to 4 hex digits, the last possibly an IPv4 address (two groups). */
        private static int[] groups(String s, boolean mayBeEmpty) {
            if (s.isEmpty()) return mayBeEmpty ? new int[0] : null;
            String[] parts = s.split(":", -1);
            java.util.List<Integer> out = new java.util.ArrayList<Integer>();
            for (int k = 0; k < parts.length; k++) {
                String p = parts[k];
                if (k == parts.length - 1 && p.indexOf('.') >= 0) {
                    int[] v4 = ipv4(p);
                    if (v4 == null) return null;
                    out.add((v4[0] << 8) | v4[1]);
                    out.add((v4[2] << 8) | v4[3]);
                    continue;
                }
                if (p.isEmpty() || p.length() > 4) return null;
                int v = 0;
                for (int c = 0; c < p.length(); c++) {
                    int d = Character.digit(p.charAt(c), 16);
                    if (d < 0 || p.charAt(c) > 127) return null;
                    v = v * 16 + d;
                }
                out.add(v);
            }
            int[] r = new int[out.size()];
            for (int k = 0; k < r.length; k++) r[k] = out.get(k);
            return r;
        }

        private static int[] ipv4(String s) {
            String[] parts = s.split("\\.", -1);
            if (parts.length != 4) return null;
            int[] out = new int[4];
            for (int k = 0; k < 4; k++) {
                String p = parts[k];
                if (p.isEmpty() || p.length() > 3 || (p.length() > 1 && p.charAt(0) == '0')) return null;
                int v = 0;
                for (int c = 0; c < p.length(); c++) {
                    char ch = p.charAt(c);
                    if (ch < '0' || ch > '9') return null;
                    v = v * 10 + (ch - '0');
                }
                if (v > 255) return null;
                out[k] = v;
            }
            return out;
        }

        /** RFC 5952 text, IPv4-mapped addresses as {@code ::ffff:a.b.c.d} (Rust's Display). */
        static String format(byte[] b) {
            int[] g = new int[8];
            for (int k = 0; k < 8; k++) g[k] = ((b[2 * k] & 0xff) << 8) | (b[2 * k + 1] & 0xff);
            boolean mapped = g[0] == 0 && g[1] == 0 && g[2] == 0 && g[3] == 0 && g[4] == 0 && g[5] == 0xffff;
            if (mapped) {
                return "::ffff:" + (b[12] & 0xff) + "." + (b[13] & 0xff) + "." + (b[14] & 0xff) + "." + (b[15] & 0xff);
            }
            int bestStart = -1;
            int bestLen = 0;
            for (int k = 0; k < 8; ) {
                if (g[k] != 0) {
                    k++;
                    continue;
                }
                int start = k;
                while (k < 8 && g[k] == 0) k++;
                if (k - start > bestLen) {
                    bestLen = k - start;
                    bestStart = start;
                }
            }
            StringBuilder out = new StringBuilder();
            if (bestLen < 2) {
                for (int k = 0; k < 8; k++) {
                    if (k > 0) out.append(':');
                    out.append(Integer.toHexString(g[k]));
                }
                return out.toString();
            }
            for (int k = 0; k < bestStart; k++) {
                if (k > 0) out.append(':');
                out.append(Integer.toHexString(g[k]));
            }
            out.append("::");
            for (int k = bestStart + bestLen; k < 8; k++) {
                if (k > bestStart + bestLen) out.append(':');
                out.append(Integer.toHexString(g[k]));
            }
            return out.toString();
        }
    }
}
