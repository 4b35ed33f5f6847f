package dev.pinwarden;

import java.io.Closeable;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

import org.json.JSONArray;
import org.json.JSONException;
import org.json.JSONObject;

/**
 * Pin-failure reports in pinwarden's format (TrustKit's fields, so a TrustKit collector takes
 * them, plus the manifest version and cohort), deduplicated for a window (24 hours), sent from a
 * bounded queue by one daemon thread over a separate, unpinned client that follows no redirect (a
 * 3xx is a failed delivery: a report is never re-posted elsewhere). A handshake never waits.
 */
public final class Reporter implements Closeable {
    private static final MediaType JSON = MediaType.parse("application/json");

    /** How reports are made and sent. */
    public static final class Config {
        final String appId;
        final String appVersion;
        String defaultReportUri;
        long dedupMillis = TimeUnit.HOURS.toMillis(24);
        int queue = 64;
        OkHttpClient http;
        String platform = "android";
        String platformVersion = System.getProperty("os.name", "") + " " + System.getProperty("java.version", "");
        String vendorId = "";

        public Config(String appId, String appVersion) {
            this.appId = appId;
            this.appVersion = appVersion;
        }

        /** Where reports go when neither the pin set nor the manifest names a URI. */
        public Config defaultReportUri(String uri) {
            this.defaultReportUri = uri;
            return this;
        }

        public Config dedup(long window, TimeUnit unit) {
            this.dedupMillis = unit.toMillis(window);
            return this;
        }

        public Config queue(int size) {
            this.queue = Math.max(1, size);
            return this;
        }

        /** A base client (never the pinned one); a copy without redirects is used. */
        public Config httpClient(OkHttpClient c) {
            this.http = c;
            return this;
        }

        /** {@code app-platform}: "android" (default) or another. */
        public Config platform(String name, String version) {
            this.platform = name;
            this.platformVersion = version;
            return this;
        }
    }

    private static final class Item {
        final String uri;
        final byte[] body;

        Item(String uri, byte[] body) {
            this.uri = uri;
            this.body = body;
        }
    }

    private final Config config;
    private final OkHttpClient client;
    private final BlockingQueue<Item> queue;
    private final Map<String, Long> seen = new HashMap<String, Long>();
    private final AtomicLong queued = new AtomicLong();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong deduplicated = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final Thread worker;
    private volatile boolean closed;

    public Reporter(Config config) {
        this.config = config;
        OkHttpClient base = config.http != null ? config.http : new OkHttpClient();
        this.client = base.newBuilder().followRedirects(false).followSslRedirects(false).cache(null)
                .retryOnConnectionFailure(false).build();
        this.queue = new ArrayBlockingQueue<Item>(config.queue);
        this.worker = new Thread(new Runnable() {
            @Override
            public void run() {
                loop();
            }
        }, "pinwarden-reporter");
        worker.setDaemon(true);
        worker.start();
    }

    private void loop() {
        while (!closed) {
            Item item;
            try {
                item = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            boolean ok = false;
            try {
                Request req = new Request.Builder().url(item.uri).post(RequestBody.create(JSON, item.body)).build();
                Response r = client.newCall(req).execute();
                try {
                    ok = r.isSuccessful();
                } finally {
                    r.close();
                }
            } catch (Exception e) {
                ok = false;
            }
            (ok ? sent : failed).incrementAndGet();
        }
    }

    /** Queues a report unless the same failure was reported within the window or the queue is full. Never blocks. */
    public void report(PinFailure f) {
        String uri = f.reportUri != null ? f.reportUri : config.defaultReportUri;
        if (uri == null || closed) return;
        String key = dedupKey(f);
        long now = System.currentTimeMillis();
        synchronized (seen) {
            Iterator<Map.Entry<String, Long>> it = seen.entrySet().iterator();
            while (it.hasNext()) {
                if (now - it.next().getValue() >= config.dedupMillis) it.remove();
            }
            if (seen.containsKey(key)) {
                deduplicated.incrementAndGet();
                return;
            }
            seen.put(key, now);
        }
        if (queue.offer(new Item(uri, json(f)))) queued.incrementAndGet();
        else dropped.incrementAndGet();
    }

    private static String dedupKey(PinFailure f) {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        byte[] h = Bytes.utf8(f.host + "\n" + f.port + "\n" + f.manifestVersion + "\n");
        b.write(h, 0, h.length);
        for (byte[] c : f.chainDer) {
            byte[] d = Bytes.sha256(c);
            b.write(d, 0, d.length);
        }
        return Bytes.hex(Bytes.sha256(b.toByteArray()));
    }

    private static String pem(byte[] der) {
        String b64 = Bytes.base64(der);
        StringBuilder out = new StringBuilder("-----BEGIN CERTIFICATE-----\n");
        for (int k = 0; k < b64.length(); k += 64) out.append(b64, k, Math.min(b64.length(), k + 64)).append('\n');
        return out.append("-----END CERTIFICATE-----\n").toString();
    }

    /** The report body: TrustKit's fields, then pinwarden's. */
    public byte[] json(PinFailure f) {
        try {
            JSONObject o = new JSONObject();
            o.put("app-bundle-id", config.appId);
            o.put("app-version", config.appVersion);
            o.put("app-platform", config.platform);
            o.put("app-platform-version", config.platformVersion);
            o.put("app-vendor-id", config.vendorId);
            o.put("trustkit-version", "pinwarden-jvm");
            o.put("date-time", Times.formatInstant(System.currentTimeMillis()));
            o.put("hostname", f.host);
            o.put("port", f.port > 0 ? f.port : 443);
            o.put("noted-hostname", f.notedHostname);
            o.put("include-subdomains", f.includeSubdomains);
            o.put("enforce-pinning", f.enforce);
            JSONArray chain = new JSONArray();
            for (byte[] d : f.chainDer) chain.put(pem(d));
            o.put("validated-certificate-chain", chain);
            JSONArray pins = new JSONArray();
            for (SpkiPin p : f.knownPins) pins.put("pin-sha256=\"" + p.base64() + "\"");
            o.put("known-pins", pins);
            o.put("validation-result", 1);
            o.put("pinwarden-manifest-version", f.manifestVersion >= 0 ? (Object) f.manifestVersion : JSONObject.NULL);
            o.put("pinwarden-cohort", f.cohort >= 0 ? (Object) f.cohort : JSONObject.NULL);
            return Bytes.utf8(o.toString());
        } catch (JSONException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reports delivered (2xx). */
    public long sent() { return sent.get(); }

    /** Reports that could not be delivered (including any 3xx). */
    public long failed() { return failed.get(); }

    public long deduplicated() { return deduplicated.get(); }

    /** Reports dropped because the queue was full. */
    public long dropped() { return dropped.get(); }

    public long queued() { return queued.get(); }

    @Override
    public void close() {
        closed = true;
        worker.interrupt();
    }
}
