package dev.pinwarden;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.BufferedSource;

import org.json.JSONException;
import org.json.JSONObject;

/**
 * Keeps a {@link PinStore} in line with the app's signed manifest: fetch (OkHttp, ETag / 304),
 * verify (keys, threshold, app, anti-rollback, the {@link Baseline}), persist, activate, repeat.
 *
 * <p>What it defends, as the Rust client does: whoever answers the manifest URL (the channel is
 * not pinned) can't get an older, unsigned or other app's manifest in force; refreshes are
 * serialised and the version is compared again at commit, with what is held and, under the
 * directory's lock, with what another updater of the app stored; bodies are read up to 1 MiB;
 * redirects are followed only within the URL's origin, by hand, carrying the client id and cohort
 * only there. On disk: a private directory per app, one state file replaced atomically through an
 * unpredictable, exclusively created temporary file; the cached envelope verified again at start,
 * its recorded version bounding what comes next even when damaged. After expiry, the manifest's
 * {@code after_expiry} applies, and the built-in pins are never weakened.
 */
public final class ManifestUpdater implements java.io.Closeable {
    static final String STATE_FILE = "manifest-state.json";
    static final String ROLLOUT_HEADER = "pinwarden-rollout-percentage";
    private static final int MAX_REDIRECTS = 5;

    /** What one refresh did. */
    public enum Refreshed { UPDATED, UNCHANGED }

    /** A clock, for tests. */
    public interface Clock {
        long nowMillis();
    }

    /** What the updater needs. */
    public static final class Config {
        final String url;
        final String app;
        final String installId;
        final TrustSet trust;
        final File cacheDir;
        List<PinSet> builtIn = Collections.emptyList();
        Baseline baseline;
        OkHttpClient http;
        long refreshMillis = TimeUnit.HOURS.toMillis(1);
        long retryMillis = TimeUnit.SECONDS.toMillis(30);
        Clock clock = new Clock() {
            @Override
            public long nowMillis() {
                return System.currentTimeMillis();
            }
        };

        /**
         * @param url the manifest's URL ({@code https://…/v1/manifests/APP}, or a static copy)
         * @param app the app; a manifest for another is refused
         * @param installId this installation's id (a random UUID kept in private storage)
         * @param trust the keys manifests must be signed with, and the threshold
         * @param cacheDir where the verified manifest is kept ({@code context.getNoBackupFilesDir()})
         */
        public Config(String url, String app, String installId, TrustSet trust, File cacheDir) {
            this.url = url;
            this.app = app;
            this.installId = installId;
            this.trust = trust;
            this.cacheDir = cacheDir;
        }

        /** The pins compiled into the app: the floor. */
        public Config builtIn(List<PinSet> sets) {
            this.builtIn = new ArrayList<PinSet>(sets);
            return this;
        }

        /** The signed manifest the built-in pins came from: nothing older is taken. */
        public Config baseline(Baseline b) {
            this.baseline = b;
            return this;
        }

        /** The (unpinned) client manifests are fetched with; redirects and cache are turned off on a copy. */
        public Config httpClient(OkHttpClient c) {
            this.http = c;
            return this;
        }

        public Config refresh(long interval, TimeUnit unit) {
            this.refreshMillis = unit.toMillis(interval);
            return this;
        }

        public Config retry(long delay, TimeUnit unit) {
            this.retryMillis = unit.toMillis(delay);
            return this;
        }

        public Config clock(Clock c) {
            this.clock = c;
            return this;
        }
    }

    private static final class Cached {
        final String envelope;
        final Accepted accepted;
        final Integer rollout;
        final String etag;

        Cached(String envelope, Accepted accepted, Integer rollout, String etag) {
            this.envelope = envelope;
            this.accepted = accepted;
            this.rollout = rollout;
            this.etag = etag;
        }

        byte[] toJson() {
            try {
                JSONObject a = new JSONObject();
                a.put("version", accepted.version);
                a.put("payload_sha256", accepted.payloadSha256);
                JSONObject o = new JSONObject();
                o.put("envelope", envelope);
                o.put("accepted", a);
                o.put("rollout", rollout == null ? JSONObject.NULL : rollout);
                o.put("etag", etag == null ? JSONObject.NULL : etag);
                return Bytes.utf8(o.toString());
            } catch (JSONException e) {
                throw new IllegalStateException(e);
            }
        }

