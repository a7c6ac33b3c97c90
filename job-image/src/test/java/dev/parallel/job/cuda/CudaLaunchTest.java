package dev.parallel.job.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.parallel.api.contract.TaskResult;
import dev.parallel.api.tasks.Task;
import dev.parallel.api.v1alpha1.Kernel;
import dev.parallel.job.exec.ExecOptions;
import dev.parallel.job.kernels.MatmulKernel;
import dev.parallel.job.kernels.PiKernel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Launches on a real GPU: results equal to the CPU kernels (pi bit-identical, primes exact, matmul within 1e-9),
 * tasks spread over every device, no device memory left behind. Skips, naming what is missing, where
 * no GPU is usable; `make test-gpu` (-Dgpu.required=true) makes that a failure on a GPU node.
 */
class CudaLaunchTest {
    static CudaDevices devices;
    static String missing;

    @BeforeAll
    static void openDevices() {
        try {
            devices = CudaDevices.open();
        } catch (CudaDevices.Unavailable e) {
            if (Boolean.getBoolean("gpu.required")) throw new AssertionError("gpu.required is set but: " + e.getMessage());
            missing = e.getMessage();
            System.err.println("CudaLaunchTest: every test skips: no usable GPU here (" + missing + ")");
        }
    }

    /** Per test, so every launch test shows as skipped with the reason. */
    @BeforeEach
    void needsAGpu() {
        Assumptions.assumeTrue(devices != null, () -> "no usable GPU here (" + missing + "); run `make test-gpu` on a GPU node");
    }

    @AfterAll
    static void close() {
        if (devices != null) devices.close();
    }

    static Task task(long index, Map<String, Object> params) {
        var p = JsonNodeFactory.instance.objectNode();
        params.forEach((k, v) -> p.put(k, ((Number) v).longValue()));
        return new Task(index, "t" + index, p);
    }

    @Test
    void piHitsAreBitIdenticalToTheCpuKernel() throws Exception {
        CudaKernels gpu = new CudaKernels(Kernel.PI, devices);
        PiKernel cpu = new PiKernel();
        // Sizes below, at and above one block's and one launch's worth of samples.
        for (long samples : new long[] {1, 255, 256, 257, 100_003, 5_000_000}) {
            Task t = task(samples % 7, Map.of("samples", samples, "seed", 42L));
            assertThat(gpu.apply(t)).as("samples=%d", samples).isEqualTo(cpu.apply(t));
        }
    }

    @Test
    void piAcrossSeveralLaunchesCountsEverySampleOnce() throws Exception {
        long samples = CudaKernels.PI_SAMPLES_PER_LAUNCH + 12_345;
        Task t = task(3, Map.of("samples", samples, "seed", 9L));
        long state = dev.parallel.job.kernels.SplitMix64.streamState(9, 3);
        long expected = PiKernel.hits(state, 0, samples);
        assertThat(new CudaKernels(Kernel.PI, devices).apply(t).get("hits").asLong()).isEqualTo(expected);
    }

    @Test
    void primesCountIsExactlyTheCpuKernels() throws Exception {
        CudaKernels gpu = new CudaKernels(Kernel.PRIMES, devices);
        dev.parallel.job.kernels.PrimesKernel cpu = new dev.parallel.job.kernels.PrimesKernel();
        // Empty, tiny, one segment and its edge, many segments, far from 0, and over one launch (2^30).
        long[][] ranges = {{0, 2}, {0, 100}, {0, 32_768}, {0, 32_769}, {0, 10_000_000}, {(1L << 40) - 10_000_000, 1L << 40},
                {1_000_000_000_000L - 5_000_000, 1_000_000_000_000L}, {0, (1L << 30) + 12_345}};
        for (long[] r : ranges) {
            Task t = new Task(0, "t0", JsonNodeFactory.instance.objectNode().put("from", r[0]).put("to", r[1]));
            assertThat(gpu.apply(t)).as("[%d, %d)", r[0], r[1]).isEqualTo(cpu.apply(t));
        }
    }

    @Test
    void matmulMatchesTheCpuKernelWithinTolerance() throws Exception {
        CudaKernels gpu = new CudaKernels(Kernel.MATMUL, devices);
        MatmulKernel cpu = new MatmulKernel();
        for (long n : new long[] {1, 15, 16, 17, 100, 512}) {
            Task t = task(n, Map.of("n", n, "seed", 7L));
            double want = cpu.apply(t).asDouble();
            assertThat(gpu.apply(t).asDouble()).as("n=%d", n).isCloseTo(want, within(Math.abs(want) * 1e-9));
        }
    }

    @Test
    void tasksSpreadOverEveryDeviceAndFreeTheirMemory() throws Exception {
        long[] freeBefore = devices.freeMemory();
        long[] before = devices.tasksPerDevice();
        List<Task> tasks = new ArrayList<>();
        for (int i = 0; i < 16 * devices.count(); i++) tasks.add(task(i, Map.of("n", 256L, "seed", 1L)));
        Map<Long, JsonNode> results = new ConcurrentHashMap<>();
        var threads = new dev.parallel.job.exec.ThreadExecutor(new CudaKernels(Kernel.MATMUL, devices),
                new ExecOptions(devices.count(), 0, 0));
        threads.run(tasks, (TaskResult r) -> {
            assertThat(r.ok()).as(r.error()).isTrue();
            results.put(r.index(), r.value());
        });
        assertThat(results).hasSize(tasks.size());
        long[] after = devices.tasksPerDevice();
        for (int d = 0; d < after.length; d++) assertThat(after[d] - before[d]).as("tasks on device %d", d).isPositive();
        long[] freeAfter = devices.freeMemory();
        for (int d = 0; d < freeAfter.length; d++) {
            // Three 512 KiB buffers per task: a leak of even one task's shows.
            assertThat(freeBefore[d] - freeAfter[d]).as("device %d memory not freed", d).isLessThan(256 * 1024);
        }
    }

    @Test
    void aTaskWithBadParametersFailsAndTheDeviceStaysUsable() throws Exception {
        CudaKernels gpu = new CudaKernels(Kernel.MATMUL, devices);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> gpu.apply(task(0, Map.of("n", 5000L))))
                .hasMessageContaining("'n' must be <= 4096");
        assertThat(gpu.apply(task(0, Map.of("n", 8L))).asDouble()).isPositive();
    }
}
