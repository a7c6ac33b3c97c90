package dev.parallel.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parallel.api.contract.DoneSet;
import dev.parallel.api.contract.Json;
import dev.parallel.api.contract.PartSummary;
import dev.parallel.api.contract.Reduction;
import dev.parallel.api.contract.ResultsContract;
import dev.parallel.api.contract.TaskResult;
import dev.parallel.api.contract.WorkerConfig;
import dev.parallel.api.v1alpha1.ExecutorKind;
import dev.parallel.api.v1alpha1.Kernel;
import dev.parallel.api.v1alpha1.ReduceOp;
import dev.parallel.api.v1alpha1.TaskRange;
import dev.parallel.job.results.FakeApiServer;
import dev.parallel.job.results.PodIdentity;
import dev.parallel.job.results.StreamConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A pod's part with streamed results, end to end in this JVM against an in-process API server. */
class PartRunnerStreamTest {
    static final int SAMPLES = 2000;

    @TempDir
    Path dir;
    FakeApiServer api;
    final ByteArrayOutputStream log = new ByteArrayOutputStream();

    @BeforeEach
    void start() throws Exception {
        api = new FakeApiServer();
        Files.writeString(dir.resolve("token"), "t");
        Files.createDirectories(dir.resolve("done"));
    }

    @AfterEach
    void stop() { api.close(); }

    WorkerConfig config(Reduction reduce) throws Exception {
        return new WorkerConfig(Kernel.PI, null, (ObjectNode) Json.mapper().readTree("{\"samples\": " + SAMPLES + ", \"seed\": 3}"),
                null, new TaskRange(0, 100, 1, "t"), null, 1, 0, ExecutorKind.THREADS, 3, 0, 0, reduce,
                dir.resolve("results.jsonl").toString(), dir.resolve("summary.json").toString(), null);
    }

    StreamConfig stream() {
        return new StreamConfig(new PodIdentity("ns", "pi-0-abcde", "uid-p", "pi", "uid-j", 0), api.uri(), null,
                dir.resolve("token"), 100, dir.resolve("done"), Duration.ofSeconds(5));
    }

    List<TaskResult> streamed() throws Exception {
        List<TaskResult> out = new ArrayList<>();
        for (JsonNode b : api.batches()) {
            for (String l : b.path("spec").path("records").asText("").split("\n")) {
                if (!l.isEmpty()) out.add(Json.mapper().readValue(l, TaskResult.class));
            }
        }
        return out;
    }

    @Test
    void aPartOf100TasksWith40RecordedRunsTheOther60AndStreamsEachOnce() throws Exception {
        DoneSet done = DoneSet.empty(0, 100);
        Set<Long> doneIdx = new HashSet<>();
        for (long i = 0; i < 100; i++) {
            if (i < 25 || (i >= 50 && i % 2 == 0 && doneIdx.size() < 40)) {
                done.add(i);
                doneIdx.add(i);
            }
        }
        assertThat(done.count()).isEqualTo(40);
        Files.writeString(dir.resolve("done").resolve(ResultsContract.doneKey(0)), done.encode());

        int code = PartRunner.run(config(Reduction.of(ReduceOp.SUM)), stream(), new PrintStream(log, true, StandardCharsets.UTF_8));
        assertThat(code).isZero();
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("skipping 40 tasks already recorded");

        PartSummary s = PartSummary.decode(Files.readString(dir.resolve("summary.json")));
        assertThat(s.tasks()).isEqualTo(100);
        assertThat(s.skipped()).isEqualTo(40);
        assertThat(s.ok()).isEqualTo(60);
        assertThat(s.ok() + s.failed() + s.skipped()).isEqualTo(100);
        assertThat(Files.readAllLines(dir.resolve("results.jsonl"))).as("60 executions").hasSize(60);

        List<TaskResult> rec = streamed();
        assertThat(rec).hasSize(60);
        Set<Long> idx = new HashSet<>();
        rec.forEach(r -> idx.add(r.index()));
        assertThat(idx).hasSize(60).doesNotContainAnyElementsOf(doneIdx);
        assertThat(rec).allMatch(r -> r.params() == null); // sum needs no parameters
        long expected = 0;
        for (long i : idx) expected += KernelsTest.referenceHits(3, i, SAMPLES);
        assertThat(s.partial().get("hits").asLong()).isEqualTo(expected);
        assertThat(rec.stream().mapToLong(r -> r.value().get("hits").asLong()).sum()).isEqualTo(expected);

        List<JsonNode> batches = api.batches();
        assertThat(batches.get(batches.size() - 1).path("spec").path("last").asBoolean()).isTrue();
        assertThat(batches.subList(0, batches.size() - 1)).noneMatch(b -> b.path("spec").path("last").asBoolean());
    }

    @Test
    void recordsCarryTheTaskParametersOnlyWhenTheReductionNeedsThem() throws Exception {
        int code = PartRunner.run(config(new Reduction(ReduceOp.ARGMAX, "hits", List.of())), stream(),
                new PrintStream(log, true, StandardCharsets.UTF_8));
        assertThat(code).isZero();
        List<TaskResult> rec = streamed();
        assertThat(rec).hasSize(100).allSatisfy(r -> {
            assertThat(r.params()).isNotNull();
            assertThat(r.params().get("t").asLong()).isEqualTo(r.index());
            assertThat(r.params().get("samples").asLong()).isEqualTo(SAMPLES);
        });
        // The pod's own results file and log keep the plain record.
        assertThat(Files.readAllLines(dir.resolve("results.jsonl"))).hasSize(100).noneMatch(l -> l.contains("\"params\""));
    }

    @Test
    void whenTheLastBatchCannotBeWrittenThePodExits2AndSaysWhy() throws Exception {
        api.failNext(403, "taskresultbatches.parallel.dev is forbidden: User \"system:serviceaccount:ns:pi-results\" cannot create");
        int code = PartRunner.run(config(Reduction.of(ReduceOp.SUM)), stream().withFlushMillis(3_600_000),
                new PrintStream(log, true, StandardCharsets.UTF_8));
        assertThat(code).isEqualTo(PartRunner.EXIT_STREAM_FAILED);
        String summary = Files.readString(dir.resolve("summary.json"));
        assertThat(summary).startsWith("results stream: cannot record this pod's results: the API server refused batch pi-0-abcde.000000")
                .contains("HTTP 403").contains("exit 2");
        assertThat(log.toString(StandardCharsets.UTF_8)).doesNotContain("summary {");
    }
}
