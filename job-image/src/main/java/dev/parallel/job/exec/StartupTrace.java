package dev.parallel.job.exec;

import java.util.ArrayList;
import java.util.List;

/**
 * A part's start-up timeline, for measuring a cold JVM (docs/benchmarks.md): with {@code -Dpj.trace=startup}
 * each {@link #mark} is kept with its time since the JVM started, and {@link #print} writes them to stderr at
 * the end. Off, a mark is one read of a final field.
 */
public final class StartupTrace {
    private static final boolean ON = "startup".equals(System.getProperty("pj.trace"));
    private static final List<String> MARKS = new ArrayList<>();

    private StartupTrace() {}

    public static void mark(String what) {
        if (!ON) return;
        long ms = System.currentTimeMillis() - ProcessHandle.current().info().startInstant().map(i -> i.toEpochMilli()).orElse(0L);
        synchronized (MARKS) {
            MARKS.add(String.format("startup %6d ms  %s (%s)", ms, what, Thread.currentThread().getName()));
        }
    }

    public static void print() {
        if (!ON) return;
        synchronized (MARKS) {
            MARKS.forEach(System.err::println);
        }
    }
}
