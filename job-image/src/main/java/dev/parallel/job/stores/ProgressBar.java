package dev.parallel.job.stores;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * `parallel-job results`'s progress on stderr, redrawn in place at most every 100 ms: {@code [#####.....] 50% 5,000/10,000
 * records}, or a count where the total is unknown. Off unless stderr is a terminal (stdout is usually a file or a pipe).
 */
public final class ProgressBar {
    private static final int WIDTH = 30;
    private final PrintStream err;
    private final long total;
    private final boolean on;
    private long count;
    private long drawn;

    public ProgressBar(PrintStream err, long total, boolean on) {
        this.err = err;
        this.total = total;
        this.on = on;
    }

    /** Whether stderr is a terminal: Java has no isatty, Linux's /proc says where fd 2 points. */
    public static boolean stderrIsTerminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }

    public void step() {
        count++;
        long now = System.nanoTime();
        if (on && now - drawn > 100_000_000L) {
            drawn = now;
            err.print("\r" + render(count, total));
            err.flush();
        }
    }

    public void done() {
        if (on) err.println("\r" + render(count, total));
    }

    static String render(long count, long total) {
        if (total <= 0) return String.format(Locale.ROOT, "%,d records", count);
        long pct = Math.min(100, count * 100 / total);
        int filled = (int) Math.min(WIDTH, count * WIDTH / total);
        return String.format(Locale.ROOT, "[%s%s] %3d%% %,d/%,d records", "#".repeat(filled), ".".repeat(WIDTH - filled), pct,
                count, total);
    }
}
