package dev.parallel.job.kernels;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.parallel.api.tasks.Task;

/**
 * Multiplies two n x n matrices filled from the task's stream (A from values 0..n*n-1, B from
 * n*n..2n*n-1, each as a double in [0,1)) and returns the sum of all entries of A*B, in index order.
 * Each entry of C is the fused multiply-add chain c = fma(a[i][k], b[k][j], c) over k = 0..n-1 in order,
 * on both paths: what gcc -O3 -march=native makes of bench/omp.c's i-k-j loop (it contracts the
 * multiply and the add), so the vector loops, the scalar loops and the C reference agree bit for bit.
 * Parameters: n (1..4096), seed (default 0).
 */
public final class MatmulKernel implements TaskFunction {
    /** The scalar loop's blocks: 128 rows of B by 512 columns (256 KiB, L2); 15% faster than 64 x 64 at n = 512. */
    private static final int BLOCK_K = 128, BLOCK_J = 512;
    private final KernelPath path;

    public MatmulKernel() { this(KernelPath.AUTO); }

    /** With the given loops (tests force each path; both give the same sum). */
    public MatmulKernel(KernelPath path) { this.path = path; }

    @Override
    public JsonNode apply(Task task) throws Exception {
        int size = size(task);
        long seed = Params.optionalLong(task, "seed", 0);
        long state = SplitMix64.streamState(seed, task.index());
        Workspace ws = Workspace.forThread(size);
        fill(path, state, 0, ws.a);
        fill(path, state, (long) size * size, ws.b);
        multiply(path, ws.a, ws.b, ws.c, size);
        return JsonNodeFactory.instance.numberNode(sum(ws.c));
    }

    /**
     * One task thread's matrices, kept for its next task of the same n: a fresh JVM's tasks then touch the same
     * memory instead of 3 n^2 doubles of new heap each (page faults and zeroing: cold runs of n = 256 spent
     * ~10% of their time there, and young collections grew with it). Kept up to n = 1024: 24 MiB per thread.
     */
    private static final class Workspace {
        static final int MAX_N = 1024;
        private static final ThreadLocal<Workspace> OF_THREAD = new ThreadLocal<>();
        final int n;
        final double[] a, b, c;

        private Workspace(int n) {
            this.n = n;
            a = new double[n * n];
            b = new double[n * n];
            c = new double[n * n];
        }

        /** This thread's matrices for n (above MAX_N, fresh ones this thread does not keep). */
        static Workspace forThread(int n) {
            if (n > MAX_N) return new Workspace(n);
            Workspace ws = OF_THREAD.get();
            if (ws == null || ws.n != n) OF_THREAD.set(ws = new Workspace(n));
            return ws;
        }
    }

    /** The task's n, checked. */
    public static int size(Task task) throws TaskFailure {
        long n = Params.requireLong(task, "n", 1);
        if (n > 4096) throw new TaskFailure("task " + task.id() + ": parameter 'n' must be <= 4096, got " + n);
        return (int) n;
    }

    /** The result: the sum of C's entries, in index order. */
    public static double sum(double[] c) {
        double sum = 0;
        for (double v : c) sum += v;
        return sum;
    }

    /** A and B, row-major, from the stream. */
    public static double[][] fill(long state, int n) { return fill(KernelPath.AUTO, state, n); }

    public static double[][] fill(KernelPath path, long state, int n) {
        int nn = n * n;
        double[] a = new double[nn];
        double[] b = new double[nn];
        fill(path, state, 0, a);
        fill(path, state, nn, b);
        return new double[][] {a, b};
    }

    private static void fill(KernelPath path, long state, long first, double[] out) {
        int k = path.now(VectorWarmup.Loop.FILL) == KernelPath.VECTOR ? VectorLoops.fill(state, first, out) : 0;
        for (; k < out.length; k += SCALAR_CHUNK) fill(state, first, out, k, Math.min(out.length, k + SCALAR_CHUNK));
    }

    /**
     * The scalar loops are small methods called many times per task, not one loop nest: a fresh JVM compiles a
     * method by its calls within the first task, where the nest waited for on-stack replacement, ran its first tasks
     * in the interpreter and C1's profiling code (174, 69, 64, 60 ms, then 2-10) and was recompiled after deopts.
     */
    private static final int SCALAR_CHUNK = 256;

    private static void fill(long state, long first, double[] out, int from, int to) {
        for (int k = from; k < to; k++) out[k] = SplitMix64.unitDouble(SplitMix64.value(state, first + k));
    }

    public static double[] multiply(double[] a, double[] b, int n) throws InterruptedException {
        return multiply(KernelPath.AUTO, a, b, n);
    }

    public static double[] multiply(KernelPath path, double[] a, double[] b, int n) throws InterruptedException {
        double[] c = new double[n * n];
        multiply(path, a, b, c, n);
        return c;
    }

    /** c = a * b, whatever c held before. */
    private static void multiply(KernelPath path, double[] a, double[] b, double[] c, int n) throws InterruptedException {
        int vectorColumns = 0;
        if (path.now(VectorWarmup.Loop.PANEL) == KernelPath.VECTOR) {
            int w = VectorLoops.panelWidth();
            vectorColumns = n - n % w;
            double[] panel = new double[w * n];
            for (int j0 = 0; j0 < vectorColumns; j0 += w) {
                Params.checkInterrupted();
                for (int k = 0; k < n; k++) System.arraycopy(b, k * n + j0, panel, k * w, w);
                VectorLoops.panel(a, panel, c, n, j0, 0, n);
            }
        }
        if (vectorColumns < n) zero(c, n, vectorColumns);
        scalar(a, b, c, n, vectorColumns);
    }

    /** Columns [j0, n) of C set to 0: the scalar loop adds into them (the panels write theirs whole). */
    private static void zero(double[] c, int n, int j0) {
        if (j0 == 0) {
            java.util.Arrays.fill(c, 0);
            return;
        }
        for (int i = 0; i < n; i++) java.util.Arrays.fill(c, i * n + j0, i * n + n, 0);
    }

    /** c[co, co + len) = fma(x, b[bo, bo + len), c[co, co + len)): the i-k-j loop's row update (C2 vectorises it). */
    private static void axpy(double x, double[] b, int bo, double[] c, int co, int len) {
        for (int j = 0; j < len; j++) c[co + j] = Math.fma(x, b[bo + j], c[co + j]);
    }

    /** Columns [j0, n) of C: a cache-blocked i-k-j loop, k in order for every entry. */
    private static void scalar(double[] a, double[] b, double[] c, int n, int j0) throws InterruptedException {
        for (int kk = 0; kk < n; kk += BLOCK_K) {
            Params.checkInterrupted();
            int kEnd = Math.min(n, kk + BLOCK_K);
            for (int jj = j0; jj < n; jj += BLOCK_J) {
                int jEnd = Math.min(n, jj + BLOCK_J);
                for (int i = 0; i < n; i++) {
                    int ci = i * n;
                    for (int k = kk; k < kEnd; k++) axpy(a[ci + k], b, k * n + jj, c, ci + jj, jEnd - jj);
                }
            }
        }
    }
}
