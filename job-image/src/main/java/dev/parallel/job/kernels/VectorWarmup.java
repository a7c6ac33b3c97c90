package dev.parallel.job.kernels;

/**
 * Compiles the vector loops off the tasks' threads. Until C2 has compiled it, a Vector API loop runs
 * interpreted or in C1 code that boxes every vector: 50-500x slower than compiled (measured on a fresh
 * JVM: the first 2^20 pi samples took 0.51 s as vectors, 0.12 s scalar; 1 ms once compiled, 3.5 ms
 * scalar). Here the pi loop is compiled 0.3-0.4 s after the request (C2 takes ~0.4 s of CPU for it). So a
 * kernel on {@link KernelPath#AUTO} takes its scalar loops (same results) while one daemon thread calls
 * the vector loop on small inputs until calls run at compiled speed, then the kernel switches. A pod's
 * part starts it before parsing its contract (cli.Main), on the core that would idle meanwhile.
 */
final class VectorWarmup {
    /** In the order they are warmed: matmul's multiply before its fill (10x faster as vectors, the fill 2x). */
    enum Loop { PI, ZEROS, PANEL, FILL }

    /** Give up timing after this long and take the vector loops anyway (a loaded machine can keep calls slow). */
    private static final long MAX_NANOS = 4_000_000_000L;
    /** Consecutive calls within budget that count as compiled. */
    private static final int FAST_CALLS = 3;

    private static volatile int ready; // bit per Loop
    private static int requested;
    private static Thread thread;

    private VectorWarmup() {}

    static boolean ready(Loop loop) {
        if ((ready & bit(loop)) != 0) return true;
        request(loop);
        return false;
    }

    static synchronized void request(Loop... loops) {
        for (Loop l : loops) requested |= bit(l);
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
            boolean warmed = false;
            try {
                warm(next);
                warmed = true;
            } catch (RuntimeException e) { // a bug, not a slow machine: that kernel keeps its scalar loops
                System.err.println("vector warm-up of " + next + " failed (" + e + "): its kernel stays scalar");
            }
            synchronized (VectorWarmup.class) {
                if (warmed) ready |= bit(next);
                dev.parallel.job.exec.StartupTrace.mark("vector " + next + (warmed ? " ready" : " failed"));
                requested &= ~bit(next);
            }
        }
    }

    /**
     * Calls the loop on a few vectors' worth until FAST_CALLS in a row take under 1 us (the 16 x 16 panel:
     * 3 us; compiled: ~0.1 and 0.5 us; interpreted or C1: 50 us and more). Many small calls, not a few long ones: C2's thresholds
     * count calls as well as loop iterations, and it is the interpreted iterations that cost.
     */
    private static void warm(Loop loop) {
        long t0 = System.nanoTime();
        int n = VectorLoops.panelWidth(); // matmul: one panel of n x n, n / 4 four-row passes
        byte[] seg = new byte[256];
        double[] out = new double[64];
        double[] a = new double[n * n], panel = new double[VectorLoops.panelWidth() * n], c = new double[n * n];
        long sink = 0;
        for (int fast = 0; fast < FAST_CALLS && System.nanoTime() - t0 < MAX_NANOS; ) {
            long t = System.nanoTime();
            switch (loop) {
                case PI -> sink += VectorLoops.piHits(t, 64)[0];
                case ZEROS -> sink += VectorLoops.zeros(seg, seg.length);
                case FILL -> sink += VectorLoops.fill(t, 0, out);
                default -> VectorLoops.panel(a, panel, c, n, 0, 0, n);
            }
            fast = System.nanoTime() - t < (loop == Loop.PANEL ? 3_000 : 1_000) ? fast + 1 : 0;
        }
        if (sink == 42) System.out.print(""); // keeps the calls' results alive
    }
}