        static Cached fromJson(byte[] bytes) throws JSONException {
            String text = Bytes.strictUtf8(bytes);
            if (text == null) throw new JSONException("not UTF-8");
            JSONObject o = StrictJson.object(text);
            Object a = o.get("accepted");
            if (!(a instanceof JSONObject)) throw new JSONException("accepted: expected an object");
            JSONObject ao = (JSONObject) a;
            Accepted accepted = new Accepted(StrictJson.unsigned(ao, "version", true),
                    StrictJson.string(ao, "payload_sha256", true));
            Long rollout = o.isNull("rollout") ? null : StrictJson.unsigned(o, "rollout", false);
            if (rollout != null && rollout > 255) throw new JSONException("rollout: not a u8");
            return new Cached(StrictJson.string(o, "envelope", true), accepted,
                    rollout == null ? null : (int) (long) rollout, StrictJson.string(o, "etag", false));
        }
    }

    private final Config config;
    private final File dir;
    private final PinStore pins;
    private final OkHttpClient client;
    private final int cohort;
    private final Object state = new Object();
    /** The manifest in force, with what was cached of it. Guarded by {@link #state}. */
    private Cached current;
    private VerifiedManifest currentVerified;
    /** The last accepted version: only moves forward. Guarded by {@link #state}. */
    private Accepted accepted;
    private final ReentrantLock refreshing = new ReentrantLock();
    private volatile String cacheProblem;
    private ScheduledExecutorService ownExecutor;
    private volatile ScheduledFuture<?> scheduled;
    private volatile boolean closed;

    /**
     * Starts from the cache when it holds a valid manifest, else from the built-in pins. Doesn't
     * touch the network.
     */
    public ManifestUpdater(Config config) throws UpdaterException {
        this.config = config;
        this.cohort = Cohort.of(config.installId, config.app);
        this.pins = new PinStore(ActivePins.builtIn(config.builtIn, cohort));
        OkHttpClient base = config.http != null ? config.http : new OkHttpClient();
        this.client = base.newBuilder()
                .followRedirects(false)
                .followSslRedirects(false)
                .cache(null)
                .build();
        try {
            this.dir = PrivateFiles.appDir(config.cacheDir, config.app);
        } catch (IOException e) {
            throw new UpdaterException(UpdaterException.Kind.CACHE_DIR, "cache directory: " + e.getMessage(), e);
        }
        Cached cached = null;
        try {
            cached = loadCache();
        } catch (IOException | JSONException e) {
            cacheProblem = e.getMessage();
        }
        if (cached != null) {
            // Whatever the envelope, the version it recorded bounds what comes next.
            accepted = cached.accepted;
            try {
                VerifiedManifest v = config.trust.verify(Bytes.utf8(cached.envelope), config.app, cached.accepted);
                aboveBaseline(v);
                current = cached;
                currentVerified = v;
                activate(v, cached.rollout, config.clock.nowMillis());
            } catch (ManifestException | UpdaterException e) {
                cacheProblem = "the cached manifest was refused (" + e.getMessage() + "): keeping the built-in pins";
            }
        }
    }

    /** The pins it keeps up to date: give them to a {@link PinningTrustManager}. */
    public PinStore pins() {
        return pins;
    }

    /** This installation's rollout cohort. */
    public int cohort() {
        return cohort;
    }

    /** The version in force, or -1. */
    public long version() {
        synchronized (state) {
            return current == null ? -1 : current.accepted.version;
        }
    }

    /** The last accepted version (the anti-rollback bound), or -1. */
    public long acceptedVersion() {
        synchronized (state) {
            return accepted == null ? -1 : accepted.version;
        }
    }

    /** What was wrong with the cache at start, if anything: for the app to report. */
    public String cacheProblem() {
        return cacheProblem;
    }

    File stateFile() {
        return new File(dir, STATE_FILE);
    }

    private Cached loadCache() throws IOException, JSONException {
        byte[] bytes = PrivateFiles.read(stateFile(), 4 * Envelope.MAX_ENVELOPE_BYTES);
        if (bytes == null) return null;
        try {
            return Cached.fromJson(bytes);
        } catch (JSONException e) {
            throw new JSONException(stateFile() + ": damaged (" + e.getMessage() + "): ignored");
        }
    }

    private void aboveBaseline(VerifiedManifest v) throws UpdaterException {
        Baseline b = config.baseline;
        Manifest m = v.manifest();
        if (b != null && (m.version < b.version || m.issuedAtMillis < b.issuedAtMillis)) {
            throw new UpdaterException(UpdaterException.Kind.OLDER_THAN_BUILT_IN, "manifest from " + config.url
                    + " refused: version " + m.version + " issued " + Times.formatInstant(m.issuedAtMillis)
                    + " is older than the built-in pins (version " + b.version + ")", null);
        }
    }

