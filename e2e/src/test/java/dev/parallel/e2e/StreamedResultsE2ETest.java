package dev.parallel.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parallel.api.contract.Json;
import dev.parallel.api.contract.PartSummary;
import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.api.v1alpha1.Phase;
import dev.parallel.api.v1alpha1.TaskResultBatch;
import dev.parallel.testkit.ParallelJobExtension;
import dev.parallel.testkit.TestNamespace;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 18 on the real cluster: pods stream every task's record, the operator folds them exactly once. Progress
 * moves while a ParallelJob runs; a pod SIGKILLed mid-part, a suspend and resume, and the operator SIGKILLed three
 * times cost nothing but the unrecorded tasks, and the result is exact; the API writes per 1,000 tasks of a 10-pod
 * job are counted. Figures go to stdout and target/streamed.txt (docs/benchmarks.md, docs/reliability.md).
 */
@ExtendWith(ParallelJobExtension.class)
class StreamedResultsE2ETest {
    static String NS;

    @BeforeAll
    static void namespace(TestNamespace ns) { NS = ns.name(); }

    static void report(String line) { Cluster.report("streamed", line); }

    /** tasks x millis of sleep over pods, one thread each: the exact result is tasks * millis. */
    static String sleepJob(String name, int tasks, int millis, int pods, String extra) {
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
                %s""".formatted(name, millis, tasks, pods, extra == null ? "" : extra.indent(2));
    }

    /**
     * pi on one thread per pod; retriesPerTask also lets the Job retry a part whose pod was killed (backoffLimitPerIndex).
     * Half a CPU each: two pods at full speed starved this 2-CPU node's API server (client timeouts).
     */
    static String piJob(String name, int tasks, long samples, int pods) {
        return """
                apiVersion: parallel.dev/v1alpha1
                kind: ParallelJob
                metadata: {name: %s}
                spec:
                  kernel: pi
                  params: {samples: %d, seed: 18}
                  tasks: {range: {start: 0, end: %d, param: task}}
                  pods: %d
                  threadsPerPod: 1
                  retriesPerTask: 2
                  resources: {requests: {cpu: 100m, memory: 256Mi}, limits: {cpu: 500m, memory: 512Mi}}
                """.formatted(name, samples, tasks, pods);
    }

    static ParallelJob awaitDone(String name, Duration timeout) {
        return Cluster.awaitPhase(NS, name, timeout, Phase.Succeeded, Phase.Failed);
    }

    static Object result(ParallelJob pj) { return Json.mapper().convertValue(pj.getStatus().result, Object.class); }

    static void assertExact(ParallelJob pj, Object expected) {
        assertThat(pj.getStatus().phase).as("%s: %s", pj.getMetadata().getName(), pj.getStatus().conditions).isEqualTo(Phase.Succeeded);
        assertThat(result(pj)).as(pj.getMetadata().getName()).isEqualTo(expected);
        assertThat(pj.getStatus().tasks.succeeded).isEqualTo(pj.getStatus().tasks.total);
        assertThat(pj.getStatus().tasks.failed).isZero();
    }

    /** Every task's record is in the results ConfigMap exactly once. */
    static void assertEveryRecordOnce(String name, long tasks) {
        List<JsonNode> records = Cluster.cluster().jobs().taskResults(NS, name);
        assertThat(records).hasSize((int) tasks);
        assertThat(records.stream().map(r -> r.get("index").asLong()).distinct().count()).isEqualTo(tasks);
    }

    /** No batch is left once the run is over (deleted by label at the end). */
    static void assertNoBatchesLeft(String name) {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(Cluster.client().resources(TaskResultBatch.class)
                .inNamespace(NS).withLabel("parallel.dev/job", name).list().getItems()).isEmpty());
    }

    /** The part's pods' summaries, oldest first (each pod's termination message). */
    static List<PartSummary> summaries(String name, int part) {
        List<PartSummary> out = new ArrayList<>();
        Cluster.client().pods().inNamespace(NS).withLabel("parallel.dev/job-name", name).list().getItems().stream()
                .filter(p -> String.valueOf(part).equals(p.getMetadata().getAnnotations().get("batch.kubernetes.io/job-completion-index")))
                .sorted(java.util.Comparator.comparing(p -> p.getMetadata().getCreationTimestamp()))
                .forEach(p -> p.getStatus().getContainerStatuses().forEach(c -> {
                    var t = c.getState().getTerminated();
                    if (t != null && t.getMessage() != null && t.getMessage().startsWith("{")) {
                        try {
                            out.add(PartSummary.decode(t.getMessage()));
                        } catch (Exception e) {
                            throw new AssertionError("summary of " + p.getMetadata().getName() + ": " + t.getMessage(), e);
                        }
                    }
                }));
        return out;
    }

    /** Tasks of {@code part} in its done set in the results ConfigMap now (what a replacement pod would skip). */
    static long recorded(String name, int part) {
        ConfigMap cm = Cluster.client().configMaps().inNamespace(NS).withName(name + "-results").get();
        String done = cm == null || cm.getData() == null ? null : cm.getData().get(dev.parallel.api.contract.ResultsContract.doneKey(part));
        return done == null ? 0 : dev.parallel.api.contract.DoneSet.decode(done).count();
    }

    static Pod runningPodOf(String name, int part) {
        return await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).until(() -> Cluster.runningPods(NS, name)
                .stream().filter(p -> String.valueOf(part).equals(p.getMetadata().getAnnotations().get("batch.kubernetes.io/job-completion-index"))
                        && p.getStatus().getContainerStatuses().stream().allMatch(c -> c.getState().getRunning() != null))
                .findFirst().orElse(null), p -> p != null);
    }

    @Test
    void progressIsSeenIncreasingWhileAThousandTasksRunInTwoPods() {
        String name = "st-progress";
        Cluster.fresh(NS, name);
        long t0 = System.nanoTime();
        try {
            Cluster.apply(NS, sleepJob(name, 1000, 60, 2, null));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        List<String> seen = new ArrayList<>();
        await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofMillis(250)).until(() -> {
            ParallelJob pj = Cluster.get(NS, name);
            if (pj == null || pj.getStatus() == null) return false;
            String p = pj.getStatus().progress;
            if (p != null && (seen.isEmpty() || !seen.get(seen.size() - 1).equals(p))) seen.add(p);
            return pj.getStatus().phase == Phase.Succeeded || pj.getStatus().phase == Phase.Failed;
        });
        ParallelJob pj = Cluster.get(NS, name);
        assertExact(pj, 60_000);
        List<Long> done = seen.stream().map(p -> Long.parseLong(p.substring(0, p.indexOf('/')))).toList();
        List<Long> between = done.stream().filter(n -> n > 0 && n < 1000).toList();
        assertThat(between).as("progress values seen before completion: %s", seen).hasSizeGreaterThanOrEqualTo(5);
        assertThat(done).as("progress never goes back").isSorted();
        assertThat(pj.getStatus().live).isNotNull();
        assertThat(pj.getStatus().results.records).isEqualTo(1000);
        assertEveryRecordOnce(name, 1000);
        assertNoBatchesLeft(name);
        report(String.format("1,000 tasks x 60 ms in 2 pods: progress seen at %d values before completion (%s), done in %.0f s; "
                + "p50 %d ms, p95 %d ms", between.size(), seen, (System.nanoTime() - t0) / 1e9, pj.getStatus().live.p50Millis,
                pj.getStatus().live.p95Millis));
        Cluster.fresh(NS, name);
    }

    @Test
    void aPodSigkilledHalfwayIsReplacedByOneThatRunsOnlyTheUnrecordedTasks() throws Exception {
        String name = "st-podkill";
        Cluster.fresh(NS, name);
        // The expected result is a run of the same tasks without the kill (the same seed: pi's hits depend only on it
        // and the task index). Its duration also sizes the tasks: pi's speed here varies tenfold with the load, and the
        // kill must land mid-part, after a fold (at most ~6 s behind), so a part must take 16 s or more.
        long samples = 500_000_000L;
        ParallelJob clean = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            Cluster.fresh(NS, name + "-clean");
            Cluster.apply(NS, piJob(name + "-clean", 32, samples, 2));
            clean = awaitDone(name + "-clean", Duration.ofMinutes(6));
            assertThat(clean.getStatus().phase).isEqualTo(Phase.Succeeded);
            double secs = Duration.between(java.time.Instant.parse(clean.getStatus().startTime),
                    java.time.Instant.parse(clean.getStatus().completionTime)).toMillis() / 1000.0;
            if (secs >= 16) break;
            samples = (long) Math.min(samples * 8.0, samples * Math.ceil(20 / Math.max(1, secs)));
        }
        Object expected = result(clean);
        Cluster.fresh(NS, name + "-clean");
        String yaml = piJob(name, 32, samples, 2);
        Cluster.apply(NS, yaml);
        Pod victim = runningPodOf(name, 0);
        long block = 16;
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(100)).until(() -> recorded(name, 0) >= block / 4);
        long finishedAtKill = Cluster.tasksLogged(NS, victim);
        long recordedAtKill = recorded(name, 0);
        assertThat(finishedAtKill).as("the kill lands before part 0 ends").isLessThan(block);
        Cluster.signal(victim, "worker", "SIGKILL");
        ParallelJob pj = awaitDone(name, Duration.ofMinutes(5));
        assertExact(pj, expected);
        assertEveryRecordOnce(name, 32);
        List<PartSummary> part0 = summaries(name, 0);
        assertThat(part0).as("the replacement's summary").isNotEmpty();
        PartSummary replacement = part0.get(part0.size() - 1);
        long ran = replacement.ok() + replacement.failed();
        assertThat(replacement.skipped()).as("the replacement skipped what was recorded").isPositive();
        assertThat(replacement.skipped() + ran).as("skipped + ran = the block").isEqualTo(block);
        assertThat(replacement.skipped()).isLessThanOrEqualTo(finishedAtKill).isGreaterThanOrEqualTo(recordedAtKill);
        assertThat(pj.getStatus().tasks.podsFailed).isGreaterThanOrEqualTo(1);
        assertNoBatchesLeft(name);
        report(String.format("pi, 32 tasks x " + samples + " samples in 2 pods, part 0's pod SIGKILLed after %d of its 16 tasks finished (%d in "
                + "its done set): its replacement skipped %d (recorded) and ran %d; %d task(s) ran twice (finished, not yet recorded "
                + "when the replacement started); result %s, equal to the run without the kill", finishedAtKill, recordedAtKill, replacement.skipped(), ran,
                finishedAtKill - replacement.skipped(), result(pj)));
        Cluster.fresh(NS, name);
    }

    @Test
    void suspendThenResumeRunsOnlyTheUnrecordedTasks() throws Exception {
        String name = "st-suspend";
        Cluster.fresh(NS, name);
        Cluster.apply(NS, sleepJob(name, 200, 100, 2, null));
        Pod first = runningPodOf(name, 0);
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(100)).until(() -> Cluster.tasksLogged(NS, first) >= 40);
        Cluster.suspend(NS, name, true);
        Cluster.awaitPhase(NS, name, Duration.ofMinutes(2), Phase.Suspended);
        await().atMost(Duration.ofMinutes(2)).until(() -> Cluster.runningPods(NS, name).isEmpty());
        long recordedWhileSuspended = Cluster.get(NS, name).getStatus().tasks.succeeded;
        assertThat(recordedWhileSuspended).as("tasks recorded before the suspend").isPositive();
        Cluster.suspend(NS, name, false);
        ParallelJob pj = awaitDone(name, Duration.ofMinutes(5));
        assertExact(pj, 200 * 100);
        assertEveryRecordOnce(name, 200);
        long skipped = 0, ran = 0;
        for (int part = 0; part < 2; part++) {
            List<PartSummary> s = summaries(name, part);
            assertThat(s).as("part %d's resumed pod's summary", part).isNotEmpty();
            PartSummary last = s.get(s.size() - 1);
            assertThat(last.skipped() + last.ok() + last.failed()).isEqualTo(100);
            skipped += last.skipped();
            ran += last.ok() + last.failed();
        }
        assertThat(skipped).as("the resumed pods skipped what was recorded").isGreaterThanOrEqualTo(recordedWhileSuspended);
        assertNoBatchesLeft(name);
        report(String.format("sleep, 200 tasks in 2 pods, suspended after part 0 finished >= 40: %d recorded while suspended; "
                + "after resume the pods skipped %d and ran %d; result exact (%s)", recordedWhileSuspended, skipped, ran, result(pj)));
        Cluster.fresh(NS, name);
    }

    @Test
    void theOperatorSigkilledThreeTimesMidRunCountsEveryTaskOnce() throws Exception {
        String name = "st-opkill";
        Cluster.fresh(NS, name);
        // 480 x 300 ms over 2 pods: 72 s of work, so all three kills (and the restarts between) land mid-run.
        Cluster.apply(NS, sleepJob(name, 480, 300, 2, null));
        runningPodOf(name, 0);
        await().atMost(Duration.ofMinutes(2)).until(() -> Cluster.get(NS, name).getStatus().tasks.succeeded > 0);
        for (int k = 1; k <= 3; k++) {
            Thread.sleep(3000);
            Pod op = ReliabilityE2ETest.readyOperator();
            assertThat(op).as("a Ready operator before kill %d", k).isNotNull();
            ParallelJob now = Cluster.get(NS, name);
            assertThat(now.getStatus().phase).as("kill %d lands mid-run", k).isIn(Phase.Running, Phase.Pending);
            int restarts = op.getStatus().getContainerStatuses().get(0).getRestartCount();
            Cluster.signal(op, "operator", "SIGKILL");
            String killed = op.getMetadata().getName();
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(250)).until(() -> {
                Pod ready = ReliabilityE2ETest.readyOperator();
                return ready != null && (!ready.getMetadata().getName().equals(killed)
                        || ready.getStatus().getContainerStatuses().get(0).getRestartCount() > restarts);
            });
            report("operator kill " + k + " at progress " + now.getStatus().progress);
        }
        ParallelJob pj = awaitDone(name, Duration.ofMinutes(5));
        assertExact(pj, 480 * 300);
        assertEveryRecordOnce(name, 480);
        assertNoBatchesLeft(name);
        report("operator SIGKILLed 3 times mid-run (480 tasks in 2 pods): Succeeded, 480 of 480 counted once, every record "
                + "once, result exact (" + result(pj) + ")");
        Cluster.fresh(NS, name);
    }

    @Test
    void apiWritesPerThousandTasksOfATenPodJob() throws Exception {
        String name = "st-writes";
        Cluster.fresh(NS, name);
        AtomicLong created = new AtomicLong(), deleted = new AtomicLong(), cmUpdates = new AtomicLong(), statusWrites = new AtomicLong();
        List<Watch> watches = new ArrayList<>();
        watches.add(Cluster.client().resources(TaskResultBatch.class).inNamespace(NS).withLabel("parallel.dev/job", name)
                .watch(counter(a -> (a == Watcher.Action.ADDED ? created : a == Watcher.Action.DELETED ? deleted : null))));
        watches.add(Cluster.client().configMaps().inNamespace(NS).withField("metadata.name", name + "-results")
                .watch(counter(a -> a == Watcher.Action.MODIFIED ? cmUpdates : null)));
        watches.add(Cluster.client().resources(ParallelJob.class).inNamespace(NS).withField("metadata.name", name)
                .watch(counter(a -> a == Watcher.Action.MODIFIED ? statusWrites : null)));
        try {
            Cluster.apply(NS, sleepJob(name, 1000, 100, 10,
                    "parallelism: 10\nresources: {requests: {cpu: 10m, memory: 64Mi}, limits: {memory: 384Mi}}"));
            ParallelJob pj = awaitDone(name, Duration.ofMinutes(6));
            assertExact(pj, 1000 * 100);
            assertEveryRecordOnce(name, 1000);
            assertNoBatchesLeft(name);
            Thread.sleep(2000); // the last watch events
            double seconds = Math.max(1, java.time.Duration.between(java.time.Instant.parse(pj.getStatus().startTime),
                    java.time.Instant.parse(pj.getStatus().completionTime)).toMillis() / 1000.0);
            long writes = created.get() + deleted.get() + cmUpdates.get() + statusWrites.get();
            report(String.format("10 pods, 1,000 tasks x 100 ms: %d batches created, %d deleted, %d results ConfigMap updates, %d "
                    + "ParallelJob writes = %d API writes per 1,000 tasks over %.0f s = %.1f writes/s", created.get(), deleted.get(),
                    cmUpdates.get(), statusWrites.get(), writes, seconds, writes / seconds));
            assertThat(writes / seconds).as("API writes per second").isLessThan(20);
        } finally {
            watches.forEach(Watch::close);
        }
        Cluster.fresh(NS, name);
    }

    static <T> Watcher<T> counter(java.util.function.Function<Watcher.Action, AtomicLong> which) {
        return new Watcher<>() {
            @Override
            public void eventReceived(Action action, T resource) {
                AtomicLong c = which.apply(action);
                if (c != null) c.incrementAndGet();
            }

            @Override
            public void onClose(WatcherException e) { }
        };
    }
}
