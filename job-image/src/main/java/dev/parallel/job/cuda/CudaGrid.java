package dev.parallel.job.cuda;

import dev.parallel.job.kernels.SplitMix64;
import java.util.function.LongConsumer;

/**
 * The CUDA kernels' per-thread index math (job-image/src/main/cuda/kernels.cu), in Java, so it can be
 * checked here where no GPU exists: run thread by thread, it must give exactly the CPU kernels' results
 * and visit every sample once. Keep the two in step: a change to the .cu grid logic changes this.
 */
public final class CudaGrid {
    private static final long R2 = 1L << 62;
    /** Threads per block the host launches pi_hits with (its shared array is this size). */
    public static final int PI_THREADS = 256;
    public static final int TILE = 16;

    private CudaGrid() {}

    /** The samples thread (block, thread) of pi_hits visits: a grid-stride loop from {@code from}. */
    public static void piSamples(long from, long to, int blocks, int threads, int block, int thread, LongConsumer visit) {
        long g = (long) block * threads + thread;
        long stride = (long) blocks * threads;
        for (long i = from + g; i < to; i += stride) visit.accept(i);
    }

    /** pi_hits emulated: per-thread counts, the block's tree reduction, one add per block. */
    public static long piHits(long state, long from, long to, int blocks, int threads) {
        long total = 0;
        for (int b = 0; b < blocks; b++) {
            long[] shared = new long[threads];
            for (int t = 0; t < threads; t++) {
                long[] mine = {0};
                piSamples(from, to, blocks, threads, b, t, i -> {
                    long x = SplitMix64.value(state, 2 * i) >>> 33;
                    long y = SplitMix64.value(state, 2 * i + 1) >>> 33;
                    if (x * x + y * y < R2) mine[0]++;
                });
                shared[t] = mine[0];
            }
            for (int s = threads / 2; s > 0; s >>= 1) {
                for (int t = 0; t < s; t++) shared[t] += shared[t + s];
            }
            total += shared[0]; // atomicAdd(hits, block[0])
        }
        return total;
    }

    /** matmul_tiled emulated: thread (row, col) accumulates over 16-wide tiles, zero-padded at the edges. */
    public static double[] matmulTiled(double[] a, double[] b, int n) {
        double[] c = new double[n * n];
        int grid = (n + TILE - 1) / TILE;
        for (int by = 0; by < grid; by++) {
            for (int bx = 0; bx < grid; bx++) {
                for (int ty = 0; ty < TILE; ty++) {
                    for (int tx = 0; tx < TILE; tx++) {
                        int row = by * TILE + ty;
                        int col = bx * TILE + tx;
                        double acc = 0;
                        for (int t = 0; t < grid; t++) {
                            for (int k = 0; k < TILE; k++) {
                                int ka = t * TILE + k;
                                double av = row < n && ka < n ? a[row * n + ka] : 0.0;
                                double bv = ka < n && col < n ? b[ka * n + col] : 0.0;
                                acc += av * bv;
                            }
                        }
                        if (row < n && col < n) c[row * n + col] = acc;
                    }
                }
            }
        }
        return c;
    }
}
