package dev.parallel.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.parallel.api.contract.Json;
import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.api.v1alpha1.Phase;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The whole reconciler (informers, create, gather, status) against the Fabric8 mock server in CRUD
 * mode. No Job controller runs there: the test plays it, creating pods as it would.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class ReconcilerMockServerTest {
    @Inject
    KubernetesClient client;

    ParallelJob apply(String name, String spec) {
        ParallelJob pj = Fixtures.pj(spec);
        pj.getMetadata().setName(name);
        pj.getMetadata().setUid(null);
        pj.getMetadata().setNamespace("ns1");
        return client.resources(ParallelJob.class).inNamespace("ns1").resource(pj).create();
    }

    ParallelJob get(String name) { return client.resources(ParallelJob.class).inNamespace("ns1").withName(name).get(); }

    Pod pod(String job, String podName, int part, String phase, String message, int exit) {
        Pod p = Fixtures.pod(podName, part, phase, message, exit, "2026-01-01T00:00:0" + part + "Z");
        p.getMetadata().getLabels().put("parallel.dev/job-name", job);
        // As the Job controller does: the pod is owned by its Job (the operator ignores pods of other Jobs).
        Job owner = client.batch().v1().jobs().inNamespace("ns1").withName(job).get();
        p.getMetadata().setOwnerReferences(java.util.List.of(new io.fabric8.kubernetes.api.model.OwnerReferenceBuilder()
                .withApiVersion("batch/v1").withKind("Job").withName(job).withUid(owner.getMetadata().getUid())
                .withController(true).build()));
        return client.pods().inNamespace("ns1").resource(p).create();
    }

    @Test
    void createsTheJobGathersPodSummariesAndCountsARetriedPartOnce() {
        apply("mock-pi", "kernel: pi\nparams: {samples: 10}\ntasks: {range: {start: 0, end: 6}}\npods: 2\n");
        Job job = await().atMost(Duration.ofSeconds(30)).until(
                () -> client.batch().v1().jobs().inNamespace("ns1").withName("mock-pi").get(), j -> j != null);
        assertThat(job.getSpec().getCompletions()).isEqualTo(2);
        assertThat(client.configMaps().inNamespace("ns1").withName("mock-pi-results").get()).isNotNull();
        await().atMost(Duration.ofSeconds(30)).until(() -> get("mock-pi").getStatus() != null);
        assertThat(get("mock-pi").getStatus().phase).isEqualTo(Phase.Pending);

        pod("mock-pi", "mock-pi-0-a", 0, "Succeeded", Fixtures.summary(0, 3, 3, 0, "{\"hits\":2,\"samples\":30}"), 0);
        pod("mock-pi", "mock-pi-1-a", 1, "Failed", null, 137); // OOM-killed: the Job retries index 1
        await().atMost(Duration.ofSeconds(30)).until(() -> "3/6".equals(get("mock-pi").getStatus().progress));
        assertThat(get("mock-pi").getStatus().phase).isEqualTo(Phase.Running);

        pod("mock-pi", "mock-pi-1-b", 1, "Succeeded", Fixtures.summary(1, 3, 3, 0, "{\"hits\":3,\"samples\":30}"), 0);
        await().atMost(Duration.ofSeconds(30)).until(() -> get("mock-pi").getStatus().phase == Phase.Succeeded);
        var s = get("mock-pi").getStatus();
        assertThat(s.tasks.succeeded).isEqualTo(6);
        assertThat(s.tasks.failed).isZero();
        var result = Json.MAPPER.<com.fasterxml.jackson.databind.JsonNode>valueToTree(s.result);
        assertThat(result.get("hits").asLong()).isEqualTo(5);
        assertThat(result.get("samples").asLong()).isEqualTo(60);
        assertThat(s.resultSummary).isEqualTo("pi=0.333333");
        var results = client.configMaps().inNamespace("ns1").withName("mock-pi-results").get();
        assertThat(results.getData()).containsKeys("part-00000", "part-00001");
        assertThat(client.batch().v1().jobs().inNamespace("ns1").list().getItems()
                .stream().filter(j -> j.getMetadata().getName().equals("mock-pi"))).hasSize(1);
    }

    @Test
    void aGroupedSweepWritesOneRowPerGroupToTheResultsConfigMap() {
        apply("mock-sweep", "command: echo\ntasks: {matrix: {axes: [{param: a, values: [1, 2]}, {param: b, values: [x, y]}]}}\n"
                + "pods: 2\nreduction: {op: sum, groupBy: [b]}\n");
        await().atMost(Duration.ofSeconds(30)).until(
                () -> client.batch().v1().jobs().inNamespace("ns1").withName("mock-sweep").get(), j -> j != null);
        // Part 0 ran a=1 (b=x: 10, b=y: 20), part 1 a=2 (30, 40), each reduced per group as its pod does.
        pod("mock-sweep", "mock-sweep-0", 0, "Succeeded", Fixtures.summary(0, 2, 2, 0, "{\"groups\":{\"[\\\"x\\\"]\":10,\"[\\\"y\\\"]\":20}}"), 0);
        pod("mock-sweep", "mock-sweep-1", 1, "Succeeded", Fixtures.summary(1, 2, 2, 0, "{\"groups\":{\"[\\\"x\\\"]\":30,\"[\\\"y\\\"]\":40}}"), 0);
        await().atMost(Duration.ofSeconds(30)).until(() -> get("mock-sweep").getStatus() != null
                && get("mock-sweep").getStatus().phase == Phase.Succeeded);
        var s = get("mock-sweep").getStatus();
        assertThat(Json.MAPPER.<com.fasterxml.jackson.databind.JsonNode>valueToTree(s.result).toString())
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
        await().atMost(Duration.ofSeconds(30)).until(
                () -> client.batch().v1().jobs().inNamespace("ns1").withName("mock-suspend").get(), j -> j != null);
        // A patch, not an update: the operator writes the status concurrently (no resourceVersion race).
        client.resources(ParallelJob.class).inNamespace("ns1").withName("mock-suspend").patch(
                io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
                "{\"spec\": {\"suspend\": true}}");
        await().atMost(Duration.ofSeconds(30)).until(() -> Boolean.TRUE.equals(
                client.batch().v1().jobs().inNamespace("ns1").withName("mock-suspend").get().getSpec().getSuspend()));
        await().atMost(Duration.ofSeconds(30)).until(() -> get("mock-suspend").getStatus().phase == Phase.Suspended);
        client.resources(ParallelJob.class).inNamespace("ns1").withName("mock-suspend").patch(
                io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
                "{\"spec\": {\"suspend\": false}}");
        await().atMost(Duration.ofSeconds(30)).until(() -> Boolean.FALSE.equals(
                client.batch().v1().jobs().inNamespace("ns1").withName("mock-suspend").get().getSpec().getSuspend()));
    }

    @Test
    void aMissingTasksConfigMapFailsWithAReasonNotACrashLoop() {
        apply("mock-cm", "kernel: primes\ntasks: {configMapRef: {name: nowhere}}\n");
        await().atMost(Duration.ofSeconds(30)).until(() -> get("mock-cm").getStatus() != null
                && get("mock-cm").getStatus().phase == Phase.Failed);
        assertThat(get("mock-cm").getStatus().conditions).singleElement().satisfies(c -> {
            assertThat(c.getReason()).isEqualTo("TasksNotFound");
            assertThat(c.getMessage()).contains("ConfigMap nowhere not found");
        });
        assertThat(client.batch().v1().jobs().inNamespace("ns1").withName("mock-cm").get()).isNull();
    }

    @Test
    void whatADeletedNamesakeLeftIsRemovedNotReused() {
        // The old run's Job and results ConfigMap, owned by a uid that no longer exists (the GC is slow).
        var stale = new io.fabric8.kubernetes.api.model.OwnerReferenceBuilder().withApiVersion("parallel.dev/v1alpha1")
                .withKind("ParallelJob").withName("mock-again").withUid("old-uid").withController(true).build();
        client.configMaps().inNamespace("ns1").resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
                .withNewMetadata().withName("mock-again-results").withOwnerReferences(stale).endMetadata()
                .addToData("part-00000", Fixtures.summary(0, 3, 3, 0, "{\"hits\":99,\"samples\":99}")).build()).create();
        client.batch().v1().jobs().inNamespace("ns1").resource(new io.fabric8.kubernetes.api.model.batch.v1.JobBuilder()
                .withNewMetadata().withName("mock-again").withOwnerReferences(stale)
                .addToLabels("app.kubernetes.io/managed-by", "parallel-job-operator")
                .addToLabels("parallel.dev/job-name", "mock-again").endMetadata()
                .withNewSpec().withCompletions(7).withNewTemplate().withNewSpec().endSpec().endTemplate().endSpec().build()).create();
        ParallelJob pj = apply("mock-again", "kernel: pi\nparams: {samples: 10}\ntasks: {range: {start: 0, end: 6}}\npods: 2\n");
        // The operator deletes both, then creates its own: a Job with 2 completions, results without the old part.
        Job job = await().atMost(Duration.ofSeconds(30)).until(
                () -> client.batch().v1().jobs().inNamespace("ns1").withName("mock-again").get(),
                j -> j != null && j.getMetadata().getOwnerReferences().get(0).getUid().equals(pj.getMetadata().getUid()));
        assertThat(job.getSpec().getCompletions()).isEqualTo(2);
        var results = client.configMaps().inNamespace("ns1").withName("mock-again-results").get();
        assertThat(results.getMetadata().getOwnerReferences().get(0).getUid()).isEqualTo(pj.getMetadata().getUid());
        assertThat(results.getData() == null ? java.util.Map.of() : results.getData()).doesNotContainKey("part-00000");
        assertThat(get("mock-again").getStatus().tasks.succeeded).isZero();
    }
}
