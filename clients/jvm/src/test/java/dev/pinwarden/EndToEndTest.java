package dev.pinwarden;

import static org.junit.jupiter.api.Assertions.*;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLException;

import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

import org.json.JSONArray;
import org.json.JSONObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * End to end: a real `pinwarden serve` (manifests signed with `pinwarden manifest sign`, uploaded
 * through the admin API, reports classified) and real TLS servers.
 */
class EndToEndTest {
    static final String APP = "northwind-mobile";
    static final String TOKEN = "e2e-token-0123456789abcdef";
    static final String HOST = "api.pinwarden.test";
    static final File BIN = new File(System.getProperty("pinwarden.bin", "../../target/debug/pinwarden"));
    static final File ROOT = new File(System.getProperty("pinwarden.root", "../.."));

    static Path dir;
    static Process serve;
    static String base;
    static TestTls.Ca a;
    static TestTls.Ca b;
    static TestTls.Server good;
    static TestTls.Server bad;
    static final OkHttpClient plain = new OkHttpClient.Builder().readTimeout(10, TimeUnit.SECONDS).build();

    static String run(String... args) throws Exception {
        Process p = new ProcessBuilder(args).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", args) + ":\n" + out);
        return out;
    }

    @BeforeAll
    static void start() throws Exception {
        assertTrue(BIN.canExecute(), BIN + " is missing: build pinwarden first (cargo build)");
        dir = Files.createTempDirectory("pinwarden-e2e");
        run(BIN.getPath(), "manifest", "keygen", "--alg", "ecdsa-p256", "--out", dir.resolve("signer").toString());
        Path token = Files.writeString(dir.resolve("token"), TOKEN + "\n");
        Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
        serve = new ProcessBuilder(BIN.getPath(), "serve", "--listen", "127.0.0.1:0",
                "--policy", new File(ROOT, "examples/pinwarden.toml").getPath(),
                "--database", "sqlite://" + dir.resolve("data/pinwarden.db"),
                "--manifest-trust", dir.resolve("signer.pub").toString(),
                "--admin-token-file", token.toString())
                .redirectError(dir.resolve("serve.log").toFile()).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(serve.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        assertNotNull(line, "pinwarden serve said nothing: " + Files.readString(dir.resolve("serve.log")));
        String[] words = line.trim().split("\\s+");
        base = words[words.length - 1].replaceAll("/+$", "");
        assertTrue(base.startsWith("http://127.0.0.1:"), line);
        Thread drain = new Thread(() -> { try { while (out.readLine() != null) { } } catch (IOException ignored) { } });
        drain.setDaemon(true);
        drain.start();
        a = new TestTls.Ca("A");
        b = new TestTls.Ca("B");
        good = new TestTls.Server(a.leaf(HOST), a.intermediate.certificate());
        bad = new TestTls.Server(b.leaf(HOST), b.intermediate.certificate());
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (serve != null) {
                serve.destroy();
                if (!serve.waitFor(10, TimeUnit.SECONDS)) {
                    serve.destroyForcibly();
                    serve.waitFor(10, TimeUnit.SECONDS);
                }
            }
            if (good != null) good.close();
            if (bad != null) bad.close();
        } finally {
            // After the server has exited (it holds the SQLite files open).
            if (dir != null) deleteRecursively(dir);
        }
    }

