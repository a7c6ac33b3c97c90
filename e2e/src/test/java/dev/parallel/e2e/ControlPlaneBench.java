package dev.parallel.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.api.v1alpha1.ParallelJobSpec;
import dev.parallel.api.v1alpha1.Phase;
import dev.parallel.api.v1alpha1.TaskRange;
import dev.parallel.api.v1alpha1.TaskSource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * A benchmark, not a test (excluded from `make test`; `make bench-operator` runs it): apply-to-Job
 * latency over 100 ParallelJobs, then 1,000 reconciled at once, and the operator's memory. ParallelJobs
 * are suspended so no pods start: this measures the control plane only.
 */
class ControlPlaneBench {
    static final String NS = "pj-bench";

    static ParallelJob pj(String name) {
        ParallelJob pj = new ParallelJob();
        pj.getMetadata().setName(name);
        ParallelJobSpec s = new ParallelJobSpec();
        s.tasks = new TaskSource();
        s.tasks.range = new TaskRange(0, 4, 1, "millis");
        s.kernel = dev.parallel.api.v1alpha1.Kernel.SLEEP;
        s.suspend = true;
        pj.setSpec(s);
        return pj;
    }

    @Test
    void controlPlane() throws Exception {
        var client = Cluster.client();
        await().atMost(Duration.ofMinutes(5)).until(() -> { // a previous run's namespace may still be going away
            var ns = client.namespaces().withName(NS).get();
            return ns == null || ns.getMetadata().getDeletionTimestamp() == null;
        });
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS)
                .addToLabels("pod-security.kubernetes.io/enforce", "restricted").endMetadata().build()).serverSideApply();
        Map<String, Long> seen = new ConcurrentHashMap<>();
        var watch = client.batch().v1().jobs().inNamespace(NS).watch(new Watcher<Job>() {
            public void eventReceived(Action a, Job j) { seen.putIfAbsent(j.getMetadata().getName(), System.nanoTime()); }
            public void onClose(WatcherException e) {}
        });
        StringBuilder report = new StringBuilder();
        try {
            // 1. Latency, one at a time.
            List<Double> ms = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                String name = "lat-" + i;
                long t0 = System.nanoTime();
                client.resources(ParallelJob.class).inNamespace(NS).resource(pj(name)).create();
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(2)).until(() -> seen.containsKey(name));
                ms.add((seen.get(name) - t0) / 1e6);
            }
            Collections.sort(ms);
            report.append(String.format(Locale.ROOT, "apply -> Job created, 100 ParallelJobs one at a time: p50 %.0f ms, p95 %.0f ms, max %.0f ms%n",
                    ms.get(49), ms.get(94), ms.get(99)));

            // 2. Throughput: 1,000 at once, until each has its Job and a Suspended status.
            long t0 = System.nanoTime();
            // 8 client threads, as many kubectl applies would: one client alone is slower than the operator.
            var pool = new java.util.concurrent.ForkJoinPool(8);
            pool.submit(() -> java.util.stream.IntStream.range(0, 1000).parallel().forEach(i ->
                    client.resources(ParallelJob.class).inNamespace(NS).resource(pj("many-" + i)).create())).get();
            pool.shutdown();
            double created = (System.nanoTime() - t0) / 1e9;
            await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofSeconds(1)).until(() ->
                    client.resources(ParallelJob.class).inNamespace(NS).list().getItems().stream()
                            .filter(p -> p.getMetadata().getName().startsWith("many-"))
                            .filter(p -> p.getStatus() != null && p.getStatus().phase == Phase.Suspended).count() == 1000);
            double all = (System.nanoTime() - t0) / 1e9;
            assertThat(seen.keySet().stream().filter(n -> n.startsWith("many-"))).hasSize(1000);
            report.append(String.format(Locale.ROOT, "1,000 ParallelJobs: created by the client in %.1f s, all reconciled "
                    + "(Job created, status Suspended) in %.1f s%n", created, all));
            report.append(operatorMemory());
        } finally {
            watch.close();
            client.namespaces().withName(NS).delete();
        }
        System.out.print(report);
        Files.writeString(Path.of("target/control-plane-bench.txt"), report);
    }

    static String operatorMemory() {
        var m = Cluster.operatorMemory();
        return m == null ? "operator memory: no operator pod found\n" : String.format(Locale.ROOT,
                "operator after 1,100 ParallelJobs: heap used %.0f MiB; VmRSS %d MiB, VmHWM (peak RSS) %d MiB%n",
                m.heapBytes() / 1048576.0, m.rssBytes() >> 20, m.peakRssBytes() >> 20);
    }
}
