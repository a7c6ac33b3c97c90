package dev.parallel.job.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.parallel.job.kernels.MatmulKernel;
import dev.parallel.job.kernels.PiKernel;
import dev.parallel.job.kernels.PrimesKernel;
import dev.parallel.job.kernels.SplitMix64;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * What can be proven without a GPU: the PTX the build made is in the jar with the kernels' entry
 * points and a PTX version CUDA 12 drivers load, and the kernels' grid decomposition (CudaGrid, the
 * .cu index math in Java) covers every sample once and gives the CPU kernels' results.
 */
class CudaKernelsTest {
    @Test
    void thePtxInTheJarHasEveryEntryPointForCuda12Drivers() throws Exception {
        String ptx;
        try (var in = CudaKernelsTest.class.getResourceAsStream("/cuda/kernels.ptx")) {
            assertThat(in).as("cuda/kernels.ptx on the classpath (built by hack/ptx.py)").isNotNull();
            ptx = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        List<String> entries = Pattern.compile("\\.entry\\s+(\\w+)").matcher(ptx).results().map(m -> m.group(1)).toList();
        assertThat(entries).containsExactlyInAnyOrder("pi_hits", "matmul_fill", "matmul_tiled", "primes_count");
        Matcher v = Pattern.compile("\\.version\\s+(\\d+)\\.(\\d+)").matcher(ptx);
        assertThat(v.find()).isTrue();
        // PTX ISA 8.0 is CUDA 12.0's: every CUDA 12 driver can JIT it.
        assertThat(Integer.parseInt(v.group(1)) * 10 + Integer.parseInt(v.group(2))).isLessThanOrEqualTo(80);
    }

    @Test
    void piGridVisitsEverySampleExactlyOnce() {
        long from = 17, to = 10_017;
        for (int[] grid : new int[][] {{1, 256}, {3, 256}, {40, 256}, {7, 32}}) {
            int[] seen = new int[(int) (to - from)];
            for (int b = 0; b < grid[0]; b++) {
                for (int t = 0; t < grid[1]; t++) {
                    CudaGrid.piSamples(from, to, grid[0], grid[1], b, t, i -> seen[(int) (i - from)]++);
                }
            }
            for (int count : seen) assertThat(count).isEqualTo(1);
        }
    }

    @Test
    void piGridGivesTheCpuKernelsHitCount() throws Exception {
        long state = SplitMix64.streamState(42, 3);
        long cpu = PiKernel.hits(state, 0, 200_000);
        for (int blocks : new int[] {1, 5, 64}) {
            assertThat(CudaGrid.piHits(state, 0, 200_000, blocks, CudaGrid.PI_THREADS)).isEqualTo(cpu);
        }
    }

    @Test
    void primesGridSievesEverySegmentOnceAndCoversTheRange() {
        long lo = 5, to = 10 * CudaGrid.PRIMES_SEGMENT + 17; // a partial last segment
        for (int blocks : new int[] {1, 3, 11, 40}) { // fewer, about as many and more blocks than segments
            int[] seen = new int[11];
            for (int b = 0; b < blocks; b++) CudaGrid.primesSegments(lo, to, blocks, b, s -> seen[(int) s]++);
            for (int count : seen) assertThat(count).as("blocks=%d", blocks).isEqualTo(1);
        }
    }

    @Test
    void primesGridGivesTheCpuKernelsCount() throws Exception {
        // Below and above one segment; starting at 2 (the wheel primes); crossing a small prime's square;
        // far from 0, where every base prime is "large" for a segment but a few.
        long[][] ranges = {{2, 100}, {2, 3 * CudaGrid.PRIMES_SEGMENT + 5}, {16_000, 17_000},
                {1_000_000_000L, 1_000_000_000L + 2 * CudaGrid.PRIMES_SEGMENT + 3}};
        for (long[] r : ranges) {
            long cpu = PrimesKernel.count(r[0], r[1]);
            int[] base = PrimesKernel.basePrimes(r[1]);
            for (int blocks : new int[] {1, 2, 7}) {
                for (int threads : new int[] {CudaGrid.PRIMES_THREADS, 32}) {
                    assertThat(CudaGrid.primesCount(r[0], r[1], base, blocks, threads))
                            .as("[%d, %d) blocks=%d threads=%d", r[0], r[1], blocks, threads).isEqualTo(cpu);
                }
            }
        }
        // The small primes (shared by the threads) are those under PRIMES_SEGMENT / threads.
        assertThat(CudaGrid.primesSmall(PrimesKernel.basePrimes(1_000_000), 256)).isEqualTo(31); // primes < 128
    }

    @Test
    void tiledMatmulGivesTheCpuKernelsSum() throws Exception {
        for (int n : new int[] {1, 16, 37}) { // 37: partial tiles at the edges
            double[][] ab = MatmulKernel.fill(SplitMix64.streamState(7, 0), n);
            double cpu = sum(MatmulKernel.multiply(ab[0], ab[1], n));
            double gpu = sum(CudaGrid.matmulTiled(ab[0], ab[1], n));
            assertThat(gpu).isCloseTo(cpu, within(Math.abs(cpu) * 1e-9));
        }
    }

    private static double sum(double[] c) {
        double s = 0;
        for (double v : c) s += v;
        return s;
    }
}
