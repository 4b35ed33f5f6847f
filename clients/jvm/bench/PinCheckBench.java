import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import javax.net.SocketFactory;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

import dev.pinwarden.PinSet;
import dev.pinwarden.PinStore;
import dev.pinwarden.PinnedOkHttp;
import dev.pinwarden.SpkiPin;
import okhttp3.CertificatePinner;
import okhttp3.Dns;
import okhttp3.Handshake;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;

/**
 * Added cost of pinwarden's pin check per TLS handshake, against the same OkHttp client with its
 * static CertificatePinner and with no pinning at all. JMH isn't available here, so: interleaved
 * batches of N fresh, full handshakes (a new connection each time, sessions forgotten between
 * calls so none resumes; checked by counting the platform trust manager's calls), the order of
 * the three clients rotated every round, medians over rounds. See bench/BENCHMARKS.md.
 *
 * Environment: ROUNDS (15), N (200 handshakes per batch), WARMUP (2 rounds, not counted),
 * MAX_SECONDS (120, counted from the first warm-up round: no round starts after that), CHECK_ROUNDS
 * (15) and CHECK_N (2000) for the check alone.
 */
public final class PinCheckBench {
    static final String HOST = "api.pinwarden.test";

    public static void main(String[] args) throws Exception {
        int rounds = env("ROUNDS", 15);
        int n = env("N", 200);
        int warmup = env("WARMUP", 2);
        long maxNanos = TimeUnit.SECONDS.toNanos(env("MAX_SECONDS", 120));

        // The PKI: ECDSA P-256 root -> intermediate -> leaf; the server sends leaf + intermediate.
        HeldCertificate root = new HeldCertificate.Builder().commonName("Bench Root").certificateAuthority(1).ecdsa256().build();
        HeldCertificate intermediate = new HeldCertificate.Builder().commonName("Bench Intermediate")
                .certificateAuthority(0).signedBy(root).ecdsa256().build();
        HeldCertificate leaf = new HeldCertificate.Builder().commonName(HOST).addSubjectAlternativeName(HOST)
                .signedBy(intermediate).ecdsa256().build();
        HeldCertificate other = new HeldCertificate.Builder().commonName("Other Root").certificateAuthority(1).ecdsa256().build();
        // The trusted root as the JDK's own certificate object, as a JVM app's roots are (cacerts):
        // HeldCertificate's is BouncyCastle's, whose verify() keeps no result, so OkHttp's chain
        // cleaner (which verifies the root's self-signature) would pay a full ECDSA verify that
        // it doesn't pay against real roots.
        X509Certificate jdkRoot = (X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
                .generateCertificate(new java.io.ByteArrayInputStream(root.certificate().getEncoded()));
        X509TrustManager roots = new HandshakeCertificates.Builder().addTrustedCertificate(jdkRoot).build().trustManager();

        // The same pins for both pinning clients: a backup that doesn't match, then the root's key
        // (CA-level pinning; every key of the path is hashed before the match: the slowest match).
        SpkiPin backup = SpkiPin.of(other.certificate());
        SpkiPin rootPin = SpkiPin.of(root.certificate());

        try (Server server = new Server(leaf, intermediate.certificate())) {
            String url = "https://" + HOST + ":" + server.port() + "/";
            Variant pinner = Variant.okhttp("a pinner", roots, new CertificatePinner.Builder()
                    .add(HOST, backup.toString(), rootPin.toString()).build());
            Variant pinwarden = Variant.pinwarden("b pinwarden", roots, Arrays.asList(backup, rootPin));
            Variant plain = Variant.okhttp("c plain", roots, null);
            Variant[] variants = {pinner, pinwarden, plain};

            // Both pinning clients must really refuse a wrong pin, or there is nothing to measure.
            preflight(url, roots, other);
            Handshake h = pinwarden.call(url, new long[2]);
            System.out.printf("%s, %s, %s; %d handshakes per batch, %d rounds (+%d warm-up), stop after %d s%n",
                    h.tlsVersion(), h.cipherSuite(), Runtime.version(), n, rounds, warmup,
                    TimeUnit.NANOSECONDS.toSeconds(maxNanos));

            List<double[]> wall = new ArrayList<>();  // per round: median µs of a, b, c
            List<double[]> cpu = new ArrayList<>();   // per round: median client-thread CPU µs of a, b, c
            long start = System.nanoTime();
            System.out.printf("%-6s %-9s %12s %12s %12s %8s %8s %10s %10s %10s%n", "round", "order",
                    "a wall µs", "b wall µs", "c wall µs", "b/a", "b/c", "a cpu µs", "b cpu µs", "c cpu µs");
            for (int r = 0; r < warmup + rounds; r++) {
                if (r >= warmup && System.nanoTime() - start > maxNanos) {
                    System.out.printf("stopped after %d s: %d rounds measured%n",
                            TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start), wall.size());
                    break;
                }
                int[] order = order(r);
                double[] w = new double[3];
                double[] c = new double[3];
                StringBuilder names = new StringBuilder();
                for (int k : order) {
                    names.append((char) ('a' + k));
                    double[][] batch = variants[k].batch(url, n);
                    w[k] = median(batch[0]);
                    c[k] = median(batch[1]);
                }
                boolean counted = r >= warmup;
                if (counted) {
                    wall.add(w);
                    cpu.add(c);
                }
                System.out.printf("%-6s %-9s %12.1f %12.1f %12.1f %8.4f %8.4f %10.1f %10.1f %10.1f%n",
                        counted ? String.valueOf(r - warmup + 1) : "warm", names, w[0], w[1], w[2],
                        w[1] / w[0], w[1] / w[2], c[0], c[1], c[2]);
            }
            for (Variant v : variants) v.checkFullHandshakes();

            System.out.println();
            System.out.printf("median per handshake over %d rounds (wall, µs):  a pinner %.1f  b pinwarden %.1f  c plain %.1f%n",
                    wall.size(), column(wall, 0), column(wall, 1), column(wall, 2));
            System.out.printf("median per handshake over %d rounds (client thread CPU, µs):  a %.1f  b %.1f  c %.1f%n",
                    cpu.size(), column(cpu, 0), column(cpu, 1), column(cpu, 2));
            System.out.printf("wall: b/a %s, b/c %s, a/c %s (medians of per-round ratios)%n",
                    ratio(wall, 1, 0), ratio(wall, 1, 2), ratio(wall, 0, 2));
            System.out.printf("cpu:  b/a %s, b/c %s, a/c %s%n", ratio(cpu, 1, 0), ratio(cpu, 1, 2), ratio(cpu, 0, 2));
            System.out.printf("full handshakes: %s%n", counts(variants));

            isolated(env("CHECK_ROUNDS", 15), env("CHECK_N", 2000), roots, pinner, pinwarden,
                    new X509Certificate[] {leaf.certificate(), intermediate.certificate()});
        }
    }

