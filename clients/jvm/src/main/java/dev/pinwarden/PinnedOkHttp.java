package dev.pinwarden;

import java.io.IOException;
import java.net.Socket;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;

import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.X509TrustManager;

import okhttp3.Connection;
import okhttp3.ConnectionPool;
import okhttp3.Handshake;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Response;

/**
 * Pinning for an app's OkHttp client:
 *
 * <pre>{@code
 * PinnedOkHttp pinning = PinnedOkHttp.builder(updater.pins()).reporter(reporter).build();
 * OkHttpClient client = pinning.apply(new OkHttpClient.Builder()).build();
 * }</pre>
 *
 * {@link #apply} installs the pinning trust manager ({@code sslSocketFactory(factory, tm)}), a
 * connection pool it evicts when the pins change, and a network interceptor that checks a
 * connection verified under older pins (pooled, or resumed) again before a request is written on
 * it. The pins swap at run time; the client is never rebuilt.
 */
public final class PinnedOkHttp {
    private final PinVerifier verifier;
    private final PinningTrustManager trustManager;
    private final PinningSocketFactory socketFactory;
    private final ConnectionPool pool = new ConnectionPool();

    private PinnedOkHttp(PinVerifier verifier, X509TrustManager platform, String protocol) {
        this.verifier = verifier;
        this.trustManager = new PinningTrustManager(platform, verifier);
        this.socketFactory = new PinningSocketFactory(trustManager, protocol);
        verifier.pins().addListener(new PinStore.Listener() {
            @Override
            public void pinsChanged(ActivePins now, long generation) {
                socketFactory.resetSessions();
                pool.evictAll();
            }
        });
    }

    /** Enforcing pinning of {@code pins}. */
    public static Builder builder(PinStore pins) {
        return new Builder(pins, false);
    }

    static Builder reportOnlyBuilder(PinStore pins, Reporter reporter) {
        return new Builder(pins, true).reporter(reporter);
    }

    /** How the pinning is set up. */
    public static final class Builder {
        private final PinStore pins;
        private final boolean reportOnly;
        private Reporter reporter;
        private X509TrustManager platform;
        private ChainValidator validator;
        private PinVerifier.Clock clock;
        private String protocol = "TLS";

        Builder(PinStore pins, boolean reportOnly) {
            this.pins = pins;
            this.reportOnly = reportOnly;
        }

        /** Sends a report for every mismatch. */
        public Builder reporter(Reporter r) {
            this.reporter = r;
            return this;
        }

        /** The platform trust manager (default: the system's roots). */
        public Builder platformTrustManager(X509TrustManager tm) {
            this.platform = tm;
            return this;
        }

        /**
         * How validated paths are obtained (default: {@link AndroidChainValidator} on Android,
         * {@link PkixChainValidator} elsewhere).
         */
        public Builder chainValidator(ChainValidator v) {
            this.validator = v;
            return this;
        }

        public Builder clock(PinVerifier.Clock c) {
            this.clock = c;
            return this;
        }

        /** The SSLContext protocol ("TLS"). */
        public Builder protocol(String p) {
            this.protocol = p;
            return this;
        }

        public PinnedOkHttp build() {
            X509TrustManager tm = platform != null ? platform : PkixChainValidator.systemTrustManager();
            ChainValidator v = validator;
            if (v == null) v = AndroidChainValidator.available() ? new AndroidChainValidator(tm) : new PkixChainValidator(tm);
            return new PinnedOkHttp(new PinVerifier(pins, v, reporter, reportOnly, clock), tm, protocol);
        }
    }

    /** Installs the pinning into {@code builder}. */
    public OkHttpClient.Builder apply(OkHttpClient.Builder builder) {
        return builder
                .sslSocketFactory(socketFactory, trustManager)
                .connectionPool(pool)
                .addNetworkInterceptor(new RecheckInterceptor());
    }

    public PinningTrustManager trustManager() {
        return trustManager;
    }

    public PinningSocketFactory socketFactory() {
        return socketFactory;
    }

    public ConnectionPool connectionPool() {
        return pool;
    }

    /** A pin mismatch found on an established connection: not retried by OkHttp. */
    public static final class PinMismatchIOException extends SSLPeerUnverifiedException {
        private static final long serialVersionUID = 1L;

        PinMismatchIOException(String message, Throwable cause) {
            super(message);
            initCause(cause);
        }
    }

    /** Checks, before a request is written, a connection verified under older pins (or never). */
    private final class RecheckInterceptor implements Interceptor {
        @Override
        public Response intercept(Chain chain) throws IOException {
            Connection c = chain.connection();
            if (c != null && c.handshake() != null) {
                Socket socket = c.socket();
                Long g = trustManager.verifiedGeneration(socket);
                if (g == null || g != verifier.pins().generation()) {
                    recheck(c.handshake(), chain.request().url().host(), chain.request().url().port(), socket);
                }
            }
            return chain.proceed(chain.request());
        }

        private void recheck(Handshake handshake, String host, int port, Socket socket) throws IOException {
            List<Certificate> peer = handshake.peerCertificates();
            X509Certificate[] served = new X509Certificate[peer.size()];
            for (int k = 0; k < served.length; k++) {
                if (!(peer.get(k) instanceof X509Certificate)) throw new SSLPeerUnverifiedException("not X.509");
                served[k] = (X509Certificate) peer.get(k);
            }
            try {
                long g = verifier.check(served, "UNKNOWN", host, port, null);
                trustManager.noteVerified(socket, g);
            } catch (CertificateException e) {
                throw new PinMismatchIOException("checked again under the pins in force: " + e.getMessage(), e);
            }
        }
    }
}
