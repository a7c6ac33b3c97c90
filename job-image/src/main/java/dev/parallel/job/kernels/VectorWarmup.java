package dev.parallel.job.kernels;

/**
 * Compiles the vector loops off the tasks' threads. Until C2 has compiled it, a Vector API loop runs
 * interpreted or in C1 code that boxes every vector: 50-500x slower than compiled (measured on a fresh
 * JVM: the first 2^20 pi samples took 0.51 s as vectors, 0.12 s scalar; 1 ms once compiled, 3.5 ms
 * scalar). Here the pi loop is compiled 0.3-0.4 s after the request (C2 takes ~0.4 s of CPU for it). So one
 * daemon thread calls the vector loop on small inputs until calls run at C2's speed and allocate nothing; a
 * kernel on {@link KernelPath#AUTO} waits for that up to {@link #WAIT_NANOS}, then takes its scalar loops
 * (same results) until it is so, and switches. A pod's part starts it before parsing its contract (cli.Main),
 * on the core that would idle meanwhile.
 */
final class VectorWarmup {
    /** In the order they are warmed: matmul's multiply before its fill (10x faster as vectors, the fill 2x). */
    enum Loop { PI, ZEROS, PANEL, FILL }

    /** Give up timing after this long and take the vector loops anyway (a loaded machine can keep calls slow). */
    private static final long MAX_NANOS = 4_000_000_000L;
    /** Consecutive calls within budget that count as compiled. */
    private static final int FAST_CALLS = 3;

    private static volatile int ready; // bit per Loop
    private static volatile int settled; // warm-ups that have ended, ready or not: never run again
    private static int requested;
    private static Thread thread;

    private VectorWarmup() {}

    static boolean ready(Loop loop) {
        if ((ready & bit(loop)) != 0) return true;
        return (settled & bit(loop)) == 0 && requestAndWait(loop);
    }

    /**
     * How long tasks wait for the warm-up before they take the scalar loops, once per JVM from the first wait. Until
     * it is compiled, a scalar loop runs interpreted too (matmul's first tasks: 50-200 ms each against 1-2 ms
     * as vectors), on the CPUs the compiler needs: in cold runs with two threads on two CPUs waiting made
     * matmul n = 256 8-18% faster and pi 6-10% (alternating runs, medians of 3), primes within noise.
     */
    private static final long WAIT_NANOS = 1_000_000_000L;
    private static long waitUntil;

