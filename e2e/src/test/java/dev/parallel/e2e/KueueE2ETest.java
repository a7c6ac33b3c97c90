package dev.parallel.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parallel.api.contract.Json;
import dev.parallel.api.testing.Preconditions;
import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.api.v1alpha1.Phase;
import dev.parallel.testkit.Kueue;
import dev.parallel.testkit.ParallelJobCluster;
import dev.parallel.testkit.ParallelJobExtension;
import dev.parallel.testkit.TestNamespace;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * ParallelJobs in a real Kueue (v0.17, testkit {@link Kueue}) with the operator's Kueue support on (chart value
 * kueue.enabled): a ClusterQueue of 1 CPU runs one 1-CPU ParallelJob at a time, the next waits Queued with
 * Kueue's own message; an MPI ParallelJob bigger than the quota starts no worker, and one that fits is admitted
 * as a whole; a ParallelJob preempted mid-run by a higher-priority one finishes after re-admission with exact
 * results, no part counted twice; one without a queue is left alone.
 */
@ExtendWith(ParallelJobExtension.class)
@TestMethodOrder(MethodOrderer.MethodName.class)
class KueueE2ETest {
    static final String CHART = Cluster.ROOT.resolve("helm/parallel-job-operator").toString();
    static final String LQ = "pj-lq";
    static String NS;
    static Kueue kueue;

    @BeforeAll
    static void kueue(ParallelJobCluster cluster, TestNamespace ns) {
        String why = Kueue.missing(cluster);
        Preconditions.need("kueue", why == null, why);
        NS = ns.name();
        kueue = Kueue.install(cluster);
        kueue.manage(NS);
        kueue.apply(Kueue.resourceFlavor("pj-flavor"));
        kueue.apply(Kueue.clusterQueue("pj-cq", "pj-flavor", Map.of("cpu", "1", "memory", "6Gi"), "LowerPriority"));
        kueue.apply(Kueue.localQueue(NS, LQ, "pj-cq"));
        kueue.apply(Kueue.workloadPriorityClass("pj-low", 100));
        kueue.apply(Kueue.workloadPriorityClass("pj-high", 1000));
        operatorKueue(true);
        // The README's worked example is what this Kueue accepts (server-side dry run: nothing is created).
        for (String f : List.of("kueue-rbac.yaml", "queues.yaml", "pi-queued.yaml")) {
            var r = Cluster.kubectl("apply", "--dry-run=server", "-n", NS, "-f", Cluster.ROOT.resolve("k8s-examples/kueue/" + f).toString());
            assertThat(r.code()).as("k8s-examples/kueue/%s: %s", f, r.err()).isZero();
        }
    }

    /** The operator back without Kueue support first (its Workload informer would lose its CRD), then Kueue goes. */
    @AfterAll
    static void operatorBack() {
        if (kueue == null) return;
        try {
            operatorKueue(false);
        } finally {
            kueue.uninstall();
        }
    }

