package dev.parallel.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.api.v1alpha1.Phase;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Scale and load on the single node: many small ParallelJobs at once (500 with make test-reliability,
 * fewer in CI: -Dreliability.jobs), the objects of a 100,000-task ParallelJob no larger than a 1,000-task one's
 * (the results ConfigMap within its documented cap), and per-task results beyond the size limit.
 * Figures to stdout and target/reliability.txt.
 */
class ScaleE2ETest {
    static final String NS = "pj-scale";
    /**
     * How much a ParallelJob object may differ between 1,000 and 100,000 tasks: only numbers get longer (the range's
     * end, in the spec and kubectl's last-applied annotation, progress, counts, hits, samples, condition messages),
     * a few digits each. Anything stored per task or per result would exceed it by orders of magnitude.
     */
    static final int SAME_SIZE_SLACK = 160;
    /** The results ConfigMap's metadata (labels, owner reference, managed fields), beyond its data. */
    static final int CONFIGMAP_METADATA = 4096;

    static void namespace() {
        var ns = Cluster.client().namespaces().withName(NS).get();
        if (ns != null && ns.getMetadata().getDeletionTimestamp() != null) {
            await().atMost(Duration.ofMinutes(3)).until(() -> Cluster.client().namespaces().withName(NS).get() == null);
        }
        Cluster.client().namespaces().resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder().withNewMetadata()
                .withName(NS).addToLabels("pod-security.kubernetes.io/enforce", "restricted").endMetadata().build()).serverSideApply();
    }

    /** Condition messages (ResultsTruncated's says what is kept and where) are bounded on their own. */
    static final int MAX_CONDITION_MESSAGE = 1024;

    /**
     * The ParallelJob as stored, less its conditions (whose messages say which limit was hit, so they differ
     * between a job that fits and one that does not) and managed fields: what could grow with the task count.
     */
    static int bytesWithoutConditions(String name) throws Exception {
        var r = Cluster.kubectl("get", "pj", name, "-n", NS, "-o", "json");
        assertThat(r.code()).as(r.err()).isZero();
        var tree = (com.fasterxml.jackson.databind.node.ObjectNode) dev.parallel.api.contract.Json.mapper().readTree(r.out());
        ((com.fasterxml.jackson.databind.node.ObjectNode) tree.get("status")).remove("conditions");
        ((com.fasterxml.jackson.databind.node.ObjectNode) tree.get("metadata")).remove("managedFields");
        return dev.parallel.api.contract.Json.mapper().writeValueAsBytes(tree).length;
    }

    static int bytes(String kind, String name) {
        var r = Cluster.kubectl("get", kind, name, "-n", NS, "-o", "json");
        assertThat(r.code()).as(r.err()).isZero();
        return r.out().getBytes(StandardCharsets.UTF_8).length;
    }

    @Test
    void manySmallParallelJobsAppliedAtOnceAllCompleteAndNoneIsLost() throws Exception {
        int n = Integer.getInteger("reliability.jobs", 100);
        namespace();
        StringBuilder all = new StringBuilder();
        for (int i = 0; i < n; i++) {
            all.append("""
                    ---
                    apiVersion: parallel.dev/v1alpha1
                    kind: ParallelJob
                    metadata: {name: small-%d}
                    spec:
                      kernel: primes
                      tasks: {items: [{from: 0, to: %d}]}
                      resources: {requests: {cpu: 10m, memory: 64Mi}, limits: {cpu: 500m, memory: 256Mi}}
                      ttlSecondsAfterFinished: 30
                    """.formatted(i, 1000 + i));
        }
        Path f = Files.createTempFile("many", ".yaml");
        Files.writeString(f, all);
        // Peak heap sampled every 2 s while they run; peak RSS is the kernel's VmHWM at the end.
        AtomicLong peakHeap = new AtomicLong();
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                var m = Cluster.operatorMemory();
                if (m != null) peakHeap.accumulateAndGet((long) m.heapBytes(), Math::max);
                try {
                    Thread.sleep(2000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        sampler.setDaemon(true);
        sampler.start();
        long t0 = System.nanoTime();
        try {
            // One kubectl apply of every manifest: each ParallelJob now also gets its results writer (ServiceAccount, Role,
            // RoleBinding) and its pods stream, so on a 2-core node the apply shares the API server with more work.
            var r = Cluster.tool("kubectl", Duration.ofMinutes(6), "apply", "-n", NS, "-f", f.toString());
            assertThat(r.code()).as(r.err()).isZero();
            double applied = (System.nanoTime() - t0) / 1e9;
            await().atMost(Duration.ofMinutes(Math.max(10, n / 25))).pollInterval(Duration.ofSeconds(3)).until(() ->
                    Cluster.client().resources(ParallelJob.class).inNamespace(NS).list().getItems().stream()
                            .filter(p -> p.getStatus() != null && p.getStatus().phase != null && p.getStatus().phase.isTerminal())
                            .count() == n);
            double done = (System.nanoTime() - t0) / 1e9;
            List<ParallelJob> pjs = Cluster.client().resources(ParallelJob.class).inNamespace(NS).list().getItems();
            assertThat(pjs).hasSize(n);
            for (ParallelJob pj : pjs) {
                assertThat(pj.getStatus().phase).as(pj.getMetadata().getName()).isEqualTo(Phase.Succeeded);
                int i = Integer.parseInt(pj.getMetadata().getName().substring("small-".length()));
                assertThat(((Number) pj.getStatus().result.getValue()).longValue()).isEqualTo(primes(1000 + i));
            }
            sampler.interrupt();
            var m = Cluster.operatorMemory();
            ReliabilityE2ETest.report(String.format(Locale.ROOT, "%d small ParallelJobs applied at once (one kubectl apply, "
                    + "%.0f s): all Succeeded with exact results in %.0f s; operator peak heap %d MiB (sampled every 2 s), "
                    + "peak RSS (VmHWM) %d MiB", n, applied, done, peakHeap.get() >> 20, m.peakRssBytes() >> 20));
        } finally {
            sampler.interrupt();
            Cluster.client().namespaces().withName(NS).delete();
        }
    }

    static long primes(int below) {
        boolean[] composite = new boolean[Math.max(2, below)];
        long count = 0;
        for (int i = 2; i < below; i++) {
            if (composite[i]) continue;
            count++;
            for (long j = (long) i * i; j < below; j += i) composite[(int) j] = true;
        }
        return count;
    }

    /** The chart's jobDefaults.maxResultsBytes as installed (helm get values --all). */
    static int maxResultsBytes() throws Exception {
        var r = Cluster.helm("get", "values", dev.parallel.testkit.ParallelJobCluster.RELEASE, "-n", Cluster.OPERATOR_NAMESPACE,
                "--all", "-o", "json");
        assertThat(r.code()).as(r.err()).isZero();
        return dev.parallel.api.contract.Json.mapper().readTree(r.out()).at("/jobDefaults/maxResultsBytes").asInt();
    }

    /**
     * The documented bound on a results ConfigMap (docs/contract.md, How the operator gathers): per-task result lines
     * only while they fit under maxResultsBytes, plus one summary of at most 4 KiB (and its key) per part, plus metadata.
     */
    static long resultsBound(int maxResultsBytes, int parts) {
        return maxResultsBytes + (long) parts * (4096 + 32) + CONFIGMAP_METADATA;
    }

    static String piJob(String name, int tasks) {
        return """
                apiVersion: parallel.dev/v1alpha1
                kind: ParallelJob
                metadata: {name: %s}
                spec:
                  kernel: pi
                  params: {samples: 100, seed: 1}
                  tasks: {range: {start: 0, end: %d, param: task}}
                  pods: 4
                  parallelism: 2
                """.formatted(name, tasks);
    }

    @Test
    void aHundredThousandTasksAndResultsBeyondTheLimitStayBounded() throws Exception {
        namespace();
        try {
            // The same job at 1,000 and 100,000 tasks (names of the same length): the objects must not grow.
            Cluster.apply(NS, piJob("tasks-001k", 1_000));
            Cluster.apply(NS, piJob("tasks-100k", 100_000));
            // Per-task results far beyond the limit: 3,000 command tasks of 2 KB each, collected.
            Cluster.apply(NS, """
                    apiVersion: parallel.dev/v1alpha1
                    kind: ParallelJob
                    metadata: {name: big-results}
                    spec:
                      command: 'printf "{\\"blob\\": \\"%02000d\\"}\\n" "$TASK_INDEX"'
                      tasks: {range: {start: 0, end: 3000, param: x}}
                      reduce: collect
                      pods: 2
                    """);
            int max = maxResultsBytes();
            int[] pjBytes = new int[2];
            int[] cmBytes = new int[2];
            String[] names = {"tasks-001k", "tasks-100k"};
            for (int i = 0; i < 2; i++) {
                ParallelJob pj = Cluster.awaitPhase(NS, names[i], Duration.ofMinutes(8), Phase.Succeeded, Phase.Failed);
                assertThat(pj.getStatus().phase).as("%s: %s", names[i], pj.getStatus().conditions).isEqualTo(Phase.Succeeded);
                Path manifest = Files.createTempFile(names[i], ".yaml");
                Files.writeString(manifest, piJob(names[i], i == 0 ? 1_000 : 100_000));
                var expected = ExampleReference.of(manifest);
                Files.delete(manifest);
                assertThat(pj.getStatus().tasks.succeeded).isEqualTo(expected.tasks());
                ExamplesE2ETest.assertSameResult(names[i] + " status.result",
                        dev.parallel.api.contract.Json.mapper().valueToTree(pj.getStatus().result), expected.result());
                pjBytes[i] = bytesWithoutConditions(names[i]);
                assertThat(pj.getStatus().conditions).as("%s: condition messages stay short", names[i])
                        .allSatisfy(c -> assertThat(c.getMessage().length()).isLessThanOrEqualTo(MAX_CONDITION_MESSAGE));
                cmBytes[i] = bytes("configmap", pj.getStatus().resultsConfigMap);
                assertThat(cmBytes[i]).as("results ConfigMap of %s", names[i]).isLessThanOrEqualTo((int) resultsBound(max, 4));
            }
            assertThat(Math.abs(pjBytes[1] - pjBytes[0])).as("ParallelJob object less conditions: %d bytes at 1,000 tasks, %d at 100,000",
                    pjBytes[0], pjBytes[1]).isLessThanOrEqualTo(SAME_SIZE_SLACK);
            // 1,000 tasks' per-task lines fit (about 80 KB); 100,000 tasks' do not, and the condition says so.
            var small = Cluster.client().configMaps().inNamespace(NS).withName("tasks-001k-results").get();
            assertThat(small.getData().keySet()).anyMatch(k -> k.endsWith(".results.jsonl"));
            assertThat(Cluster.condition(Cluster.get(NS, "tasks-100k"), "ResultsTruncated").getStatus()).isEqualTo("True");

            ParallelJob blobs = Cluster.awaitPhase(NS, "big-results", Duration.ofMinutes(5), Phase.Succeeded, Phase.Failed);
            assertThat(blobs.getStatus().phase).as("%s", blobs.getStatus().conditions).isEqualTo(Phase.Succeeded);
            assertThat(blobs.getStatus().tasks.succeeded).isEqualTo(3000);
            var truncated = Cluster.condition(blobs, "ResultsTruncated");
            assertThat(truncated.getStatus()).isEqualTo("True");
            int blobPj = bytesWithoutConditions("big-results");
            assertThat(blobs.getStatus().conditions).allSatisfy(c -> assertThat(c.getMessage().length()).isLessThanOrEqualTo(MAX_CONDITION_MESSAGE));
            int blobCm = bytes("configmap", blobs.getStatus().resultsConfigMap);
            // 6 MB of results: the object holds none of them (measured as the pi jobs are, less conditions and
            // managed fields: within 1 KiB of the 1,000-task pi job; its longer command and reduce make the rest).
            assertThat(blobPj).as("ParallelJob big-results less conditions").isLessThanOrEqualTo(pjBytes[0] + 1024);
            assertThat(blobCm).as("results ConfigMap of big-results").isLessThanOrEqualTo((int) resultsBound(max, 2));
            ReliabilityE2ETest.report(String.format(Locale.ROOT, "pi ParallelJob at 1,000 / 100,000 tasks: Succeeded, results exact; "
                    + "ParallelJob object %d / %d bytes (slack %d), results ConfigMap %d / %d bytes (bound %d: maxResultsBytes %d "
                    + "+ 4 summaries + metadata)", pjBytes[0], pjBytes[1], SAME_SIZE_SLACK, cmBytes[0], cmBytes[1],
                    resultsBound(max, 4), max));
            ReliabilityE2ETest.report(String.format(Locale.ROOT, "3,000 tasks x 2 KB results, reduce collect (6 MB of results): "
                    + "Succeeded, condition ResultsTruncated (%s: %s); ParallelJob %d bytes, results ConfigMap %d bytes (bound %d)",
                    truncated.getReason(), truncated.getMessage(), blobPj, blobCm, resultsBound(max, 2)));
        } finally {
            Cluster.client().namespaces().withName(NS).delete();
        }
    }
}
