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
    /** The JVM's own start (ProcessHandle's start instant is off by up to a second: /proc's boot time is in seconds). */
    private static final long START = ON ? java.lang.management.ManagementFactory.getRuntimeMXBean().getStartTime() : 0;

    private StartupTrace() {}

    public static void mark(String what) {
        if (!ON) return;
        long ms = System.currentTimeMillis() - START;
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
