package dev.parallel.operator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parallel.api.contract.Json;
import dev.parallel.api.contract.PartSummary;
import dev.parallel.api.contract.ResultsContract;
import dev.parallel.api.contract.TaskResult;
import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.api.v1alpha1.ParallelJobStatus;
import dev.parallel.api.v1alpha1.Phase;
import dev.parallel.api.v1alpha1.TaskResultBatch;
import dev.parallel.operator.events.PendingEvents;
import dev.parallel.operator.gather.Gatherer;
import dev.parallel.operator.observe.Observed;
import dev.parallel.operator.plan.Names;
import dev.parallel.operator.status.StatusWriter;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The streamed path through the reconciler against the mock server (CRUD): the test plays the pods, creating their
 * TaskResultBatches as the job image does, and the Job controller.
 */
@EnableKubernetesMockClient(crud = true)
class StreamedReconcileMockServerTest {
    static KubernetesClient client;
    ParallelJobReconciler reconciler;
    StatusWriter writer;
    SimpleMeterRegistry registry;
    static final String PI = "kernel: pi\nparams: {samples: 10}\ntasks: {range: {start: 0, end: 20}}\npods: 2\n";

    @BeforeEach
    void setUp() {
        registry = new SimpleMeterRegistry();
        reconciler = new ParallelJobReconciler(client, Fixtures.SETTINGS, new OperatorMetrics(registry));
        writer = new StatusWriter(client, false, "paralleljob", (updated, original) -> { });
    }

    ParallelJob get(String name) { return client.resources(ParallelJob.class).inNamespace("ns1").withName(name).get(); }

    Job job(String name) { return client.batch().v1().jobs().inNamespace("ns1").withName(name).get(); }

    ConfigMap results(String name) { return client.configMaps().inNamespace("ns1").withName(name + "-results").get(); }

    List<TaskResultBatch> batches() { return client.resources(TaskResultBatch.class).inNamespace("ns1").list().getItems(); }

    Observed seen(String name) {
        var selector = Map.of(Names.LABEL_MANAGED_BY, Names.MANAGED_BY, Names.LABEL_JOB_NAME, name);
        List<Job> jobs = client.batch().v1().jobs().inNamespace("ns1").withLabels(selector).list().getItems();
        List<Pod> pods = client.pods().inNamespace("ns1").withLabels(selector).list().getItems();
        return Observed.of(get(name), jobs, pods);
    }

    ParallelJob reconcile(String name) {
        reconciler.reconcile(get(name), seen(name), writer);
        return get(name);
    }

    Pod pod(String job, String name, int part, String phase, String message) {
        Pod p = Fixtures.pod(name, part, phase, message, 0, "2026-01-01T00:00:0" + part + "Z");
        p.getMetadata().getLabels().put(Names.LABEL_JOB_NAME, job);
        p.getMetadata().setUid("uid-" + name);
        p.getMetadata().setOwnerReferences(List.of(new OwnerReferenceBuilder().withApiVersion("batch/v1").withKind("Job")
                .withName(job).withUid(job(job).getMetadata().getUid()).withController(true).build()));
        return client.pods().inNamespace("ns1").resource(p).createOr(o -> o.update());
    }

    /** What pod {@code pod} writes: its batch {@code seq} with tasks [from, to), each hits = index % 7. */
    TaskResultBatch write(String job, String pod, long seq, int part, long from, long to, String owner) {
        Pod writer = client.pods().inNamespace("ns1").withName(pod).get(); // the server gives pods their UIDs
        var b = FoldTest.batch(pod, seq, part, writer.getMetadata().getUid(), owner, null, LongStream.range(from, to)
                .mapToObj(i -> FoldTest.hit(i, (int) (i % 7))).toArray(TaskResult[]::new));
        b.getMetadata().getLabels().put(ResultsContract.LABEL_JOB, job);
        b.getSpec().inFlight = 2;
        b.getSpec().running = List.of(new TaskResultBatch.RunningTask(to, "t" + to, "2026-01-01T00:00:00Z"));
        return client.resources(TaskResultBatch.class).inNamespace("ns1").resource(b).create();
    }

