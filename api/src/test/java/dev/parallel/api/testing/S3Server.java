package dev.parallel.api.testing;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real S3-compatible server for tests on the host: SeaweedFS's {@code weed mini} as hack/s3.sh builds it (found
 * through {@code $PJ_WEED} or {@code hack/s3.sh path}), one per JVM, on an empty data directory, stopped when the JVM
 * exits. A test calls {@link #start} in {@code @BeforeAll}/{@code @BeforeEach}: it skips where the binary is missing,
 * or fails where the build requires it ({@code -Dtests.required=s3}).
 */
public final class S3Server {
    public static final String ACCESS_KEY = "pj-test-access";
    public static final String SECRET_KEY = "pj-test-secret-0123456789";
    private static S3Server running;

    private final Process process;
    private final String endpoint;

    private S3Server(Process process, String endpoint) {
        this.process = process;
        this.endpoint = endpoint;
    }

    /** http://127.0.0.1:PORT; the credentials are {@link #ACCESS_KEY} / {@link #SECRET_KEY} (the admin identity). */
    public String endpoint() { return endpoint; }

    public static synchronized S3Server start() {
        if (running != null && running.process.isAlive()) return running;
        Path weed = binary();
        Preconditions.need("s3", weed != null && Files.isExecutable(weed),
                "no SeaweedFS binary (" + weed + "): run hack/s3.sh build, or set PJ_WEED");
        try {
            Path data = Files.createTempDirectory("pj-weed-");
            int port = freePort();
            List<String> cmd = new ArrayList<>(List.of(weed.toString(), "-logdir=" + data, "mini", "-dir=" + data,
                    "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-webdav=false", "-admin.ui=false", "-s3.port=" + port,
                    "-s3.port.iceberg=0", "-s3.port.lance=0", "-filer.localSocket=" + data.resolve("filer.sock")));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(data.resolve("weed.out").toFile());
            pb.environment().put("AWS_ACCESS_KEY_ID", ACCESS_KEY);
            pb.environment().put("AWS_SECRET_ACCESS_KEY", SECRET_KEY);
            Process p = pb.start();
            String endpoint = "http://127.0.0.1:" + port;
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!healthy(endpoint)) {
                if (!p.isAlive()) {
                    throw new IllegalStateException("weed exited (" + p.exitValue() + "): " + tail(data.resolve("weed.out")));
                }
                if (System.nanoTime() > deadline) {
                    p.destroyForcibly();
                    throw new IllegalStateException("weed not ready on " + endpoint + " in 60 s: " + tail(data.resolve("weed.out")));
                }
                Thread.sleep(200);
            }
            running = new S3Server(p, endpoint);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                p.destroy();
                try {
                    if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly();
                } catch (InterruptedException ignored) {
                    p.destroyForcibly();
                }
                delete(data);
            }));
            return running;
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException("cannot start weed: " + e, e);
        }
    }

    private static Path binary() {
        String env = System.getenv("PJ_WEED");
        if (env != null && !env.isBlank()) return Path.of(env);
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path script = dir.resolve("hack/s3.sh");
            if (Files.isExecutable(script)) {
                try {
                    Process p = new ProcessBuilder(script.toString(), "path").redirectErrorStream(true).start();
                    String out = new String(p.getInputStream().readAllBytes()).strip();
                    return p.waitFor() == 0 ? Path.of(out, "weed") : null;
                } catch (IOException | InterruptedException e) {
                    return null;
                }
            }
        }
        return null;
    }

    private static boolean healthy(String endpoint) {
        try {
            var c = (HttpURLConnection) URI.create(endpoint + "/healthz").toURL().openConnection();
            c.setConnectTimeout(500);
            c.setReadTimeout(1000);
            return c.getResponseCode() == 200;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (var s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static String tail(Path log) {
        try {
            String s = Files.readString(log);
            return s.length() > 2000 ? s.substring(s.length() - 2000) : s;
        } catch (IOException e) {
            return "(no log)";
        }
    }

    private static void delete(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp dir
        }
    }
}
