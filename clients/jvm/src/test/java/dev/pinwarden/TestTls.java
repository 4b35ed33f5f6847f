package dev.pinwarden;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509TrustManager;

import okhttp3.Dns;
import okhttp3.OkHttpClient;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;

/** Test PKI (okhttp-tls' HeldCertificate) and a TLS server counting the request bytes it gets. */
final class TestTls {
    private TestTls() {}

    /** A root, an intermediate under it, and leaves. */
    static final class Ca {
        final HeldCertificate root;
        final HeldCertificate intermediate;

        Ca(String name) {
            root = new HeldCertificate.Builder().commonName(name + " Root").certificateAuthority(1).ecdsa256().build();
            intermediate = new HeldCertificate.Builder().commonName(name + " Intermediate").certificateAuthority(0)
                    .signedBy(root).ecdsa256().build();
        }

        HeldCertificate leaf(String host) {
            return new HeldCertificate.Builder().commonName(host).addSubjectAlternativeName(host).signedBy(intermediate)
                    .ecdsa256().build();
        }

        SpkiPin rootPin() {
            return SpkiPin.of(root.certificate());
        }

        SpkiPin intermediatePin() {
            return SpkiPin.of(intermediate.certificate());
        }
    }

    /** A platform trust manager trusting these roots only. */
    static X509TrustManager trusting(Ca... cas) {
        HandshakeCertificates.Builder b = new HandshakeCertificates.Builder();
        for (Ca ca : cas) b.addTrustedCertificate(ca.root.certificate());
        return b.build().trustManager();
    }

    /** Every name resolves to 127.0.0.1. */
    static final Dns LOCAL = new Dns() {
        @Override
        public List<InetAddress> lookup(String hostname) throws UnknownHostException {
            return List.of(InetAddress.getByName("127.0.0.1"));
        }
    };

    static OkHttpClient.Builder client(PinnedOkHttp pinning) {
        return pinning.apply(new OkHttpClient.Builder()).dns(LOCAL).connectTimeout(5, TimeUnit.SECONDS)
                .readTimeout(5, TimeUnit.SECONDS);
    }

    /** An HTTPS server answering 200 "ok" to every request, counting what it received. */
    static final class Server implements Closeable {
        final SSLServerSocket socket;
        final AtomicInteger connections = new AtomicInteger();
        final AtomicInteger handshakes = new AtomicInteger();
        final AtomicInteger requests = new AtomicInteger();
        final AtomicLong requestBytes = new AtomicLong();
        private volatile boolean closed;

        /** Serves {@code leaf} with {@code chain} (the certificates sent after the leaf). */
        Server(HeldCertificate leaf, X509Certificate... chain) throws IOException {
            X509Certificate[] all = new X509Certificate[chain.length + 1];
            all[0] = leaf.certificate();
            System.arraycopy(chain, 0, all, 1, chain.length);
            // Any chain, in any order (a KeyStore would insist on a linked one).
            javax.net.ssl.X509ExtendedKeyManager km = new javax.net.ssl.X509ExtendedKeyManager() {
                public String[] getClientAliases(String t, java.security.Principal[] i) { return null; }
                public String chooseClientAlias(String[] t, java.security.Principal[] i, Socket s) { return null; }
                public String[] getServerAliases(String t, java.security.Principal[] i) { return new String[] {"leaf"}; }
                public String chooseServerAlias(String t, java.security.Principal[] i, Socket s) { return "leaf"; }
                public String chooseEngineServerAlias(String t, java.security.Principal[] i, javax.net.ssl.SSLEngine e) { return "leaf"; }
                public X509Certificate[] getCertificateChain(String alias) { return all.clone(); }
                public java.security.PrivateKey getPrivateKey(String alias) { return leaf.keyPair().getPrivate(); }
            };
            try {
                javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
                ctx.init(new javax.net.ssl.KeyManager[] {km}, null, null);
                socket = (SSLServerSocket) ctx.getServerSocketFactory()
                        .createServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
            } catch (java.security.GeneralSecurityException e) {
                throw new IOException(e);
            }
            Thread t = new Thread(this::acceptLoop, "test-tls-server");
            t.setDaemon(true);
            t.start();
        }

        int port() {
            return socket.getLocalPort();
        }

        String url(String host) {
            return "https://" + host + ":" + port() + "/";
        }

        private void acceptLoop() {
            while (!closed) {
                try {
                    Socket s = socket.accept();
                    connections.incrementAndGet();
                    Thread t = new Thread(() -> serve((SSLSocket) s), "test-tls-conn");
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void serve(SSLSocket s) {
            try (s) {
                s.startHandshake();
                handshakes.incrementAndGet();
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                while (true) {
                    ByteArrayOutputStream head = new ByteArrayOutputStream();
                    int b;
                    while ((b = in.read()) >= 0) {
                        requestBytes.incrementAndGet();
                        head.write(b);
                        byte[] h = head.toByteArray();
                        int n = h.length;
                        if (n >= 4 && h[n - 4] == '\r' && h[n - 3] == '\n' && h[n - 2] == '\r' && h[n - 1] == '\n') break;
                    }
                    if (b < 0) return;
                    requests.incrementAndGet();
                    out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                }
            } catch (IOException e) {
                // the client went away, or refused the handshake
            }
        }

        @Override
        public void close() throws IOException {
            closed = true;
            socket.close();
        }
    }
}
