package dev.parallel.job.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parallel.api.contract.PartSummary;
import dev.parallel.api.contract.PodContract;
import dev.parallel.job.PartRunner;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * executor: cuda where no GPU is usable (every machine of this project): the real probe through
 * JCuda, then gpu.fallback cpu (threads, same results, said in the summary) and fail (every task
 * failed with a reason naming what is missing). On a GPU machine CudaLaunchTest runs instead.
 */
class CudaFallbackTest {
    @TempDir
    Path dir;

    static String why;

    static String gpus;

    @BeforeAll
    static void noUsableGpu() {
        try (CudaDevices d = CudaDevices.open()) {
            gpus = d.names().toString();
        } catch (CudaDevices.Unavailable e) {
            why = e.getMessage();
        }
    }

    /** Per test, so each shows as skipped: on a GPU machine CudaLaunchTest covers these paths. */
    @org.junit.jupiter.api.BeforeEach
    void onlyWithoutAGpu() {
        Assumptions.assumeTrue(gpus == null, () -> "a usable GPU is present (" + gpus + "): CudaLaunchTest covers this machine");
    }

    @Test
    void theProbeNamesTheMissingDriver() {
        if (!Files.exists(Path.of("/usr/lib/x86_64-linux-gnu/libcuda.so.1")) && !Files.exists(Path.of("/usr/lib64/libcuda.so.1"))) {
            assertThat(why).startsWith("no NVIDIA driver in the container: libcuda.so.1 cannot be loaded")
                    .contains("gpu.runtimeClassName");
        } else {
            assertThat(why).containsAnyOf("no CUDA device", "CUDA driver", "NVIDIA driver supports");
        }
        // The probe is repeatable: a second open says the same (JCuda's failed class init must not change it).
        assertThatSame(why);
    }

    private static void assertThatSame(String first) {
        try (CudaDevices d = CudaDevices.open()) {
            throw new AssertionError("a GPU appeared: " + d.names());
        } catch (CudaDevices.Unavailable e) {
            assertThat(e.getMessage()).isEqualTo(first);
        }
    }

    private PartSummary runPart(String fallback, int expectedExit, String log) throws Exception {
        Map<String, String> env = new HashMap<>(Map.of(
                PodContract.KERNEL, "pi",
                PodContract.PARAMS, "{\"samples\": 20000, \"seed\": 5}",
                PodContract.RANGE, "{\"start\": 0, \"end\": 6, \"step\": 1, \"param\": \"task\"}",
                PodContract.PARTS, "2",
                PodContract.PART_INDEX, "1",
                PodContract.EXECUTOR, "cuda",
                PodContract.THREADS, "2",
                PodContract.RESULTS_FILE, dir.resolve(fallback + ".jsonl").toString(),
                PodContract.SUMMARY_FILE, dir.resolve(fallback + ".json").toString()));
        env.put(PodContract.GPU_FALLBACK, fallback);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(PartRunner.run(PodContract.fromEnv(env), new PrintStream(out, true, StandardCharsets.UTF_8)))
                .isEqualTo(expectedExit);
        assertThat(out.toString(StandardCharsets.UTF_8)).contains(log);
        return PartSummary.decode(Files.readString(dir.resolve(fallback + ".json")));
    }

    @Test
    void fallbackCpuRunsOnThreadsWithTheSameResultAndSaysWhy() throws Exception {
        PartSummary s = runPart("cpu", 0, "executor cuda: no usable GPU: " + why + "; gpu.fallback: cpu: running on CPU threads");
        assertThat(s.executor()).isEqualTo("threads");
        assertThat(s.gpuUnavailable()).isEqualTo(why);
        assertThat(s.ok()).isEqualTo(3);
        // The same part on the thread executor: identical hits.
        Map<String, String> env = new HashMap<>(Map.of(PodContract.KERNEL, "pi",
                PodContract.PARAMS, "{\"samples\": 20000, \"seed\": 5}",
                PodContract.RANGE, "{\"start\": 0, \"end\": 6, \"step\": 1, \"param\": \"task\"}",
                PodContract.PARTS, "2", PodContract.PART_INDEX, "1", PodContract.EXECUTOR, "threads",
                PodContract.RESULTS_FILE, dir.resolve("t.jsonl").toString(),
                PodContract.SUMMARY_FILE, dir.resolve("t.json").toString()));
        PartRunner.run(PodContract.fromEnv(env), new PrintStream(new ByteArrayOutputStream()));
        PartSummary threads = PartSummary.decode(Files.readString(dir.resolve("t.json")));
        assertThat(s.partial()).isEqualTo(threads.partial());
        assertThat(threads.gpuUnavailable()).isNull();
    }

    @Test
    void fallbackFailFailsEveryTaskNamingWhatIsMissing() throws Exception {
        PartSummary s = runPart("fail", 1, "gpu.fallback: fail: every task fails");
        assertThat(s.executor()).isEqualTo("none");
        assertThat(s.gpuUnavailable()).isEqualTo(why);
        assertThat(s.ok()).isZero();
        assertThat(s.failed()).isEqualTo(3);
        assertThat(s.failedTasks()).hasSize(3).allSatisfy(f -> assertThat(f.reason())
                .isEqualTo("no usable GPU: " + why + " (gpu.fallback: fail)"));
        assertThat(Files.readAllLines(dir.resolve("fail.jsonl"))).hasSize(3);
    }
}
