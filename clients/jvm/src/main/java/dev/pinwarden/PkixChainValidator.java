package dev.pinwarden;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * The JVM's validation: the platform trust manager first (as it would decide without pinning),
 * then every path from the served leaf through served intermediates to one of the trust manager's
 * anchors is built and checked with PKIX ({@code CertPathValidator}); the ones that validate are
 * returned. So a pinned CA's certificate sent along unused never counts, and when the server
 * offers several paths (a cross-signed root) the one that matches the pins can be found.
 */
public final class PkixChainValidator implements ChainValidator {
    private static final int MAX_DEPTH = 8;
    private static final int MAX_PATHS = 16;

    private final X509TrustManager platform;
    private final List<X509Certificate> anchors;

    public PkixChainValidator(X509TrustManager platform) {
        this.platform = platform;
        this.anchors = Collections.unmodifiableList(Arrays.asList(platform.getAcceptedIssuers()));
    }

    /** The platform's default trust manager (the system's roots). */
    public static X509TrustManager systemTrustManager() {
        return trustManager(null);
    }

    /** A platform trust manager over the roots of {@code keyStore} (null: the system's). */
    public static X509TrustManager trustManager(KeyStore keyStore) {
        try {
            TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            f.init(keyStore);
            for (TrustManager tm : f.getTrustManagers()) {
                if (tm instanceof X509TrustManager) return (X509TrustManager) tm;
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no platform trust manager", e);
        }
        throw new IllegalStateException("no X509TrustManager");
    }

    public X509TrustManager platform() {
        return platform;
    }

    @Override
    public List<List<X509Certificate>> validatedPaths(X509Certificate[] served, String authType, String host,
            Object socketOrEngine) throws CertificateException {
        if (served == null || served.length == 0) throw new CertificateException("no certificates");
        if (platform instanceof X509ExtendedTrustManager && socketOrEngine instanceof Socket) {
            ((X509ExtendedTrustManager) platform).checkServerTrusted(served, authType, (Socket) socketOrEngine);
        } else if (platform instanceof X509ExtendedTrustManager && socketOrEngine instanceof SSLEngine) {
            ((X509ExtendedTrustManager) platform).checkServerTrusted(served, authType, (SSLEngine) socketOrEngine);
        } else {
            platform.checkServerTrusted(served, authType);
        }
        List<List<X509Certificate>> candidates = new ArrayList<List<X509Certificate>>();
        List<X509Certificate> path = new ArrayList<X509Certificate>();
        path.add(served[0]);
        build(path, served, candidates);
        List<List<X509Certificate>> validated = new ArrayList<List<X509Certificate>>();
        for (List<X509Certificate> c : candidates) {
            if (pkix(c)) validated.add(Collections.unmodifiableList(c));
        }
        if (validated.isEmpty()) {
            throw new CertificateException("the platform accepted the chain, but no path through the served "
                    + "certificates to a trusted root validates: refused for a pinned host");
        }
        return validated;
    }

    /** Candidate paths: the served leaf, served intermediates, and an anchor last. */
    private void build(List<X509Certificate> path, X509Certificate[] served, List<List<X509Certificate>> out) {
        if (out.size() >= MAX_PATHS) return;
        X509Certificate last = path.get(path.size() - 1);
        for (X509Certificate anchor : anchors) {
            if (anchor.equals(last) && path.size() > 1) {
                // The server sent the anchor itself: it ends the path.
                out.add(new ArrayList<X509Certificate>(path));
                return;
            }
        }
        for (X509Certificate anchor : anchors) {
            if (out.size() >= MAX_PATHS) return;
            if (anchor.getSubjectX500Principal().equals(last.getIssuerX500Principal()) && signedBy(last, anchor)) {
                List<X509Certificate> p = new ArrayList<X509Certificate>(path);
                p.add(anchor);
                out.add(p);
            }
        }
        if (path.size() >= MAX_DEPTH) return;
        for (int k = 1; k < served.length; k++) {
            X509Certificate next = served[k];
            if (path.contains(next)) continue;
            if (!next.getSubjectX500Principal().equals(last.getIssuerX500Principal())) continue;
            if (!signedBy(last, next)) continue;
            path.add(next);
            build(path, served, out);
            path.remove(path.size() - 1);
        }
    }

    private static boolean signedBy(X509Certificate cert, X509Certificate issuer) {
        try {
            cert.verify(issuer.getPublicKey());
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    /** PKIX validation of a candidate (leaf … anchor) against its anchor alone. */
    private static boolean pkix(List<X509Certificate> candidate) {
        try {
            X509Certificate anchor = candidate.get(candidate.size() - 1);
            List<X509Certificate> certs = candidate.subList(0, candidate.size() - 1);
            PKIXParameters params = new PKIXParameters(Collections.singleton(new TrustAnchor(anchor, null)));
            params.setRevocationEnabled(false);
            CertPathValidator.getInstance("PKIX").validate(
                    CertificateFactory.getInstance("X.509").generateCertPath(certs), params);
            return true;
        } catch (Exception e) {
            return false;
        }
    }
}
