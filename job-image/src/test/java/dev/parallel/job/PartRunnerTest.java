package dev.parallel.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parallel.api.contract.Json;
import dev.parallel.api.contract.PartSummary;
import dev.parallel.api.contract.PodContract;
import dev.parallel.api.v1alpha1.ExecutorKind;
import dev.parallel.api.v1alpha1.Kernel;
import dev.parallel.api.v1alpha1.ReduceOp;
import dev.parallel.api.v1alpha1.TaskRange;
import dev.parallel.api.contract.WorkerConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PartRunnerTest {
    @TempDir
    Path dir;

    @Test
    void runsItsBlockFromTheEnvironmentAndWritesABoundedSummary() throws Exception {
        // 1000 command tasks over 3 parts; part 1 gets [334, 667). Every task fails: the summary must fit 4 KiB.
        Path tasks = dir.resolve("tasks.jsonl");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 1000; i++) sb.append("{\"id\": \"task-with-a-long-name-").append(i).append("\"}\n");
        Files.writeString(tasks, sb);
        Map<String, String> env = Map.of(
                PodContract.COMMAND, "echo 'something went wrong in a way that takes a long line to explain' >&2; exit 4",
                PodContract.TASKS_FILE, tasks.toString(),
                PodContract.PARTS, "3",
                PodContract.PART_INDEX, "1",
                PodContract.EXECUTOR, "threads",
                PodContract.THREADS, "4",
                PodContract.RESULTS_FILE, dir.resolve("out/results.jsonl").toString(),
                PodContract.SUMMARY_FILE, dir.resolve("summary.json").toString());
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        int code = PartRunner.run(PodContract.fromEnv(env), new PrintStream(log, true, StandardCharsets.UTF_8));
        assertThat(code).isEqualTo(1);
        byte[] summaryBytes = Files.readAllBytes(dir.resolve("summary.json"));
        assertThat(summaryBytes.length).isLessThanOrEqualTo(4096);
        PartSummary s = PartSummary.decode(new String(summaryBytes, StandardCharsets.UTF_8));
        assertThat(s.part()).isEqualTo(1);
        assertThat(s.tasks()).isEqualTo(333);
        assertThat(s.failed()).isEqualTo(333);
        assertThat(s.failedTasksTruncated()).isTrue();
        assertThat(Files.readAllLines(dir.resolve("out/results.jsonl"))).hasSize(333);
        assertThat(log.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith(PodContract.RESULT_LOG_PREFIX)))
                .hasSize(333);
    }

    @Test
    void rangePartsReduceToTheWholeResult() throws Exception {
        long hits = 0, samples = 0;
        for (int part = 0; part < 3; part++) {
            WorkerConfig c = new WorkerConfig(Kernel.PI, null, (com.fasterxml.jackson.databind.node.ObjectNode)
                    Json.mapper().readTree("{\"samples\": 10000, \"seed\": 3}"), null, new TaskRange(0, 10, 1, "t"), null, 3, part,
                    ExecutorKind.THREADS, 2, 0, 0, dev.parallel.api.contract.Reduction.of(ReduceOp.SUM), dir.resolve("r" + part).toString(),
                    dir.resolve("s" + part).toString(), null);
            assertThat(PartRunner.run(c, new PrintStream(new ByteArrayOutputStream()))).isZero();
            PartSummary s = PartSummary.decode(Files.readString(dir.resolve("s" + part)));
            hits += s.partial().get("hits").asLong();
            samples += s.partial().get("samples").asLong();
        }
        long expected = 0;
        for (int t = 0; t < 10; t++) expected += KernelsTest.referenceHits(3, t, 10000);
        assertThat(hits).isEqualTo(expected);
        assertThat(samples).isEqualTo(100_000);
    }
}
