package dev.parallel.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.parallel.api.contract.Json;
import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.api.v1alpha1.Phase;
import dev.parallel.testkit.ParallelJobCluster;
import dev.parallel.testkit.ParallelJobExtension;
import dev.parallel.testkit.TestNamespace;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What the reconciler promises that only a real cluster can show: a Job the API server refuses ends as
 * {@code JobRejected} (not a retry loop); a deleted namesake's leftovers are removed before anything is created
 * ({@code Pending}/{@code RemovingLeftovers}); with two operator replicas only the Lease holder reconciles.
 */
@ExtendWith(ParallelJobExtension.class)
class ReconcilerE2ETest {
    static String NS;

    @BeforeAll
    static void namespace(TestNamespace ns) { NS = ns.name(); }

    static final String CHART = Cluster.ROOT.resolve("helm/parallel-job-operator").toString();

    /** The Lease of the operator's leader election (LeaderElection.LEASE_NAME). */
    static final String LEASE = "parallel-job-operator";

    static List<Event> events(ParallelJob pj) {
        return Cluster.client().v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> "ParallelJob".equals(e.getInvolvedObject().getKind())
                        && pj.getMetadata().getUid().equals(e.getInvolvedObject().getUid()))
                .toList();
    }

    /** How many times events of this reason were recorded (an event repeated is one object with a count). */
    static long eventCount(ParallelJob pj, String reason) {
        return events(pj).stream().filter(e -> reason.equals(e.getReason()))
                .mapToLong(e -> e.getCount() == null ? 1 : e.getCount()).sum();
    }

    static List<Job> jobsOf(String name) {
        return Cluster.client().batch().v1().jobs().inNamespace(NS).withLabel("parallel.dev/job-name", name).list().getItems();
    }

    @Test
    void aJobTheApiServerRefusesEndsAsJobRejected() throws Exception {
        String name = "e2e-job-rejected";
        Cluster.fresh(NS, name);
        // The CRD takes any quantities (the operator checks they parse); that a request exceeds its limit only
        // the Job's pod-template validation says.
        Cluster.apply(NS, """
                apiVersion: parallel.dev/v1alpha1
                kind: ParallelJob
                metadata: {name: e2e-job-rejected}
                spec:
                  kernel: sleep
                  params: {millis: 10}
                  tasks: {range: {start: 0, end: 2}}
                  resources: {requests: {cpu: "2"}, limits: {cpu: "1"}}
                """);
        ParallelJob pj = Cluster.awaitPhase(NS, name, Duration.ofMinutes(1), Phase.Failed, Phase.Succeeded, Phase.Running);
        assertThat(pj.getStatus().phase).isEqualTo(Phase.Failed);
        var failed = Cluster.condition(pj, "Failed");
        assertThat(failed.getReason()).isEqualTo("JobRejected");
        assertThat(failed.getMessage()).startsWith("the API server rejected the Job: ")
                .endsWith("is invalid: spec.template.spec.containers[0].resources.requests: Invalid value: \"2\": "
                        + "must be less than or equal to cpu limit of 1");
        assertThat(jobsOf(name)).isEmpty();
        // Final, not retried: nothing changes for a while (a short look: the retry backoff starts at seconds).
        String status = Json.mapper().writeValueAsString(pj.getStatus());
        await().during(Duration.ofSeconds(8)).atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofSeconds(1)).until(() ->
                jobsOf(name).isEmpty() && Json.mapper().writeValueAsString(Cluster.get(NS, name).getStatus()).equals(status)
                        && eventCount(pj, "Failed") == 1);
        Cluster.deleteAndWait(NS, name);
    }

    @Test
    void aDeletedNamesakesLeftoversAreRemovedBeforeTheNewOneStarts() throws Exception {
        String name = "e2e-leftovers";
        Cluster.fresh(NS, name);
        // What a deleted ParallelJob of this name leaves when the garbage collector is late: its Job and results
        // ConfigMap, labelled as the operator labels them and owned by a uid that is not the new one's. A finalizer
        // holds them (the GC would otherwise delete them within seconds, their owner being gone), so the test sees
        // the operator wait; the old results hold a part that would spoil the sum if it were read.
        OwnerReference old = new OwnerReferenceBuilder().withApiVersion("parallel.dev/v1alpha1").withKind("ParallelJob")
                .withName(name).withUid(UUID.randomUUID().toString()).withController(true).build();
        Map<String, String> labels = Map.of("app.kubernetes.io/name", "parallel-job", "app.kubernetes.io/instance", name,
                "app.kubernetes.io/managed-by", "parallel-job-operator", "parallel.dev/job-name", name);
        String hold = "e2e.parallel.dev/hold";
        var c = Cluster.client();
        c.batch().v1().jobs().inNamespace(NS).resource(new JobBuilder()
                .withNewMetadata().withName(name).withLabels(labels).withOwnerReferences(old).withFinalizers(hold).endMetadata()
                .withNewSpec().withSuspend(true).withCompletions(7).withCompletionMode("Indexed")
                .withNewTemplate().withNewMetadata().withLabels(labels).endMetadata().withNewSpec().withRestartPolicy("Never")
                .addNewContainer().withName("worker").withImage("docker.io/parallel-dev/busybox:1.35").endContainer()
                .endSpec().endTemplate().endSpec().build()).create();
        c.configMaps().inNamespace(NS).resource(new ConfigMapBuilder()
                .withNewMetadata().withName(name + "-results").withLabels(labels).withOwnerReferences(old).withFinalizers(hold).endMetadata()
                .addToData("part-00000", "{\"part\":0,\"tasks\":3,\"ok\":3,\"failed\":0,\"retries\":0,\"partial\":999999,"
                        + "\"millis\":1,\"executor\":\"threads\"}").build()).create();
        try {
            Cluster.apply(NS, """
                    apiVersion: parallel.dev/v1alpha1
                    kind: ParallelJob
                    metadata: {name: e2e-leftovers}
                    spec:
                      kernel: sleep
                      params: {millis: 100}
                      tasks: {range: {start: 0, end: 6}}
                      reduce: sum
                      pods: 2
                    """);
            ParallelJob waiting = await().atMost(Duration.ofMinutes(1)).until(() -> Cluster.get(NS, name),
                    pj -> pj != null && pj.getStatus() != null && pj.getStatus().conditions.stream()
                            .anyMatch(x -> "RemovingLeftovers".equals(x.getReason())));
            assertThat(waiting.getStatus().phase).isEqualTo(Phase.Pending);
            assertThat(Cluster.condition(waiting, "Running").getMessage())
                    .contains("Job " + name).contains("ConfigMap " + name + "-results");
            String uid = waiting.getMetadata().getUid();
            // The operator asked for both to go (the finalizer keeps them), and created nothing of its own meanwhile:
            // a short look, while they are held.
            await().atMost(Duration.ofSeconds(30)).until(() -> deleting(c.batch().v1().jobs().inNamespace(NS).withName(name).get())
                    && deleting(c.configMaps().inNamespace(NS).withName(name + "-results").get()));
            await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(10)).until(() ->
                    Cluster.get(NS, name).getStatus().phase == Phase.Pending
                            && jobsOf(name).stream().noneMatch(j -> ownedBy(j, uid))
                            && c.pods().inNamespace(NS).withLabel("parallel.dev/job-name", name).list().getItems().isEmpty());
        } finally {
            release(c.batch().v1().jobs().inNamespace(NS).withName(name).get(), hold);
            release(c.configMaps().inNamespace(NS).withName(name + "-results").get(), hold);
        }
        ParallelJob done = Cluster.awaitPhase(NS, name, Duration.ofMinutes(3), Phase.Succeeded, Phase.Failed);
        assertThat(done.getStatus().phase).as("conditions: %s", done.getStatus().conditions).isEqualTo(Phase.Succeeded);
        assertThat(done.getStatus().tasks.succeeded).isEqualTo(6);
        assertThat(done.getStatus().result.getValue()).as("6 x 100 ms, nothing of the old part").isEqualTo(600);
        String uid = done.getMetadata().getUid();
        assertThat(jobsOf(name)).hasSize(1).allMatch(j -> ownedBy(j, uid));
        assertThat(ownedBy(c.configMaps().inNamespace(NS).withName(done.getStatus().resultsConfigMap).get(), uid)).isTrue();
        Cluster.deleteAndWait(NS, name);
    }

    static boolean deleting(HasMetadata o) { return o != null && o.getMetadata().getDeletionTimestamp() != null; }

    static boolean ownedBy(HasMetadata o, String uid) {
        return o != null && o.getMetadata().getOwnerReferences().stream().anyMatch(r -> uid.equals(r.getUid()));
    }

    static void release(HasMetadata o, String finalizer) {
        if (o == null || !o.getMetadata().getFinalizers().contains(finalizer)) return;
        var r = Cluster.kubectl("patch", o.getKind().toLowerCase(java.util.Locale.ROOT), o.getMetadata().getName(), "-n", NS,
                "--type", "json", "-p", "[{\"op\": \"remove\", \"path\": \"/metadata/finalizers\"}]");
        assertThat(r.code()).as(r.err()).isZero();
    }

    /** Live operator pods (not terminating). */
    static List<Pod> livePods() {
        return Cluster.operatorPods().stream().filter(p -> p.getMetadata().getDeletionTimestamp() == null).toList();
    }

    /** The operator pod whose name the Lease holder identity names (JOSDK uses the pod's host name). */
    static String leaseHolder() {
        var lease = Cluster.client().leases().inNamespace(Cluster.OPERATOR_NAMESPACE).withName(LEASE).get();
        return lease == null || lease.getSpec() == null ? null : lease.getSpec().getHolderIdentity();
    }

    static final Pattern RECONCILES = Pattern.compile("(?m)^paralleljob_reconcile_duration_seconds_count(?:\\{[^}]*})? (\\S+)$");

    /** How many reconciles a pod has run (its own metrics, through the API server's pod proxy); -1 when it has no such metric. */
    static long reconciles(String pod) {
        var r = Cluster.kubectl("get", "--raw", "/api/v1/namespaces/" + Cluster.OPERATOR_NAMESPACE + "/pods/" + pod + ":8080/proxy/q/metrics");
        assertThat(r.code()).as("metrics of %s: %s", pod, r.err()).isZero();
        Matcher m = RECONCILES.matcher(r.out());
        long n = -1;
        while (m.find()) n = Math.max(n, 0) + (long) Double.parseDouble(m.group(1));
        return n;
    }

    @Test
    void withTwoReplicasOnlyTheLeaseHolderReconciles() throws Exception {
        String name = "e2e-two-replicas";
        Cluster.fresh(NS, name);
        try {
            var up = Cluster.helm("upgrade", ParallelJobCluster.RELEASE, CHART, "-n", Cluster.OPERATOR_NAMESPACE,
                    "--reuse-values", "--set", "replicas=2", "--timeout", "180s");
            assertThat(up.code()).as(up.err()).isZero();
            // Both pods up and serving their metrics (the one that does not lead need not be Ready).
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2)).until(() -> {
                var pods = livePods();
                return pods.size() == 2 && pods.stream().allMatch(p -> "Running".equals(p.getStatus().getPhase()))
                        && pods.stream().allMatch(p -> Cluster.kubectl("get", "--raw", "/api/v1/namespaces/" + Cluster.OPERATOR_NAMESPACE
                        + "/pods/" + p.getMetadata().getName() + ":8080/proxy/q/metrics").code() == 0);
            });
            List<String> pods = livePods().stream().map(p -> p.getMetadata().getName()).toList();
            String holder = await().atMost(Duration.ofMinutes(2)).until(ReconcilerE2ETest::leaseHolder,
                    h -> h != null && pods.stream().anyMatch(h::startsWith));
            List<String> leaders = pods.stream().filter(holder::startsWith).toList();
            assertThat(leaders).as("pods %s, Lease holder %s", pods, holder).hasSize(1);
            String leader = leaders.get(0);
            String other = pods.stream().filter(p -> !p.equals(leader)).findFirst().orElseThrow();
            long otherBefore = reconciles(other);

            Cluster.apply(NS, """
                    apiVersion: parallel.dev/v1alpha1
                    kind: ParallelJob
                    metadata: {name: e2e-two-replicas}
                    spec:
                      kernel: sleep
                      params: {millis: 500}
                      tasks: {range: {start: 0, end: 8}}
                      reduce: sum
                      pods: 2
                    """);
            ParallelJob pj = Cluster.awaitPhase(NS, name, Duration.ofMinutes(3), Phase.Succeeded, Phase.Failed);
            assertThat(pj.getStatus().phase).as("conditions: %s", pj.getStatus().conditions).isEqualTo(Phase.Succeeded);
            assertThat(pj.getStatus().result.getValue()).isEqualTo(4000);
            assertThat(jobsOf(name)).hasSize(1);
            // A second reconciler would have recorded its own JobCreated (its create meets the first one's Job).
            assertThat(eventCount(pj, "JobCreated")).isEqualTo(1);
            assertThat(reconciles(leader)).as("the leader %s reconciled", leader).isPositive();
            assertThat(reconciles(other)).as("the other replica %s (no metric: its reconciler never started)", other)
                    .isIn(-1L, 0L).isEqualTo(otherBefore);
            assertThat(leaseHolder()).as("the Lease stayed with %s", leader).startsWith(leader);
            Cluster.deleteAndWait(NS, name);
        } finally {
            var down = Cluster.helm("upgrade", ParallelJobCluster.RELEASE, CHART, "-n", Cluster.OPERATOR_NAMESPACE,
                    "--reuse-values", "--set", "replicas=1", "--wait", "--timeout", "180s");
            assertThat(down.code()).as(down.err()).isZero();
            // The remaining pod leads again before the next class runs (it waits out the Lease if the leader went).
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2)).until(() -> {
                var live = livePods();
                String h = leaseHolder();
                return live.size() == 1 && h != null && h.startsWith(live.get(0).getMetadata().getName());
            });
        }
    }
}
