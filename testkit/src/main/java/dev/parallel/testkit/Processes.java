package dev.parallel.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command with a real timeout: both output streams are drained on their own threads (a full pipe
 * can never block the child), and a command that outlives its timeout is killed and reported, never waited
 * on forever.
 */
public final class Processes {
    private Processes() {}

    /** What a finished command left: exit code and both streams. */
    public record Result(int code, String out, String err) {
        public boolean ok() { return code == 0; }

        /** Throws unless the command succeeded, naming the command and its error output. */
        public Result orThrow(List<String> command) {
            if (code != 0) {
                throw new IllegalStateException(String.join(" ", command) + " exited with " + code + ": "
                        + (err.isBlank() ? out : err).strip());
            }
            return this;
        }
    }

    public static Result run(List<String> command, Duration timeout) {
        return run(command, timeout, Map.of(), null);
    }

    public static Result run(List<String> command, Duration timeout, Map<String, String> env, Path dir) {
        return run(command, timeout, env, dir, null);
    }

    /** As above, with {@code stdin} (a file) as the command's standard input when not null. */
    public static Result run(List<String> command, Duration timeout, Map<String, String> env, Path dir, Path stdin) {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().putAll(env);
        if (dir != null) pb.directory(dir.toFile());
        if (stdin != null) pb.redirectInput(stdin.toFile());
        Process p;
        try {
            p = pb.start();
            if (stdin == null) p.getOutputStream().close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + String.join(" ", command), e);
        }
        CompletableFuture<String> out = drain(p.getInputStream());
        CompletableFuture<String> err = drain(p.getErrorStream());
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                throw new IllegalStateException(String.join(" ", command) + " did not finish within " + timeout
                        + "; killed. Output so far: " + out.getNow("") + err.getNow(""));
            }
            return new Result(p.exitValue(), out.join(), err.join());
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + String.join(" ", command), e);
        }
    }

    private static CompletableFuture<String> drain(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            var buf = new ByteArrayOutputStream();
            try (in) {
                in.transferTo(buf);
            } catch (IOException ignored) {
                // the process was killed; what was read so far is kept
            }
            return buf.toString(StandardCharsets.UTF_8);
        }, r -> {
            Thread t = new Thread(r, "process-drain");
            t.setDaemon(true);
            t.start();
        });
    }
}