    /** Asks for the loop's warm-up and waits for it to end, within the JVM's one wait; whether it is ready. */
    private static synchronized boolean requestAndWait(Loop loop) {
        request(loop);
        if (waitUntil == 0) waitUntil = System.nanoTime() + WAIT_NANOS;
        try {
            for (long left; (settled & bit(loop)) == 0 && (left = waitUntil - System.nanoTime()) > 0; ) {
                VectorWarmup.class.wait(Math.max(1, left / 1_000_000));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return (ready & bit(loop)) != 0;
    }

    static synchronized void request(Loop... loops) {
        for (Loop l : loops) requested |= bit(l) & ~settled;
        if (thread == null) {
            thread = new Thread(VectorWarmup::run, "pj-vector-warmup");
            thread.setDaemon(true);
            thread.setPriority(Thread.MIN_PRIORITY);
            thread.start();
        }
        VectorWarmup.class.notifyAll();
    }

    private static int bit(Loop l) { return 1 << l.ordinal(); }

    private static void run() {
        if (KernelPath.chosen() != KernelPath.VECTOR) return; // chosen here: the Vector API's start-up off the caller's thread
        while (true) {
            Loop next = null;
            synchronized (VectorWarmup.class) {
                while (next == null) {
                    for (Loop l : Loop.values()) if ((requested & ~ready & bit(l)) != 0) { next = l; break; }
                    if (next == null) {
                        try {
                            VectorWarmup.class.wait();
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }
            }
            Outcome outcome;
            try {
                outcome = warm(next);
            } catch (RuntimeException e) { // a bug, not a slow machine: that kernel keeps its scalar loops
                System.err.println("vector warm-up of " + next + " failed (" + e + "): its kernel stays scalar");
                outcome = null;
            }
            if (outcome == Outcome.BOXED) {
                System.err.println("vector warm-up of " + next + ": the compiled loop still allocates its vectors (the JIT"
                        + " did not intrinsify them; see Executors.JIT_JVM_ARGS): its kernel stays scalar");
            }
            synchronized (VectorWarmup.class) {
                if (outcome == Outcome.COMPILED || outcome == Outcome.TIMED_OUT) ready |= bit(next);
                settled |= bit(next);
                dev.parallel.job.exec.StartupTrace.mark("vector " + next + " " + (outcome == null ? "failed"
                        : outcome.name().toLowerCase(java.util.Locale.ROOT)));
                requested &= ~bit(next);
                VectorWarmup.class.notifyAll();
            }
        }
    }

    /**
     * How a warm-up ended. BOXED: after MAX_NANOS calls still run fast but allocate: C1's code, or C2's compiled
     * without the intrinsics (vectors as heap objects), which a JIT setting that compiles the loop before its
     * callees have profiles gives, silently. TIMED_OUT: calls still slow (a loaded machine): the vector loops
     * anyway, as they will be compiled.
     */
    enum Outcome { COMPILED, BOXED, TIMED_OUT }

    /** Bytes a call of an intrinsified loop may allocate: pi's long[2] result (a boxed loop: kilobytes). */
    private static final long MAX_CALL_BYTES = 256;

    /**
     * Calls the loop on a few vectors' worth until FAST_CALLS in a row take under 1 us (the 16 x 16 panel: 3 us;
     * C2's code: ~0.1 and 0.5 us; interpreted: 50 us and more) and allocate nothing: C1's code boxes every
     * vector and can be that fast on so few (pi's 64 samples: 2,480 bytes a call, measured), so timing alone
     * took C1's code for compiled and switched the kernels to loops still 5x slower than the scalar ones. Many
     * small calls, not a few long ones: C2's thresholds count calls as well as loop iterations, and it is the
     * interpreted iterations that cost.
     */
    static Outcome warm(Loop loop) {
        long t0 = System.nanoTime();
        int n = VectorLoops.panelWidth(); // matmul: one panel of n x n, n / 4 four-row passes
        byte[] seg = new byte[256];
        double[] out = new double[64];
        double[] a = new double[n * n], panel = new double[n * n], c = new double[n * n];
        long sink = 0;
        int good = 0;
        boolean fastButBoxed = false;
        while (good < FAST_CALLS && System.nanoTime() - t0 < MAX_NANOS) {
            long bytes = Allocation.ofThisThread();
            long t = System.nanoTime();
            sink += call(loop, t, seg, out, a, panel, c, n);
            boolean fast = System.nanoTime() - t < (loop == Loop.PANEL ? 3_000 : 1_000);
            boolean boxed = bytes >= 0 && Allocation.ofThisThread() - bytes > MAX_CALL_BYTES;
            fastButBoxed = fast && boxed;
            good = fast && !boxed ? good + 1 : 0;
        }
        if (sink == 42) System.out.print(""); // keeps the calls' results alive
        return good == FAST_CALLS ? Outcome.COMPILED : fastButBoxed ? Outcome.BOXED : Outcome.TIMED_OUT;
    }

    private static long call(Loop loop, long t, byte[] seg, double[] out, double[] a, double[] panel, double[] c, int n) {
        return switch (loop) {
            case PI -> VectorLoops.piHits(t, 64)[0];
            case ZEROS -> VectorLoops.zeros(seg, seg.length);
            case FILL -> VectorLoops.fill(t, 0, out);
            case PANEL -> {
                VectorLoops.panel(a, panel, c, n, 0, 0, n);
                yield (long) c[0];
            }
        };
    }

    /** This thread's allocated bytes so far, or -1 where the JVM does not count them. */
    private static final class Allocation {
        private static final com.sun.management.ThreadMXBean THREADS = threads(); // looked up once: a lookup allocates

        static long ofThisThread() {
            return THREADS == null ? -1 : THREADS.getCurrentThreadAllocatedBytes();
        }

        private static com.sun.management.ThreadMXBean threads() {
            try {
                return java.lang.management.ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t
                        && t.isThreadAllocatedMemorySupported() && t.isThreadAllocatedMemoryEnabled() ? t : null;
            } catch (LinkageError e) { // a runtime without jdk.management
                return null;
            }
        }
    }
}