    /**
     * The certificate check alone, no TLS: what each client's trust step costs on a chain parsed
     * afresh (as a handshake parses it). c: the platform trust manager; a: the same, then
     * OkHttp's CertificatePinner (chain cleaning and pin match) as the client runs it; b:
     * pinwarden's trust manager (the platform check, validated paths, pin match). Interleaved
     * batches, rotated order, medians.
     */
    static void isolated(int rounds, int n, X509TrustManager roots, Variant pinner, Variant pinwarden,
            X509Certificate[] served) throws Exception {
        java.security.cert.CertificateFactory cf = java.security.cert.CertificateFactory.getInstance("X.509");
        byte[][] der = new byte[served.length][];
        for (int k = 0; k < der.length; k++) der[k] = served[k].getEncoded();
        CertificatePinner okPinner = pinner.client.certificatePinner();
        X509ExtendedTrustManager pinning = pinwarden.pinning.trustManager();
        System.out.printf("%nthe check alone (no TLS), %d checks per batch, %d rounds (+2 warm-up):%n", n, rounds);
        List<double[]> rows = new ArrayList<>();
        for (int r = 0; r < rounds + 2; r++) {
            double[] row = new double[3];
            for (int k : order(r)) {
                X509Certificate[][] chains = new X509Certificate[n][];
                for (int i = 0; i < n; i++) {
                    chains[i] = new X509Certificate[der.length];
                    for (int j = 0; j < der.length; j++) {
                        chains[i][j] = (X509Certificate) cf.generateCertificate(new java.io.ByteArrayInputStream(der[j]));
                    }
                }
                long t0 = System.nanoTime();
                for (X509Certificate[] chain : chains) {
                    if (k == 0) {
                        roots.checkServerTrusted(chain, "UNKNOWN");
                        okPinner.check(HOST, Arrays.<java.security.cert.Certificate>asList(chain));
                    } else if (k == 1) {
                        ((dev.pinwarden.PinningTrustManager) pinning).checkServerTrusted(chain, "UNKNOWN", HOST);
                    } else {
                        roots.checkServerTrusted(chain, "UNKNOWN");
                    }
                }
                row[k] = (System.nanoTime() - t0) / 1000.0 / n;
            }
            if (r >= 2) rows.add(row);
        }
        System.out.printf("median per check (µs):  a platform+pinner %.1f  b pinwarden %.1f  c platform %.1f%n",
                column(rows, 0), column(rows, 1), column(rows, 2));
        double[] addA = new double[rows.size()];
        double[] addB = new double[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            addA[i] = rows.get(i)[0] - rows.get(i)[2];
            addB[i] = rows.get(i)[1] - rows.get(i)[2];
        }
        System.out.printf("added to the platform check (µs, medians of per-round differences):  pinner %.1f  pinwarden %.1f%n",
                median(addA), median(addB));
        System.out.printf("ratios: b/a %s, b/c %s%n", ratio(rows, 1, 0), ratio(rows, 1, 2));
    }

