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
import io.fabric8.kubernetes.api.model.Event;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * spec.gpu on a cluster without GPUs (this one): the real scheduler cannot place the pods, and the
 * ParallelJob says so in a condition instead of hanging silently. With the node advertising a fake GPU
 * resource the pods run, without a driver: executor cuda's fallback and failure paths end to end.
 * Launching on a device is not tested here (CudaLaunchTest, `make test-gpu`).
 */
@ExtendWith(ParallelJobExtension.class)
class GpuSchedulingE2ETest {
    static String NS;

    @BeforeAll
    static void namespace(TestNamespace ns) { NS = ns.name(); }

    @Test
    void aGpuParallelJobStaysPendingAndSaysNoNodeHasTheGpus() throws Exception {
        String name = "e2e-gpu-pending";
        Cluster.advertise("nvidia.com/gpu", 0);
        Cluster.fresh(NS, name);
        Cluster.apply(NS, """
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

    static final String FAKE_GPU = "parallel.dev/e2e-gpu";

    static String cudaJob(String name, String fallback) {
        return """
                apiVersion: parallel.dev/v1alpha1
                kind: ParallelJob
                metadata: {name: %s}
                spec:
                  kernel: pi
                  executor: cuda
                  params: {samples: 200000, seed: 11}
                  tasks: {range: {start: 0, end: 6, param: task}}
                  pods: 2
                  gpu: {count: 1, resourceName: %s%s}
                """.formatted(name, FAKE_GPU, fallback == null ? "" : ", fallback: " + fallback);
    }

    static List<Event> events(ParallelJob pj) {
        return Cluster.client().v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> pj.getMetadata().getUid().equals(e.getInvolvedObject().getUid())).toList();
    }

    @Test
    void cudaWithoutADriverFallsBackToCpuThreadsAndSaysSo() throws Exception {
        String name = "e2e-cuda-fallback";
        Cluster.fresh(NS, name);
        Cluster.advertise(FAKE_GPU, 2);
        try {
            Cluster.apply(NS, cudaJob(name, "cpu"));
            ParallelJob pj = Cluster.awaitPhase(NS, name, Duration.ofMinutes(3), Phase.Succeeded, Phase.Failed);
            assertThat(pj.getStatus().phase).as("conditions: %s", pj.getStatus().conditions).isEqualTo(Phase.Succeeded);
            var fallback = Cluster.condition(pj, "CpuFallback");
            assertThat(fallback.getStatus()).isEqualTo("True");
            assertThat(fallback.getReason()).isEqualTo("GpuUnavailable");
            assertThat(fallback.getMessage()).contains("2 part(s) ran on CPU threads").contains("libcuda.so.1");
            // The hits the independent reference (bench/omp.c) computes from the same manifest.
            var file = java.nio.file.Files.createTempFile("cuda", ".yaml");
            java.nio.file.Files.writeString(file, cudaJob(name, "cpu"));
            var expected = ExampleReference.of(file);
            java.nio.file.Files.delete(file);
            assertThat(pj.getStatus().result).isNotNull();
            ExamplesE2ETest.assertSameResult("status.result", Json.mapper().valueToTree(pj.getStatus().result), expected.result());
            // The pods asked for the GPU; one Warning event, once.
            var pods = Cluster.client().pods().inNamespace(NS).withLabel("parallel.dev/job-name", name).list().getItems();
            assertThat(pods).isNotEmpty().allSatisfy(p -> assertThat(p.getSpec().getContainers().get(0).getResources()
                    .getLimits()).containsKey(FAKE_GPU));
            var fallbackEvents = events(pj).stream().filter(e -> "CpuFallback".equals(e.getReason())).toList();
            assertThat(fallbackEvents).hasSize(1);
            assertThat(fallbackEvents.get(0).getType()).isEqualTo("Warning");
            assertThat(Cluster.kubectl("describe", "pj", name, "-n", NS).out()).contains("CpuFallback");
            Cluster.deleteAndWait(NS, name);
        } finally {
            Cluster.advertise(FAKE_GPU, 0);
        }
    }

    @Test
    void cudaWithoutADriverAndFallbackFailFailsNamingTheDriver() throws Exception {
        String name = "e2e-cuda-fail";
        Cluster.fresh(NS, name);
        Cluster.advertise(FAKE_GPU, 2);
        try {
            Cluster.apply(NS, cudaJob(name, null));
            ParallelJob pj = Cluster.awaitPhase(NS, name, Duration.ofMinutes(3), Phase.Succeeded, Phase.Failed);
            assertThat(pj.getStatus().phase).isEqualTo(Phase.Failed);
            var failed = Cluster.condition(pj, "Failed");
            assertThat(failed.getReason()).isEqualTo("GpuUnavailable");
            assertThat(failed.getMessage()).contains("libcuda.so.1").contains("gpu.fallback: cpu");
            assertThat(pj.getStatus().tasks.failed).isPositive();
            assertThat(pj.getStatus().failedTasks).isNotEmpty()
                    .allSatisfy(f -> assertThat(f.reason).startsWith("no usable GPU: no NVIDIA driver"));
            assertThat(events(pj)).anyMatch(e -> "Failed".equals(e.getReason()) && e.getMessage().contains("libcuda.so.1"));
            Cluster.deleteAndWait(NS, name);
        } finally {
            Cluster.advertise(FAKE_GPU, 0);
        }
    }
}
