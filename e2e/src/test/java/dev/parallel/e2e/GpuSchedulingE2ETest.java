package dev.parallel.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * spec.gpu on a cluster without GPUs (this one): the real scheduler cannot place the pods, and the
 * ParallelJob says so in a condition instead of hanging silently. Launching on a device is not tested here.
 */
class GpuSchedulingE2ETest {
    static final String NS = "default";

    @Test
    void aGpuParallelJobStaysPendingAndSaysNoNodeHasTheGpus() throws Exception {
        String name = "e2e-gpu-pending";
        if (Cluster.get(NS, name) != null) Cluster.deleteAndWait(NS, name);
        FaultsE2ETest.apply("""
                apiVersion: parallel.dev/v1alpha1
                kind: ParallelJob
                metadata: {name: %s}
                spec:
                  kernel: pi
                  params: {samples: 1000, seed: 1}
                  tasks: {range: {start: 0, end: 4, param: task}}
                  gpu: {count: 1}
                """.formatted(name));
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            var st = Cluster.get(NS, name).getStatus();
            assertThat(st).isNotNull();
            var running = st.conditions.stream().filter(c -> "Running".equals(c.getType())).findFirst().orElseThrow();
            assertThat(running.getReason()).isEqualTo("Unschedulable");
            assertThat(running.getMessage()).contains("nvidia.com/gpu");
        });
        var pods = Cluster.client().pods().inNamespace(NS).withLabel("parallel.dev/job-name", name).list().getItems();
        assertThat(pods).isNotEmpty().allMatch(p -> "Pending".equals(p.getStatus().getPhase()));
        var get = Cluster.kubectl("get", "pj", name, "-n", NS);
        assertThat(get.out()).contains("Pending");
        Cluster.deleteAndWait(NS, name);
    }
}
