package dev.parallel.job.results;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parallel.api.contract.Json;
import dev.parallel.api.contract.ResultsContract;
import dev.parallel.api.contract.TaskResult;
import dev.parallel.api.tasks.Task;
import dev.parallel.api.v1alpha1.TaskResultBatch;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The batcher and the API writer against an in-process API server (plain HTTP here; TLS in ApiWriterTlsTest). */
class ResultStreamTest {
    static final PodIdentity WHO = new PodIdentity("ns1", "pi-abc12-3-x7k2q", "pod-uid-1", "pi-abc12", "job-uid-1", 3);

    @TempDir
    Path dir;
    FakeApiServer api;
    Path token;
    final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
    final PrintStream log = new PrintStream(logBytes, true, StandardCharsets.UTF_8);

    @BeforeEach
    void start() throws Exception {
        api = new FakeApiServer();
        token = dir.resolve("token");
        Files.writeString(token, "token-1\n");
    }

    @AfterEach
    void stop() { api.close(); }

    ResultStream stream(long flushMillis, Duration budget) {
        ApiWriter w = new ApiWriter(api.uri(), null, token, WHO.namespace(), budget);
        return new ResultStream(WHO, flushMillis, w::create, log);
    }

    static TaskResult result(long i, int valueChars) {
        return TaskResult.success(i, "t" + i, Json.mapper().getNodeFactory().textNode("v".repeat(valueChars)), 1, 5);
    }

    static List<String> records(JsonNode batch) {
        String r = batch.path("spec").path("records").asText("");
        return r.isEmpty() ? List.of() : List.of(r.split("\n"));
    }

