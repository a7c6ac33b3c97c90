package dev.parallel.job.results;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.parallel.api.contract.Json;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;

/**
 * An in-process stand-in for the API server's create of TaskResultBatch objects (the benchmark, tests): keeps every
 * object it created, answers 409 for a name it has, and plays scripted failures first ({@link #failNext}).
 * HTTPS when given a server SSLContext. Not a Kubernetes API server: no auth, no schema.
 */
public final class FakeApiServer implements AutoCloseable {
    private record Failure(int code, String message) {}

    private final HttpServer server;
    private final java.util.concurrent.ExecutorService threads;
    private final boolean tls;
    private final boolean keep;
    private final Map<String, JsonNode> created = new LinkedHashMap<>();
    private final Deque<Failure> failures = new ConcurrentLinkedDeque<>();
    private final List<String> authorizations = new ArrayList<>();
    private final List<String> paths = new ArrayList<>();
    private final AtomicLong requests = new AtomicLong();

    public FakeApiServer(SSLContext serverTls) throws IOException { this(serverTls, true); }

    /**
     * @param keep false: only count the requests and answer 201 (the benchmark: parsing and keeping the bodies would
     *             spend the CPUs the measured pod runs on, which a real API server does elsewhere)
     */
    public FakeApiServer(SSLContext serverTls, boolean keep) throws IOException {
        this.keep = keep;
        InetSocketAddress at = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        if (serverTls != null) {
            HttpsServer s = HttpsServer.create(at, 0);
            s.setHttpsConfigurator(new HttpsConfigurator(serverTls));
            server = s;
        } else {
            server = HttpServer.create(at, 0);
        }
        tls = serverTls != null;
        server.createContext("/", this::handle);
        threads = java.util.concurrent.Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "fake-api-server");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(threads);
        server.start();
    }

    /** Plain HTTP. */
    public FakeApiServer() throws IOException { this(null); }

    public URI uri() {
        return URI.create((tls ? "https" : "http") + "://127.0.0.1:" + server.getAddress().getPort());
    }

    /** The next request is answered {@code code} with a Status carrying {@code message} (before anything else). */
    public void failNext(int code, String message) { failures.add(new Failure(code, message)); }

    /** Forgets the scripted failures not played yet (the API server recovers). */
    public void recover() { failures.clear(); }

    /** Every request, failed ones included. */
    public long requests() { return requests.get(); }

    /** The objects created, in order. */
    public synchronized List<JsonNode> batches() { return List.copyOf(created.values()); }

    /** The Authorization header of each request, in order. */
    public synchronized List<String> authorizations() { return List.copyOf(authorizations); }

    public synchronized List<String> paths() { return List.copyOf(paths); }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            byte[] body = ex.getRequestBody().readAllBytes();
            requests.incrementAndGet();
            synchronized (this) {
                authorizations.add(ex.getRequestHeaders().getFirst("Authorization"));
                paths.add(ex.getRequestMethod() + " " + ex.getRequestURI().getPath());
            }
            Failure f = failures.poll();
            if (f != null) {
                reply(ex, f.code, f.message);
                return;
            }
            if (!keep) {
                ex.sendResponseHeaders(201, -1);
                return;
            }
            if (!ex.getRequestMethod().equals("POST")) {
                reply(ex, 405, "only create");
                return;
            }
            JsonNode obj = Json.mapper().readTree(body);
            String name = obj.path("metadata").path("name").asText();
            synchronized (this) {
                if (created.containsKey(name)) {
                    reply(ex, 409, "taskresultbatches.parallel.dev \"" + name + "\" already exists");
                    return;
                }
                created.put(name, obj);
            }
            byte[] out = body;
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(201, out.length);
            ex.getResponseBody().write(out);
        }
    }

    private static void reply(HttpExchange ex, int code, String message) throws IOException {
        byte[] out = Json.mapper().createObjectNode().put("kind", "Status").put("apiVersion", "v1").put("status", "Failure")
                .put("message", message).put("code", code).toString().getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(code, out.length);
        ex.getResponseBody().write(out);
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
