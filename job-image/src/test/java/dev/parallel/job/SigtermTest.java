package dev.parallel.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parallel.api.contract.PartSummary;
import dev.parallel.api.contract.PodContract;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A pod being stopped: SIGTERM mid-part still leaves a complete, bounded summary (every task accounted for). */
class SigtermTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"threads", "processes"})
    void sigtermCancelsRunningTasksAndStillWritesTheSummary(String executor) throws Exception {
        Path results = dir.resolve("results.jsonl");
        Path summary = dir.resolve("summary.json");
        // A JVM started with SIGTERM ignored (as a forked test JVM may be) never sees it: restore the default
        // disposition before exec, as a container's PID 1 has it.
        ProcessBuilder pb = new ProcessBuilder("python3", "-c",
                "import os, signal, sys; signal.signal(signal.SIGTERM, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), dev.parallel.job.cli.Main.class.getName(), "worker");
        pb.environment().putAll(java.util.Map.of(
                PodContract.KERNEL, "sleep", PodContract.PARAMS, "{\"millis\": 1000}",
                PodContract.RANGE, "{\"start\": 0, \"end\": 20, \"param\": \"i\"}",
                PodContract.PARTS, "1", PodContract.PART_INDEX, "0", PodContract.EXECUTOR, executor,
                PodContract.THREADS, "2", PodContract.RESULTS_FILE, results.toString(),
                PodContract.SUMMARY_FILE, summary.toString()));
        pb.redirectErrorStream(true).redirectOutput(dir.resolve("log.txt").toFile());
        Process p = pb.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while ((!Files.exists(results) || Files.readAllLines(results).size() < 2) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        p.destroy(); // SIGTERM, as the kubelet sends it
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("exits within the grace period").isTrue();
        assertThat(p.exitValue()).as("128 + SIGTERM").isEqualTo(143);
        PartSummary s = PartSummary.decode(Files.readString(summary));
        assertThat(s.tasks()).isEqualTo(20);
        assertThat(s.ok() + s.failed()).isEqualTo(20);
        assertThat(s.ok()).isGreaterThanOrEqualTo(2);
        assertThat(s.failed()).isPositive();
        assertThat(s.failedTasks()).extracting(PartSummary.FailedTask::reason).allMatch(r -> r.startsWith("cancelled"));
        List<String> lines = Files.readAllLines(results);
        assertThat(lines).hasSize(20);
    }
}
