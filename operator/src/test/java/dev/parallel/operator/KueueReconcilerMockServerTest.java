package dev.parallel.operator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parallel.api.contract.Json;
import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.api.v1alpha1.Phase;
import dev.parallel.operator.kueue.Kueue;
import dev.parallel.operator.observe.Observed;
import dev.parallel.operator.plan.Names;
import dev.parallel.operator.status.StatusWriter;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A queued ParallelJob's life against the Fabric8 mock server, one synchronous pass at a time. Neither
 * Kueue nor the Job controller runs there: the test plays both, writing the Workload's status as Kueue
 * v0.17 does (quota, admission, eviction) and creating pods as the Job controller would.
 */
@EnableKubernetesMockClient(crud = true)
class KueueReconcilerMockServerTest {
    static KubernetesClient client;
    ParallelJobReconciler reconciler;
    StatusWriter writer;

    static final String NO_QUOTA = "couldn't assign flavors to pod set workers: insufficient unused quota for cpu in flavor default, 1 more needed";

    @BeforeEach
    void setUp() {
        reconciler = new ParallelJobReconciler(client, Fixtures.KUEUE, new OperatorMetrics(new SimpleMeterRegistry()));
        writer = new StatusWriter(client, false, "paralleljob", (updated, original) -> { });
        for (String f : List.of("spot", "other")) {
            var rf = new GenericKubernetesResource();
            rf.setApiVersion(Kueue.API_VERSION);
            rf.setKind("ResourceFlavor");
            rf.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName(f).build());
            rf.setAdditionalProperty("spec", Map.of("nodeLabels", Map.of("pool", f),
                    "tolerations", List.of(Map.of("key", f, "operator", "Exists", "effect", "NoSchedule"))));
            client.genericKubernetesResources(Kueue.RESOURCE_FLAVORS).resource(rf).createOr(r -> r.update());
        }
    }

    ParallelJob apply(String name, String spec, String queue) {
        ParallelJob pj = Fixtures.pj(spec);
        pj.getMetadata().setName(name);
        pj.getMetadata().setUid(null);
        if (queue != null) pj.getMetadata().setLabels(new HashMap<>(Map.of(Kueue.QUEUE_LABEL, queue)));
        return client.resources(ParallelJob.class).inNamespace("ns1").resource(pj).create();
    }

    ParallelJob get(String name) { return client.resources(ParallelJob.class).inNamespace("ns1").withName(name).get(); }

    Job job(String name) { return client.batch().v1().jobs().inNamespace("ns1").withName(name).get(); }

    GenericKubernetesResource workload(String name) {
        return client.genericKubernetesResources(Kueue.WORKLOADS).inNamespace("ns1").withName(name).get();
    }

    JsonNode workloadJson(String name) { return Json.mapper().valueToTree(workload(name)); }

    /** One reconcile, seeing what the Job, pod and Workload informers would. */
    ParallelJob reconcile(String name) {
        var selector = Map.of(Names.LABEL_MANAGED_BY, Names.MANAGED_BY, Names.LABEL_JOB_NAME, name);
        List<Job> jobs = client.batch().v1().jobs().inNamespace("ns1").withLabels(selector).list().getItems();
        List<Pod> pods = client.pods().inNamespace("ns1").withLabels(selector).list().getItems();
        List<GenericKubernetesResource> wls = client.genericKubernetesResources(Kueue.WORKLOADS).inNamespace("ns1")
                .list().getItems();
        ParallelJob pj = get(name);
        reconciler.reconcile(pj, Observed.of(pj, jobs, pods, wls), writer);
        return get(name);
    }

    /** Plays Kueue: the Workload's status as it would write it. */
    void kueue(String name, String statusJson) {
        try {
            GenericKubernetesResource wl = workload(name);
            wl.setAdditionalProperty("status", Json.mapper().readValue(statusJson, Map.class));
            client.genericKubernetesResources(Kueue.WORKLOADS).inNamespace("ns1").resource(wl).updateStatus();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static String cond(String type, String status, String reason, String message) {
        return "{\"type\":\"" + type + "\",\"status\":\"" + status + "\",\"reason\":\"" + reason + "\",\"message\":\"" + message
                + "\",\"lastTransitionTime\":\"2026-01-01T00:00:00Z\"}";
    }

    static String admitted(String flavor, String... podSets) {
        StringBuilder a = new StringBuilder("{\"admission\":{\"clusterQueue\":\"cq\",\"podSetAssignments\":[");
        for (int i = 0; i < podSets.length; i++) {
            a.append(i == 0 ? "" : ",").append("{\"name\":\"").append(podSets[i]).append("\",\"flavors\":{\"cpu\":\"").append(flavor)
                    .append("\"}}");
        }
        return a + "]},\"conditions\":[" + cond("QuotaReserved", "True", "QuotaReserved", "Quota reserved in ClusterQueue cq") + ","
                + cond("Admitted", "True", "Admitted", "The workload is admitted") + "]}";
    }

    static String evicted(String flavor, String reason, String message) {
        String adm = admitted(flavor, "workers");
        return adm.substring(0, adm.length() - 2) + "," + cond("Evicted", "True", reason, message) + "]}";
    }

    Pod pod(String job, String podName, int part, String phase, String message, int exit) {
        Pod p = Fixtures.pod(podName, part, phase, message, exit, "2026-01-01T00:00:0" + part + "Z");
        p.getMetadata().getLabels().put(Names.LABEL_JOB_NAME, job.replace("-worker", ""));
        p.getMetadata().setOwnerReferences(List.of(new OwnerReferenceBuilder().withApiVersion("batch/v1").withKind("Job")
                .withName(job).withUid(job(job).getMetadata().getUid()).withController(true).build()));
        return client.pods().inNamespace("ns1").resource(p).create();
    }

    static Condition condition(ParallelJob pj, String type) {
        return pj.getStatus().conditions.stream().filter(c -> type.equals(c.getType())).findFirst().orElseThrow();
    }

    void patchSpec(String name, String json) {
        client.resources(ParallelJob.class).inNamespace("ns1").withName(name).patch(PatchContext.of(PatchType.JSON_MERGE), json);
    }

    @Test
    void queuedThenAdmittedThenEvictedThenReadmittedFinishesWithEachPartCountedOnce() {
        var pj = apply("q-pi", "kernel: pi\nparams: {samples: 10}\ntasks: {range: {start: 0, end: 6}}\npods: 2\n", "lq");
        // Queued: one Workload (owned, both parts at once), the Job created suspended, no pod may start.
        var s = reconcile("q-pi");
        assertThat(s.getStatus().phase).isEqualTo(Phase.Queued);
        JsonNode wl = workloadJson("q-pi");
        assertThat(wl.at("/spec/queueName").asText()).isEqualTo("lq");
        assertThat(wl.at("/spec/podSets/0/count").asInt()).isEqualTo(2);
        assertThat(wl.at("/metadata/ownerReferences/0/uid").asText()).isEqualTo(pj.getMetadata().getUid());
        assertThat(job("q-pi").getSpec().getSuspend()).isTrue();
        assertThat(job("q-pi").getMetadata().getLabels()).doesNotContainKey(Kueue.QUEUE_LABEL);

        // No quota: Kueue's own reason and message in the status.
        kueue("q-pi", "{\"conditions\":[" + cond("QuotaReserved", "False", "Pending", NO_QUOTA) + "]}");
        s = reconcile("q-pi");
        assertThat(s.getStatus().phase).isEqualTo(Phase.Queued);
        assertThat(condition(s, "Admitted").getReason()).isEqualTo("Pending");
        assertThat(condition(s, "Admitted").getMessage()).isEqualTo(NO_QUOTA);
        assertThat(condition(s, "Running").getReason()).isEqualTo("QueuedByKueue");
        assertThat(condition(s, "Running").getMessage()).contains("LocalQueue lq").contains(NO_QUOTA);
        assertThat(job("q-pi").getSpec().getSuspend()).isTrue();

        // Admitted on flavor spot: its node labels and tolerations on the pods, then resumed.
        kueue("q-pi", admitted("spot", "workers"));
        s = reconcile("q-pi");
        Job running = job("q-pi");
        assertThat(running.getSpec().getSuspend()).isFalse();
        assertThat(running.getSpec().getTemplate().getSpec().getNodeSelector()).containsEntry("pool", "spot");
        assertThat(running.getSpec().getTemplate().getSpec().getTolerations()).extracting(t -> t.getKey()).containsExactly("spot");
        assertThat(condition(s, "Admitted").getStatus()).isEqualTo("True");
        assertThat(s.getStatus().phase).isEqualTo(Phase.Pending);

        pod("q-pi", "q-pi-0-a", 0, "Succeeded", Fixtures.summary(0, 3, 3, 0, "{\"hits\":2,\"samples\":30}"), 0);
        pod("q-pi", "q-pi-1-a", 1, "Running", null, 0);
        assertThat(reconcile("q-pi").getStatus().phase).isEqualTo(Phase.Running);
        // As the Job controller would have: a started Job (its scheduling directives now immutable).
        client.batch().v1().jobs().inNamespace("ns1").withName("q-pi").editStatus(j -> {
            j.setStatus(new io.fabric8.kubernetes.api.model.batch.v1.JobStatusBuilder().withStartTime("2026-01-01T00:00:00Z").build());
            return j;
        });

        // Preempted: the operator suspends its Job (Kueue never touches it), the reservation is held meanwhile.
        kueue("q-pi", evicted("spot", "Preempted", "Preempted to accommodate a higher priority workload"));
        s = reconcile("q-pi");
        assertThat(job("q-pi").getSpec().getSuspend()).isTrue();
        assertThat(s.getStatus().phase).isEqualTo(Phase.Queued);
        assertThat(condition(s, "Running").getReason()).isEqualTo("EvictedByKueue");
        assertThat(workloadJson("q-pi").at("/status/admission").isObject()).isTrue();
        // The Job controller deletes the running pod; then the reservation is cleared as jobframework does.
        client.pods().inNamespace("ns1").withName("q-pi-1-a").delete();
        reconcile("q-pi");
        JsonNode cleared = workloadJson("q-pi");
        assertThat(cleared.at("/status/admission").isMissingNode()).isTrue();
        assertThat(conditionOf(cleared, "QuotaReserved").get("status").asText()).isEqualTo("False");
        assertThat(conditionOf(cleared, "Requeued").get("status").asText()).isEqualTo("True");
        assertThat(conditionOf(cleared, "Admitted").get("status").asText()).isEqualTo("False");
        assertThat(results("q-pi")).containsKey("part-00000");

        // Re-admitted on another flavor: the old placement goes, the start time was cleared first.
        kueue("q-pi", admitted("other", "workers"));
        reconcile("q-pi");
        Job again = job("q-pi");
        assertThat(again.getSpec().getSuspend()).isFalse();
        assertThat(again.getStatus().getStartTime()).isNull();
        assertThat(again.getSpec().getTemplate().getSpec().getNodeSelector()).containsExactlyEntriesOf(Map.of("pool", "other"));
        assertThat(again.getSpec().getTemplate().getSpec().getTolerations()).extracting(t -> t.getKey()).containsExactly("other");

        // Only part 1 runs again; part 0 (recorded before the eviction) is kept and counted once.
        pod("q-pi", "q-pi-1-b", 1, "Succeeded", Fixtures.summary(1, 3, 3, 0, "{\"hits\":3,\"samples\":30}"), 0);
        s = reconcile("q-pi");
        assertThat(s.getStatus().phase).isEqualTo(Phase.Succeeded);
        assertThat(s.getStatus().tasks.succeeded).isEqualTo(6);
        JsonNode result = Json.mapper().valueToTree(s.getStatus().result);
        assertThat(result.get("hits").asLong()).isEqualTo(5);
        assertThat(result.get("samples").asLong()).isEqualTo(60);
        // Finished: Kueue releases the quota now, not when the GC takes the Workload.
        JsonNode finished = conditionOf(workloadJson("q-pi"), "Finished");
        assertThat(finished.get("status").asText()).isEqualTo("True");
        assertThat(finished.get("reason").asText()).isEqualTo("Succeeded");
        assertThat(client.genericKubernetesResources(Kueue.WORKLOADS).inNamespace("ns1").list().getItems()
                .stream().filter(w -> w.getMetadata().getName().equals("q-pi"))).hasSize(1);
        assertThat(events("q-pi")).contains("WorkloadCreated", "Admitted", "Evicted", "Succeeded");
    }

    @Test
    void withAQueueSpecSuspendDeactivatesTheWorkloadInsteadOfTouchingTheJobsDirectly() {
        apply("q-susp", "kernel: sleep\nparams: {millis: 1}\ntasks: {range: {start: 0, end: 2}}\n", "lq");
        reconcile("q-susp");
        kueue("q-susp", admitted("spot", "workers"));
        reconcile("q-susp");
        assertThat(job("q-susp").getSpec().getSuspend()).isFalse();
        pod("q-susp", "q-susp-0", 0, "Running", null, 0);

        patchSpec("q-susp", "{\"spec\": {\"suspend\": true}}");
        var s = reconcile("q-susp");
        assertThat(workloadJson("q-susp").at("/spec/active").asBoolean()).isFalse();
        assertThat(s.getStatus().phase).isEqualTo(Phase.Suspended);
        assertThat(condition(s, "Suspended").getReason()).isEqualTo("SuspendedBySpec");
        assertThat(job("q-susp").getSpec().getSuspend()).isTrue();
        // Kueue evicts the inactive Workload; once the pod is gone the reservation goes back, not requeued.
        kueue("q-susp", evicted("spot", "Deactivated", "The workload is deactivated"));
        client.pods().inNamespace("ns1").withName("q-susp-0").delete();
        reconcile("q-susp");
        assertThat(workloadJson("q-susp").at("/status/admission").isMissingNode()).isTrue();
        assertThat(conditionOf(workloadJson("q-susp"), "Requeued").get("status").asText()).isEqualTo("False");

        patchSpec("q-susp", "{\"spec\": {\"suspend\": false}}");
        s = reconcile("q-susp");
        assertThat(workloadJson("q-susp").at("/spec/active").asBoolean()).isTrue();
        assertThat(s.getStatus().phase).isEqualTo(Phase.Queued);
        assertThat(job("q-susp").getSpec().getSuspend()).isTrue();
    }

    @Test
    void anMpiParallelJobIsOneWorkloadAndNoWorkerStartsBeforeAdmission() {
        apply("q-mpi", "kernel: pi\nparams: {samples: 10}\ntasks: {range: {start: 0, end: 4}}\nexecutor: mpi\nmpi: {workers: 2}\n", "lq");
        var s = reconcile("q-mpi");
        JsonNode podSets = workloadJson("q-mpi").at("/spec/podSets");
        assertThat(podSets).extracting(p -> p.get("name").asText() + "x" + p.get("count").asInt()).containsExactly("launcherx1", "workersx2");
        assertThat(job("q-mpi-worker").getSpec().getSuspend()).isTrue();
        assertThat(job("q-mpi")).isNull();
        assertThat(s.getStatus().phase).isEqualTo(Phase.Queued);
        // Waiting a long time in the queue is not the workers' Ready timeout.
        assertThat(reconcile("q-mpi").getStatus().phase).isEqualTo(Phase.Queued);

        kueue("q-mpi", admitted("spot", "launcher", "workers"));
        reconcile("q-mpi");
        assertThat(job("q-mpi-worker").getSpec().getSuspend()).isFalse();
        assertThat(job("q-mpi-worker").getSpec().getTemplate().getSpec().getNodeSelector()).containsEntry("pool", "spot");
        readyWorker("q-mpi-worker-0", 0);
        readyWorker("q-mpi-worker-1", 1);
        reconcile("q-mpi");
        Job launcher = job("q-mpi");
        assertThat(launcher.getSpec().getSuspend()).isFalse();
        assertThat(launcher.getSpec().getTemplate().getSpec().getNodeSelector()).containsEntry("pool", "spot");
    }

    @Test
    void withoutAQueueSpecSuspendStopsTheMpiWorkersToo() {
        apply("mpi-susp", "kernel: pi\nparams: {samples: 10}\ntasks: {range: {start: 0, end: 4}}\nexecutor: mpi\nmpi: {workers: 2}\n", null);
        reconcile("mpi-susp");
        readyWorker("mpi-susp-worker-0", 0);
        readyWorker("mpi-susp-worker-1", 1);
        reconcile("mpi-susp");
        assertThat(job("mpi-susp")).isNotNull();
        assertThat(workload("mpi-susp")).isNull();

        patchSpec("mpi-susp", "{\"spec\": {\"suspend\": true}}");
        reconcile("mpi-susp");
        assertThat(job("mpi-susp").getSpec().getSuspend()).isTrue();
        assertThat(job("mpi-susp-worker").getSpec().getSuspend()).isTrue();
        assertThat(reconcile("mpi-susp").getStatus().phase).isEqualTo(Phase.Suspended);

        patchSpec("mpi-susp", "{\"spec\": {\"suspend\": false}}");
        reconcile("mpi-susp");
        assertThat(job("mpi-susp").getSpec().getSuspend()).isFalse();
        assertThat(job("mpi-susp-worker").getSpec().getSuspend()).isFalse();
    }

    @Test
    void aSuspendedMpiParallelJobStartsNoWorkerAndWaitsWithoutTimingOut() {
        apply("mpi-held", "kernel: pi\ntasks: {range: {start: 0, end: 4}}\nexecutor: mpi\nmpi: {workers: 2}\nsuspend: true\n", null);
        var s = reconcile("mpi-held");
        assertThat(job("mpi-held-worker").getSpec().getSuspend()).isTrue();
        assertThat(job("mpi-held")).isNull();
        assertThat(s.getStatus().phase).isEqualTo(Phase.Suspended);
        patchSpec("mpi-held", "{\"spec\": {\"suspend\": false}}");
        reconcile("mpi-held");
        assertThat(job("mpi-held-worker").getSpec().getSuspend()).isFalse();
    }

    @Test
    void aQueueLabelWhileKueueSupportIsOffSaysWhichChartValueToSet() {
        var off = new ParallelJobReconciler(client, Fixtures.SETTINGS, new OperatorMetrics(new SimpleMeterRegistry()));
        apply("q-off", "kernel: pi\ntasks: {range: {start: 0, end: 2}}\n", "lq");
        ParallelJob pj = get("q-off");
        off.reconcile(pj, Observed.of(pj, List.of(), List.of()), writer);
        var s = get("q-off");
        assertThat(s.getStatus().phase).isEqualTo(Phase.Pending);
        assertThat(condition(s, "Running").getReason()).isEqualTo("KueueDisabled");
        assertThat(condition(s, "Running").getMessage()).contains(Kueue.QUEUE_LABEL).contains("kueue.enabled=true");
        assertThat(job("q-off")).isNull();
        assertThat(workload("q-off")).isNull();
        assertThat(events("q-off")).contains("KueueDisabled");
    }

    @Test
    void withoutAQueueNoWorkloadIsCreated() {
        apply("no-q", "kernel: pi\ntasks: {range: {start: 0, end: 2}}\n", null);
        var s = reconcile("no-q");
        assertThat(workload("no-q")).isNull();
        assertThat(job("no-q").getSpec().getSuspend()).isFalse();
        assertThat(s.getStatus().conditions).noneMatch(c -> c.getType().equals("Admitted"));
    }

    void readyWorker(String name, int index) {
        Pod p = pod(name.substring(0, name.lastIndexOf('-')), name, index, "Running", null, 0);
        p.getMetadata().getLabels().put(Names.LABEL_COMPONENT, "mpi-worker");
        p.getStatus().getConditions().add(new PodConditionBuilder().withType("Ready").withStatus("True").build());
        client.pods().inNamespace("ns1").resource(p).update();
    }

    Map<String, String> results(String name) {
        return client.configMaps().inNamespace("ns1").withName(name + "-results").get().getData();
    }

    List<String> events(String name) {
        return client.v1().events().inNamespace("ns1").list().getItems().stream()
                .filter(e -> name.equals(e.getInvolvedObject().getName())).map(e -> e.getReason()).toList();
    }

    static JsonNode conditionOf(JsonNode wl, String type) {
        for (JsonNode c : wl.at("/status/conditions")) if (type.equals(c.get("type").asText())) return c;
        throw new AssertionError("no condition " + type + " in " + wl.get("status"));
    }
}
