package dev.parallel.e2e;

import dev.parallel.testkit.ParallelJobExtension;
import dev.parallel.testkit.TestNamespace;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.BeforeAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.parallel.api.contract.Json;
import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.api.v1alpha1.Phase;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.nio.file.Files;
import java.nio.file.Path;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * Issue 8's faults on the real cluster: the operator SIGKILLed while ParallelJobs run, worker pods
 * SIGKILLed and OOM-killed, kubelet, containerd and the API server restarted mid-run, a stuck job
 * turned into a Failed condition by its deadline, a ParallelJob deleted mid-run and recreated. Every
 * result is compared with the exact value. Figures go to stdout and target/reliability.txt
 * (docs/reliability.md).
 */
@ExtendWith(ParallelJobExtension.class)
class ReliabilityE2ETest {
    static String NS;

    @BeforeAll
    static void namespace(TestNamespace ns) { NS = ns.name(); }

    static void report(String line) { Cluster.report("reliability", line); }

    /** tasks x millis of sleep over pods, one thread each; the exact result is tasks * millis. */
    static String sleepJob(String name, int tasks, int millis, int pods) {
        return """
                apiVersion: parallel.dev/v1alpha1
                kind: ParallelJob
                metadata: {name: %s}
                spec:
                  kernel: sleep
                  params: {millis: %d}
                  tasks: {range: {start: 0, end: %d, param: index}}
                  reduce: sum
                  pods: %d
                  threadsPerPod: 1
                  retriesPerTask: 3
                """.formatted(name, millis, tasks, pods);
    }

    static String piJob(String name, int seed) {
        return """
                apiVersion: parallel.dev/v1alpha1
                kind: ParallelJob
                metadata: {name: %s}
                spec:
                  kernel: pi
                  params: {samples: 4000000, seed: %d}
                  tasks: {range: {start: 0, end: 8, param: task}}
                  pods: 2
                  retriesPerTask: 3
                """.formatted(name, seed);
    }

    /** The result the manifest must give, from the independent reference (bench/omp.c; see {@link ExampleReference}). */
    static Object referenceResult(String yaml) throws Exception {
        Path f = Files.createTempFile("reference", ".yaml");
        Files.writeString(f, yaml);
        var expected = ExampleReference.of(f);
        Files.delete(f);
        // Through JSON text, as status.result is read: integers that fit become Integers on both sides.
        return Json.mapper().readValue(Json.mapper().writeValueAsString(expected.result()), Object.class);
    }

    static void fresh(String name) {
        Cluster.fresh(NS, name);
    }

    static List<Pod> runningPods(String name) {
        return Cluster.client().pods().inNamespace(NS).withLabel("parallel.dev/job-name", name).list().getItems().stream()
                .filter(p -> "Running".equals(p.getStatus().getPhase())
                        && p.getStatus().getContainerStatuses().stream().allMatch(c -> c.getState().getRunning() != null))
                .toList();
    }

    static ParallelJob awaitDone(String name, Duration timeout) {
        return Cluster.awaitPhase(NS, name, timeout, Phase.Succeeded, Phase.Failed);
    }

    static void assertSucceededWith(ParallelJob pj, Object expected) {
        assertThat(pj.getStatus().phase).as("%s: %s", pj.getMetadata().getName(), pj.getStatus().conditions)
                .isEqualTo(Phase.Succeeded);
        assertThat(Json.mapper().convertValue(pj.getStatus().result, Object.class)).as(pj.getMetadata().getName())
                .isEqualTo(expected);
        assertThat(pj.getStatus().tasks.succeeded).isEqualTo(pj.getStatus().tasks.total);
    }