    TaskResultBatch write(String job, String pod, long seq, int part, long from, long to) {
        return write(job, pod, seq, part, from, to, job(job).getMetadata().getUid());
    }

    static long hits(long from, long to) { return LongStream.range(from, to).map(i -> i % 7).sum(); }

    String summary(int part, long ok, long skipped) {
        return new PartSummary(part, 10, ok, 0, 0, Json.mapper().createObjectNode().put("hits", 0).put("samples", ok * 10), false,
                List.of(), false, 10, "threads", null, null, skipped).encode();
    }

    double counter(String name, String outcome) { return registry.get(name).tag("outcome", outcome).counter().count(); }

    @Test
    void progressMovesWithTheRecordsAndTheResultIsExactThroughDuplicatesAndForeignBatches() {
        Fixtures.create(client, "st", PI);
        reconcile("st");
        pod("st", "st-0-aaaaa", 0, "Running", null);
        pod("st", "st-1-ccccc", 1, "Running", null);
        write("st", "st-0-aaaaa", 0, 0, 0, 4);
        write("st", "st-1-ccccc", 0, 1, 10, 12);
        ParallelJobStatus s = reconcile("st").getStatus();
        assertThat(s.progress).isEqualTo("6/20");
        assertThat(s.phase).isEqualTo(Phase.Running);
        assertThat(s.live.runningTasks).isEqualTo(4);
        assertThat(s.live.slowestRunning).extracting(r -> r.id).containsExactlyInAnyOrder("t4", "t12");
        assertThat(s.live.p50Millis).isEqualTo(5);
        assertThat(s.results.store).isEqualTo("cluster");
        assertThat(s.results.configMap).isEqualTo("st-results");
        assertThat(s.results.records).isEqualTo(6);
        assertThat(batches()).isEmpty(); // folded, then deleted
        ConfigMap cm = results("st");
        assertThat(cm.getData()).containsKeys("fold-00000", "done-00000", "fold-00001", "done-00001", "stats", "pods");
        assertThat(cm.getData().get("part-00000.results.jsonl").lines()).hasSize(4);

        // A crash after the update, before the deletes: the same batch is there again. Nothing counts twice.
        write("st", "st-0-aaaaa", 0, 0, 0, 4);
        // A replacement-like overlap, and a batch of another Job (wrong owner): deleted, with a Warning event.
        write("st", "st-0-aaaaa", 1, 0, 2, 7);
        write("st", "st-1-ccccc", 9, 1, 12, 20, "someone-else");
        s = reconcile("st").getStatus();
        assertThat(s.progress).isEqualTo("9/20");
        assertThat(results("st").getData().get("part-00000.results.jsonl").lines()).hasSize(7);
        assertThat(batches()).isEmpty();
        assertThat(client.v1().events().inNamespace("ns1").list().getItems())
                .anyMatch(e -> "ForeignResults".equals(e.getReason()) && e.getMessage().contains("not owned by the Job"));
        assertThat(counter("parallel_job_result_batches_total", "duplicate")).isEqualTo(1);
        assertThat(counter("parallel_job_result_batches_total", "foreign")).isEqualTo(1);
        assertThat(counter("parallel_job_tasks_finished_total", "succeeded")).isEqualTo(9);

        // The pods finish: part 0's replacement skipped what was recorded; the summaries' partials are not used.
        write("st", "st-0-aaaaa", 2, 0, 7, 10);
        write("st", "st-1-ccccc", 1, 1, 12, 20);
        pod("st", "st-0-aaaaa", 0, "Succeeded", summary(0, 3, 7));
        pod("st", "st-1-ccccc", 1, "Succeeded", summary(1, 10, 0));
        s = reconcile("st").getStatus();
        assertThat(s.phase).isEqualTo(Phase.Succeeded);
        assertThat(s.progress).isEqualTo("20/20");
        JsonNode result = Json.mapper().valueToTree(s.result);
        assertThat(result.get("hits").asLong()).isEqualTo(hits(0, 20));
        assertThat(result.get("samples").asLong()).isEqualTo(200);
        cm = results("st");
        assertThat(cm.getData()).containsKeys("part-00000", "part-00001").doesNotContainKeys("fold-00000", "fold-00001");
        assertThat(cm.getData().get("part-00000.results.jsonl").lines()).hasSize(10);
        assertThat(cm.getData().get("part-00001.results.jsonl").lines()).hasSize(10);
        assertThat(s.results.records).isEqualTo(20);
        assertThat(s.results.recordsDropped).isZero();
    }

