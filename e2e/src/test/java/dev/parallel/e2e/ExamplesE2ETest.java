package dev.parallel.e2e;

import dev.parallel.testkit.ParallelJobExtension;
import dev.parallel.testkit.TestNamespace;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.BeforeAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parallel.api.contract.Json;
import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.api.v1alpha1.Phase;
import dev.parallel.job.LocalRunner;
import dev.parallel.job.Manifests;
import io.fabric8.kubernetes.api.model.Event;
import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every example in k8s-examples/ on the real cluster: applied with kubectl, run by the operator as an
 * Indexed Job, its gathered result equal to the same manifest run locally by the same kernels; events
 * and printer columns as documented; deletion leaves no Job, pod or ConfigMap behind.
 */
@ExtendWith(ParallelJobExtension.class)
class ExamplesE2ETest {
    static String NS;

    @BeforeAll
    static void namespace(TestNamespace ns) { NS = ns.name(); }

    static Stream<Path> examples() throws Exception {
        return Files.list(Cluster.ROOT.resolve("k8s-examples")).filter(p -> p.toString().endsWith(".yaml")).sorted();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    void exampleRunsOnTheClusterAndMatchesTheLocalResult(Path file) throws Exception {
        ParallelJob manifest = Manifests.read(file);
        String name = manifest.getMetadata().getName();
        Cluster.fresh(NS, name);

        // A GPU example: this node has no GPU, so it advertises the resource (as a device plugin would) and
        // the pods run without a driver: the example's gpu.fallback: cpu path, its condition and event.
        var gpu = manifest.getSpec().gpu;
        if (gpu != null) Cluster.advertise(gpu.resourceOrDefault(), gpu.count);
        try {
            runAndCheck(file, manifest, name);
        } finally {
            if (gpu != null) Cluster.advertise(gpu.resourceOrDefault(), 0);
        }
    }

    private static void runAndCheck(Path file, ParallelJob manifest, String name) throws Exception {
        var applied = Cluster.kubectl("apply", "-n", NS, "-f", file.toString());
        assertThat(applied.code()).as(applied.err()).isZero();
        if (manifest.getSpec().suspended()) { // held (as by a queue) until resumed
            ParallelJob held = Cluster.awaitPhase(NS, name, Duration.ofMinutes(1), Phase.Suspended);
            assertThat(held.getStatus().conditions).anyMatch(c -> "SuspendedBySpec".equals(c.getReason()));
            assertThat(Cluster.client().pods().inNamespace(NS).withLabel("parallel.dev/job-name", name).list().getItems()).isEmpty();
            var resumed = Cluster.kubectl("patch", "pj", name, "-n", NS, "--type", "merge", "-p", "{\"spec\":{\"suspend\":false}}");
            assertThat(resumed.code()).as(resumed.err()).isZero();
        }
        ParallelJob pj = Cluster.awaitPhase(NS, name, Duration.ofMinutes(4), Phase.Succeeded, Phase.Failed);
        assertThat(pj.getStatus().phase).as("conditions: %s", pj.getStatus().conditions).isEqualTo(Phase.Succeeded);

        var local = new LocalRunner(new PrintStream(OutputStream.nullOutputStream()), false)
                .run(manifest, null, null, null, null);
        assertThat(pj.getStatus().tasks.total).isEqualTo(local.tasks());
        assertThat(pj.getStatus().tasks.succeeded).isEqualTo(local.ok());
        assertThat(pj.getStatus().progress).isEqualTo(local.tasks() + "/" + local.tasks());
        JsonNode remote = Json.MAPPER.valueToTree(pj.getStatus().result);
        assertSameResult(remote, local.result());

        // Printer columns, as users see them.
        var get = Cluster.kubectl("get", "pj", name, "-n", NS);
        assertThat(get.out().lines().findFirst().orElse("")).containsSubsequence("NAME", "PHASE", "PROGRESS", "RESULT", "AGE");
        assertThat(get.out()).contains("Succeeded").contains(pj.getStatus().progress);

        // Events on the transitions.
        List<String> reasons = Cluster.client().v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> name.equals(e.getInvolvedObject().getName())
                        && "ParallelJob".equals(e.getInvolvedObject().getKind())
                        && pj.getMetadata().getUid().equals(e.getInvolvedObject().getUid()))
                .map(Event::getReason).toList();
        if (manifest.getSpec().mpi != null) {
            assertThat(reasons).contains("MpiWorkersCreated", "MpiLauncherCreated", "MpiWorkersStopped", "Succeeded");
        } else {
            assertThat(reasons).contains("JobCreated", "Succeeded");
        }
        if (manifest.getSpec().suspended()) assertThat(reasons).contains("Resumed");
        if (manifest.getSpec().gpu != null) {
            assertThat(reasons).contains("CpuFallback");
            assertThat(pj.getStatus().conditions).anyMatch(c -> "CpuFallback".equals(c.getType())
                    && "True".equals(c.getStatus()) && c.getMessage().contains("libcuda.so.1"));
        }
        assertThat(reasons.stream().filter("Succeeded"::equals).count()).isEqualTo(1);

        // Results ConfigMap holds one summary per part.
        var results = Cluster.client().configMaps().inNamespace(NS).withName(pj.getStatus().resultsConfigMap).get();
        assertThat(results.getData().keySet().stream().filter(k -> k.matches("part-\\d+"))).isNotEmpty();

        // Deleting the ParallelJob removes everything it created (owner references + the GC).
        Cluster.deleteAndWait(NS, name);
        String selector = "parallel.dev/job-name=" + name;
        await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
            assertThat(Cluster.client().batch().v1().jobs().inNamespace(NS).withLabel("parallel.dev/job-name", name).list().getItems()).isEmpty();
            assertThat(Cluster.client().pods().inNamespace(NS).withLabel("parallel.dev/job-name", name).list().getItems()).isEmpty();
            assertThat(Cluster.client().configMaps().inNamespace(NS).withLabel("parallel.dev/job-name", name).list().getItems()).isEmpty();
        });
    }

    static void assertSameResult(JsonNode remote, JsonNode local) {
        if (local == null) {
            assertThat(remote == null || remote.isNull()).isTrue();
        } else if (local.isObject()) {
            local.fieldNames().forEachRemaining(f -> assertSameResult(remote.get(f), local.get(f)));
        } else if (local.isIntegralNumber()) {
            assertThat(remote.asLong()).isEqualTo(local.asLong());
        } else if (local.isNumber()) {
            assertThat(remote.asDouble()).isCloseTo(local.asDouble(), within(Math.abs(local.asDouble()) * 1e-9));
        } else {
            assertThat(remote).isEqualTo(local);
        }
    }
}
