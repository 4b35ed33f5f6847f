package dev.pinwarden;

import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * The platform's validation, returning the path(s) it validated (leaf first, trust anchor last):
 * pins are matched on these, never on the certificates the server merely sent. On the JVM,
 * {@link PkixChainValidator}; on Android, {@link AndroidChainValidator}
 * ({@code X509TrustManagerExtensions.checkServerTrusted}).
 */
public interface ChainValidator {
    /**
     * Validates {@code served} for {@code host}; returns every validated path (at least one).
     *
     * @param socketOrEngine the handshake's {@code SSLSocket} or {@code SSLEngine}, or null when
     *     checking an established connection again
     * @throws CertificateException when the chain doesn't validate
     */
    List<List<X509Certificate>> validatedPaths(X509Certificate[] served, String authType, String host,
            Object socketOrEngine) throws CertificateException;
}
