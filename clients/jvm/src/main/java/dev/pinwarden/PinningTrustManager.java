package dev.pinwarden;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.WeakHashMap;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * A trust manager that validates as the platform does and then, for hosts a pin set covers,
 * checks the pins on the validated path, inside the handshake: a mismatch fails the handshake
 * before any request byte is written. The host is the one the socket or engine connects to (the
 * URL's host under OkHttp). Each socket verified is remembered with the pins' generation, so a
 * connection verified under older pins is checked again ({@link PinnedOkHttp}'s interceptor).
 */
public final class PinningTrustManager extends X509ExtendedTrustManager {
    private final X509TrustManager platform;
    private final PinVerifier verifier;
    private final Map<Object, Long> verified = new WeakHashMap<Object, Long>();

    PinningTrustManager(X509TrustManager platform, PinVerifier verifier) {
        this.platform = platform;
        this.verifier = verifier;
    }

    public PinVerifier verifier() {
        return verifier;
    }

    static void platformCheck(X509TrustManager platform, X509Certificate[] chain, String authType, Object socketOrEngine)
            throws CertificateException {
        if (platform instanceof X509ExtendedTrustManager && socketOrEngine instanceof Socket) {
            ((X509ExtendedTrustManager) platform).checkServerTrusted(chain, authType, (Socket) socketOrEngine);
        } else if (platform instanceof X509ExtendedTrustManager && socketOrEngine instanceof SSLEngine) {
            ((X509ExtendedTrustManager) platform).checkServerTrusted(chain, authType, (SSLEngine) socketOrEngine);
        } else {
            platform.checkServerTrusted(chain, authType);
        }
    }

    /** The pins' generation a socket (or engine) was verified under, or null. */
    Long verifiedGeneration(Object socketOrEngine) {
        synchronized (verified) {
            return verified.get(socketOrEngine);
        }
    }

    void noteVerified(Object socketOrEngine, long generation) {
        synchronized (verified) {
            verified.put(socketOrEngine, generation);
        }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        String host = null;
        int port = -1;
        if (socket instanceof SSLSocket) {
            SSLSession s = ((SSLSocket) socket).getHandshakeSession();
            if (s != null) {
                host = s.getPeerHost();
                port = s.getPeerPort();
            }
        }
        if (port <= 0 && socket != null) port = socket.getPort();
        long g = verifier.check(chain, authType, host, port, socket);
        if (socket != null) noteVerified(socket, g);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        String host = engine == null ? null : engine.getPeerHost();
        int port = engine == null ? -1 : engine.getPeerPort();
        long g = verifier.check(chain, authType, host, port, engine);
        if (engine != null) noteVerified(engine, g);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        verifier.check(chain, authType, null, -1, null);
    }

    /** Android's {@code X509TrustManagerExtensions} calls this form with the host. */
    public java.util.List<X509Certificate> checkServerTrusted(X509Certificate[] chain, String authType, String host)
            throws CertificateException {
        verifier.check(chain, authType, host, -1, null);
        return java.util.Arrays.asList(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        platform.checkClientTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        platform.checkClientTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        platform.checkClientTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return platform.getAcceptedIssuers();
    }
}
