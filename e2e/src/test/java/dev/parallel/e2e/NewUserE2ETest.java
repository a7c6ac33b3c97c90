package dev.parallel.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.api.v1alpha1.Phase;
import dev.parallel.testkit.ParallelJobExtension;
import dev.parallel.testkit.TestNamespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What a new user tried and found broken (issue 17), on the real cluster: the longest and dotted names, for
 * the worker path and executor: mpi; a tasks ConfigMap applied after its ParallelJob; the NetworkPolicies
 * the chart turns on (the test cluster's CNI does not enforce them: their selection is what is checked).
 */
@ExtendWith(ParallelJobExtension.class)
class NewUserE2ETest {
    static String NS;

    @BeforeAll
    static void namespace(TestNamespace ns) { NS = ns.name(); }

    /** Primes below 100 and from 100 to 200: 25 + 21. */
    static String primes(String name, boolean mpi) {
        return """
                apiVersion: parallel.dev/v1alpha1
                kind: ParallelJob
                metadata: {name: %s}
                spec:
                  kernel: primes
                  tasks: {items: [{from: 0, to: 100}, {from: 100, to: 200}]}
                %s""".formatted(name, mpi ? "  executor: mpi\n  mpi: {workers: 2}\n  threadsPerPod: 1\n" : "  pods: 2\n");
    }

    static String name(String kind, String prefix) {
        return switch (kind) {
            case "longest" -> prefix + "-" + "x".repeat(251 - prefix.length()) + "z";
            case "dots" -> prefix + ".v2.run-1";
            default -> throw new IllegalArgumentException(kind);
        };
    }

    static List<Pod> pods(String instance) {
        return Cluster.client().pods().inNamespace(NS).withLabel("app.kubernetes.io/instance", instance).list().getItems();
    }

    @ParameterizedTest(name = "{0} name, {1}")
    @CsvSource({"longest, workers", "longest, mpi", "dots, workers", "dots, mpi"})
    void everyNameTheApiServerAcceptsRunsToTheExactResult(String kind, String executor) throws Exception {
        boolean mpi = executor.equals("mpi");
        String name = name(kind, mpi ? "m" : "w");
        assertThat(name.length()).isLessThanOrEqualTo(253);
        if (kind.equals("longest")) assertThat(name).hasSize(253);
        Cluster.fresh(NS, name);
        Cluster.apply(NS, primes(name, mpi));
        ParallelJob pj = Cluster.awaitPhase(NS, name, Duration.ofMinutes(3), Phase.Succeeded, Phase.Failed);
        assertThat(pj.getStatus().phase).as("%s", pj.getStatus().conditions).isEqualTo(Phase.Succeeded);
        assertThat(pj.getStatus().progress).isEqualTo("2/2");
        assertThat(pj.getStatus().resultSummary).isEqualTo("46");
        String jobName = pj.getStatus().jobName;
        assertThat(jobName).hasSizeLessThanOrEqualTo(47).doesNotContain(".");
        // The pods carry the full name, which is how the operator found them.
        assertThat(pods(jobName)).isNotEmpty().allSatisfy(p ->
                assertThat(p.getMetadata().getAnnotations()).containsEntry("parallel.dev/job-name", name));
        Cluster.deleteAndWait(NS, name);
    }

    @Test
    void aTasksConfigMapAppliedAfterItsParallelJobIsWaitedFor() throws Exception {
        String name = "e2e-cm-later";
        Cluster.fresh(NS, name);
        Cluster.kubectl("delete", "configmap", name + "-tasks", "-n", NS, "--ignore-not-found");
        // kubectl apply -f dir/ in file order: the ParallelJob first.
        Cluster.apply(NS, """
                apiVersion: parallel.dev/v1alpha1
                kind: ParallelJob
                metadata: {name: %s}
                spec: {kernel: primes, pods: 2, tasks: {configMapRef: {name: %s-tasks}}}
                """.formatted(name, name));
        ParallelJob waiting = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> Cluster.get(NS, name), p -> p != null && p.getStatus() != null && p.getStatus().phase != null);
        assertThat(waiting.getStatus().phase).isEqualTo(Phase.Pending);
        var running = Cluster.condition(waiting, "Running");
        assertThat(running.getReason()).isEqualTo("TasksNotFound");
        assertThat(running.getMessage()).startsWith("spec.tasks.configMapRef: ConfigMap " + name + "-tasks not found in namespace "
                + NS + "; waiting for it to be created");
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(Cluster.client().v1().events().inNamespace(NS).list()
                .getItems()).filteredOn(e -> name.equals(e.getInvolvedObject().getName()) && "TasksNotFound".equals(e.getReason()))
                .singleElement().satisfies(e -> assertThat(e.getType()).isEqualTo("Warning")));
        Thread.sleep(3000); // still waiting, not failed, a few seconds on
        assertThat(Cluster.get(NS, name).getStatus().phase).isEqualTo(Phase.Pending);
        var cm = Cluster.kubectl("create", "configmap", name + "-tasks", "-n", NS,
                "--from-literal=tasks.jsonl={\"from\": 0, \"to\": 100}\n{\"from\": 100, \"to\": 200}\n");
        assertThat(cm.code()).as(cm.err()).isZero();
        ParallelJob done = Cluster.awaitPhase(NS, name, Duration.ofMinutes(2), Phase.Succeeded, Phase.Failed);
        assertThat(done.getStatus().phase).as("%s", done.getStatus().conditions).isEqualTo(Phase.Succeeded);
        assertThat(done.getStatus().resultSummary).isEqualTo("46");
        assertThat(Cluster.client().v1().events().inNamespace(NS).list().getItems())
                .filteredOn(e -> name.equals(e.getInvolvedObject().getName()) && "TasksNotFound".equals(e.getReason()))
                .as("one Warning, however often it looked again").singleElement().satisfies(e -> assertThat(e.getCount()).isEqualTo(1));
        Cluster.deleteAndWait(NS, name);
        Cluster.kubectl("delete", "configmap", name + "-tasks", "-n", NS);
    }

    /** Whether a policy's podSelector (matchLabels only, as ours are) selects a pod. */
    static boolean selects(Map<String, String> matchLabels, Pod p) {
        return p.getMetadata().getLabels().entrySet().containsAll(matchLabels.entrySet());
    }

    @Test
    void networkPoliciesSelectTheirOwnParallelJobsPodsAndTheOperatorsPort() throws Exception {
        String a = "e2e-np-a", b = "e2e-np-b";
        for (String n : List.of(a, b)) {
            Cluster.fresh(NS, n);
            Cluster.apply(NS, MpiE2ETest.slowMpiJob(n, 0, 4)); // 4 x 1.5 s on 2 ranks: long enough to see every pod
        }
        // Each while it runs (its workers are stopped and deleted when it ends; the two may not fit the node at once):
        // its launcher and its workers, all the pods of both together.
        Map<String, Pod> seen = new java.util.LinkedHashMap<>();
        await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofMillis(200)).until(() -> {
            Cluster.client().pods().inNamespace(NS).withLabel("app.kubernetes.io/managed-by", "parallel-job-operator").list().getItems()
                    .forEach(p -> seen.put(p.getMetadata().getUid(), p));
            return List.of(a, b).stream().allMatch(n -> seen.values().stream()
                    .filter(p -> n.equals(p.getMetadata().getLabels().get("parallel.dev/job-name")))
                    .map(p -> p.getMetadata().getLabels().get("app.kubernetes.io/component")).distinct().count() == 2);
        });
        for (String n : List.of(a, b)) {
            ParallelJob pj = Cluster.awaitPhase(NS, n, Duration.ofMinutes(3), Phase.Succeeded, Phase.Failed);
            assertThat(pj.getStatus().phase).as("%s: %s", n, pj.getStatus().conditions).isEqualTo(Phase.Succeeded);
            assertThat(pj.getStatus().tasks.succeeded).isEqualTo(4);
        }
        List<Pod> all = List.copyOf(seen.values());
        assertThat(all).extracting(p -> p.getMetadata().getLabels().get("parallel.dev/job-name")).contains(a, b);
        NetworkPolicy np = Cluster.client().network().v1().networkPolicies().inNamespace(NS).withName(a + "-ingress").get();
        assertThat(np).as("the operator created the ParallelJob's NetworkPolicy").isNotNull();
        assertThat(np.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> assertThat(o.getName()).isEqualTo(a));
        var selected = all.stream().filter(p -> selects(np.getSpec().getPodSelector().getMatchLabels(), p))
                .map(p -> p.getMetadata().getLabels().get("app.kubernetes.io/component")).distinct().sorted().toList();
        assertThat(selected).as("a's launcher and workers").containsExactly("launcher", "mpi-worker");
        assertThat(all).filteredOn(p -> selects(np.getSpec().getPodSelector().getMatchLabels(), p))
                .allSatisfy(p -> assertThat(p.getMetadata().getLabels()).containsEntry("parallel.dev/job-name", a));
        var from = np.getSpec().getIngress().get(0).getFrom().get(0).getPodSelector().getMatchLabels();
        assertThat(all).filteredOn(p -> selects(from, p)).isNotEmpty()
                .allSatisfy(p -> assertThat(p.getMetadata().getLabels()).as("only a's pods may connect").containsEntry("parallel.dev/job-name", a));
        // The operator's own: its pods, port 8080 only (metrics and health).
        var op = Cluster.client().network().v1().networkPolicies().inNamespace(Cluster.OPERATOR_NAMESPACE).list().getItems();
        assertThat(op).singleElement().satisfies(p -> {
            assertThat(Cluster.operatorPods()).isNotEmpty().allMatch(pod -> selects(p.getSpec().getPodSelector().getMatchLabels(), pod));
            assertThat(p.getSpec().getIngress()).singleElement().satisfies(r ->
                    assertThat(r.getPorts()).singleElement().satisfies(port -> assertThat(port.getPort().getIntVal()).isEqualTo(8080)));
        });
        // Pods run as uid 10000 by default.
        assertThat(all).allSatisfy(p -> assertThat(p.getSpec().getSecurityContext().getRunAsUser()).isEqualTo(10000L));
        for (String n : List.of(a, b)) Cluster.deleteAndWait(NS, n);
    }
}
