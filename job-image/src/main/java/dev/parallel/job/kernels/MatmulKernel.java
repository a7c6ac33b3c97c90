package dev.parallel.job.kernels;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.parallel.api.tasks.Task;

/**
 * Multiplies two n x n matrices filled from the task's stream (A from values 0..n*n-1, B from
 * n*n..2n*n-1, each as a double in [0,1)) and returns the sum of all entries of A*B. A cache-blocked
 * i-k-j loop whose inner loop the JIT vectorises. Parameters: n (1..4096), seed (default 0).
 */
public final class MatmulKernel implements TaskFunction {
    private static final int BLOCK = 64;

    @Override
    public JsonNode apply(Task task) throws Exception {
        int size = size(task);
        long seed = Params.optionalLong(task, "seed", 0);
        double[][] ab = fill(SplitMix64.streamState(seed, task.index()), size);
        return JsonNodeFactory.instance.numberNode(sum(multiply(ab[0], ab[1], size)));
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
    public static double[][] fill(long state, int n) {
        int nn = n * n;
        double[] a = new double[nn];
        double[] b = new double[nn];
        for (int k = 0; k < nn; k++) a[k] = SplitMix64.unitDouble(SplitMix64.value(state, k));
        for (int k = 0; k < nn; k++) b[k] = SplitMix64.unitDouble(SplitMix64.value(state, (long) nn + k));
        return new double[][] {a, b};
    }

    public static double[] multiply(double[] a, double[] b, int n) throws InterruptedException {
        double[] c = new double[n * n];
        for (int kk = 0; kk < n; kk += BLOCK) {
            Params.checkInterrupted();
            int kEnd = Math.min(n, kk + BLOCK);
            for (int jj = 0; jj < n; jj += BLOCK) {
                int jEnd = Math.min(n, jj + BLOCK);
                for (int i = 0; i < n; i++) {
                    int ci = i * n;
                    for (int k = kk; k < kEnd; k++) {
                        double aik = a[ci + k];
                        int bk = k * n;
                        for (int j = jj; j < jEnd; j++) c[ci + j] += aik * b[bk + j];
                    }
                }
            }
        }
        return c;
    }
}