    @Test
    void aFoldWhoseUpdateLostTheRaceIsFoldedAgainByTheNextPass() {
        Fixtures.create(client, "race", PI);
        reconcile("race");
        pod("race", "race-0-aaaaa", 0, "Running", null);
        write("race", "race-0-aaaaa", 0, 0, 0, 5);
        ConfigMap stale = results("race");
        assertThat(reconcile("race").getStatus().progress).isEqualTo("5/20");
        // An operator that read the ConfigMap before that pass (its old self, racing): its update must fail.
        write("race", "race-0-aaaaa", 1, 0, 5, 8);
        var g = new Gatherer(client, 700_000);
        var plan = Fixtures.plan(get("race"));
        try {
            g.gather(plan, job("race"), seen("race").partPods(), stale, new PendingEvents(), Instant.now());
            org.junit.jupiter.api.Assertions.fail("a stale resourceVersion must not be written");
        } catch (KubernetesClientException e) {
            assertThat(e.getCode()).isEqualTo(409);
        }
        assertThat(batches()).hasSize(1); // not deleted: its fold was not recorded
        ParallelJobStatus s = reconcile("race").getStatus();
        assertThat(s.progress).isEqualTo("8/20");
        assertThat(results("race").getData().get("part-00000.results.jsonl").lines()).hasSize(8);
        assertThat(Json.mapper().<JsonNode>valueToTree(s.result).get("hits").asLong()).isEqualTo(hits(0, 8));
    }

    /** An external store in memory: key = batch name. */
    static final class MemoryStore implements dev.parallel.operator.gather.ExternalStore {
        final Map<String, String> objects = new java.util.TreeMap<>();
        public void put(dev.parallel.operator.plan.Plan plan, int part, String batch, String jsonLines) {
            if (jsonLines.isEmpty()) objects.remove(batch); else objects.put(batch, jsonLines);
        }
        public boolean handles(dev.parallel.operator.plan.Plan plan) { return true; }
        public ParallelJobStatus.ResultsLocation location(dev.parallel.operator.plan.Plan plan) {
            var l = new ParallelJobStatus.ResultsLocation();
            l.store = "s3";
            return l;
        }
        long records() { return objects.values().stream().mapToLong(v -> v.lines().count()).sum(); }
    }

    @Test
    void anExternalStoreKeepsTheRecordsOfABatchWhoseDeleteACrashPrevented() {
        Fixtures.create(client, "ext", PI);
        reconcile("ext");
        pod("ext", "ext-0-aaaaa", 0, "Running", null);
        var store = new MemoryStore();
        var g = new Gatherer(client, 700_000, store, Gatherer.FoldListener.NONE, Gatherer::streaming);
        var plan = Fixtures.plan(get("ext"));
        TaskResultBatch b = write("ext", "ext-0-aaaaa", 0, 0, 0, 5);
        g.gather(plan, job("ext"), seen("ext").partPods(), results("ext"), new PendingEvents(), Instant.now());
        assertThat(store.records()).isEqualTo(5);
        assertThat(batches()).isEmpty();
        // The operator died after its update and before the delete: the batch is there again, now all duplicates.
        write("ext", "ext-0-aaaaa", 0, 0, 0, 5);
        write("ext", "ext-0-aaaaa", 1, 0, 5, 7);
        g.gather(plan, job("ext"), seen("ext").partPods(), results("ext"), new PendingEvents(), Instant.now());
        assertThat(store.objects).containsOnlyKeys(b.getMetadata().getName(), "ext-0-aaaaa.000001");
        assertThat(store.records()).as("every recorded task's record once").isEqualTo(7);
        assertThat(batches()).isEmpty();
        // A later pass that lists nothing forgets the names; the store is untouched.
        g.gather(plan, job("ext"), seen("ext").partPods(), results("ext"), new PendingEvents(), Instant.now());
        assertThat(store.records()).isEqualTo(7);
    }