    /** SHA-256 of "pinwarden-client" ‖ install id ‖ app, first 16 bytes, hex: never the install id. */
    String clientId() {
        return Bytes.hex(Bytes.sha256(Bytes.utf8("pinwarden-client" + config.installId + config.app)), 16);
    }

    /** Puts the manifest's pins (or the built-in ones, per its expiry rule) in force. */
    private void activate(VerifiedManifest v, Integer rollout, long now) {
        Manifest m = v.manifest();
        ActivePins next;
        if (m.expired(now)) {
            if (m.afterExpiry == Manifest.AfterExpiry.FALL_BACK_TO_BUILT_IN) {
                next = ActivePins.builtIn(config.builtIn, cohort);
            } else {
                // Its sets turn report-only, behind the built-in ones.
                List<PinSet> reportOnly = new ArrayList<PinSet>();
                for (PinSet s : m.pinSets) reportOnly.add(s.withEnforce(false));
                next = new ActivePins(reportOnly, config.builtIn, true, m.reportUri, ActivePins.Source.MANIFEST,
                        m.version, false, true, cohort);
            }
        } else {
            boolean inCandidate = false;
            if (m.candidate != null) {
                int percentage = rollout == null ? m.candidate.percentage : Math.min(rollout, m.candidate.percentage);
                inCandidate = cohort < percentage;
            }
            List<PinSet> sets = inCandidate ? m.candidate.pinSets : m.pinSets;
            next = new ActivePins(sets, config.builtIn, false, m.reportUri, ActivePins.Source.MANIFEST,
                    m.version, inCandidate, false, cohort);
        }
        pins.replace(next);
    }

    /** Applies the clock: a manifest that has just expired gives way to its after-expiry behaviour. */
    public void reapply() {
        synchronized (state) {
            if (currentVerified != null) activate(currentVerified, current.rollout, config.clock.nowMillis());
        }
    }

    /**
     * Fetches the manifest once; on success the new pins are in force and saved before this
     * returns. Refreshes run one at a time. On failure the pins in force are unchanged.
     */
    public Refreshed refreshNow() throws UpdaterException {
        refreshing.lock();
        try {
            return refreshLocked();
        } finally {
            refreshing.unlock();
        }
    }

    private UpdaterException fetch(String cause, Throwable t) {
        return new UpdaterException(UpdaterException.Kind.FETCH, "fetching " + config.url + ": " + cause, t);
    }

    private Refreshed refreshLocked() throws UpdaterException {
        String etag;
        Accepted last;
        synchronized (state) {
            etag = current == null ? null : current.etag;
            last = accepted;
        }
        HttpUrl first = HttpUrl.parse(config.url);
        if (first == null) throw fetch("not an http(s) URL", null);
        HttpUrl url = first;
        Response response = null;
        try {
            for (int hop = 0; ; hop++) {
                Request.Builder rb = new Request.Builder().url(url)
                        .header("pinwarden-cohort", Integer.toString(cohort))
                        .header("pinwarden-client", clientId());
                if (etag != null) rb.header("If-None-Match", etag);
                response = client.newCall(rb.build()).execute();
                if (!response.isRedirect()) break;
                String location = response.header("Location");
                HttpUrl next = location == null ? null : url.resolve(location);
                response.close();
                response = null;
                if (next == null) throw fetch("a redirect without a usable Location", null);
                if (hop + 1 > MAX_REDIRECTS) throw fetch("more than " + MAX_REDIRECTS + " redirects", null);
                if (!sameOrigin(first, next)) {
                    throw fetch("a redirect to another origin (" + next.scheme() + "://" + next.host() + ":" + next.port()
                            + ") is not followed", null);
                }
                url = next;
            }
            Integer rollout = rollout(response.header(ROLLOUT_HEADER));
            String newEtag = response.header("ETag");
            if (response.code() == 304) {
                noteRollout(rollout);
                return Refreshed.UNCHANGED;
            }
            if (!response.isSuccessful()) throw fetch("HTTP " + response.code(), null);
            byte[] body = capped(response.body(), Envelope.MAX_ENVELOPE_BYTES);
            VerifiedManifest verified;
            try {
                verified = config.trust.verify(body, config.app, last);
            } catch (ManifestException e) {
                throw new UpdaterException(UpdaterException.Kind.REFUSED,
                        "manifest from " + config.url + " refused: " + e.getMessage(), e);
            }
            aboveBaseline(verified);
            String envelope = Bytes.strictUtf8(body);
            if (envelope == null) throw fetch("the manifest is not UTF-8", null);
            return commit(new Cached(envelope, verified.accepted(), rollout, newEtag), verified);
        } catch (IOException e) {
            throw fetch(e.toString(), e);
        } finally {
            if (response != null) response.close();
        }
    }