    /** Deletes {@code root} and everything under it, never following a symbolic link out of it. */
    static void deleteRecursively(Path root) throws IOException {
        Files.walkFileTree(root, new SimpleFileVisitor<Path>() {
            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                Files.delete(f);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) throw e;
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    static JSONObject pinSet(SpkiPin pin) {
        return TestSigner.set("api", List.of(HOST), List.of(pin), true);
    }

    /** Signs a payload with `pinwarden manifest sign --payload`. */
    static String sign(JSONObject payload, String name) throws Exception {
        Path p = Files.writeString(dir.resolve(name + ".payload.json"), payload.toString());
        Path out = dir.resolve(name + ".json");
        run(BIN.getPath(), "manifest", "sign", "--key", dir.resolve("signer.key").toString(), "--payload", p.toString(),
                "-o", out.toString());
        return Files.readString(out);
    }

    static int admin(String method, String path, String body) throws IOException {
        Request r = new Request.Builder().url(base + path).header("Authorization", "Bearer " + TOKEN)
                .method(method, RequestBody.create(MediaType.parse("application/json"), body)).build();
        try (Response res = plain.newCall(r).execute()) {
            return res.code();
        }
    }

    static ManifestUpdater updater(String installId, Path cache) throws Exception {
        TrustSet trust = new TrustSet(List.of(VerifyingKey.fromText(Files.readString(dir.resolve("signer.pub")))), 1);
        return new ManifestUpdater(new ManifestUpdater.Config(base + "/v1/manifests/" + APP, APP, installId, trust, cache.toFile())
                .builtIn(List.of(PinSet.enforced("built-in", List.of("**.pinwarden.test"), List.of(a.rootPin())))));
    }

    static boolean accepted(OkHttpClient client, TestTls.Server server) throws IOException {
        try (Response r = client.newCall(new Request.Builder().url(server.url(HOST)).build()).execute()) {
            return r.code() == 200;
        } catch (SSLException e) {
            assertNotNull(TlsTest.mismatch(e), e.toString());
            return false;
        }
    }

    static String installIn(boolean candidate, int percentage) {
        for (int k = 0; ; k++) {
            String id = "install-" + k;
            if ((Cohort.of(id, APP) < percentage) == candidate) return id;
        }
    }

    @Test
    void manifestsRolloutsReportsAndRestartsThroughARealServer() throws Exception {
        String reportUri = base + "/v1/reports/" + APP;
        long now = System.currentTimeMillis() / 1000;
        JSONObject v1 = TestSigner.manifest(APP, 1, java.time.Instant.ofEpochSecond(now - 60),
                java.time.Instant.ofEpochSecond(now + 86400 * 30), pinSet(a.intermediatePin()));
        v1.put("report_uri", reportUri);
        // A staged rollout of B's root to 50% of installs (the server starts it at 0).
        v1.put("candidate", new JSONObject().put("percentage", 50).put("pin_sets", new JSONArray().put(pinSet(b.rootPin()))));
        String env1 = sign(v1, "v1");
        assertEquals(201, admin("PUT", "/v1/admin/manifests/" + APP, env1));

        String inCandidate = installIn(true, 50);
        String stable = installIn(false, 50);
        Path cacheX = dir.resolve("cache-x");
        Path cacheY = dir.resolve("cache-y");
        ManifestUpdater x = updater(inCandidate, cacheX);
        ManifestUpdater y = updater(stable, cacheY);
        assertEquals(ManifestUpdater.Refreshed.UPDATED, x.refreshNow());
        assertEquals(ManifestUpdater.Refreshed.UPDATED, y.refreshNow());
        Reporter reporter = new Reporter(new Reporter.Config(APP, "7.1"));
        OkHttpClient clientX = TestTls.client(PinnedOkHttp.builder(x.pins()).platformTrustManager(TestTls.trusting(a, b))
                .reporter(reporter).build()).build();
        OkHttpClient clientY = TestTls.client(PinnedOkHttp.builder(y.pins()).platformTrustManager(TestTls.trusting(a, b))
                .reporter(reporter).build()).build();

        // Rollout at 0: everyone on the stable pins (A).
        assertFalse(x.pins().current().candidate);
        assertTrue(accepted(clientX, good));
        long badBytes = bad.requestBytes.get();
        assertFalse(accepted(clientX, bad));
        assertEquals(badBytes, bad.requestBytes.get(), "refused before any request byte");

        // The refusal was reported to pinwarden and classified there.
        Collector.await(() -> reporter.sent() >= 1);
        assertEquals(1, reporter.sent(), "failed: " + reporter.failed());
        JSONArray reports = reports();
        assertTrue(reports.length() >= 1, reports.toString());
        JSONObject report = reports.getJSONObject(0);
        String text = report.toString();
        assertTrue(text.contains(HOST), text);
        assertTrue(text.contains("\"android\""), "platform: " + text);
        assertTrue(text.matches("(?s).*\"(rotation-drift|possible-interception|clock-skew|expired-pin-set|misconfiguration)\".*"),
                "classified: " + text);
        System.out.println("pinwarden stored and classified: " + text);

        // Start the rollout at 50%: the candidate cohort moves to B's root at the next refresh.
        assertEquals(200, admin("POST", "/v1/admin/rollouts/" + APP,
                new JSONObject().put("action", "start").put("percentage", 50).put("reason", "e2e").toString()));
        x.refreshNow();
        y.refreshNow();
        assertTrue(x.pins().current().candidate);
        assertFalse(y.pins().current().candidate);
        assertTrue(accepted(clientX, bad), "the candidate accepts B");
        assertFalse(accepted(clientX, good));
        assertTrue(accepted(clientY, good), "the stable cohort stays on A");
        assertFalse(accepted(clientY, bad));

        // A halt takes effect at the next refresh.
        assertEquals(200, admin("POST", "/v1/admin/rollouts/" + APP,
                new JSONObject().put("action", "halt").put("reason", "e2e").toString()));
        x.refreshNow();
        assertFalse(x.pins().current().candidate);
        assertTrue(accepted(clientX, good));
        assertFalse(accepted(clientX, bad));

        // A tampered upload is refused by the server, and the clients keep their pins.
        JSONObject tampered = new JSONObject(sign(v1.put("version", 2), "v2"));
        String payload = new String(java.util.Base64.getDecoder().decode(tampered.getString("payload")), StandardCharsets.UTF_8);
        tampered.put("payload", java.util.Base64.getEncoder().encodeToString(
                payload.replace(a.intermediatePin().base64(), b.rootPin().base64()).getBytes(StandardCharsets.UTF_8)));
        assertTrue(admin("PUT", "/v1/admin/manifests/" + APP, tampered.toString()) >= 400);
        // Version 2 properly signed, pinning A's root: taken.
        JSONObject v2 = TestSigner.manifest(APP, 2, java.time.Instant.ofEpochSecond(now - 30),
                java.time.Instant.ofEpochSecond(now + 86400 * 30), pinSet(a.rootPin()));
        v2.put("report_uri", reportUri);
        assertEquals(201, admin("PUT", "/v1/admin/manifests/" + APP, sign(v2, "v2b")));
        assertEquals(ManifestUpdater.Refreshed.UPDATED, y.refreshNow());
        assertEquals(2, y.version());
        assertTrue(accepted(clientY, good));
        // Rolling back on the server is refused (409); the client wouldn't take it either.
        assertEquals(409, admin("PUT", "/v1/admin/manifests/" + APP, env1));
        TrustSet signer = new TrustSet(List.of(VerifyingKey.fromText(Files.readString(dir.resolve("signer.pub")))), 1);
        ManifestException rolledBack = assertThrows(ManifestException.class,
                () -> signer.verify(env1.getBytes(StandardCharsets.UTF_8), APP, new Accepted(2, "x")));
        assertEquals(ManifestException.Reason.ROLLBACK, rolledBack.reason());

        // A restart keeps the cached manifest and the anti-rollback state, even offline.
        TrustSet trust = new TrustSet(List.of(VerifyingKey.fromText(Files.readString(dir.resolve("signer.pub")))), 1);
        ManifestUpdater offline = new ManifestUpdater(new ManifestUpdater.Config("http://127.0.0.1:9/v1/manifests/" + APP,
                APP, stable, trust, cacheY.toFile()));
        assertEquals(2, offline.version());
        assertEquals(2, offline.acceptedVersion());
        assertEquals(a.rootPin(), offline.pins().current().resolve(HOST).set.pins.get(0).pin);
        assertThrows(UpdaterException.class, offline::refreshNow);
        assertEquals(2, offline.version(), "a failed refresh changes nothing");
        reporter.close();
    }

    static JSONArray reports() throws Exception {
        for (int k = 0; k < 50; k++) {
            try (Response r = plain.newCall(new Request.Builder().url(base + "/api/v1/reports?app=" + APP + "&limit=20").build()).execute()) {
                String body = r.body().string();
                assertEquals(200, r.code(), body);
                Object v = new org.json.JSONTokener(body).nextValue();
                JSONArray a = v instanceof JSONArray ? (JSONArray) v : ((JSONObject) v).optJSONArray("reports");
                if (a == null && v instanceof JSONObject) a = ((JSONObject) v).optJSONArray("samples");
                if (a != null && a.length() > 0) return a;
                if (k == 49) fail("no report listed: " + body);
            }
            Thread.sleep(100);
        }
        return new JSONArray();
    }
}
