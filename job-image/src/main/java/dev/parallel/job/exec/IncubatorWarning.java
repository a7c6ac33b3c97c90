package dev.parallel.job.exec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * The line every JVM started with {@code --add-modules jdk.incubator.vector} prints on stderr before
 * main (JDK 17's ModuleBootstrap, unconditionally; no option turns it off). It says nothing about a
 * task, so the copies of child JVMs (worker processes, MPI ranks) are dropped on their way to the pod's
 * log. The pod's own JVM prints it once, as the first line of its log.
 */
public final class IncubatorWarning {
    public static final String LINE = "WARNING: Using incubator modules: jdk.incubator.vector";

    private IncubatorWarning() {}

    public static boolean is(String line) { return LINE.equals(line); }

    /** Copies a child's stderr to {@code to} line by line, without the warning, until EOF. */
    public static Thread forward(InputStream from, PrintStream to, String threadName) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(from, StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (!is(line)) to.println(line);
                }
            } catch (IOException ignored) {
                // the process ended
            }
        }, threadName);
        t.setDaemon(true);
        t.start();
        return t;
    }
}