    private Refreshed commit(Cached cached, VerifiedManifest verified) throws UpdaterException {
        long version = cached.accepted.version;
        synchronized (state) {
            // Compared again at commit: nothing older than what is held now.
            if (accepted != null && accepted.version > version) return Refreshed.UNCHANGED;
            boolean newer = accepted == null || accepted.version < version;
            try (PrivateFiles.DirLock lock = new PrivateFiles.DirLock(dir)) {
                // Another updater of this app may have stored a newer version meanwhile.
                try {
                    Cached onDisk = loadCache();
                    if (onDisk != null && onDisk.accepted.version > version) {
                        accepted = onDisk.accepted;
                        return Refreshed.UNCHANGED;
                    }
                } catch (IOException | JSONException ignored) {
                    // Damaged: replaced below.
                }
                PrivateFiles.writeAtomic(stateFile(), cached.toJson());
            } catch (IOException e) {
                throw new UpdaterException(UpdaterException.Kind.PERSIST, "saving the manifest to " + stateFile()
                        + ": " + e.getMessage(), e);
            }
            accepted = cached.accepted;
            current = cached;
            currentVerified = verified;
            activate(verified, cached.rollout, config.clock.nowMillis());
            return newer ? Refreshed.UPDATED : Refreshed.UNCHANGED;
        }
    }

    /** A 304 may carry a new rollout percentage (a halt): the signed one stays the ceiling. */
    private void noteRollout(Integer rollout) {
        if (rollout == null) return;
        synchronized (state) {
            if (current == null || rollout.equals(current.rollout)) return;
            Cached updated = new Cached(current.envelope, current.accepted, rollout, current.etag);
            try (PrivateFiles.DirLock lock = new PrivateFiles.DirLock(dir)) {
                Cached onDisk = null;
                try {
                    onDisk = loadCache();
                } catch (IOException | JSONException ignored) {
                    // replaced below
                }
                if (onDisk == null || onDisk.accepted.version <= current.accepted.version) {
                    PrivateFiles.writeAtomic(stateFile(), updated.toJson());
                }
            } catch (IOException ignored) {
                // The percentage still applies in memory.
            }
            current = updated;
            activate(currentVerified, rollout, config.clock.nowMillis());
        }
    }

    static Integer rollout(String header) {
        if (header == null) return null;
        try {
            int p = Integer.parseInt(header.trim());
            if (p < 0 || p > 255) return null;
            return Math.min(p, 100);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    static boolean sameOrigin(HttpUrl a, HttpUrl b) {
        return a.scheme().equals(b.scheme()) && a.host().equals(b.host()) && a.port() == b.port();
    }

    /** The body, refused when over {@code cap} bytes before more than that is held. */
    static byte[] capped(ResponseBody body, int cap) throws IOException {
        if (body == null) return new byte[0];
        long declared = body.contentLength();
        if (declared > cap) throw new IOException(declared + " bytes declared, over the " + cap + "-byte limit");
        BufferedSource source = body.source();
        if (source.request((long) cap + 1)) throw new IOException("over the " + cap + "-byte limit");
        return source.readByteArray();
    }

    /**
     * Refreshes in the background until {@link #close()}: every refresh interval (±10%) after a
     * success, after the retry delay doubling up to the interval after a failure. Runs on its own
     * daemon thread.
     */
    public synchronized void start() {
        if (ownExecutor != null || closed) return;
        ownExecutor = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(new ThreadFactory() {
            @Override
            public Thread newThread(Runnable r) {
                Thread t = new Thread(r, "pinwarden-manifest-updater");
                t.setDaemon(true);
                return t;
            }
        });
        schedule(0, config.retryMillis);
    }

    private void schedule(long delayMillis, final long backoff) {
        if (closed) return;
        scheduled = ownExecutor.schedule(new Runnable() {
            @Override
            public void run() {
                long next;
                long nextBackoff;
                try {
                    refreshNow();
                    next = config.refreshMillis;
                    nextBackoff = config.retryMillis;
                } catch (UpdaterException | RuntimeException e) {
                    next = backoff;
                    nextBackoff = Math.min(backoff * 2, config.refreshMillis);
                }
                reapply();
                schedule(jittered(next), nextBackoff);
            }
        }, delayMillis, TimeUnit.MILLISECONDS);
    }

    private static long jittered(long base) {
        return (long) (base * (0.9 + Math.random() * 0.2));
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (scheduled != null) scheduled.cancel(false);
        if (ownExecutor != null) ownExecutor.shutdownNow();
    }
}
