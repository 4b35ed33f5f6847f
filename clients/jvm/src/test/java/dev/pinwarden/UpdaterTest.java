package dev.pinwarden;

import static org.junit.jupiter.api.Assertions.*;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;

import com.sun.net.httpserver.HttpServer;

import org.json.JSONObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The updater against a local manifest server (docs/client-requirements.md M1-M6, D1-D4). */
class UpdaterTest {
    static final String APP = "mobile";
    static final SpkiPin PIN_1 = SpkiPin.ofSpki(new byte[] {1});
    static final SpkiPin PIN_2 = SpkiPin.ofSpki(new byte[] {2});
    static final SpkiPin BUILT_IN = SpkiPin.ofSpki(new byte[] {9});

    @TempDir
    Path tmp;
    HttpServer server;
    final AtomicReference<String> body = new AtomicReference<>();
    final Map<String, String> headers = new ConcurrentHashMap<>();
    final List<Map<String, List<String>>> seen = new CopyOnWriteArrayList<>();
    TestSigner key;

    @BeforeEach
    void start() throws IOException {
        key = TestSigner.p256();
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/manifests/" + APP, ex -> {
            seen.add(Map.copyOf(ex.getRequestHeaders()));
            String b = body.get();
            String etag = "\"" + Integer.toHexString(b.hashCode()) + "\"";
            ex.getResponseHeaders().add("ETag", etag);
            headers.forEach((k, v) -> ex.getResponseHeaders().add(k, v));
            if (etag.equals(ex.getRequestHeaders().getFirst("If-None-Match"))) {
                ex.sendResponseHeaders(304, -1);
            } else {
                byte[] bytes = b.getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(200, bytes.length);
                ex.getResponseBody().write(bytes);
            }
            ex.close();
        });
        server.createContext("/moved", ex -> {
            ex.getResponseHeaders().add("Location", "/v1/manifests/" + APP);
            ex.sendResponseHeaders(302, -1);
            ex.close();
        });
        server.createContext("/away", ex -> {
            ex.getResponseHeaders().add("Location", "http://localhost:" + port() + "/v1/manifests/" + APP);
            ex.sendResponseHeaders(302, -1);
            ex.close();
        });
        server.createContext("/huge", ex -> {
            ex.sendResponseHeaders(200, 0); // chunked, no declared length
            byte[] chunk = new byte[64 * 1024];
            java.util.Arrays.fill(chunk, (byte) ' ');
            try {
                for (int k = 0; k < 40; k++) ex.getResponseBody().write(chunk);
            } catch (IOException ignored) {
                // the client stopped reading
            }
            ex.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    int port() {
        return server.getAddress().getPort();
    }

    String url(String path) {
        return "http://127.0.0.1:" + port() + path;
    }

    String signed(long version, SpkiPin pin) {
        return TestSigner.envelope(TestSigner.manifest(APP, version, 30,
                TestSigner.set("api", List.of("api.example.com"), List.of(pin), true)).toString(), key);
    }

    ManifestUpdater.Config config(String path) {
        return new ManifestUpdater.Config(url(path), APP, "install-1", TestSigner.trust(1, key), tmp.toFile())
                .builtIn(List.of(PinSet.enforced("built-in", List.of("**.example.com"), List.of(BUILT_IN))));
    }

    static SpkiPin pinFor(ManifestUpdater u, String host) {
        PinSet.Match m = u.pins().current().resolve(host);
        return m == null ? null : m.set.pins.get(0).pin;
    }

    @Test
    void fetchesVerifiesActivatesAndKeepsItAcrossARestart() throws Exception {
        body.set(signed(1, PIN_1));
        ManifestUpdater u = new ManifestUpdater(config("/v1/manifests/" + APP));
        assertEquals(BUILT_IN, pinFor(u, "api.example.com"));
        assertEquals(ManifestUpdater.Refreshed.UPDATED, u.refreshNow());
        assertEquals(PIN_1, pinFor(u, "api.example.com"));
        assertEquals(BUILT_IN, pinFor(u, "www.example.com"), "hosts the manifest doesn't cover keep the built-in pins");
        // The cohort and a pseudonymous client id, never the install id.
        Map<String, List<String>> h = seen.get(0);
        assertEquals(String.valueOf(Cohort.of("install-1", APP)), h.get("Pinwarden-cohort").get(0));
        assertEquals(32, h.get("Pinwarden-client").get(0).length());
        assertFalse(h.toString().contains("install-1"));
        // ETag: 304 leaves everything as it is.
        assertEquals(ManifestUpdater.Refreshed.UNCHANGED, u.refreshNow());
        assertNotNull(seen.get(1).get("If-none-match"));
        // A restart: the cached manifest is in force before any fetch.
        ManifestUpdater again = new ManifestUpdater(config("/v1/manifests/" + APP));
        assertEquals(PIN_1, pinFor(again, "api.example.com"));
        assertEquals(1, again.version());
        assertNull(again.cacheProblem());
        // The cache is private.
        Path dir = tmp.resolve(APP);
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(ManifestUpdater.STATE_FILE))));
        try (var files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")));
        }
    }

    @Test
    void tamperedRolledBackEquivocatingAndOtherAppsManifestsLeaveTheOldPins() throws Exception {
        body.set(signed(2, PIN_1));
        ManifestUpdater u = new ManifestUpdater(config("/v1/manifests/" + APP));
        u.refreshNow();
        long gen = u.pins().generation();
        JSONObject env = new JSONObject(signed(3, PIN_2));
        String sig = env.getJSONArray("signatures").getJSONObject(0).getString("sig");
        env.getJSONArray("signatures").getJSONObject(0).put("sig", sig.substring(0, 10) + (sig.charAt(10) == 'A' ? 'B' : 'A') + sig.substring(11));
        for (String[] c : new String[][] {
                {env.toString(), "SIGNATURES"},
                {signed(1, PIN_2), "ROLLBACK"},
                {signed(2, PIN_2), "EQUIVOCATION"},
                {TestSigner.envelope(TestSigner.manifest("other", 5, 30,
                        TestSigner.set("api", List.of("api.example.com"), List.of(PIN_2), true)).toString(), key), "WRONG_APP"},
                {TestSigner.envelope(TestSigner.manifest(APP, 5, 30,
                        TestSigner.set("api", List.of("api.example.com"), List.of(PIN_2), true)).toString(), TestSigner.p256()), "SIGNATURES"},
        }) {
            body.set(c[0]);
            UpdaterException e = assertThrows(UpdaterException.class, u::refreshNow, c[1]);
            assertEquals(UpdaterException.Kind.REFUSED, e.kind());
            assertEquals(c[1], e.refusal().name());
            assertEquals(PIN_1, pinFor(u, "api.example.com"));
            assertEquals(gen, u.pins().generation(), "the pins were not even replaced");
        }
        assertEquals(2, new ManifestUpdater(config("/v1/manifests/" + APP)).version(), "nor the cache");
    }

    @Test
    void aFreshInstallTakesNothingOlderThanItsBuiltInPins() throws Exception {
        body.set(signed(4, PIN_1));
        ManifestUpdater.Config c = config("/v1/manifests/" + APP).baseline(new Baseline(5, 0));
        ManifestUpdater u = new ManifestUpdater(c);
        UpdaterException e = assertThrows(UpdaterException.class, u::refreshNow);
        assertEquals(UpdaterException.Kind.OLDER_THAN_BUILT_IN, e.kind());
        assertEquals(BUILT_IN, pinFor(u, "api.example.com"));
        // Issued before the baseline's time: refused too.
        ManifestUpdater later = new ManifestUpdater(config("/v1/manifests/" + APP)
                .baseline(new Baseline(1, System.currentTimeMillis() + 3_600_000)));
        assertEquals(UpdaterException.Kind.OLDER_THAN_BUILT_IN, assertThrows(UpdaterException.class, later::refreshNow).kind());
        body.set(signed(5, PIN_1));
        assertEquals(ManifestUpdater.Refreshed.UPDATED, u.refreshNow());
    }

    @Test
    void expiryNeverWeakensTheBuiltInPins() throws Exception {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        JSONObject m = TestSigner.manifest(APP, 1, now.minusSeconds(60), now.plusSeconds(3600),
                TestSigner.set("api", List.of("api.example.com"), List.of(PIN_1), true));
        body.set(TestSigner.envelope(m.toString(), key));
        AtomicReference<Long> clock = new AtomicReference<>(System.currentTimeMillis());
        ManifestUpdater u = new ManifestUpdater(config("/v1/manifests/" + APP).clock(clock::get));
        u.refreshNow();
        assertEquals(PIN_1, pinFor(u, "api.example.com"));
        clock.set(System.currentTimeMillis() + 7_200_000);
        u.reapply();
        assertEquals(BUILT_IN, pinFor(u, "api.example.com"), "fall-back-to-built-in");
        assertEquals(ActivePins.Source.BUILT_IN, u.pins().current().source);
        // suspend-and-report: the manifest's sets report-only, behind the built-in ones.
        m.put("version", 2).put("after_expiry", "suspend-and-report");
        m.getJSONArray("pin_sets").getJSONObject(0).put("hosts", new org.json.JSONArray(List.of("api.example.net")));
        body.set(TestSigner.envelope(m.toString(), key));
        clock.set(System.currentTimeMillis());
        u.refreshNow();
        clock.set(System.currentTimeMillis() + 7_200_000);
        u.reapply();
        ActivePins p = u.pins().current();
        assertTrue(p.expired);
        assertEquals(BUILT_IN, pinFor(u, "api.example.com"));
        assertFalse(p.resolve("api.example.net").set.enforce, "report-only");
    }

    @Test
    void stagedRolloutsFollowTheCohortAndTheServersPercentage() throws Exception {
        JSONObject m = TestSigner.manifest(APP, 1, 30, TestSigner.set("api", List.of("api.example.com"), List.of(PIN_1), true));
        m.put("candidate", new JSONObject().put("percentage", 100).put("pin_sets", new org.json.JSONArray()
                .put(TestSigner.set("api", List.of("api.example.com"), List.of(PIN_2), true))));
        body.set(TestSigner.envelope(m.toString(), key));
        ManifestUpdater u = new ManifestUpdater(config("/v1/manifests/" + APP));
        u.refreshNow();
        assertEquals(PIN_2, pinFor(u, "api.example.com"));
        assertTrue(u.pins().current().candidate);
        // The server halts the rollout: the lower of the two applies, at the next refresh (304 too).
        headers.put(ManifestUpdater.ROLLOUT_HEADER, "0");
        assertEquals(ManifestUpdater.Refreshed.UNCHANGED, u.refreshNow());
        assertEquals(PIN_1, pinFor(u, "api.example.com"));
        assertEquals(PIN_1, pinFor(new ManifestUpdater(config("/v1/manifests/" + APP)), "api.example.com"), "persisted");
        // A header can't raise it above the signed percentage.
        m.put("version", 2).getJSONObject("candidate").put("percentage", 0);
        body.set(TestSigner.envelope(m.toString(), key));
        headers.put(ManifestUpdater.ROLLOUT_HEADER, "100");
        u.refreshNow();
        assertEquals(PIN_1, pinFor(u, "api.example.com"));
    }

    @Test
    void redirectsStayOnTheOriginAndBodiesAreCapped() throws Exception {
        body.set(signed(1, PIN_1));
        ManifestUpdater same = new ManifestUpdater(config("/moved"));
        assertEquals(ManifestUpdater.Refreshed.UPDATED, same.refreshNow());
        seen.clear();
        ManifestUpdater away = new ManifestUpdater(config("/away").builtIn(List.of()));
        UpdaterException e = assertThrows(UpdaterException.class, away::refreshNow);
        assertEquals(UpdaterException.Kind.FETCH, e.kind());
        assertTrue(e.getMessage().contains("another origin"), e.getMessage());
        assertTrue(seen.isEmpty(), "the client id and cohort never reached the other origin");
        ManifestUpdater huge = new ManifestUpdater(config("/huge"));
        e = assertThrows(UpdaterException.class, huge::refreshNow);
        assertTrue(e.getMessage().contains("limit"), e.getMessage());
    }

    @Test
    void racingRefreshesNeverLeaveAnOlderManifestInForce() throws Exception {
        ManifestUpdater u = new ManifestUpdater(config("/v1/manifests/" + APP));
        ManifestUpdater other = new ManifestUpdater(config("/v1/manifests/" + APP));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            for (int v = 1; v <= 20; v++) {
                body.set(signed(v, v % 2 == 0 ? PIN_2 : PIN_1));
                List<Future<?>> f = new java.util.ArrayList<>();
                for (int k = 0; k < 4; k++) {
                    f.add(pool.submit(() -> { try { u.refreshNow(); } catch (UpdaterException ignored) { } }));
                    f.add(pool.submit(() -> { try { other.refreshNow(); } catch (UpdaterException ignored) { } }));
                }
                for (Future<?> x : f) x.get();
                assertEquals(v, u.version());
            }
        } finally {
            pool.shutdown();
        }
        // The other updater sharing the directory never moved the file back.
        assertEquals(20, new ManifestUpdater(config("/v1/manifests/" + APP)).version());
        // An older answer after a newer one: refused, nothing changes.
        body.set(signed(19, PIN_1));
        assertThrows(UpdaterException.class, other::refreshNow);
        assertEquals(20, new ManifestUpdater(config("/v1/manifests/" + APP)).version());
    }

    @Test
    void theCacheIsPrivateRefusesLinksAndDamageNeverLowersTheAcceptedVersion() throws Exception {
        body.set(signed(3, PIN_1));
        new ManifestUpdater(config("/v1/manifests/" + APP)).refreshNow();
        Path state = tmp.resolve(APP).resolve(ManifestUpdater.STATE_FILE);
        // Tampered: the envelope changed, its recorded version kept.
        JSONObject cached = new JSONObject(Files.readString(state));
        cached.put("envelope", signed(3, PIN_2).replace("\"sig\":\"", "\"sig\":\"AAAA"));
        Files.writeString(state, cached.toString());
        ManifestUpdater u = new ManifestUpdater(config("/v1/manifests/" + APP));
        assertNotNull(u.cacheProblem());
        assertEquals(BUILT_IN, pinFor(u, "api.example.com"), "the built-in pins, not the tampered ones");
        assertEquals(3, u.acceptedVersion(), "the recorded version still bounds what comes next");
        body.set(signed(2, PIN_2));
        assertEquals(UpdaterException.Kind.REFUSED, assertThrows(UpdaterException.class, u::refreshNow).kind());
        // A looser directory is tightened; a link in place of the state file is refused.
        Files.setPosixFilePermissions(tmp.resolve(APP), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.delete(state);
        Path elsewhere = Files.writeString(tmp.resolve("planted.json"), cached.toString());
        Files.createSymbolicLink(state, elsewhere);
        ManifestUpdater linked = new ManifestUpdater(config("/v1/manifests/" + APP));
        assertTrue(linked.cacheProblem().contains("link"), linked.cacheProblem());
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tmp.resolve(APP))));
        // A directory that is a link: refused.
        Path real = Files.createDirectory(tmp.resolve("real"));
        Files.createSymbolicLink(tmp.resolve("linked-app"), real);
        UpdaterException e = assertThrows(UpdaterException.class, () -> new ManifestUpdater(
                new ManifestUpdater.Config(url("/x"), "linked-app", "i", TestSigner.trust(1, key), tmp.toFile())));
        assertEquals(UpdaterException.Kind.CACHE_DIR, e.kind());
        // Apps sharing a root keep apart; an unusual app name becomes a hash.
        assertTrue(PrivateFiles.appDir(tmp.toFile(), "../evil").getParentFile().equals(tmp.toFile()));
        assertFalse(new File(tmp.toFile(), "evil").exists());
    }
}
