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
import dev.parallel.job.Manifests;
import io.fabric8.kubernetes.api.model.Event;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every example in k8s-examples/ on the real cluster: applied with kubectl, run by the operator as an
 * Indexed Job, every field of its status.result equal to what {@link ExampleReference} computes from the
 * manifest alone (bench/omp.c for the kernels, /bin/sh for commands: nothing of the job image or the operator);
 * events and printer columns as documented; deletion leaves no Job, pod or ConfigMap behind. sweep.yaml (an
 * argmin over a matrix) is SweepE2ETest's, against its own reference; mpi-command.yaml (a user's MPI program, whose
 * results name the worker pods) is MpiCommandE2ETest's; template-pvc.yaml is PodTemplateE2ETest's; large/ is not run.
 */
@ExtendWith(ParallelJobExtension.class)
class ExamplesE2ETest {
    static String NS;

    @BeforeAll
    static void namespace(TestNamespace ns) { NS = ns.name(); }

    /** Examples another class runs: SweepE2ETest's sweep, PodTemplateE2ETest's template (it needs data on a PVC). */
    static final List<String> OWN_TESTS = List.of("sweep.yaml", "template-pvc.yaml", "mpi-command.yaml");

    static Stream<Path> examples() throws Exception {
        return Files.list(Cluster.ROOT.resolve("k8s-examples"))
                .filter(p -> p.toString().endsWith(".yaml") && !OWN_TESTS.contains(p.getFileName().toString())).sorted();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    void exampleRunsOnTheClusterAndGivesTheReferenceResult(Path file) throws Exception {
        ParallelJob manifest = Manifests.read(file);
        String name = manifest.getMetadata().getName();
        // Computed first, from the YAML alone: a reference that cannot compute an example fails the test.
        ExampleReference.Expected expected = ExampleReference.of(file);
        Cluster.fresh(NS, name);

        // A GPU example: this node has no GPU, so it advertises the resource (as a device plugin would) and
        // the pods run without a driver: the example's gpu.fallback: cpu path, its condition and event.
        var gpu = manifest.getSpec().gpu;
        if (gpu != null) Cluster.advertise(gpu.resourceOrDefault(), gpu.count);
        try {
            runAndCheck(file, manifest, name, expected);
        } finally {
            if (gpu != null) Cluster.advertise(gpu.resourceOrDefault(), 0);
        }
    }

    private static void runAndCheck(Path file, ParallelJob manifest, String name, ExampleReference.Expected expected) throws Exception {
        var applied = Cluster.kubectl("apply", "-n", NS, "-f", file.toString());
        assertThat(applied.code()).as(applied.err()).isZero();
        if (manifest.getSpec().suspended()) { // held (as by a queue) until resumed
            ParallelJob held = Cluster.awaitPhase(NS, name, Duration.ofMinutes(1), Phase.Suspended);
            assertThat(held.getStatus().conditions).anyMatch(c -> "SuspendedBySpec".equals(c.getReason()));
            assertThat(Cluster.client().pods().inNamespace(NS).withLabel("parallel.dev/job-name", name).list().getItems()).isEmpty();
            Cluster.suspend(NS, name, false);
        }
        ParallelJob pj = Cluster.awaitPhase(NS, name, Duration.ofMinutes(4), Phase.Succeeded, Phase.Failed);
        assertThat(pj.getStatus().phase).as("conditions: %s", pj.getStatus().conditions).isEqualTo(Phase.Succeeded);

        assertThat(pj.getStatus().tasks.total).isEqualTo(expected.tasks());
        assertThat(pj.getStatus().tasks.succeeded).isEqualTo(expected.tasks());
        assertThat(pj.getStatus().tasks.failed).isZero();
        assertThat(pj.getStatus().progress).isEqualTo(expected.tasks() + "/" + expected.tasks());
        JsonNode remote = Json.mapper().valueToTree(pj.getStatus().result);
        assertSameResult("status.result", remote, expected.result());
        if (expected.result() != null && expected.result().has("estimate")) {
            assertThat(pj.getStatus().resultSummary)
                    .isEqualTo(String.format(java.util.Locale.ROOT, "pi=%.6f", expected.result().get("estimate").asDouble()));
        } else if (expected.result() != null && expected.result().isIntegralNumber()) {
            assertThat(pj.getStatus().resultSummary).isEqualTo(expected.result().asText());
        }

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

    /**
     * Every field the cluster reports equals the reference's, and the reference's are all there: the same field
     * names at every level, integers exact, fractional numbers within 1e-9 relative (matmul's sums are added in
     * another order).
     */
    static void assertSameResult(String path, JsonNode remote, JsonNode expected) {
        if (expected == null || expected.isNull()) {
            assertThat(remote == null || remote.isNull()).as("%s: expected none, got %s", path, remote).isTrue();
            return;
        }
        assertThat(remote).as("%s missing (expected %s)", path, expected).isNotNull();
        if (expected.isObject()) {
            assertThat(remote.isObject()).as("%s: %s", path, remote).isTrue();
            java.util.Set<String> want = new java.util.TreeSet<>(), got = new java.util.TreeSet<>();
            expected.fieldNames().forEachRemaining(want::add);
            remote.fieldNames().forEachRemaining(got::add);
            assertThat(got).as("fields of %s", path).isEqualTo(want);
            for (String f : want) assertSameResult(path + "." + f, remote.get(f), expected.get(f));
        } else if (expected.isIntegralNumber()) {
            assertThat(remote.isIntegralNumber()).as("%s: %s is not an integer", path, remote).isTrue();
            assertThat(remote.longValue()).as(path).isEqualTo(expected.longValue());
        } else if (expected.isNumber()) {
            assertThat(remote.isNumber()).as("%s: %s is not a number", path, remote).isTrue();
            assertThat(remote.doubleValue()).as(path).isCloseTo(expected.doubleValue(), within(Math.abs(expected.doubleValue()) * 1e-9));
        } else {
            assertThat(remote).as(path).isEqualTo(expected);
        }
    }
}
