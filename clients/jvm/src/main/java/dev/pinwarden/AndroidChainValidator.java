package dev.pinwarden;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.List;

import javax.net.ssl.X509TrustManager;

/**
 * Android's validation: {@code android.net.http.X509TrustManagerExtensions.checkServerTrusted},
 * which returns the chain the platform validated (to a trusted root, with the app's Network
 * Security Config). Reached by reflection so this library compiles without the Android SDK.
 */
public final class AndroidChainValidator implements ChainValidator {
    private final X509TrustManager platform;
    private final Object extensions;
    private final Method check;

    public AndroidChainValidator(X509TrustManager platform) {
        try {
            Class<?> c = Class.forName("android.net.http.X509TrustManagerExtensions");
            Constructor<?> ctor = c.getConstructor(X509TrustManager.class);
            this.platform = platform;
            this.extensions = ctor.newInstance(platform);
            this.check = c.getMethod("checkServerTrusted", X509Certificate[].class, String.class, String.class);
        } catch (Exception e) {
            throw new IllegalStateException("X509TrustManagerExtensions is not available: not Android?", e);
        }
    }

    /** Whether this runtime is Android. */
    public static boolean available() {
        try {
            Class.forName("android.net.http.X509TrustManagerExtensions");
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    public X509TrustManager platform() {
        return platform;
    }

    @Override
    @SuppressWarnings("unchecked")
    public List<List<X509Certificate>> validatedPaths(X509Certificate[] served, String authType, String host,
            Object socketOrEngine) throws CertificateException {
        try {
            List<X509Certificate> path = (List<X509Certificate>) check.invoke(extensions, served, authType, host);
            if (path == null || path.isEmpty()) throw new CertificateException("no validated chain");
            return Collections.singletonList(path);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof CertificateException) throw (CertificateException) e.getCause();
            throw new CertificateException(e.getCause());
        } catch (IllegalAccessException e) {
            throw new CertificateException(e);
        }
    }
}
