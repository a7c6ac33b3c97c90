package dev.parallel.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parallel.api.contract.Json;
import dev.parallel.api.contract.PodContract;
import dev.parallel.api.contract.ResultsContract;
import dev.parallel.api.contract.TaskResult;
import dev.parallel.job.results.FakeApiServer;
import dev.parallel.job.results.StreamConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A streaming pod stopped mid-part: before it exits it records every task that finished, and none that SIGTERM
 * interrupted (the part's next pod runs those).
 */
class SigtermStreamTest {
    @TempDir
    Path dir;

    @Test
    void sigtermRecordsTheFinishedTasksAndLeavesTheInterruptedOnesToTheNextPod() throws Exception {
        try (FakeApiServer api = new FakeApiServer()) {
            Path results = dir.resolve("results.jsonl");
            Files.writeString(dir.resolve("token"), "t");
            Files.createDirectories(dir.resolve("done"));
            ProcessBuilder pb = new ProcessBuilder("python3", "-c",
                    "import os, signal, sys; signal.signal(signal.SIGTERM, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])",
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-D" + StreamConfig.LOCAL_API_PROPERTY + "=" + api.uri(),
                    "-D" + StreamConfig.LOCAL_TOKEN_PROPERTY + "=" + dir.resolve("token"),
                    "-D" + StreamConfig.LOCAL_DONE_PROPERTY + "=" + dir.resolve("done"),
                    "-cp", System.getProperty("java.class.path"), dev.parallel.job.cli.Main.class.getName(), "worker");
            Map<String, String> env = new HashMap<>(Map.of(
                    PodContract.KERNEL, "sleep", PodContract.PARAMS, "{\"millis\": 700}",
                    PodContract.RANGE, "{\"start\": 0, \"end\": 20, \"param\": \"i\"}",
                    PodContract.PARTS, "1", PodContract.PART_INDEX, "0", PodContract.EXECUTOR, "threads",
                    PodContract.THREADS, "2", PodContract.RESULTS_FILE, results.toString(),
                    PodContract.SUMMARY_FILE, dir.resolve("summary.json").toString()));
            env.putAll(Map.of(ResultsContract.STREAM, "api", ResultsContract.FLUSH_MILLIS, "60000",
                    ResultsContract.POD_NAME, "s-0-abcde", ResultsContract.POD_UID, "u1", ResultsContract.POD_NAMESPACE, "ns",
                    ResultsContract.JOB_NAME, "s", ResultsContract.JOB_UID, "u2"));
            pb.environment().putAll(env);
            pb.redirectErrorStream(true).redirectOutput(dir.resolve("log.txt").toFile());
            Process p = pb.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while ((!Files.exists(results) || Files.readAllLines(results).size() < 4) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            p.destroy();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("exits within the grace period").isTrue();
            assertThat(p.exitValue()).as(Files.readString(dir.resolve("log.txt"))).isEqualTo(143);

            List<TaskResult> file = new ArrayList<>();
            for (String l : Files.readAllLines(results)) file.add(Json.mapper().readValue(l, TaskResult.class));
            List<Long> okInFile = file.stream().filter(TaskResult::ok).map(TaskResult::index).sorted().toList();
            assertThat(okInFile).hasSizeGreaterThanOrEqualTo(4);
            assertThat(file).anyMatch(r -> !r.ok() && r.error().startsWith("cancelled"));

            List<Long> recorded = new ArrayList<>();
            List<JsonNode> batches = api.batches();
            for (JsonNode b : batches) {
                for (String l : b.path("spec").path("records").asText("").split("\n")) {
                    if (!l.isEmpty()) recorded.add(Json.mapper().readValue(l, TaskResult.class).index());
                }
            }
            assertThat(recorded.stream().sorted().toList()).as("exactly the finished tasks").isEqualTo(okInFile);
            assertThat(batches.get(batches.size() - 1).path("spec").path("last").asBoolean()).isTrue();
        }
    }
}
