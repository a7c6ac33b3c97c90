package dev.parallel.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parallel.api.contract.Json;
import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.api.v1alpha1.Phase;
import dev.parallel.operator.observe.Observed;
import dev.parallel.operator.plan.Names;
import dev.parallel.operator.status.StatusWriter;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Reconcile logic against the Fabric8 mock server in CRUD mode, one pass at a time and synchronously:
 * each {@link #reconcile} lists what the informers would hold and runs the reconciler once. No Job
 * controller runs there: the test plays it, creating pods as it would.
 */
@EnableKubernetesMockClient(crud = true)
class ReconcilerMockServerTest {
    static KubernetesClient client;
    ParallelJobReconciler reconciler;
    StatusWriter writer;

    @BeforeEach
    void setUp() {
        reconciler = new ParallelJobReconciler(client, Fixtures.SETTINGS, new OperatorMetrics(new SimpleMeterRegistry()));
        writer = new StatusWriter(client, false, "paralleljob", (updated, original) -> { });
    }

    ParallelJob apply(String name, String spec) { return Fixtures.create(client, name, spec); }

    ParallelJob get(String name) { return client.resources(ParallelJob.class).inNamespace("ns1").withName(name).get(); }

    Job job(String name) { return client.batch().v1().jobs().inNamespace("ns1").withName(name).get(); }

    /** One reconcile of {@code name}, seeing what the Job and pod informers would (our label, mapped by job-name). */
    ParallelJob reconcile(String name) {
        var selector = Map.of(Names.LABEL_MANAGED_BY, Names.MANAGED_BY, Names.LABEL_JOB_NAME, name);
        List<Job> jobs = client.batch().v1().jobs().inNamespace("ns1").withLabels(selector).list().getItems();
        List<Pod> pods = client.pods().inNamespace("ns1").withLabels(selector).list().getItems();
        ParallelJob pj = get(name);
        reconciler.reconcile(pj, Observed.of(pj, jobs, pods), writer);
        return get(name);
    }

    Pod pod(String job, String podName, int part, String phase, String message, int exit) {
        Pod p = Fixtures.pod(podName, part, phase, message, exit, "2026-01-01T00:00:0" + part + "Z");
        p.getMetadata().getLabels().put(Names.LABEL_JOB_NAME, job);
        // As the Job controller does: the pod is owned by its Job (the operator ignores pods of other Jobs).
        p.getMetadata().setOwnerReferences(List.of(new OwnerReferenceBuilder().withApiVersion("batch/v1").withKind("Job")
                .withName(job).withUid(job(job).getMetadata().getUid()).withController(true).build()));
        return client.pods().inNamespace("ns1").resource(p).create();
    }

    void patchSpec(String name, String json) {
        client.resources(ParallelJob.class).inNamespace("ns1").withName(name).patch(PatchContext.of(PatchType.JSON_MERGE), json);
    }

    @Test
    void createsTheJobGathersPodSummariesAndCountsARetriedPartOnce() {
        apply("mock-pi", "kernel: pi\nparams: {samples: 10}\ntasks: {range: {start: 0, end: 6}}\npods: 2\n");
        assertThat(reconcile("mock-pi").getStatus().phase).isEqualTo(Phase.Pending);
        assertThat(job("mock-pi").getSpec().getCompletions()).isEqualTo(2);
        assertThat(client.configMaps().inNamespace("ns1").withName("mock-pi-results").get()).isNotNull();

        pod("mock-pi", "mock-pi-0-a", 0, "Succeeded", Fixtures.summary(0, 3, 3, 0, "{\"hits\":2,\"samples\":30}"), 0);
        pod("mock-pi", "mock-pi-1-a", 1, "Failed", null, 137); // OOM-killed: the Job retries index 1
        var running = reconcile("mock-pi").getStatus();
        assertThat(running.progress).isEqualTo("3/6");
        assertThat(running.phase).isEqualTo(Phase.Running);

        pod("mock-pi", "mock-pi-1-b", 1, "Succeeded", Fixtures.summary(1, 3, 3, 0, "{\"hits\":3,\"samples\":30}"), 0);
        var s = reconcile("mock-pi").getStatus();
        assertThat(s.phase).isEqualTo(Phase.Succeeded);
        assertThat(s.tasks.succeeded).isEqualTo(6);
        assertThat(s.tasks.failed).isZero();
        var result = Json.mapper().<com.fasterxml.jackson.databind.JsonNode>valueToTree(s.result);
        assertThat(result.get("hits").asLong()).isEqualTo(5);
        assertThat(result.get("samples").asLong()).isEqualTo(60);
        assertThat(s.resultSummary).isEqualTo("pi=0.333333");
        var results = client.configMaps().inNamespace("ns1").withName("mock-pi-results").get();
        assertThat(results.getData()).containsKeys("part-00000", "part-00001");
        assertThat(client.batch().v1().jobs().inNamespace("ns1").list().getItems()
                .stream().filter(j -> j.getMetadata().getName().equals("mock-pi"))).hasSize(1);
        // A second pass (a restarted operator) changes nothing and announces nothing again.
        int events = client.v1().events().inNamespace("ns1").list().getItems().size();
        assertThat(reconcile("mock-pi").getStatus()).usingRecursiveComparison().isEqualTo(s);
        assertThat(client.v1().events().inNamespace("ns1").list().getItems()).hasSize(events);
    }

    @Test
    void aGroupedSweepWritesOneRowPerGroupToTheResultsConfigMap() {
        apply("mock-sweep", "command: echo\ntasks: {matrix: {axes: [{param: a, values: [1, 2]}, {param: b, values: [x, y]}]}}\n"
                + "pods: 2\nreduction: {op: sum, groupBy: [b]}\n");
        reconcile("mock-sweep");
        // Part 0 ran a=1 (b=x: 10, b=y: 20), part 1 a=2 (30, 40), each reduced per group as its pod does.
        pod("mock-sweep", "mock-sweep-0", 0, "Succeeded", Fixtures.summary(0, 2, 2, 0, "{\"groups\":{\"[\\\"x\\\"]\":10,\"[\\\"y\\\"]\":20}}"), 0);
        pod("mock-sweep", "mock-sweep-1", 1, "Succeeded", Fixtures.summary(1, 2, 2, 0, "{\"groups\":{\"[\\\"x\\\"]\":30,\"[\\\"y\\\"]\":40}}"), 0);
        var s = reconcile("mock-sweep").getStatus();
        assertThat(s.phase).isEqualTo(Phase.Succeeded);
        assertThat(Json.mapper().<com.fasterxml.jackson.databind.JsonNode>valueToTree(s.result).toString())
                .isEqualTo("{\"groupBy\":[\"b\"],\"groups\":2,\"rowsKey\":\"mock-sweep-results/reduced.jsonl\"}");
        assertThat(s.resultSummary).isEqualTo("2 groups by b");
        var results = client.configMaps().inNamespace("ns1").withName("mock-sweep-results").get();
        assertThat(results.getData().get("reduced.jsonl")).isEqualTo("{\"group\":{\"b\":\"x\"},\"sum\":40}\n"
                + "{\"group\":{\"b\":\"y\"},\"sum\":60}\n");
        assertThat(results.getData()).containsEntry("reduced-truncated", "false").containsKeys("part-00000", "part-00001");
    }

    @Test
    void suspendFlipsTheJob() {
        apply("mock-suspend", "kernel: sleep\nparams: {millis: 1}\ntasks: {range: {start: 0, end: 2}}\n");
        reconcile("mock-suspend");
        patchSpec("mock-suspend", "{\"spec\": {\"suspend\": true}}");
        reconcile("mock-suspend");
        assertThat(job("mock-suspend").getSpec().getSuspend()).isTrue();
        assertThat(reconcile("mock-suspend").getStatus().phase).isEqualTo(Phase.Suspended);
        patchSpec("mock-suspend", "{\"spec\": {\"suspend\": false}}");
        reconcile("mock-suspend");
        assertThat(job("mock-suspend").getSpec().getSuspend()).isFalse();
    }

    @Test
    void aTasksConfigMapCreatedAfterTheParallelJobIsWaitedFor() {
        apply("mock-cm", "kernel: primes\ntasks: {configMapRef: {name: later}}\n");
        for (int pass = 0; pass < 2; pass++) { // the second pass (a requeue) announces nothing again
            var s = reconcile("mock-cm").getStatus();
            assertThat(s.phase).isEqualTo(Phase.Pending);
            assertThat(s.conditions).filteredOn(c -> "Running".equals(c.getType())).singleElement().satisfies(c -> {
                assertThat(c.getReason()).isEqualTo("TasksNotFound");
                assertThat(c.getMessage()).startsWith("spec.tasks.configMapRef: ConfigMap later not found in namespace ns1; "
                        + "waiting for it to be created (the ParallelJob fails if it is still missing at ");
            });
            assertThat(job("mock-cm")).isNull();
            assertThat(client.v1().events().inNamespace("ns1").list().getItems())
                    .filteredOn(e -> "mock-cm".equals(e.getInvolvedObject().getName())).singleElement()
                    .satisfies(e -> {
                        assertThat(e.getReason()).isEqualTo("TasksNotFound");
                        assertThat(e.getType()).isEqualTo("Warning");
                    });
        }
        // A ConfigMap without the key waits too, and says which keys it has (a typo is the likely cause).
        client.configMaps().inNamespace("ns1").resource(new ConfigMapBuilder().withNewMetadata().withName("later").endMetadata()
                .addToData("task.jsonl", "{\"from\": 1, \"to\": 5}\n").build()).create();
        assertThat(reconcile("mock-cm").getStatus().conditions).anySatisfy(c -> assertThat(c.getMessage())
                .startsWith("spec.tasks.configMapRef: ConfigMap later has no key tasks.jsonl (its keys: task.jsonl) in namespace ns1; waiting"));
        client.configMaps().inNamespace("ns1").withName("later").edit(cm -> {
            cm.getData().put("tasks.jsonl", "{\"from\": 1, \"to\": 5}\n");
            return cm;
        });
        reconcile("mock-cm");
        assertThat(job("mock-cm")).as("created once the ConfigMap is there").isNotNull();
        assertThat(get("mock-cm").getStatus().phase).isEqualTo(Phase.Pending);
        assertThat(get("mock-cm").getStatus().conditions).noneSatisfy(c -> assertThat(c.getReason()).isEqualTo("TasksNotFound"));
    }

    @Test
    void aServiceAccountCreatedAfterTheParallelJobIsWaitedFor() {
        apply("mock-sa", "kernel: pi\ntasks: {range: {start: 0, end: 2}}\nserviceAccountName: runner\n");
        var s = reconcile("mock-sa").getStatus();
        assertThat(s.phase).isEqualTo(Phase.Pending);
        assertThat(s.conditions).filteredOn(c -> "Running".equals(c.getType())).singleElement().satisfies(c -> {
            assertThat(c.getReason()).isEqualTo("ServiceAccountNotFound");
            assertThat(c.getMessage()).startsWith("spec.serviceAccountName: ServiceAccount runner not found in namespace ns1; waiting");
        });
        assertThat(job("mock-sa")).isNull();
        client.serviceAccounts().inNamespace("ns1").resource(new io.fabric8.kubernetes.api.model.ServiceAccountBuilder()
                .withNewMetadata().withName("runner").endMetadata().build()).create();
        reconcile("mock-sa");
        assertThat(job("mock-sa")).isNotNull();
        assertThat(client.v1().events().inNamespace("ns1").list().getItems())
                .filteredOn(e -> "mock-sa".equals(e.getInvolvedObject().getName())).extracting(e -> e.getReason())
                .containsExactlyInAnyOrder("ServiceAccountNotFound", "JobCreated");
    }

    @Test
    void aTasksConfigMapStillMissingAfterTheTimeoutFailsTheParallelJob() {
        var settings = new Fixtures.TestSettings(false, 0);
        reconciler = new ParallelJobReconciler(client, settings, new OperatorMetrics(new SimpleMeterRegistry()));
        apply("mock-cm-late", "kernel: primes\ntasks: {configMapRef: {name: never}}\n");
        var s = reconcile("mock-cm-late").getStatus();
        assertThat(s.phase).isEqualTo(Phase.Failed);
        assertThat(s.conditions).singleElement().satisfies(c -> {
            assertThat(c.getReason()).isEqualTo("TasksNotFound");
            assertThat(c.getMessage()).isEqualTo("spec.tasks.configMapRef: ConfigMap never not found in namespace ns1, still missing "
                    + "0 s after the ParallelJob was created (the operator's missingReferenceTimeoutSeconds); create it, then delete "
                    + "and re-create this ParallelJob");
        });
        assertThat(job("mock-cm-late")).isNull();
    }

    @Test
    void theLookAgainBackoffGrowsAndNeverPassesTheDeadline() {
        ParallelJob pj = Fixtures.spec().kernel("pi").range(0, 1).pj();
        pj.getMetadata().setCreationTimestamp("2026-01-01T00:00:00Z");
        java.time.Instant t0 = java.time.Instant.parse("2026-01-01T00:00:00Z"), deadline = t0.plusSeconds(600);
        assertThat(ParallelJobReconciler.lookAgain(pj, t0.plusSeconds(1), deadline)).hasSeconds(2);
        assertThat(ParallelJobReconciler.lookAgain(pj, t0.plusSeconds(40), deadline)).hasSeconds(10);
        assertThat(ParallelJobReconciler.lookAgain(pj, t0.plusSeconds(300), deadline)).hasSeconds(15);
        assertThat(ParallelJobReconciler.lookAgain(pj, t0.plusSeconds(595), deadline)).hasMillis(5500);
    }

    @Test
    void whatADeletedNamesakeLeftIsRemovedNotReused() {
        // The old run's Job and results ConfigMap, owned by a uid that no longer exists (the GC is slow).
        var stale = new OwnerReferenceBuilder().withApiVersion("parallel.dev/v1alpha1")
                .withKind("ParallelJob").withName("mock-again").withUid("old-uid").withController(true).build();
        client.configMaps().inNamespace("ns1").resource(new ConfigMapBuilder()
                .withNewMetadata().withName("mock-again-results").withOwnerReferences(stale).endMetadata()
                .addToData("part-00000", Fixtures.summary(0, 3, 3, 0, "{\"hits\":99,\"samples\":99}")).build()).create();
        client.batch().v1().jobs().inNamespace("ns1").resource(new JobBuilder()
                .withNewMetadata().withName("mock-again").withOwnerReferences(stale)
                .addToLabels(Names.LABEL_MANAGED_BY, Names.MANAGED_BY)
                .addToLabels(Names.LABEL_JOB_NAME, "mock-again").endMetadata()
                .withNewSpec().withCompletions(7).withNewTemplate().withNewSpec().endSpec().endTemplate().endSpec().build()).create();
        ParallelJob pj = apply("mock-again", "kernel: pi\nparams: {samples: 10}\ntasks: {range: {start: 0, end: 6}}\npods: 2\n");
        // The first pass deletes both and waits; the next creates its own: 2 completions, results without the old part.
        assertThat(reconcile("mock-again").getStatus().conditions)
                .anySatisfy(c -> assertThat(c.getReason()).isEqualTo("RemovingLeftovers"));
        assertThat(job("mock-again")).isNull();
        reconcile("mock-again");
        Job job = job("mock-again");
        assertThat(job.getMetadata().getOwnerReferences().get(0).getUid()).isEqualTo(pj.getMetadata().getUid());
        assertThat(job.getSpec().getCompletions()).isEqualTo(2);
        var results = client.configMaps().inNamespace("ns1").withName("mock-again-results").get();
        assertThat(results.getMetadata().getOwnerReferences().get(0).getUid()).isEqualTo(pj.getMetadata().getUid());
        assertThat(results.getData() == null ? Map.of() : results.getData()).doesNotContainKey("part-00000");
        assertThat(get("mock-again").getStatus().tasks.succeeded).isZero();
    }
}
