package dev.pinwarden;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.util.List;

import javax.net.ssl.SSLException;

import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

import org.json.JSONObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Enforcement against real TLS servers on 127.0.0.1 (docs/client-requirements.md C1-C5, R1-R4). */
class TlsTest {
    static TestTls.Ca a;
    static TestTls.Ca b;
    static TestTls.Server good;
    static TestTls.Server bad;
    static TestTls.Server ridingAlong;

    @BeforeAll
    static void servers() throws IOException {
        a = new TestTls.Ca("A");
        b = new TestTls.Ca("B");
        good = new TestTls.Server(a.leaf("a.pinwarden.test"), a.intermediate.certificate());
        bad = new TestTls.Server(b.leaf("a.pinwarden.test"), b.intermediate.certificate());
        // B's chain, with A's (pinned) intermediate and root sent along, unused.
        ridingAlong = new TestTls.Server(b.leaf("a.pinwarden.test"), b.intermediate.certificate(),
                a.intermediate.certificate(), a.root.certificate());
    }

    @AfterAll
    static void stop() throws IOException {
        good.close();
        bad.close();
        ridingAlong.close();
    }

    static PinSet pinA(String host) {
        return PinSet.enforced("a", List.of(host), List.of(a.intermediatePin()));
    }

    static PinnedOkHttp pinning(PinStore store) {
        return PinnedOkHttp.builder(store).platformTrustManager(TestTls.trusting(a, b)).build();
    }

    static String get(OkHttpClient client, String url) throws IOException {
        try (Response r = client.newCall(new Request.Builder().url(url).build()).execute()) {
            return r.code() + " " + r.body().string();
        }
    }

