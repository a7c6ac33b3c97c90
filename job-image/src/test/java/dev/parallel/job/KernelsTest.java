package dev.parallel.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parallel.api.contract.Json;
import dev.parallel.api.tasks.Task;
import dev.parallel.job.kernels.KernelPath;
import dev.parallel.job.kernels.MatmulKernel;
import dev.parallel.job.kernels.PiKernel;
import dev.parallel.job.kernels.PrimesKernel;
import dev.parallel.job.kernels.SplitMix64;
import dev.parallel.job.kernels.TaskFailure;
import java.math.BigInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every kernel on both paths, forced (the vector loops run on any CPU with the module, slower where
 * vectors are narrow), against the same independent references.
 */
class KernelsTest {
    @Test
    void theVectorPathIsAvailableToTheTests() {
        // Surefire starts the test JVM with --add-modules jdk.incubator.vector: the vector cases below are real.
        assertThat(KernelPath.vectorAvailable()).isTrue();
        assertThat(KernelPath.describe()).startsWith("kernels: " + KernelPath.chosen().name().toLowerCase());
    }

    static Task task(long index, String json) throws Exception {
        return new Task(index, "t" + index, (ObjectNode) Json.mapper().readTree(json));
    }

    /** A second, deliberately plain implementation of the pi definition, in unsigned BigInteger arithmetic. */
    static long referenceHits(long seed, long t, long samples) {
        BigInteger mask = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
        BigInteger golden = new BigInteger("9E3779B97F4A7C15", 16);
        BigInteger state = BigInteger.valueOf(seed).and(mask).xor(BigInteger.valueOf(t).multiply(golden).and(mask));
        long hits = 0;
        for (long i = 0; i < samples; i++) {
            BigInteger[] xy = new BigInteger[2];
            for (int j = 0; j < 2; j++) {
                BigInteger z = state.add(BigInteger.valueOf(2 * i + j + 1).multiply(golden)).and(mask);
                z = z.xor(z.shiftRight(30)).multiply(new BigInteger("BF58476D1CE4E5B9", 16)).and(mask);
                z = z.xor(z.shiftRight(27)).multiply(new BigInteger("94D049BB133111EB", 16)).and(mask);
                z = z.xor(z.shiftRight(31));
                xy[j] = z.shiftRight(33);
            }
            if (xy[0].pow(2).add(xy[1].pow(2)).compareTo(BigInteger.ONE.shiftLeft(62)) < 0) hits++;
        }
        return hits;
    }

    @ParameterizedTest
    @EnumSource(KernelPath.class)
    void piMatchesAnIndependentImplementation(KernelPath path) throws Exception {
        // 5003 samples: whole vectors and a scalar tail.
        for (long t : new long[] {0, 1, 7, 123456}) {
            JsonNode r = new PiKernel(path).apply(task(t, "{\"samples\": 5003, \"seed\": 42}"));
            assertThat(r.get("hits").asLong()).as("task %d", t).isEqualTo(referenceHits(42, t, 5003));
            assertThat(r.get("samples").asLong()).isEqualTo(5003);
        }
        for (long samples : new long[] {0, 1, 7, 8, 9, 17}) { // under, at and just over one vector
            assertThat(PiKernel.hits(path, SplitMix64.streamState(3, 2), 0, samples)).as("samples=%d", samples)
                    .isEqualTo(referenceHits(3, 2, samples));
        }
        // A fixed value, to catch a change shared by both implementations: 797 is what referenceHits(1, 0, 1000)
        // returned when this was written (2026-12-01), and what bench/omp.c prints for the task line "1 1000".
        assertThat(new PiKernel(path).apply(task(0, "{\"samples\": 1000, \"seed\": 1}")).get("hits").asLong()).isEqualTo(797L);
        assertThat(referenceHits(1, 0, 1000)).isEqualTo(797L);
    }

    @ParameterizedTest
    @EnumSource(KernelPath.class)
    void piAcrossChunksEqualsTheSumOfItsParts(KernelPath path) throws Exception {
        // 2^20 samples per chunk: a range over a chunk boundary, starting mid-vector.
        long state = SplitMix64.streamState(42, 5);
        long whole = PiKernel.hits(path, state, 1_048_000, 1_049_000);
        assertThat(whole).isEqualTo(PiKernel.hits(path, state, 1_048_000, 1_048_576)
                + PiKernel.hits(path, state, 1_048_576, 1_049_000));
        assertThat(PiKernel.hits(path, state, 0, 3_000_000))
                .isEqualTo(PiKernel.hits(KernelPath.SCALAR, state, 0, 3_000_000)).isEqualTo(2_356_935L); // bench/omp.c's pi_hits
    }

    @ParameterizedTest
    @EnumSource(KernelPath.class)
    void primesMatchesASimpleSieve(KernelPath path) throws Exception {
        int n = 300_000;
        boolean[] composite = new boolean[n];
        for (int i = 2; (long) i * i < n; i++) if (!composite[i]) for (int j = i * i; j < n; j += i) composite[j] = true;
        // The wheel primes 2, 3, 5, 7 and their neighbours; segment edges (65,536 numbers each).
        long[][] ranges = {{0, 2}, {0, 3}, {0, 100}, {2, 3}, {3, 8}, {5, 6}, {7, 12}, {8, 11}, {90, 97}, {90, 98},
                {1000, 299_999}, {123_456, 123_457}, {65_535, 65_540}, {131_000, 200_000}, {209, 212}};
        for (long[] r : ranges) {
            long expected = 0;
            for (long p = Math.max(2, r[0]); p < r[1]; p++) if (!composite[(int) p]) expected++;
            assertThat(new PrimesKernel(path).apply(task(0, "{\"from\": " + r[0] + ", \"to\": " + r[1] + "}")).asLong())
                    .as("[%d, %d)", r[0], r[1]).isEqualTo(expected);
        }
        assertThat(PrimesKernel.count(path, 0, 10_000_000)).isEqualTo(664_579); // pi(10^7)
        assertThat(PrimesKernel.count(path, 1_000_000_000, 1_000_100_000)).isEqualTo(4_832); // pi(1e9 + 1e5) - pi(1e9)
    }

