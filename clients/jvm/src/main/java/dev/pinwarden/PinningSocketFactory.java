package dev.pinwarden;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.util.Enumeration;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

/**
 * The socket factory OkHttp holds: it delegates to an {@link SSLContext} around the pinning trust
 * manager and replaces that context (and so its TLS session cache) whenever the pins change, after
 * invalidating every session of the old one: no resumed session skips new pins.
 */
public final class PinningSocketFactory extends SSLSocketFactory {
    private final PinningTrustManager trustManager;
    private final String protocol;
    private volatile SSLContext context;

    PinningSocketFactory(PinningTrustManager trustManager, String protocol) {
        this.trustManager = trustManager;
        this.protocol = protocol;
        this.context = newContext();
    }

    private SSLContext newContext() {
        try {
            SSLContext c = SSLContext.getInstance(protocol);
            c.init(null, new TrustManager[] {trustManager}, null);
            return c;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("TLS context: " + e, e);
        }
    }

    /** Forgets every TLS session: a fresh context, the old one's sessions invalidated. */
    public void resetSessions() {
        SSLContext old = context;
        context = newContext();
        SSLSessionContext sessions = old.getClientSessionContext();
        if (sessions == null) return;
        Enumeration<byte[]> ids = sessions.getIds();
        while (ids.hasMoreElements()) {
            javax.net.ssl.SSLSession s = sessions.getSession(ids.nextElement());
            if (s != null) s.invalidate();
        }
    }

    /** The current context (for an app that needs it elsewhere). */
    public SSLContext context() {
        return context;
    }

    private SSLSocketFactory delegate() {
        return context.getSocketFactory();
    }

    @Override
    public String[] getDefaultCipherSuites() {
        return delegate().getDefaultCipherSuites();
    }

    @Override
    public String[] getSupportedCipherSuites() {
        return delegate().getSupportedCipherSuites();
    }

    @Override
    public Socket createSocket(Socket s, String host, int port, boolean autoClose) throws IOException {
        return delegate().createSocket(s, host, port, autoClose);
    }

    @Override
    public Socket createSocket() throws IOException {
        return delegate().createSocket();
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        return delegate().createSocket(host, port);
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        return delegate().createSocket(host, port, localHost, localPort);
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        return delegate().createSocket(host, port);
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) throws IOException {
        return delegate().createSocket(address, port, localAddress, localPort);
    }
}