    static PinMismatchException mismatch(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof PinMismatchException) return (PinMismatchException) t;
        }
        return null;
    }

    @Test
    void matchingChainAcceptedOtherRefusedBeforeAnyRequestByte() throws Exception {
        PinStore store = new PinStore(List.of(pinA("a.pinwarden.test")));
        OkHttpClient client = TestTls.client(pinning(store)).build();
        assertEquals("200 ok", get(client, good.url("a.pinwarden.test")));
        long before = bad.requestBytes.get();
        SSLException e = assertThrows(SSLException.class, () -> get(client, bad.url("a.pinwarden.test")));
        assertNotNull(mismatch(e), e.toString());
        assertEquals("a", mismatch(e).pinSet);
        Thread.sleep(100);
        assertEquals(before, bad.requestBytes.get(), "no request byte reached the server");
    }

    @Test
    void pinsAreMatchedOnTheValidatedChainOnly() throws Exception {
        PinStore store = new PinStore(List.of(pinA("a.pinwarden.test")));
        OkHttpClient client = TestTls.client(pinning(store)).build();
        SSLException e = assertThrows(SSLException.class, () -> get(client, ridingAlong.url("a.pinwarden.test")));
        assertNotNull(mismatch(e), e.toString());
        assertEquals(0, ridingAlong.requestBytes.get());
        // Pinning B's root (the validated path's anchor, never sent) matches.
        store.replace(ActivePins.builtIn(List.of(PinSet.enforced("b", List.of("a.pinwarden.test"), List.of(b.rootPin()))), -1));
        assertEquals("200 ok", get(client, ridingAlong.url("a.pinwarden.test")));
    }

    @Test
    void pinsSwapAtRunTimeAndNoPooledConnectionOrSessionSurvivesAChange() throws Exception {
        PinStore store = new PinStore(List.of(pinA("a.pinwarden.test")));
        PinnedOkHttp pinning = pinning(store);
        OkHttpClient client = TestTls.client(pinning).build();
        assertEquals("200 ok", get(client, good.url("a.pinwarden.test")));
        int requests = good.requests.get();
        assertEquals(1, client.connectionPool().connectionCount(), "pooled");
        // New pins that the good server no longer meets: the same client refuses it.
        store.replace(ActivePins.builtIn(List.of(PinSet.enforced("b", List.of("a.pinwarden.test"), List.of(b.rootPin()))), -1));
        assertEquals(0, client.connectionPool().connectionCount(), "evicted on the change");
        assertThrows(SSLException.class, () -> get(client, good.url("a.pinwarden.test")));
        assertEquals(requests, good.requests.get(), "no request reached it");
        // Back again: accepted, without rebuilding the client.
        store.replace(ActivePins.builtIn(List.of(pinA("a.pinwarden.test")), -1));
        assertEquals("200 ok", get(client, good.url("a.pinwarden.test")));
    }

    @Test
    void aConnectionVerifiedUnderOlderPinsIsCheckedAgainBeforeARequest() throws Exception {
        PinStore store = new PinStore(List.of(pinA("a.pinwarden.test")));
        PinnedOkHttp pinning = pinning(store);
        OkHttpClient client = TestTls.client(pinning).build();
        assertEquals("200 ok", get(client, good.url("a.pinwarden.test")));
        // A connection the eviction can't reach (in use at the time): simulated by a change the
        // pool doesn't hear of.
        PinStore.Listener none = (now, g) -> { };
        int requests = good.requests.get();
        java.lang.reflect.Field f = PinStore.class.getDeclaredField("listeners");
        f.setAccessible(true);
        @SuppressWarnings("unchecked")
        List<PinStore.Listener> listeners = (List<PinStore.Listener>) f.get(store);
        List<PinStore.Listener> saved = List.copyOf(listeners);
        listeners.clear();
        listeners.add(none);
        store.replace(ActivePins.builtIn(List.of(PinSet.enforced("b", List.of("a.pinwarden.test"), List.of(b.rootPin()))), -1));
        assertEquals(1, client.connectionPool().connectionCount(), "still pooled");
        IOException e = assertThrows(IOException.class, () -> get(client, good.url("a.pinwarden.test")));
        assertTrue(e instanceof PinnedOkHttp.PinMismatchIOException || mismatch(e) != null, e.toString());
        assertEquals(requests, good.requests.get(), "no request written on the old connection");
        listeners.clear();
        listeners.addAll(saved);
    }

    @Test
    void overlappingSetsResolveToTheMostSpecificAndNeverWeakenEnforcement() throws Exception {
        PinSet broadReportOnly = PinSet.enforced("broad", List.of("**.pinwarden.test"), List.of(b.rootPin())).withEnforce(false);
        PinSet narrow = pinA("a.pinwarden.test");
        for (List<PinSet> order : List.of(List.of(broadReportOnly, narrow), List.of(narrow, broadReportOnly))) {
            OkHttpClient client = TestTls.client(pinning(new PinStore(order))).build();
            assertEquals("200 ok", get(client, good.url("a.pinwarden.test")));
            assertThrows(SSLException.class, () -> get(client, bad.url("a.pinwarden.test")));
        }
    }

    @Test
    void anExpiredPinSetReportsInsteadOfEnforcing() throws Exception {
        try (Collector collector = new Collector()) {
            long yesterday = Times.epochDayOf(System.currentTimeMillis()) - 1;
            PinSet expired = new PinSet("old", List.of(HostPattern.parse("a.pinwarden.test")),
                    List.of(new PinSet.Entry(a.intermediatePin(), "primary", null, null)), true, false, yesterday,
                    collector.url("/reports"));
            Reporter reporter = new Reporter(new Reporter.Config("app", "1.0"));
            OkHttpClient client = TestTls.client(PinnedOkHttp.builder(new PinStore(List.of(expired)))
                    .platformTrustManager(TestTls.trusting(a, b)).reporter(reporter).build()).build();
            assertEquals("200 ok", get(client, bad.url("a.pinwarden.test")));
            Collector.await(() -> collector.reports.size() == 1);
            assertEquals(1, collector.reports.size());
            JSONObject report = new JSONObject(collector.reports.get(0));
            assertFalse(report.getBoolean("enforce-pinning"));
            reporter.close();
        }
    }

    @Test
    void reportsAreDeduplicatedFollowNoRedirectAndNameTheMatchedPattern() throws Exception {
        try (Collector collector = new Collector()) {
            Reporter reporter = new Reporter(new Reporter.Config("northwind-mobile", "7.1"));
            PinSet wide = new PinSet("wide", List.of(HostPattern.parse("**.pinwarden.test")),
                    List.of(new PinSet.Entry(a.intermediatePin(), "primary", null, null)), true, true, null, null);
            ActivePins active = new ActivePins(List.of(wide), List.of(), false, collector.url("/reports"),
                    ActivePins.Source.MANIFEST, 7, false, false, 42);
            PinStore store = new PinStore(active);
            OkHttpClient client = TestTls.client(PinnedOkHttp.builder(store)
                    .platformTrustManager(TestTls.trusting(a, b)).reporter(reporter).build()).build();
            for (int k = 0; k < 3; k++) assertThrows(SSLException.class, () -> get(client, bad.url("a.pinwarden.test")));
            Collector.await(() -> reporter.sent() == 1);
            assertEquals(1, reporter.sent());
            assertEquals(2, reporter.deduplicated());
            JSONObject r = new JSONObject(collector.reports.get(0));
            assertEquals("a.pinwarden.test", r.getString("hostname"));
            assertEquals(bad.port(), r.getInt("port"));
            assertEquals("**.pinwarden.test", r.getString("noted-hostname"));
            assertTrue(r.getBoolean("enforce-pinning"));
            assertTrue(r.getBoolean("include-subdomains"));
            assertEquals(7, r.getLong("pinwarden-manifest-version"));
            assertEquals(42, r.getInt("pinwarden-cohort"));
            assertEquals("pin-sha256=\"" + a.intermediatePin().base64() + "\"", r.getJSONArray("known-pins").getString(0));
            assertEquals(2, r.getJSONArray("validated-certificate-chain").length(), "leaf and intermediate");
            // A set's own URI that redirects: a failed delivery, never re-posted.
            PinSet redirecting = new PinSet("r", List.of(HostPattern.parse("a.pinwarden.test")),
                    List.of(new PinSet.Entry(a.intermediatePin(), "primary", null, null)), true, false, null,
                    collector.url("/redirect"));
            store.replace(new ActivePins(List.of(redirecting), List.of(), false, collector.url("/reports"),
                    ActivePins.Source.MANIFEST, 8, false, false, 42));
            assertThrows(SSLException.class, () -> get(client, bad.url("a.pinwarden.test")));
            Collector.await(() -> reporter.failed() == 1);
            assertEquals(1, reporter.failed());
            assertEquals(List.of(), collector.elsewhere);
            reporter.close();
        }
    }

    @Test
    void reportOnlyNeedsAReporterAndLetsTheConnectionThrough() throws Exception {
        PinStore store = new PinStore(List.of(pinA("a.pinwarden.test")));
        assertThrows(IllegalArgumentException.class, () -> DangerousReportOnly.pinning(store, null));
        try (Collector collector = new Collector()) {
            Reporter reporter = new Reporter(new Reporter.Config("app", "1").defaultReportUri(collector.url("/reports")));
            OkHttpClient client = TestTls.client(DangerousReportOnly.pinning(store, reporter)
                    .platformTrustManager(TestTls.trusting(a, b)).build()).build();
            assertEquals("200 ok", get(client, bad.url("a.pinwarden.test")));
            Collector.await(() -> collector.reports.size() == 1);
            assertFalse(new JSONObject(collector.reports.get(0)).getBoolean("enforce-pinning"));
            reporter.close();
        }
    }

    @Test
    void theChainMustStillValidate() throws Exception {
        // Only A trusted: B's chain fails the platform's validation, pinned or not.
        PinStore store = new PinStore(List.<PinSet>of());
        OkHttpClient client = TestTls.client(PinnedOkHttp.builder(store).platformTrustManager(TestTls.trusting(a)).build()).build();
        assertEquals("200 ok", get(client, good.url("a.pinwarden.test")));
        assertThrows(SSLException.class, () -> get(client, bad.url("a.pinwarden.test")));
        // A pin on B's key doesn't make B's untrusted chain acceptable.
        store.replace(ActivePins.builtIn(List.of(PinSet.enforced("b", List.of("a.pinwarden.test"), List.of(b.rootPin()))), -1));
        assertThrows(SSLException.class, () -> get(client, bad.url("a.pinwarden.test")));
    }
}