    static List<Long> indices(List<JsonNode> batches) {
        List<Long> out = new ArrayList<>();
        for (JsonNode b : batches) {
            for (String l : records(b)) {
                try {
                    out.add(Json.mapper().readValue(l, TaskResult.class).index());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return out;
    }

    @Test
    void batchesAreCutAtTheTargetSizeAndCarryTheContractsNameLabelsAndOwner() throws Exception {
        ResultStream s = stream(3_600_000, Duration.ofSeconds(5)); // no timed flush: only size and the end
        for (long i = 0; i < 2000; i++) s.record(result(i, 300), null); // ~700 KB of records
        s.finish(Long.MAX_VALUE);

        List<JsonNode> batches = api.batches();
        assertThat(batches).hasSizeGreaterThanOrEqualTo(3);
        assertThat(indices(batches)).as("every record once, in order").isEqualTo(
                java.util.stream.LongStream.range(0, 2000).boxed().toList());
        for (int k = 0; k < batches.size(); k++) {
            JsonNode b = batches.get(k);
            assertThat(b.path("spec").path("records").asText().length()).isLessThanOrEqualTo(ResultsContract.TARGET_BATCH_BYTES);
            TaskResultBatch typed = Json.mapper().treeToValue(b, TaskResultBatch.class);
            assertThat(typed.getMetadata().getName()).isEqualTo("pi-abc12-3-x7k2q." + String.format("%06d", k));
            assertThat(typed.getMetadata().getNamespace()).isEqualTo("ns1");
            assertThat(typed.getMetadata().getLabels()).isEqualTo(Map.of(ResultsContract.LABEL_JOB, "pi-abc12",
                    ResultsContract.LABEL_PART, "3", ResultsContract.LABEL_POD, "pi-abc12-3-x7k2q",
                    ResultsContract.LABEL_POD_UID, "pod-uid-1"));
            assertThat(typed.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
                assertThat(o.getApiVersion()).isEqualTo("batch/v1");
                assertThat(o.getKind()).isEqualTo("Job");
                assertThat(o.getName()).isEqualTo("pi-abc12");
                assertThat(o.getUid()).isEqualTo("job-uid-1");
                assertThat(o.getController()).isNull();
                assertThat(o.getBlockOwnerDeletion()).isNull();
            });
            assertThat(typed.getSpec().part).isEqualTo(3);
            assertThat(typed.getSpec().seq).isEqualTo(k);
            assertThat(typed.getSpec().count).isEqualTo(records(b).size());
            assertThat(typed.getSpec().last).isEqualTo(k == batches.size() - 1);
        }
        assertThat(api.paths()).allMatch(p -> p.equals("POST /apis/parallel.dev/v1alpha1/namespaces/ns1/taskresultbatches"));
        assertThat(s.recorded()).isEqualTo(2000);
    }

    @Test
    void recordsSurviveTheirOwnEscapingWhateverTheyHold() throws Exception {
        String odd = "quote \" backslash \\ tab \t nul \u0000 e\u0301 \u20ac \ud83d\ude00 </script>";
        ResultStream s = stream(3_600_000, Duration.ofSeconds(5));
        TaskResult r = TaskResult.success(0, odd, Json.mapper().getNodeFactory().textNode(odd), 1, 1);
        s.record(r, null);
        s.record(TaskResult.failure(1, "f", odd, 2, 3), null);
        s.finish(Long.MAX_VALUE);
        List<String> lines = records(api.batches().get(0));
        assertThat(Json.mapper().readValue(lines.get(0), TaskResult.class)).isEqualTo(r);
        assertThat(Json.mapper().readValue(lines.get(1), TaskResult.class).error()).isEqualTo(odd);
        assertThat(Json.mapper().treeToValue(api.batches().get(0), TaskResultBatch.class).getSpec().records)
                .isEqualTo(Json.mapper().writeValueAsString(r) + "\n" + Json.mapper().writeValueAsString(TaskResult.failure(1, "f", odd, 2, 3)) + "\n");
    }

    @Test
    void aQuietIntervalFlushesWhatFinishedWithoutWaitingForTheEnd() throws Exception {
        ResultStream s = stream(200, Duration.ofSeconds(5));
        for (long i = 0; i < 3; i++) s.record(result(i, 10), null);
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (api.batches().isEmpty() && System.nanoTime() < deadline) Thread.sleep(20);
        assertThat(api.batches()).singleElement().satisfies(b -> {
            assertThat(b.path("spec").path("count").asInt()).isEqualTo(3);
            assertThat(b.path("spec").path("last").asBoolean()).isFalse();
        });
        Thread.sleep(600); // nothing new: no more writes
        assertThat(api.batches()).hasSize(1);
        s.finish(Long.MAX_VALUE);
        assertThat(api.batches()).hasSize(2);
        assertThat(api.batches().get(1).path("spec").path("count").asInt()).as("the last batch, empty").isZero();
        assertThat(api.batches().get(1).path("spec").path("last").asBoolean()).isTrue();
    }

    @Test
    void fullBatchesAreSpacedAQuarterIntervalApart() throws Exception {
        ResultStream s = stream(2000, Duration.ofSeconds(5)); // at most one write per 500 ms
        for (long i = 0; i < 2500; i++) s.record(result(i, 300), null); // 3 full batches
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (api.batches().isEmpty() && System.nanoTime() < deadline) Thread.sleep(5);
        Thread.sleep(200);
        assertThat(api.batches()).as("the second full batch waits").hasSize(1);
        while (api.batches().size() < 2 && System.nanoTime() < deadline) Thread.sleep(5);
        assertThat(api.batches()).hasSize(2);
        s.finish(Long.MAX_VALUE); // the end does not wait
        assertThat(indices(api.batches())).hasSize(2500);
    }

    @Test
    void theOldestRunningTasksAndTheNumberInFlightAreReported() throws Exception {
        ResultStream s = stream(3_600_000, Duration.ofSeconds(5));
        for (long i = 0; i < 12; i++) {
            s.started(new Task(i, "t" + i, Json.mapper().createObjectNode()));
            Thread.sleep(2); // distinct start times
        }
        s.record(result(0, 1), null); // 0 finished: 1..11 run, the 8 oldest are 1..8
        s.finish(Long.MAX_VALUE);
        JsonNode spec = api.batches().get(0).path("spec");
        assertThat(spec.path("inFlight").asInt()).isEqualTo(11);
        List<Long> running = new ArrayList<>();
        spec.path("running").forEach(r -> running.add(r.path("index").asLong()));
        assertThat(running).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L);
        assertThat(spec.path("running").get(0).path("id").asText()).isEqualTo("t1");
        assertThat(java.time.Instant.parse(spec.path("running").get(0).path("startedAt").asText())).isBeforeOrEqualTo(
                java.time.Instant.parse(spec.path("running").get(7).path("startedAt").asText()));
    }

    @Test
    void conflictMeansAlreadyWrittenAndServerErrorsAreRetried() throws Exception {
        api.failNext(503, "etcdserver: leader changed");
        api.failNext(429, "too many requests");
        api.failNext(409, "taskresultbatches.parallel.dev \"x\" already exists"); // the third try had landed before
        ResultStream s = stream(3_600_000, Duration.ofSeconds(20));
        s.record(result(0, 1), null);
        s.finish(Long.MAX_VALUE);
        assertThat(api.requests()).isEqualTo(3);
        assertThat(s.recorded()).isEqualTo(1);
        assertThat(logBytes.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    @Test
    void forbiddenIsFinalWithTheApiServersMessageSaidOnce() throws Exception {
        String denied = "taskresultbatches.parallel.dev \"x\" is forbidden: ValidatingAdmissionPolicy 'pj-results' "
                + "denied request: label parallel.dev/pod must equal the calling pod name";
        api.failNext(403, denied);
        ResultStream s = stream(50, Duration.ofSeconds(20));
        s.record(result(0, 1), null);
        Thread.sleep(500); // the timed flush meets the 403
        s.record(result(1, 1), null);
        assertThatThrownBy(() -> s.finish(Long.MAX_VALUE)).isInstanceOf(ApiWriter.WriteFailed.class)
                .hasMessageContaining("HTTP 403: " + denied)
                .satisfies(e -> assertThat(((ApiWriter.WriteFailed) e).retryable).isFalse());
        assertThat(api.requests()).as("no retry of a refusal").isEqualTo(1);
        assertThat(logBytes.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains(denied))).hasSize(1);
    }

    @Test
    void aBatchThatRanOutOfRetriesIsWrittenAgainUnderTheSameName() throws Exception {
        for (int i = 0; i < 1000; i++) api.failNext(500, "internal error");
        ResultStream s = stream(100, Duration.ofMillis(300));
        s.record(result(7, 1), null);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!logBytes.toString(StandardCharsets.UTF_8).contains("trying again") && System.nanoTime() < deadline) Thread.sleep(20);
        assertThat(logBytes.toString(StandardCharsets.UTF_8)).contains("not written within", "HTTP 500: internal error");
        s.record(result(8, 1), null);
        // The API server recovers.
        while (api.requests() < 3) Thread.sleep(10);
        api.recover();
        s.finish(Long.MAX_VALUE);
        List<JsonNode> b = api.batches();
        assertThat(b.get(0).path("metadata").path("name").asText()).isEqualTo(ResultsContract.batchName(WHO.pod(), 0));
        assertThat(indices(b)).containsExactly(7L, 8L);
    }

    @Test
    void theTokenFileIsReadAgainForEveryRequest() throws Exception {
        ApiWriter w = new ApiWriter(api.uri(), null, token, "ns1", Duration.ofSeconds(5));
        w.create("a.000000", Json.mapper().readTree("{\"metadata\":{\"name\":\"a.000000\"}}"));
        Files.writeString(token, "token-2"); // the kubelet rotated it
        w.create("a.000001", Json.mapper().readTree("{\"metadata\":{\"name\":\"a.000001\"}}"));
        assertThat(api.authorizations()).containsExactly("Bearer token-1", "Bearer token-2");
        assertThat(w.requests()).isEqualTo(2);
    }

    @Test
    void afterSigtermFailuresAreNotRecordedSoTheNextPodRunsThem() throws Exception {
        ResultStream s = stream(3_600_000, Duration.ofSeconds(5));
        s.record(result(0, 1), null);
        s.record(TaskResult.failure(1, "t1", "exit code 3", 1, 5), null); // a real failure, before SIGTERM
        s.withholdFailures();
        s.record(TaskResult.failure(2, "t2", "cancelled: the pod is terminating", 1, 5), null);
        s.record(result(3, 1), null);
        s.finish(Long.MAX_VALUE);
        assertThat(indices(api.batches())).containsExactly(0L, 1L, 3L);
    }

    @Test
    void aRecordTooLargeForABatchIsRecordedAsAFailureSayingSo() throws Exception {
        ResultStream s = stream(3_600_000, Duration.ofSeconds(5));
        s.record(result(0, ResultStream.MAX_RECORD_CHARS + 1), null);
        s.finish(Long.MAX_VALUE);
        TaskResult r = Json.mapper().readValue(records(api.batches().get(0)).get(0), TaskResult.class);
        assertThat(r.ok()).isFalse();
        assertThat(r.error()).startsWith("result too large to record");
    }
}
