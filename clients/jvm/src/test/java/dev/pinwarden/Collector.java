package dev.pinwarden;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import com.sun.net.httpserver.HttpServer;

/** A plain-HTTP report collector: /reports answers 202; /redirect answers 307 to /elsewhere. */
final class Collector implements Closeable {
    final HttpServer server;
    final List<String> reports = new CopyOnWriteArrayList<>();
    final List<String> elsewhere = new CopyOnWriteArrayList<>();

    Collector() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/reports", ex -> {
            reports.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            ex.sendResponseHeaders(202, -1);
            ex.close();
        });
        server.createContext("/redirect", ex -> {
            ex.getRequestBody().readAllBytes();
            ex.getResponseHeaders().add("Location", url("/elsewhere"));
            ex.sendResponseHeaders(307, -1);
            ex.close();
        });
        server.createContext("/elsewhere", ex -> {
            elsewhere.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            ex.sendResponseHeaders(202, -1);
            ex.close();
        });
        server.start();
    }

    String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    @Override
    public void close() {
        server.stop(0);
    }

    static void await(java.util.function.BooleanSupplier done) throws InterruptedException {
        for (int k = 0; k < 100 && !done.getAsBoolean(); k++) Thread.sleep(50);
    }
}