    /** The 6 orders of a, b, c in turn: rotations, reversed every other round. */
    static int[] order(int round) {
        int s = round % 3;
        int[] o = {s, (s + 1) % 3, (s + 2) % 3};
        if ((round / 3) % 2 == 1) o = new int[] {o[2], o[1], o[0]};
        return o;
    }

    static void preflight(String url, X509TrustManager roots, HeldCertificate other) throws Exception {
        SpkiPin wrong = SpkiPin.of(other.certificate());
        Variant[] refusing = {
            Variant.okhttp("pinner, wrong pin", roots, new CertificatePinner.Builder().add(HOST, wrong.toString()).build()),
            Variant.pinwarden("pinwarden, wrong pin", roots, Arrays.asList(wrong)),
        };
        for (Variant v : refusing) {
            try {
                v.call(url, new long[2]);
                throw new IllegalStateException(v.name + " accepted the server: the bench would measure nothing");
            } catch (SSLException expected) {
                // Refused, as it should be: OkHttp's pinner after the handshake, pinwarden inside it.
                String why = String.valueOf(expected.getMessage());
                if (!why.contains("pin")) throw new IllegalStateException(v.name + ": refused, but not for the pin: " + expected, expected);
            }
        }
    }

    /** One client set-up and its counters. */
    static final class Variant {
        final String name;
        final OkHttpClient client;
        final SSLContext context;
        final Counting trust;
        final PinnedOkHttp pinning;  // null for the OkHttp-only clients
        long calls;

        private Variant(String name, OkHttpClient client, SSLContext context, Counting trust, PinnedOkHttp pinning) {
            this.name = name;
            this.client = client;
            this.context = context;
            this.trust = trust;
            this.pinning = pinning;
        }

        static OkHttpClient.Builder common(OkHttpClient.Builder b) {
            return b.dns(LOCAL).socketFactory(NO_DELAY).retryOnConnectionFailure(false).connectTimeout(10, TimeUnit.SECONDS)
                    .readTimeout(10, TimeUnit.SECONDS);
        }

        /** OkHttp with the platform trust manager and, when given, a static CertificatePinner. */
        static Variant okhttp(String name, X509TrustManager roots, CertificatePinner pinner) throws GeneralSecurityException {
            Counting tm = new Counting((X509ExtendedTrustManager) roots);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[] {tm}, null);
            OkHttpClient.Builder b = common(new OkHttpClient.Builder()).sslSocketFactory(ctx.getSocketFactory(), tm);
            if (pinner != null) b.certificatePinner(pinner);
            return new Variant(name, b.build(), ctx, tm, null);
        }

