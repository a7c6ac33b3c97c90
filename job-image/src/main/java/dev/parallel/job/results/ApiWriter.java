package dev.parallel.job.results;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parallel.api.contract.Json;
import dev.parallel.api.contract.ResultsContract;
import dev.parallel.api.v1alpha1.ParallelJob;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Creates TaskResultBatch objects through the API server as the pod itself: the JDK's HttpClient (HTTP/2 where the
 * server offers it), the pod-bound token re-read from its file on every request (the kubelet rotates it), TLS
 * trusting only the cluster's CA. 201 and 409 (already created: a retry whose first response was lost) are success;
 * 5xx, 429 and I/O errors are retried with backoff within the retry budget; any other answer (401, 403, 422) is
 * final, with the API server's message.
 */
public final class ApiWriter {
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);
    private static final long FIRST_BACKOFF_MILLIS = 200;
    private static final long MAX_BACKOFF_MILLIS = 5000;

    /** A batch the API server refused for good, or that could not be written within the retry budget. */
    public static final class WriteFailed extends Exception {
        /** Whether retrying later can help (the budget ran out on 5xx/429/I/O), or not (401/403/422). */
        public final boolean retryable;

        WriteFailed(String message, boolean retryable) {
            super(message);
            this.retryable = retryable;
        }
    }

    private final HttpClient http;
    private final URI collection;
    private final Path tokenFile;
    private final Duration budget;
    private final AtomicLong requests = new AtomicLong();

    public ApiWriter(URI apiServer, SSLContext tls, Path tokenFile, String namespace, Duration retryBudget) {
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10));
        if (tls != null) b.sslContext(tls);
        this.http = b.build();
        String base = apiServer.toString().replaceAll("/+$", "");
        this.collection = URI.create(base + "/apis/" + ParallelJob.GROUP + "/" + ParallelJob.VERSION + "/namespaces/"
                + namespace + "/" + ResultsContract.BATCH_PLURAL);
        this.tokenFile = tokenFile;
        this.budget = retryBudget;
    }

    /** Requests sent so far, retries included (the benchmark reports them per 1,000 tasks). */
    public long requests() { return requests.get(); }

    /** Creates {@code batch} (a whole TaskResultBatch object); returns when it exists. */
    public void create(String name, JsonNode batch) throws WriteFailed, InterruptedException {
        create(name, batch, Long.MAX_VALUE);
    }

    /** As above, retrying at most until {@code deadlineNanos} ({@link System#nanoTime}) or the retry budget. */
    public void create(String name, JsonNode batch, long deadlineNanos) throws WriteFailed, InterruptedException {
        byte[] body = Json.string(batch).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        long t0 = System.nanoTime();
        long left = deadlineNanos == Long.MAX_VALUE ? budget.toNanos() : Math.max(0, deadlineNanos - t0);
        long deadline = t0 + Math.min(budget.toNanos(), left);
        long backoff = FIRST_BACKOFF_MILLIS;
        String last;
        while (true) {
            long wait = backoff;
            try {
                HttpRequest.Builder rb = HttpRequest.newBuilder(collection).timeout(REQUEST_TIMEOUT)
                        .header("Content-Type", "application/json").header("Accept", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
                String token = token();
                if (token != null) rb.header("Authorization", "Bearer " + token);
                requests.incrementAndGet();
                // The created object comes back whole: not decoded when it is a success, only errors are read.
                HttpResponse<String> r = http.send(rb.build(), info -> info.statusCode() / 100 == 2
                        ? HttpResponse.BodySubscribers.replacing("")
                        : HttpResponse.BodySubscribers.ofString(java.nio.charset.StandardCharsets.UTF_8));
                int code = r.statusCode();
                if (code / 100 == 2 || code == 409) return;
                last = "HTTP " + code + ": " + message(r.body());
                if (code != 429 && code / 100 != 5) {
                    throw new WriteFailed("the API server refused batch " + name + ": " + last, false);
                }
                wait = Math.max(wait, retryAfterMillis(r));
            } catch (IOException e) {
                last = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
            }
            if (System.nanoTime() + wait * 1_000_000 > deadline) {
                throw new WriteFailed("batch " + name + " not written within "
                        + (System.nanoTime() - t0) / 1_000_000_000 + " s: " + last, true);
            }
            Thread.sleep(wait);
            backoff = Math.min(MAX_BACKOFF_MILLIS, backoff * 2);
        }
    }

    /** Read on every request: the kubelet replaces a projected token well before it expires. */
    private String token() throws IOException {
        if (tokenFile == null) return null;
        return Files.readString(tokenFile).strip();
    }

    private static long retryAfterMillis(HttpResponse<?> r) {
        try {
            return Math.min(10_000, Long.parseLong(r.headers().firstValue("Retry-After").orElse("0").strip()) * 1000);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** A Status object's message, else the body's start. */
    static String message(String body) {
        if (body == null || body.isBlank()) return "(no body)";
        try {
            JsonNode s = Json.tree(body);
            if (s.hasNonNull("message")) return s.get("message").asText();
        } catch (IOException notJson) {
            // fall through
        }
        return body.length() > 300 ? body.substring(0, 300) + "..." : body;
    }

    /** TLS that trusts only the certificates of {@code caFile} (PEM), the cluster's CA (kube-root-ca.crt). */
    public static SSLContext trusting(Path caFile) {
        try (InputStream in = Files.newInputStream(caFile)) {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            int i = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) ks.setCertificateEntry("ca-" + i++, c);
            if (i == 0) throw new IllegalArgumentException("no certificate in " + caFile);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot read the cluster CA " + caFile + ": " + e.getMessage()
                    + " (the operator mounts kube-root-ca.crt there when results stream)", e);
        }
    }
}