    static Pod readyOperator() {
        return Cluster.operatorPods().stream().filter(p -> p.getMetadata().getDeletionTimestamp() == null
                && p.getStatus().getConditions().stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus())))
                .findFirst().orElse(null);
    }

    @Test
    void theOperatorSigkilledFiveTimesWhileTenParallelJobsRun() throws Exception {
        Map<String, String> manifests = new LinkedHashMap<>();
        // Long enough (48 x 2.5 s over 2 pods each) that every one of the five kills lands while work runs.
        for (int i = 0; i < 5; i++) manifests.put("rel-kill-s" + i, sleepJob("rel-kill-s" + i, 48, 2500, 2));
        for (int i = 0; i < 5; i++) manifests.put("rel-kill-p" + i, piJob("rel-kill-p" + i, 100 + i));
        Map<String, Object> expected = new LinkedHashMap<>();
        // A sleep job's result is its total sleep (tasks x millis); pi's comes from the independent reference.
        for (var e : manifests.entrySet()) {
            expected.put(e.getKey(), e.getKey().startsWith("rel-kill-s") ? 48 * 2500 : referenceResult(e.getValue()));
        }
        manifests.keySet().forEach(ReliabilityE2ETest::fresh);

        // Every Job ADDED per ParallelJob, by uid: exactly one each, however often the operator died.
        Map<String, Set<String>> jobUids = new ConcurrentHashMap<>();
        java.util.concurrent.atomic.AtomicReference<WatcherException> watchClosed = new java.util.concurrent.atomic.AtomicReference<>();
        Watch watch = Cluster.client().batch().v1().jobs().inNamespace(NS).withLabel("parallel.dev/job-name")
                .watch(new Watcher<Job>() {
                    @Override
                    public void eventReceived(Action action, Job j) {
                        String pj = j.getMetadata().getLabels().get("parallel.dev/job-name");
                        if (pj.startsWith("rel-kill-")) jobUids.computeIfAbsent(pj, k -> ConcurrentHashMap.newKeySet()).add(j.getMetadata().getUid());
                    }

                    @Override
                    public void onClose(WatcherException e) { watchClosed.set(e); } // the proof would be void
                });
        try {
            long t0 = System.nanoTime();
            for (String yaml : manifests.values()) Cluster.apply(NS, yaml);
            long seed = System.nanoTime();
            Random rnd = new Random(seed);
            List<String> recoveries = new ArrayList<>();
            for (int k = 1; k <= 5; k++) {
                // A running operator container (it may still be starting: kills then hit start-up).
                Pod op = await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200)).until(() ->
                        Cluster.operatorPods().stream().filter(p -> p.getMetadata().getDeletionTimestamp() == null
                                && p.getStatus().getContainerStatuses() != null
                                && p.getStatus().getContainerStatuses().stream().anyMatch(c -> c.getState().getRunning() != null))
                                .findFirst().orElse(null), p -> p != null);
                long pause = 1000 + rnd.nextInt(6000);
                Thread.sleep(pause);
                op = Cluster.client().pods().inNamespace(Cluster.OPERATOR_NAMESPACE).withName(op.getMetadata().getName()).get();
                long unfinished = manifests.keySet().stream().map(n -> Cluster.get(NS, n))
                        .filter(pj -> pj.getStatus() == null || (pj.getStatus().phase != Phase.Succeeded && pj.getStatus().phase != Phase.Failed))
                        .count();
                assertThat(unfinished).as("kill %d lands while ParallelJobs still run", k).isPositive();
                long kill = System.nanoTime();
                Cluster.signal(op, "operator", "SIGKILL");
                // Every second kill also replaces the pod, so the kubelet's crash-loop back-off (10 s,
                // doubling) does not stretch the test to minutes; odd kills restart the same container.
                if (k % 2 == 0) Cluster.client().pods().inNamespace(Cluster.OPERATOR_NAMESPACE).resource(op).withGracePeriod(0).delete();
                String killed = op.getMetadata().getName();
                int restarts = op.getStatus().getContainerStatuses().get(0).getRestartCount();
                // Ready again: a new pod, or this one with its container restarted.
                await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(250)).until(() -> {
                    Pod ready = readyOperator();
                    return ready != null && (!ready.getMetadata().getName().equals(killed)
                            || ready.getStatus().getContainerStatuses().get(0).getRestartCount() > restarts);
                });
                recoveries.add(String.format("%.1f", (System.nanoTime() - kill) / 1e9));
                report("operator kill " + k + " after " + pause + " ms, " + unfinished + " ParallelJobs unfinished ("
                        + (k % 2 == 0 ? "pod replaced" : "container restarted") + "): Ready again in " + recoveries.get(k - 1) + " s");
            }
            for (String name : manifests.keySet()) assertSucceededWith(awaitDone(name, Duration.ofMinutes(5)), expected.get(name));
            double total = (System.nanoTime() - t0) / 1e9;
            assertThat(watchClosed.get()).as("the Job watch stayed open for the whole run").isNull();
            for (String name : manifests.keySet()) {
                assertThat(jobUids.get(name)).as("Jobs created for %s", name).hasSize(1);
            }
            report(String.format("operator SIGKILLed 5 times (seed %d) while 10 ParallelJobs ran: all Succeeded with the exact "
                    + "results, one Job each; recovery to Ready (s): %s; all done in %.0f s", seed, recoveries, total));
        } finally {
            watch.close();
        }
        manifests.keySet().forEach(ReliabilityE2ETest::fresh);
    }

    @Test
    void aWorkerSigkilledMidRunIsRetriedAndTheResultIsExact() throws Exception {
        String name = "rel-worker-kill";
        fresh(name);
        Cluster.apply(NS, sleepJob(name, 16, 1000, 2));
        Pod victim = await().atMost(Duration.ofSeconds(90)).until(() -> runningPods(name).stream().findFirst().orElse(null),
                p -> p != null);
        Thread.sleep(2500);
        Cluster.signal(victim, "worker", "SIGKILL");
        ParallelJob pj = awaitDone(name, Duration.ofMinutes(3));
        assertSucceededWith(pj, 16000);
        assertThat(pj.getStatus().tasks.podsFailed).as("the killed pod is counted").isGreaterThanOrEqualTo(1);
        report("worker container SIGKILLed mid-run: Succeeded, result exact (16000), status.tasks.podsFailed="
                + pj.getStatus().tasks.podsFailed);
        fresh(name);
    }

    @Test
    void aTaskThatAllocatesTooMuchIsOomKilledAndRetried() throws Exception {
        String name = "rel-oom";
        fresh(name);
        // Task 2's first attempt allocates 400 MB under a 256 Mi limit. The kernel's OOM killer takes the
        // biggest process: the dd (its task fails with 137 and is retried in the pod: tasks.retries), or
        // if it took the JVM, the pod (a new pod runs the part: podsFailed). Either way, the exact sum.
        Cluster.apply(NS, """
                apiVersion: parallel.dev/v1alpha1
                kind: ParallelJob
                metadata: {name: %s}
                spec:
                  command: >-
                    if [ "$TASK_INDEX" = 2 ] && [ ! -e /pj/work/hog ] && [ "$INDEX_FAILURES" = 0 ]; then
                    touch /pj/work/hog; dd if=/dev/zero of=/dev/null bs=400M count=1 || exit $?; fi;
                    echo "{\\"v\\": $TASK_INDEX}"
                  tasks: {range: {start: 0, end: 6, param: v}}
                  reduce: sum
                  pods: 1
                  threadsPerPod: 1
                  retriesPerTask: 1
                  resources: {requests: {cpu: 100m, memory: 256Mi}, limits: {cpu: "1", memory: 256Mi}}
                  env:
                  - name: INDEX_FAILURES
                    valueFrom: {fieldRef: {fieldPath: "metadata.annotations['batch.kubernetes.io/job-index-failure-count']"}}
                """.formatted(name));
        ParallelJob pj = awaitDone(name, Duration.ofMinutes(3));
        assertThat(pj.getStatus().phase).as("%s %s", pj.getStatus().conditions, pj.getStatus().failedTasks).isEqualTo(Phase.Succeeded);
        assertThat(Json.mapper().convertValue(pj.getStatus().result, Object.class)).isEqualTo(Map.of("v", 15));
        long retries = pj.getStatus().tasks.retries, podsFailed = pj.getStatus().tasks.podsFailed;
        // Which of the two kills happened, proven for this job: task 2 alone ran twice in the pod (its dd was
        // killed, exit 137), or one of this job's pods ended OOMKilled and its part ran again.
        var records = Cluster.cluster().jobs().taskResults(NS, name);
        boolean task2Retried = records.stream().anyMatch(r -> r.get("index").asLong() == 2 && r.get("attempts").asInt() == 2)
                && records.stream().filter(r -> r.get("index").asLong() != 2).allMatch(r -> r.get("attempts").asInt() == 1);
        boolean podOomKilled = Cluster.client().pods().inNamespace(NS).withLabel("parallel.dev/job-name", name).list().getItems()
                .stream().flatMap(p -> p.getStatus().getContainerStatuses().stream())
                .anyMatch(c -> (c.getLastState() != null && c.getLastState().getTerminated() != null
                        && "OOMKilled".equals(c.getLastState().getTerminated().getReason()))
                        || (c.getState().getTerminated() != null && "OOMKilled".equals(c.getState().getTerminated().getReason())));
        assertThat(task2Retried && retries == 1 || podOomKilled && podsFailed >= 1)
                .as("task 2 retried once (records %s, retries %d) or a pod OOMKilled (podsFailed %d)", records, retries, podsFailed)
                .isTrue();
        report("task OOM-killed (400 MB under a 256 Mi limit): Succeeded, sum exact (15), "
                + (task2Retried ? "task 2's dd killed and the task retried in the pod (retries=" + retries + ")"
                        : "the pod OOMKilled and its part rerun (podsFailed=" + podsFailed + ")"));
        fresh(name);
    }

    void survivesARestartOf(String component, int downtime) throws Exception {
        String name = "rel-restart-" + component;
        fresh(name);
        Cluster.apply(NS, sleepJob(name, 16, 1500, 2));
        await().atMost(Duration.ofSeconds(90)).until(() -> runningPods(name).size() == 2);
        Set<String> before = new java.util.TreeSet<>(runningPods(name).stream().map(p -> p.getMetadata().getUid()).toList());
        long t0 = System.nanoTime();
        var r = Cluster.restart(component, downtime);
        assertThat(r.code()).as(r.out()).isZero();
        double back = (System.nanoTime() - t0) / 1e9;
        ParallelJob pj = awaitDone(name, Duration.ofMinutes(4));
        assertSucceededWith(pj, 24000);
        // The pods that ran when the component went away carried on and finished: none was replaced.
        var after = Cluster.client().pods().inNamespace(NS).withLabel("parallel.dev/job-name", name).list().getItems();
        assertThat(after).as("pods after the %s restart", component)
                .allSatisfy(p -> assertThat(before).contains(p.getMetadata().getUid()))
                .allSatisfy(p -> assertThat(p.getStatus().getPhase()).isEqualTo("Succeeded"));
        assertThat(pj.getStatus().tasks.podsFailed).isZero();
        report(String.format("%s restarted mid-run (down %d s, back in %.0f s): Succeeded, result exact (24000), podsFailed=%d",
                component, downtime, back, pj.getStatus().tasks.podsFailed));
        fresh(name);
    }

    @Test
    void theKubeletRestartedMidRun() throws Exception {
        survivesARestartOf("kubelet", 0);
    }

    @Test
    void containerdRestartedMidRun() throws Exception {
        survivesARestartOf("containerd", 0);
    }

    @Test
    void theApiServerBrieflyUnavailableTheOperatorCatchesUpWithoutARestart() throws Exception {
        String name = "rel-apiserver";
        fresh(name);
        Cluster.apply(NS, sleepJob(name, 16, 1500, 2));
        await().atMost(Duration.ofSeconds(90)).until(() -> runningPods(name).size() == 2);
        Pod before = readyOperator();
        assertThat(before).isNotNull();
        int restartsBefore = before.getStatus().getContainerStatuses().get(0).getRestartCount();
        // Stopping takes the API server up to 20 s (it drains), then 5 s down, then its start: about
        // 30 s without an API server, inside the Lease's 50 s renew deadline.
        long t0 = System.nanoTime();
        var r = Cluster.restart("kube-apiserver", 5);
        assertThat(r.code()).as(r.out()).isZero();
        double outage = (System.nanoTime() - t0) / 1e9;
        ParallelJob pj = awaitDone(name, Duration.ofMinutes(4));
        assertSucceededWith(pj, 24000);
        // Watches reconnected: a ParallelJob created now is picked up, by the same operator container.
        String after = "rel-apiserver-after";
        fresh(after);
        Cluster.apply(NS, sleepJob(after, 2, 100, 1));
        assertSucceededWith(awaitDone(after, Duration.ofMinutes(2)), 200);
        Pod now = Cluster.client().pods().inNamespace(Cluster.OPERATOR_NAMESPACE).withName(before.getMetadata().getName()).get();
        assertThat(now).as("the same operator pod").isNotNull();
        int restartsNow = now.getStatus().getContainerStatuses().get(0).getRestartCount();
        if (restartsNow != restartsBefore) { // say why the operator restarted
            var previous = Cluster.kubectl("logs", "-n", Cluster.OPERATOR_NAMESPACE, now.getMetadata().getName(), "--previous", "--tail=40");
            throw new AssertionError("the operator restarted during the outage (" + restartsBefore + " -> " + restartsNow
                    + "); last state " + now.getStatus().getContainerStatuses().get(0).getLastState() + "; its log:\n" + previous.out());
        }
        report(String.format("API server restarted mid-run (%.0f s from stop to ready again): the operator (no restart) "
                + "caught up; Succeeded, result exact; a ParallelJob created afterwards ran", outage));
        fresh(name);
        fresh(after);
    }

    @Test
    void aStuckJobIsTurnedIntoAFailedConditionByItsDeadline() throws Exception {
        String name = "rel-deadline";
        fresh(name);
        Cluster.apply(NS, """
                apiVersion: parallel.dev/v1alpha1
                kind: ParallelJob
                metadata: {name: %s}
                spec:
                  kernel: sleep
                  params: {millis: 600000}
                  tasks: {range: {start: 0, end: 2}}
                  activeDeadlineSeconds: 20
                """.formatted(name));
        long t0 = System.nanoTime();
        ParallelJob pj = awaitDone(name, Duration.ofMinutes(2));
        assertThat(pj.getStatus().phase).isEqualTo(Phase.Failed);
        var failed = Cluster.condition(pj, "Failed");
        assertThat(failed.getReason()).isEqualTo("DeadlineExceeded");
        assertThat(failed.getMessage()).contains("deadline");
        report(String.format("tasks hanging past activeDeadlineSeconds=20: Failed, reason DeadlineExceeded, after %.0f s",
                (System.nanoTime() - t0) / 1e9));
        fresh(name);
    }

    @Test
    void deletedMidRunLeavesNothingAndARecreatedOneStartsClean() throws Exception {
        String name = "rel-recreate";
        fresh(name);
        Cluster.apply(NS, sleepJob(name, 8, 1000, 2) + "  parallelism: 1\n");
        // Deleted once one part is recorded and the other still runs: stale results exist.
        await().atMost(Duration.ofMinutes(2)).until(() -> {
            var pj = Cluster.get(NS, name);
            return pj != null && pj.getStatus() != null && pj.getStatus().tasks != null && pj.getStatus().tasks.succeeded >= 4;
        });
        String oldUid = Cluster.get(NS, name).getMetadata().getUid();
        var del = Cluster.kubectl("delete", "pj", name, "-n", NS);
        assertThat(del.code()).as(del.err()).isZero();
        Cluster.apply(NS, sleepJob(name, 8, 500, 2));
        ParallelJob pj = awaitDone(name, Duration.ofMinutes(3));
        assertThat(pj.getMetadata().getUid()).isNotEqualTo(oldUid);
        assertSucceededWith(pj, 4000); // 8 x 500: nothing of the first run's 8 x 1000
        Cluster.deleteAndWait(NS, name);
        String sel = "parallel.dev/job-name";
        await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
            assertThat(Cluster.client().batch().v1().jobs().inNamespace(NS).withLabel(sel, name).list().getItems()).isEmpty();
            assertThat(Cluster.client().pods().inNamespace(NS).withLabel(sel, name).list().getItems()).isEmpty();
            assertThat(Cluster.client().configMaps().inNamespace(NS).withLabel(sel, name).list().getItems()).isEmpty();
        });
        report("deleted mid-run with a part recorded, recreated at once with the same name: the new one Succeeded with "
                + "its own result only (4000); after deletion no Job, pod or ConfigMap left");
    }
}