    /** The operator's warnings and errors, for a failing test's message. */
    static String operatorLog() {
        try {
            return Cluster.operatorPods().stream().map(p -> Cluster.client().pods().inNamespace(Cluster.OPERATOR_NAMESPACE)
                    .withName(p.getMetadata().getName()).tailingLines(300).getLog()).flatMap(String::lines)
                    .filter(l -> l.contains("WARN") || l.contains("ERROR")).map(l -> l.length() > 400 ? l.substring(0, 400) : l)
                    .reduce((a, b) -> a + "\n" + b).orElse("(none)");
        } catch (RuntimeException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** The last lines of Kueue's controller log, for a failing test's message. */
    static String kueueLog() {
        try {
            var pods = Cluster.client().pods().inNamespace(Kueue.NAMESPACE).withLabel("control-plane", "controller-manager").list().getItems();
            return pods.isEmpty() ? "(no Kueue controller pod)" : Cluster.client().pods().inNamespace(Kueue.NAMESPACE)
                    .withName(pods.get(0).getMetadata().getName()).tailingLines(200).getLog().lines()
                    .filter(l -> !l.contains("does not exist")) // v0.17 logs this for every child Job of an external framework
                    .map(l -> l.length() > 400 ? l.substring(0, 400) + "..." : l)
                    .reduce((a, b) -> a + "\n" + b).orElse("");
        } catch (RuntimeException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** The operator with Kueue support on or off (a rolling upgrade; the new pod leads once the Lease is free). */
    static void operatorKueue(boolean on) {
        var up = Cluster.helm("upgrade", ParallelJobCluster.RELEASE, CHART, "-n", Cluster.OPERATOR_NAMESPACE, "--reuse-values",
                "--set", "kueue.enabled=" + on, "--wait", "--timeout", "180s");
        assertThat(up.code()).as(up.err()).isZero();
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2)).until(() -> Cluster.operatorPods().stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null).allMatch(p -> p.getSpec().getContainers().get(0).getEnv()
                        .stream().anyMatch(e -> "PARALLEL_JOB_KUEUE_ENABLED".equals(e.getName()) && String.valueOf(on).equals(e.getValue()))));
    }

    /** Command tasks x = 0..tasks-1, each sleeping then answering x (param n would be YAML's boolean): the exact result is the sum 0 + ... + (tasks-1). */
    static String pj(String name, String labels, int tasks, int pods, int parallelism, String cpu, int sleep) {
        return """
                apiVersion: parallel.dev/v1alpha1
                kind: ParallelJob
                metadata:
                  name: %s
                  labels: {%s}
                spec:
                  command: 'sleep %d; echo $TASK_PARAM_X'
                  tasks: {range: {start: 0, end: %d, param: x}}
                  reduce: sum
                  threadsPerPod: 1
                  pods: %d
                  parallelism: %d
                  resources:
                    requests: {cpu: %s, memory: 256Mi}
                    limits: {cpu: %s, memory: 512Mi}
                """.formatted(name, labels, sleep, tasks, pods, parallelism, cpu, cpu);
    }

    static String queued(String priority) {
        return "kueue.x-k8s.io/queue-name: " + LQ + (priority == null ? "" : ", kueue.x-k8s.io/priority-class: " + priority);
    }

    static GenericKubernetesResource workload(String name) {
        List<GenericKubernetesResource> all = kueue.workloadsOf(NS, "ParallelJob", name);
        assertThat(all).as("Workloads of ParallelJob %s", name).hasSizeLessThanOrEqualTo(1);
        return all.isEmpty() ? null : all.get(0);
    }

    static void assertExact(ParallelJob pj, int tasks) {
        assertThat(pj.getStatus().phase).as("conditions %s", pj.getStatus().conditions).isEqualTo(Phase.Succeeded);
        assertThat(pj.getStatus().tasks.total).isEqualTo(tasks);
        assertThat(pj.getStatus().tasks.succeeded).isEqualTo(tasks);
        assertThat(pj.getStatus().tasks.failed).isZero();
        JsonNode result = Json.mapper().valueToTree(pj.getStatus().result);
        assertThat(result.asLong()).as("sum of 0..%d", tasks - 1).isEqualTo((long) tasks * (tasks - 1) / 2);
    }

    static List<Pod> pods(String name) {
        return Cluster.client().pods().inNamespace(NS).withLabel("parallel.dev/job-name", name).list().getItems();
    }

    @Test
    void a_theSecondOfTwoOneCpuParallelJobsWaitsQueuedUntilTheFirstFinishes() throws Exception {
        try {
            // Long enough (6 x 8 s) to be running still when the unqueued one below has finished on a loaded node.
            Cluster.apply(NS, pj("kq-first", queued(null), 6, 1, 1, "1", 8));
            Cluster.awaitPhase(NS, "kq-first", Duration.ofMinutes(3), Phase.Running);
            Thread.sleep(1500); // creationTimestamp has 1 s resolution: a fixed FIFO order
            Cluster.apply(NS, pj("kq-second", queued(null), 4, 1, 1, "1", 1));
            // Kueue's own words, in the ParallelJob's status; the Job exists but no pod runs.
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                ParallelJob second = Cluster.get(NS, "kq-second");
                assertThat(second.getStatus()).isNotNull();
                assertThat(second.getStatus().phase).isEqualTo(Phase.Queued);
                assertThat(Cluster.condition(second, "Admitted").getMessage()).contains("insufficient unused quota for cpu");
            });
            assertThat(Cluster.kubectl("get", "pj", "kq-second", "-n", NS).out()).contains("Queued");
            assertThat(Cluster.client().batch().v1().jobs().inNamespace(NS).withName("kq-second").get().getSpec().getSuspend()).isTrue();
            assertThat(pods("kq-second")).isEmpty();
            assertThat(workload("kq-second")).isNotNull();

            // A ParallelJob without a queue in the same namespace: no Workload, runs while the queue is full.
            Cluster.apply(NS, pj("kq-none", "", 3, 1, 1, "100m", 0));
            ParallelJob none = Cluster.awaitPhase(NS, "kq-none", Duration.ofMinutes(2), Phase.Succeeded, Phase.Failed);
            assertExact(none, 3);
            assertThat(kueue.workloadsOf(NS, "ParallelJob", "kq-none")).isEmpty();
            assertThat(kueue.workloadsOf(NS, "Job", "kq-none")).isEmpty();
            assertThat(none.getStatus().conditions).noneMatch(c -> "Admitted".equals(c.getType()));
            assertThat(Cluster.get(NS, "kq-first").getStatus().phase).isEqualTo(Phase.Running);
            assertThat(Cluster.get(NS, "kq-second").getStatus().phase).isEqualTo(Phase.Queued);

            ParallelJob first = Cluster.awaitPhase(NS, "kq-first", Duration.ofMinutes(3), Phase.Succeeded, Phase.Failed);
            assertExact(first, 6);
            // Finished on the Workload: the quota goes back at once, and the second is admitted after the first ended.
            awaitFinished("kq-first");
            ParallelJob second = Cluster.awaitPhase(NS, "kq-second", Duration.ofMinutes(3), Phase.Succeeded, Phase.Failed);
            assertExact(second, 4);
            Instant secondStarted = Instant.parse(second.getStatus().startTime);
            assertThat(secondStarted).isAfterOrEqualTo(Instant.parse(first.getStatus().completionTime).minusSeconds(1));
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError(e.getMessage() + "\nKueue's log, last lines:\n" + kueueLog() + "\noperator's warnings:\n" + operatorLog(), e);
        } finally {
            for (String n : List.of("kq-first", "kq-second", "kq-none")) Cluster.fresh(NS, n);
        }
    }

    @Test
    void b_anMpiParallelJobBiggerThanTheQuotaStartsNoWorkerAndOneThatFitsIsAdmittedWhole() throws Exception {
        String mpi = """
                apiVersion: parallel.dev/v1alpha1
                kind: ParallelJob
                metadata:
                  name: %s
                  labels: {%s}
                spec:
                  kernel: sleep
                  params: {millis: 200}
                  tasks: {range: {start: 0, end: 4, param: index}}
                  reduce: sum
                  executor: mpi
                  mpi: {workers: 2, slotsPerWorker: 1}
                  threadsPerPod: 1
                  resources:
                    requests: {cpu: %s, memory: 256Mi}
                    limits: {memory: 512Mi}
                """;
        try {
            // 2 workers x 600m + the launcher's 100m: more than the 1 CPU of quota, so never admitted.
            Cluster.apply(NS, mpi.formatted("kq-mpi-big", queued(null), "600m"));
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                ParallelJob big = Cluster.get(NS, "kq-mpi-big");
                assertThat(big.getStatus()).isNotNull();
                assertThat(big.getStatus().phase).isEqualTo(Phase.Queued);
                assertThat(Cluster.condition(big, "Admitted").getMessage()).contains("insufficient");
            });
            JsonNode podSets = Json.mapper().valueToTree(workload("kq-mpi-big")).at("/spec/podSets");
            assertThat(podSets).extracting(p -> p.get("name").asText() + "x" + p.get("count").asInt()).containsExactly("launcherx1", "workersx2");
            Thread.sleep(10_000);
            assertThat(pods("kq-mpi-big")).as("no worker pod, no launcher").isEmpty();
            assertThat(Cluster.client().batch().v1().jobs().inNamespace(NS).withName("kq-mpi-big-worker").get().getSpec().getSuspend()).isTrue();
            assertThat(Cluster.get(NS, "kq-mpi-big").getStatus().phase).isEqualTo(Phase.Queued);
            Cluster.fresh(NS, "kq-mpi-big");

            // 2 x 400m + 100m fits: launcher and workers admitted together, and the run is exact.
            Cluster.apply(NS, mpi.formatted("kq-mpi", queued(null), "400m"));
            ParallelJob done = Cluster.awaitPhase(NS, "kq-mpi", Duration.ofMinutes(4), Phase.Succeeded, Phase.Failed);
            assertThat(done.getStatus().phase).as("conditions %s", done.getStatus().conditions).isEqualTo(Phase.Succeeded);
            assertThat(done.getStatus().tasks.succeeded).isEqualTo(4);
            awaitFinished("kq-mpi");
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError(e.getMessage() + "\nKueue's log, last lines:\n" + kueueLog() + "\noperator's warnings:\n" + operatorLog(), e);
        } finally {
            Cluster.fresh(NS, "kq-mpi-big");
            Cluster.fresh(NS, "kq-mpi");
        }
    }

    @Test
    void c_aParallelJobPreemptedMidRunFinishesAfterReadmissionWithEachPartCountedOnce() throws Exception {
        try {
            // 8 tasks in 4 parts of 2, two parts at a time (2 x 500m = the whole quota), 4 s a task.
            Cluster.apply(NS, pj("kq-low", queued("pj-low"), 8, 4, 2, "500m", 4));
            // Preempt once some parts are recorded and others still run.
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500)).until(() -> {
                ParallelJob low = Cluster.get(NS, "kq-low");
                return low != null && low.getStatus() != null && low.getStatus().tasks != null && low.getStatus().tasks.succeeded >= 2;
            });
            ParallelJob before = Cluster.get(NS, "kq-low");
            assertThat(before.getStatus().tasks.succeeded).isLessThan(8);
            Map<String, String> partsBefore = results("kq-low");
            Cluster.apply(NS, pj("kq-high", queued("pj-high"), 2, 1, 1, "1", 1));

            // Kueue evicts the low one: the operator stops its pods and it is Queued again.
            await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
                assertThat(Kueue.condition(workload("kq-low"), "Evicted").map(c -> c.getReason())).contains("Preempted");
                assertThat(Cluster.get(NS, "kq-low").getStatus().phase).isEqualTo(Phase.Queued);
            });
            // Queued again, its pods gone: what is recorded now is what the pods after re-admission must not run again.
            Map<String, String> atEviction = results("kq-low");
            ParallelJob high = Cluster.awaitPhase(NS, "kq-high", Duration.ofMinutes(3), Phase.Succeeded, Phase.Failed);
            assertExact(high, 2);
            ParallelJob low = Cluster.awaitPhase(NS, "kq-low", Duration.ofMinutes(4), Phase.Succeeded, Phase.Failed);
            assertExact(low, 8);
            // The parts final before the eviction were kept as they were and never run again; the tasks recorded of the
            // parts that were running were kept too (their lines are the start of the part's lines) and skipped by
            // the pods that ran those parts after re-admission (streamed results: the done sets).
            Map<String, String> partsAfter = results("kq-low");
            for (var e : partsBefore.entrySet()) {
                String k = e.getKey();
                if (k.matches("part-\\d{5}")) assertThat(partsAfter.get(k)).as(k).isEqualTo(e.getValue());
                else if (k.endsWith(".results.jsonl")) assertThat(partsAfter.get(k)).as(k).startsWith(e.getValue());
            }
            // A part with some of its 2 tasks recorded had its pod stopped mid-part: the next pod must skip those. A part
            // with both recorded may have ended on its own (then it never runs again) or been stopped just before.
            long mustSkip = 0, maySkip = 0;
            for (var e : atEviction.entrySet()) {
                String part = e.getKey().substring(0, "part-00000".length());
                if (!e.getKey().endsWith(".results.jsonl") || atEviction.containsKey(part)) continue;
                long n = e.getValue().lines().count();
                if (n < 2) mustSkip += n;
                maySkip += n;
            }
            long skipped = 0;
            for (int part = 0; part < 4; part++) {
                String key = String.format("part-%05d", part);
                List<Long> indices = new java.util.ArrayList<>();
                for (String l : partsAfter.get(key + ".results.jsonl").lines().toList()) indices.add(Json.mapper().readTree(l).get("index").asLong());
                assertThat(indices).as("%s: each task recorded once", key).hasSize(2).doesNotHaveDuplicates();
                if (!partsBefore.containsKey(key)) skipped += Json.mapper().readTree(partsAfter.get(key)).path("skipped").asLong();
            }
            assertThat(skipped).as("tasks of unfinished parts recorded before the eviction, not run again after it")
                    .isBetween(mustSkip, maySkip);
            System.out.printf("[kueue] preempted mid-run: %d recorded task(s) of unfinished parts skipped after re-admission%n", skipped);
            Map<String, Long> succeededPerIndex = pods("kq-low").stream()
                    .filter(p -> "Succeeded".equals(p.getStatus().getPhase()))
                    .collect(Collectors.groupingBy(p -> p.getMetadata().getAnnotations().get("batch.kubernetes.io/job-completion-index"),
                            Collectors.counting()));
            assertThat(succeededPerIndex).as("one succeeded pod per part").containsOnlyKeys("0", "1", "2", "3")
                    .allSatisfy((k, n) -> assertThat(n).isEqualTo(1L));
            List<String> reasons = Cluster.client().v1().events().inNamespace(NS).list().getItems().stream()
                    .filter(e -> "kq-low".equals(e.getInvolvedObject().getName())).map(e -> e.getReason()).toList();
            assertThat(reasons).contains("WorkloadCreated", "Admitted", "Evicted", "Succeeded");
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError(e.getMessage() + "\nKueue's log, last lines:\n" + kueueLog() + "\noperator's warnings:\n" + operatorLog(), e);
        } finally {
            Cluster.fresh(NS, "kq-low");
            Cluster.fresh(NS, "kq-high");
        }
    }

    /** The operator marks the Workload Finished just after the ParallelJob's final status. */
    static void awaitFinished(String name) {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(Kueue.condition(workload(name), "Finished").map(c -> c.getStatus())).as("Workload Finished").contains("True"));
    }

    /** The parts recorded in the results ConfigMap (part-NNNNN: the part's summary). */
    static Map<String, String> results(String name) {
        var cm = Cluster.client().configMaps().inNamespace(NS).withName(name + "-results").get();
        return cm == null || cm.getData() == null ? Map.of() : cm.getData().entrySet().stream()
                .filter(e -> e.getKey().startsWith("part-")).collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }
}
