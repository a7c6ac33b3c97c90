package dev.parallel.job.results;

import dev.parallel.api.contract.ResultsContract;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.SSLContext;

/**
 * How a pod streams its results: who it is, where the API server is (and the CA it trusts; null for plain HTTP,
 * which only tests and the benchmark use), its token file, the flush interval, where its done set is mounted, and
 * how long a write is retried before it counts as failed.
 */
public record StreamConfig(PodIdentity who, URI apiServer, SSLContext tls, Path tokenFile, long flushMillis,
                           Path doneDir, Duration retryBudget) {
    /** How long one batch is retried (5xx, 429, I/O) before the stream gives up on it. */
    public static final Duration RETRY_BUDGET = Duration.ofSeconds(60);
    /** JVM properties a test sets to run the worker outside a pod: the API server's plain-HTTP URI, token, done dir. */
    public static final String LOCAL_API_PROPERTY = "pj.results.api";
    public static final String LOCAL_TOKEN_PROPERTY = "pj.results.token";
    public static final String LOCAL_DONE_PROPERTY = "pj.results.done";

    public StreamConfig withFlushMillis(long millis) {
        return new StreamConfig(who, apiServer, tls, tokenFile, millis, doneDir, retryBudget);
    }

    public StreamConfig withRetryBudget(Duration budget) {
        return new StreamConfig(who, apiServer, tls, tokenFile, flushMillis, doneDir, budget);
    }

    /** Null when the pod does not stream ({@link ResultsContract#STREAM} absent); else the in-cluster settings. */
    public static StreamConfig fromEnv(Map<String, String> env, int part) {
        String mode = env.get(ResultsContract.STREAM);
        if (mode == null || mode.isBlank()) return null;
        if (!mode.strip().equals(ResultsContract.STREAM_API)) {
            throw new IllegalArgumentException(ResultsContract.STREAM + "=" + mode + ": the only stream is "
                    + ResultsContract.STREAM_API + " (unset it to report only at the end)");
        }
        PodIdentity who = PodIdentity.fromEnv(env, part);
        long flush = flushMillis(env.get(ResultsContract.FLUSH_MILLIS));
        // Outside a pod (tests of the worker process): a plain-HTTP server and local files instead of the mounts.
        String local = System.getProperty(LOCAL_API_PROPERTY);
        if (local != null) {
            return new StreamConfig(who, URI.create(local), null, Path.of(System.getProperty(LOCAL_TOKEN_PROPERTY)), flush,
                    Path.of(System.getProperty(LOCAL_DONE_PROPERTY)), RETRY_BUDGET);
        }
        String host = PodIdentity.need(env, "KUBERNETES_SERVICE_HOST");
        String port = env.getOrDefault("KUBERNETES_SERVICE_PORT", "443").strip();
        URI api = URI.create("https://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port);
        return new StreamConfig(who, api, ApiWriter.trusting(Path.of(ResultsContract.CA_FILE)),
                Path.of(ResultsContract.TOKEN_FILE), flush, Path.of(ResultsContract.DONE_DIR), RETRY_BUDGET);
    }

    static long flushMillis(String v) {
        if (v == null || v.isBlank()) return ResultsContract.DEFAULT_FLUSH_MILLIS;
        try {
            long m = Long.parseLong(v.strip());
            if (m >= 10) return m;
        } catch (NumberFormatException ignored) {
            // said below
        }
        throw new IllegalArgumentException(ResultsContract.FLUSH_MILLIS + "=" + v + ": expected milliseconds >= 10");
    }
}
