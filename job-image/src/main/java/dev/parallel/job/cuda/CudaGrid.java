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
    /** primes_count: numbers per segment (PRIMES_SEGMENT) and threads per block (its shared array's size). */
    public static final int PRIMES_SEGMENT = 32768;
    public static final int PRIMES_THREADS = 256;

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

    /**
     * How many of {@code base} (ascending) primes_count shares among a block's threads: those below
     * PRIMES_SEGMENT / threads, which have at least one multiple per thread in every segment.
     */
    public static int primesSmall(int[] base, int threads) {
        int n = 0;
        while (n < base.length && base[n] < PRIMES_SEGMENT / threads) n++;
        return n;
    }

    /** The segments block {@code block} of primes_count sieves, by index: a grid-stride loop. */
    public static void primesSegments(long lo, long to, int blocks, int block, LongConsumer visit) {
        long segments = (to - lo + PRIMES_SEGMENT - 1) / PRIMES_SEGMENT;
        for (long s = block; s < segments; s += blocks) visit.accept(s);
    }

    /**
     * primes_count emulated thread by thread, phase by phase (what __syncthreads separates: clear, cross
     * off, count): per-thread counts, the block's tree reduction, one add per block. lo >= 2.
     */
    public static long primesCount(long lo, long to, int[] base, int blocks, int threads) {
        int nsmall = primesSmall(base, threads);
        long total = 0;
        for (int blk = 0; blk < blocks; blk++) {
            long[] mine = new long[threads];
            byte[] seg = new byte[PRIMES_SEGMENT];
            primesSegments(lo, to, blocks, blk, s -> {
                long segLo = lo + s * PRIMES_SEGMENT;
                long segHi = Math.min(to, segLo + PRIMES_SEGMENT);
                int len = (int) (segHi - segLo);
                for (int t = 0; t < threads; t++) for (int i = t; i < len; i += threads) seg[i] = 0;
                for (int t = 0; t < threads; t++) {
                    for (int b = 0; b < nsmall; b++) {
                        long p = base[b];
                        if (p * p >= segHi) break;
                        long start = Math.max(p * p, ((segLo + p - 1) / p) * p);
                        for (long m = start - segLo + t * p; m < len; m += threads * p) seg[(int) m] = 1;
                    }
                    for (int b = nsmall + t; b < base.length; b += threads) {
                        long p = base[b];
                        if (p * p >= segHi) break;
                        long start = Math.max(p * p, ((segLo + p - 1) / p) * p);
                        for (long m = start - segLo; m < len; m += p) seg[(int) m] = 1;
                    }
                }
                for (int t = 0; t < threads; t++) for (int i = t; i < len; i += threads) if (seg[i] == 0) mine[t]++;
            });
            for (int s = threads / 2; s > 0; s >>= 1) {
                for (int t = 0; t < s; t++) mine[t] += mine[t + s];
            }
            total += mine[0]; // atomicAdd(count, block[0])
        }
        return total;
    }
}
