package dev.parallel.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parallel.api.contract.Json;
import dev.parallel.api.tasks.Task;
import dev.parallel.job.kernels.MatmulKernel;
import dev.parallel.job.kernels.PiKernel;
import dev.parallel.job.kernels.PrimesKernel;
import dev.parallel.job.kernels.TaskFailure;
import java.math.BigInteger;
import org.junit.jupiter.api.Test;

class KernelsTest {
    static Task task(long index, String json) throws Exception {
        return new Task(index, "t" + index, (ObjectNode) Json.MAPPER.readTree(json));
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

    @Test
    void piMatchesAnIndependentImplementation() throws Exception {
        for (long t : new long[] {0, 1, 7, 123456}) {
            JsonNode r = new PiKernel().apply(task(t, "{\"samples\": 5000, \"seed\": 42}"));
            assertThat(r.get("hits").asLong()).as("task %d", t).isEqualTo(referenceHits(42, t, 5000));
            assertThat(r.get("samples").asLong()).isEqualTo(5000);
        }
        // A fixed value, to catch a change shared by both implementations: 797 is what referenceHits(1, 0, 1000)
        // returned when this was written (2026-12-01), and what bench/omp.c prints for the task line "1 1000".
        assertThat(new PiKernel().apply(task(0, "{\"samples\": 1000, \"seed\": 1}")).get("hits").asLong()).isEqualTo(797L);
        assertThat(referenceHits(1, 0, 1000)).isEqualTo(797L);
    }

    @Test
    void primesMatchesASimpleSieve() throws Exception {
        int n = 300_000;
        boolean[] composite = new boolean[n];
        for (int i = 2; (long) i * i < n; i++) if (!composite[i]) for (int j = i * i; j < n; j += i) composite[j] = true;
        long[][] ranges = {{0, 2}, {0, 3}, {0, 100}, {2, 3}, {90, 97}, {90, 98}, {1000, 299_999}, {123_456, 123_457}};
        for (long[] r : ranges) {
            long expected = 0;
            for (long p = Math.max(2, r[0]); p < r[1]; p++) if (!composite[(int) p]) expected++;
            assertThat(PrimesKernel.count(r[0], r[1])).as("[%d, %d)", r[0], r[1]).isEqualTo(expected);
        }
        assertThat(PrimesKernel.count(0, 10_000_000)).isEqualTo(664_579); // pi(10^7)
    }

    @Test
    void matmulMatchesANaiveLoop() throws Exception {
        for (int n : new int[] {1, 3, 65, 130}) {
            double[][] ab = MatmulKernel.fill(dev.parallel.job.kernels.SplitMix64.streamState(5, 2), n);
            double naive = 0;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) {
                    double c = 0;
                    for (int k = 0; k < n; k++) c += ab[0][i * n + k] * ab[1][k * n + j];
                    naive += c;
                }
            double got = new MatmulKernel().apply(task(2, "{\"n\": " + n + ", \"seed\": 5}")).asDouble();
            assertThat(got).as("n=%d", n).isCloseTo(naive, within(Math.abs(naive) * 1e-9));
        }
    }

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
