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
 * fewer in CI: -Dreliability.jobs), one with 100,000 tasks, and per-task results beyond the size limit.
 * Figures to stdout and target/reliability.txt.
 */
class ScaleE2ETest {
    static final String NS = "pj-scale";
    /** etcd's default request limit (--max-request-bytes 1.5 MiB): no object of ours may come near it. */
    static final int ETCD_LIMIT = 1536 * 1024;

    static void namespace() {
        var ns = Cluster.client().namespaces().withName(NS).get();
        if (ns != null && ns.getMetadata().getDeletionTimestamp() != null) {
            await().atMost(Duration.ofMinutes(3)).until(() -> Cluster.client().namespaces().withName(NS).get() == null);
        }
        Cluster.client().namespaces().resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder().withNewMetadata()
                .withName(NS).addToLabels("pod-security.kubernetes.io/enforce", "restricted").endMetadata().build()).serverSideApply();
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
            var r = Cluster.kubectl("apply", "-n", NS, "-f", f.toString());
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

    @Test
    void aHundredThousandTasksAndResultsBeyondTheLimitStayBounded() throws Exception {
        namespace();
        try {
            Cluster.apply(NS, """
                    apiVersion: parallel.dev/v1alpha1
                    kind: ParallelJob
                    metadata: {name: range-100k}
                    spec:
                      kernel: pi
                      params: {samples: 100, seed: 1}
                      tasks: {range: {start: 0, end: 100000, param: task}}
                      pods: 4
                      parallelism: 2
                    """);
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
            ParallelJob big = Cluster.awaitPhase(NS, "range-100k", Duration.ofMinutes(8), Phase.Succeeded, Phase.Failed);
            assertThat(big.getStatus().phase).isEqualTo(Phase.Succeeded);
            assertThat(big.getStatus().tasks.succeeded).isEqualTo(100_000);
            int pjBytes = bytes("pj", "range-100k");
            int cmBytes = bytes("configmap", big.getStatus().resultsConfigMap);
            assertThat(pjBytes).isLessThan(ETCD_LIMIT);
            assertThat(cmBytes).isLessThan(ETCD_LIMIT);
            ParallelJob blobs = Cluster.awaitPhase(NS, "big-results", Duration.ofMinutes(5), Phase.Succeeded, Phase.Failed);
            assertThat(blobs.getStatus().phase).as("%s", blobs.getStatus().conditions).isEqualTo(Phase.Succeeded);
            assertThat(blobs.getStatus().tasks.succeeded).isEqualTo(3000);
            var truncated = Cluster.condition(blobs, "ResultsTruncated");
            assertThat(truncated.getStatus()).isEqualTo("True");
            int blobPj = bytes("pj", "big-results");
            int blobCm = bytes("configmap", blobs.getStatus().resultsConfigMap);
            assertThat(blobPj).isLessThan(ETCD_LIMIT);
            assertThat(blobCm).isLessThan(ETCD_LIMIT);
            ReliabilityE2ETest.report(String.format(Locale.ROOT, "100,000-task ParallelJob: Succeeded (100000/100000); "
                    + "ParallelJob object %d bytes, results ConfigMap %d bytes (etcd limit %d)", pjBytes, cmBytes, ETCD_LIMIT));
            ReliabilityE2ETest.report(String.format(Locale.ROOT, "3,000 tasks x 2 KB results, reduce collect (6 MB of results): "
                    + "Succeeded, condition ResultsTruncated (%s: %s); ParallelJob %d bytes, results ConfigMap %d bytes",
                    truncated.getReason(), truncated.getMessage(), blobPj, blobCm));
        } finally {
            Cluster.client().namespaces().withName(NS).delete();
        }
    }
}