        /** OkHttp with pinwarden's enforcement of {@code pins} for HOST. */
        static Variant pinwarden(String name, X509TrustManager roots, List<SpkiPin> pins) {
            Counting tm = new Counting((X509ExtendedTrustManager) roots);
            PinStore store = new PinStore(Arrays.asList(PinSet.enforced("api", Arrays.asList(HOST), pins)));
            PinnedOkHttp pinning = PinnedOkHttp.builder(store).platformTrustManager(tm).build();
            OkHttpClient client = common(pinning.apply(new OkHttpClient.Builder())).build();
            return new Variant(name, client, pinning.socketFactory().context(), tm, pinning);
        }

        /** One request on a new connection, timed; then the connection and every session dropped. */
        Handshake call(String url, long[] nanos) throws IOException {
            Request req = new Request.Builder().url(url).header("Connection", "close").build();
            Handshake h;
            long t0 = System.nanoTime();
            long c0 = THREADS.getCurrentThreadCpuTime();
            try (Response res = client.newCall(req).execute()) {
                if (res.code() != 200 || !"ok".equals(res.body().string())) throw new IOException("bad answer " + res);
                h = res.handshake();
            }
            nanos[1] = THREADS.getCurrentThreadCpuTime() - c0;
            nanos[0] = System.nanoTime() - t0;
            calls++;
            // Untimed: no pooled connection and no resumable session for the next call.
            client.connectionPool().evictAll();
            forgetSessions(context);
            return h;
        }

        /** Per-handshake wall and CPU times, in µs. */
        double[][] batch(String url, int n) throws IOException {
            double[][] out = new double[2][n];
            long[] t = new long[2];
            for (int k = 0; k < n; k++) {
                call(url, t);
                out[0][k] = t[0] / 1000.0;
                out[1][k] = t[1] / 1000.0;
            }
            return out;
        }