    @Test
    void aFailedIndexCountsItsUnrecordedTasksAsFailed() {
        Fixtures.create(client, "fi", PI + "maxFailedTasks: 100\n");
        reconcile("fi");
        pod("fi", "fi-0-aaaaa", 0, "Running", null);
        write("fi", "fi-0-aaaaa", 0, 0, 0, 6);
        reconcile("fi");
        Pod p = Fixtures.pod("fi-0-aaaaa", 0, "Failed", "OOMKilled", 137, "2026-01-01T00:00:00Z");
        pod("fi", "fi-0-aaaaa", 0, "Failed", null);
        var failed = client.pods().inNamespace("ns1").withName("fi-0-aaaaa").get();
        failed.setStatus(p.getStatus());
        client.pods().inNamespace("ns1").resource(failed).update();
        Job j = job("fi");
        j.setStatus(new io.fabric8.kubernetes.api.model.batch.v1.JobStatusBuilder().withFailedIndexes("0").build());
        client.batch().v1().jobs().inNamespace("ns1").resource(j).updateStatus();
        ParallelJobStatus s = reconcile("fi").getStatus();
        assertThat(s.tasks.succeeded).isEqualTo(6);
        assertThat(s.tasks.failed).isEqualTo(4);
        assertThat(s.failedTasks).anyMatch(f -> "part-0".equals(f.id) && f.reason.contains("4 task(s) not recorded"));
    }

    @Test
    void theClusterStoreKeepsRecordsUpToItsBoundAndCountsTheRest() {
        Fixtures.create(client, "full", "kernel: pi\nparams: {samples: 10}\ntasks: {range: {start: 0, end: 2000}}\npods: 1\n");
        reconcile("full");
        pod("full", "full-0-aaaaa", 0, "Running", null);
        for (int i = 0; i < 4; i++) write("full", "full-0-aaaaa", i, 0, i * 500L, (i + 1) * 500L);
        var g = new Gatherer(client, 80_000); // room for a few hundred records beside the fold state
        var gathered = g.gather(Fixtures.plan(get("full")), job("full"), seen("full").partPods(), results("full"), new PendingEvents(),
                Instant.now());
        var stats = gathered.streamed().stats();
        assertThat(stats.records() + stats.recordsDropped()).isEqualTo(2000);
        assertThat(stats.records()).isPositive().isLessThan(2000);
        ConfigMap cm = results("full");
        assertThat(cm.getData().get("part-00000.results.jsonl").lines().count()).isEqualTo(stats.records());
        assertThat(cm.getData().get("results-truncated")).isEqualTo("true");
        assertThat(dev.parallel.operator.gather.ResultsStore.size(cm)).isLessThanOrEqualTo(80_000);
        assertThat(gathered.streamed().truncated()).startsWith("kept " + stats.records() + " of 2000 task records (");
        // Counts and the reduction stay exact.
        assertThat(gathered.streamed().folds().get(0).ok()).isEqualTo(2000);
        assertThat(gathered.streamed().folds().get(0).partial().get("hits").asLong()).isEqualTo(hits(0, 2000));
    }

    @Test
    void streamFalseKeepsTheOldPath() {
        Fixtures.create(client, "old", PI + "results: {stream: false}\n");
        reconcile("old");
        pod("old", "old-0-aaaaa", 0, "Running", null);
        write("old", "old-0-aaaaa", 0, 0, 0, 4);
        ParallelJobStatus s = reconcile("old").getStatus();
        assertThat(s.progress).isEqualTo("0/20");
        assertThat(s.live).isNull();
        assertThat(batches()).filteredOn(b -> "old".equals(b.getMetadata().getLabels().get(ResultsContract.LABEL_JOB))).hasSize(1);
    }
}