    /** The definition written plainly: doubles from the stream, each entry's fused multiply-adds in k order. */
    static double referenceMatmul(long state, int n) {
        int nn = n * n;
        double[] a = new double[nn];
        double[] b = new double[nn];
        for (int k = 0; k < nn; k++) {
            a[k] = (SplitMix64.mix(state + (k + 1L) * SplitMix64.GOLDEN) >>> 11) / 9007199254740992.0;
            b[k] = (SplitMix64.mix(state + (nn + k + 1L) * SplitMix64.GOLDEN) >>> 11) / 9007199254740992.0;
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double c = 0;
                for (int k = 0; k < n; k++) c = Math.fma(a[i * n + k], b[k * n + j], c);
                sum += c; // row by row: C's index order
            }
        }
        return sum;
    }

    @ParameterizedTest
    @EnumSource(KernelPath.class)
    void matmulIsBitIdenticalToTheDefinition(KernelPath path) throws Exception {
        // 1, 3: no whole vector panel; 16, 17, 65, 130: panels, leftover rows and columns.
        for (int n : new int[] {1, 3, 16, 17, 65, 130}) {
            double got = new MatmulKernel(path).apply(task(2, "{\"n\": " + n + ", \"seed\": 5}")).asDouble();
            assertThat(got).as("n=%d", n).isEqualTo(referenceMatmul(SplitMix64.streamState(5, 2), n));
        }
        // bench/omp.c's result for n=256, state 7 (gcc -O3 -march=native, printed with %a): the same bits.
        assertThat(MatmulKernel.sum(MatmulKernel.multiply(path, MatmulKernel.fill(path, 7, 256)[0],
                MatmulKernel.fill(path, 7, 256)[1], 256))).isEqualTo(C_MATMUL_256_STATE_7);
    }

    @Test
    void matmulTasksOnOneThreadReuseItsMatricesWithoutCarryingValuesOver() throws Exception {
        // A thread keeps its matrices for its next task of the same n; the kernel may switch from the scalar
        // loops to the vector ones between two tasks (AUTO), which write different columns of C.
        KernelPath[] order = {KernelPath.SCALAR, KernelPath.VECTOR, KernelPath.SCALAR, KernelPath.VECTOR, KernelPath.VECTOR};
        for (int n : new int[] {17, 33, 40}) { // 17, 33: one leftover scalar column; 40: eight
            for (int t = 0; t < order.length; t++) {
                double got = new MatmulKernel(order[t]).apply(task(t, "{\"n\": " + n + ", \"seed\": 9}")).asDouble();
                assertThat(got).as("n=%d, task %d (%s)", n, t, order[t]).isEqualTo(referenceMatmul(SplitMix64.streamState(9, t), n));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(KernelPath.class)
    void matmulStaysWithinTheToleranceOfAPlainMultiplyAndAdd(KernelPath path) throws Exception {
        // What BLAS (numpy) and unfused loops compute: another rounding, within docs/contract.md's 1e-9.
        int n = 130;
        double[][] ab = MatmulKernel.fill(path, SplitMix64.streamState(5, 2), n);
        double plain = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                double c = 0;
                for (int k = 0; k < n; k++) c += ab[0][i * n + k] * ab[1][k * n + j];
                plain += c;
            }
        double got = new MatmulKernel(path).apply(task(2, "{\"n\": 130, \"seed\": 5}")).asDouble();
        assertThat(got).isCloseTo(plain, within(Math.abs(plain) * 1e-9));
    }

    @ParameterizedTest
    @EnumSource(KernelPath.class)
    void fillGivesTheStreamsUnitDoubles(KernelPath path) {
        for (int n : new int[] {1, 3, 9, 17}) { // 9: 81 values, a vector tail; 17: 289, past a scalar chunk
            double[][] ab = MatmulKernel.fill(path, 11, n);
            for (int k = 0; k < n * n; k++) {
                assertThat(ab[0][k]).isEqualTo(SplitMix64.unitDouble(SplitMix64.value(11, k)));
                assertThat(ab[1][k]).isEqualTo(SplitMix64.unitDouble(SplitMix64.value(11, (long) n * n + k)));
            }
        }
    }

    static final double C_MATMUL_256_STATE_7 = 0x1.00026f09a2a79p22;

    @Test
    void badParametersNameTheTaskAndTheField() {
        assertThatThrownBy(() -> new PiKernel().apply(task(3, "{\"seed\": 1}")))
                .isInstanceOf(TaskFailure.class).hasMessage("task t3: missing parameter 'samples'");
        assertThatThrownBy(() -> new PiKernel().apply(task(3, "{\"samples\": \"lots\"}")))
                .isInstanceOf(TaskFailure.class).hasMessage("task t3: parameter 'samples' must be an integer, got \"lots\"");
        assertThatThrownBy(() -> new PrimesKernel().apply(task(4, "{\"from\": 10, \"to\": 5}")))
                .hasMessageContaining("'to' (5) must be >= 'from' (10)");
        assertThatThrownBy(() -> new MatmulKernel().apply(task(1, "{\"n\": -2}")))
                .hasMessage("task t1: parameter 'n' must be >= 1, got -2");
    }
}