        void checkFullHandshakes() {
            if (trust.serverChecks.get() != calls) {
                throw new IllegalStateException(name + ": " + calls + " calls but " + trust.serverChecks.get()
                        + " certificate checks: some handshakes resumed a session");
            }
        }
    }

    static String counts(Variant[] vs) {
        StringBuilder s = new StringBuilder();
        for (Variant v : vs) {
            if (s.length() > 0) s.append(", ");
            s.append(v.name).append(' ').append(v.trust.serverChecks.get()).append('/').append(v.calls);
        }
        return s.toString();
    }

    static void forgetSessions(SSLContext ctx) {
        SSLSessionContext sessions = ctx.getClientSessionContext();
        List<byte[]> ids = new ArrayList<>();
        for (Enumeration<byte[]> e = sessions.getIds(); e.hasMoreElements(); ) ids.add(e.nextElement());
        for (byte[] id : ids) {
            SSLSession s = sessions.getSession(id);
            if (s != null) s.invalidate();
        }
    }

    /** The platform trust manager, counting server checks (so a resumed handshake shows). */
    static final class Counting extends X509ExtendedTrustManager {
        final X509ExtendedTrustManager d;
        final AtomicLong serverChecks = new AtomicLong();

        Counting(X509ExtendedTrustManager d) {
            this.d = d;
        }

        @Override
        public void checkServerTrusted(X509Certificate[] c, String a, Socket s) throws CertificateException {
            serverChecks.incrementAndGet();
            d.checkServerTrusted(c, a, s);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] c, String a, SSLEngine e) throws CertificateException {
            serverChecks.incrementAndGet();
            d.checkServerTrusted(c, a, e);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] c, String a) throws CertificateException {
            serverChecks.incrementAndGet();
            d.checkServerTrusted(c, a);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] c, String a, Socket s) throws CertificateException {
            d.checkClientTrusted(c, a, s);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] c, String a, SSLEngine e) throws CertificateException {
            d.checkClientTrusted(c, a, e);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] c, String a) throws CertificateException {
            d.checkClientTrusted(c, a);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return d.getAcceptedIssuers();
        }
    }

    /** An HTTPS server on 127.0.0.1: one request per connection, answered "ok", then closed. */
    static final class Server implements AutoCloseable {
        final SSLServerSocket socket;
        final ExecutorService pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "bench-server");
            t.setDaemon(true);
            return t;
        });
        volatile boolean closed;

        Server(HeldCertificate leaf, X509Certificate... chain) throws Exception {
            X509Certificate[] all = new X509Certificate[chain.length + 1];
            all[0] = leaf.certificate();
            System.arraycopy(chain, 0, all, 1, chain.length);
            X509ExtendedKeyManager km = new X509ExtendedKeyManager() {
                public String[] getClientAliases(String t, Principal[] i) { return null; }
                public String chooseClientAlias(String[] t, Principal[] i, Socket s) { return null; }
                public String[] getServerAliases(String t, Principal[] i) { return new String[] {"leaf"}; }
                public String chooseServerAlias(String t, Principal[] i, Socket s) { return "leaf"; }
                public String chooseEngineServerAlias(String t, Principal[] i, SSLEngine e) { return "leaf"; }
                public X509Certificate[] getCertificateChain(String alias) { return all.clone(); }
                public PrivateKey getPrivateKey(String alias) { return leaf.keyPair().getPrivate(); }
            };
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(new KeyManager[] {km}, null, null);
            socket = (SSLServerSocket) ctx.getServerSocketFactory().createServerSocket(0, 128, InetAddress.getByName("127.0.0.1"));
            Thread t = new Thread(this::acceptLoop, "bench-accept");
            t.setDaemon(true);
            t.start();
        }

        int port() {
            return socket.getLocalPort();
        }

        void acceptLoop() {
            while (!closed) {
                try {
                    Socket s = socket.accept();
                    pool.execute(() -> serve((SSLSocket) s));
                } catch (IOException e) {
                    return;
                }
            }
        }

        static void serve(SSLSocket s) {
            try (s) {
                s.setTcpNoDelay(true);
                s.startHandshake();
                InputStream in = s.getInputStream();
                int state = 0;  // bytes of "\r\n\r\n" seen
                while (state < 4) {
                    int b = in.read();
                    if (b < 0) return;
                    state = (b == (state % 2 == 0 ? '\r' : '\n')) ? state + 1 : (b == '\r' ? 1 : 0);
                }
                OutputStream out = s.getOutputStream();
                out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            } catch (IOException e) {
                // a refused handshake (the preflight), or the client went away
            }
        }

        @Override
        public void close() throws IOException {
            closed = true;
            socket.close();
            pool.shutdownNow();
        }
    }

    /**
     * Plain sockets with TCP_NODELAY, for every client alike: without it the request written
     * after the client's Finished waits for a delayed ACK (~40 ms on Linux) in some handshakes and
     * not others, which swamps what is measured.
     */
    static final SocketFactory NO_DELAY = new SocketFactory() {
        Socket tuned(Socket s) throws IOException {
            s.setTcpNoDelay(true);
            return s;
        }

        @Override
        public Socket createSocket() throws IOException {
            return tuned(new Socket());
        }

        @Override
        public Socket createSocket(String host, int port) throws IOException {
            return tuned(new Socket(host, port));
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress local, int localPort) throws IOException {
            return tuned(new Socket(host, port, local, localPort));
        }

        @Override
        public Socket createSocket(InetAddress host, int port) throws IOException {
            return tuned(new Socket(host, port));
        }

        @Override
        public Socket createSocket(InetAddress host, int port, InetAddress local, int localPort) throws IOException {
            return tuned(new Socket(host, port, local, localPort));
        }
    };

    static final Dns LOCAL = hostname -> Arrays.asList(InetAddress.getByName("127.0.0.1"));
    static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    static int env(String name, int dflt) {
        String v = System.getenv(name);
        return v == null || v.isEmpty() ? dflt : Integer.parseInt(v);
    }

    static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        int m = s.length / 2;
        return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
    }

    static double column(List<double[]> rows, int k) {
        double[] xs = new double[rows.size()];
        for (int i = 0; i < xs.length; i++) xs[i] = rows.get(i)[k];
        return median(xs);
    }

    /** Median over rounds of row[num] / row[den], as a signed percentage and a ratio. */
    static String ratio(List<double[]> rows, int num, int den) {
        double[] xs = new double[rows.size()];
        for (int i = 0; i < xs.length; i++) xs[i] = rows.get(i)[num] / rows.get(i)[den];
        double m = median(xs);
        Arrays.sort(xs);
        return String.format("%.4f (%+.2f%%; rounds %.4f-%.4f)", m, (m - 1) * 100, xs[0], xs[xs.length - 1]);
    }
}
