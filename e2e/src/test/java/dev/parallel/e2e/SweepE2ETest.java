package dev.parallel.e2e;

import dev.parallel.testkit.ParallelJobExtension;
import dev.parallel.testkit.TestNamespace;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.BeforeAll;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parallel.api.contract.Json;
import dev.parallel.api.contract.PodContract;
import dev.parallel.api.tasks.Task;
import dev.parallel.api.v1alpha1.MatrixAxis;
import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.api.v1alpha1.Phase;
import dev.parallel.job.LocalRunner;
import dev.parallel.job.Manifests;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The sweep examples on the real cluster. sweep.yaml: the winner in status is the one a plain Java
 * computation of the example's loss over the same grid finds (nested loops, not the product's decoding
 * or Reducer), and the local runner prints the same summary. large/sweep-10m.yaml: ten million
 * combinations are a small object, and a few sampled tasks decode as the grid says.
 */
@ExtendWith(ParallelJobExtension.class)
class SweepE2ETest {
    static String NS;

    @BeforeAll
    static void namespace(TestNamespace ns) { NS = ns.name(); }

    /** The example's shell arithmetic, in Java: loss in thousandths. */
    static int lossMillis(String lr, int batch, int seed) {
        int e = lr.substring("0.".length()).length(); // lr = 10^-e
        int q = (batch - 64) / 32;
        return 183 + 100 * (e - 2) * (e - 2) + 50 * q * q + (seed * 3 + e) % 4;
    }

    static String text(IntOrString v) { return v.getIntVal() != null ? v.getIntVal().toString() : v.getStrVal(); }

    @Test
    void theSweepNamesTheCombinationALocalComputationFinds() throws Exception {
        Path file = Cluster.ROOT.resolve("k8s-examples/sweep.yaml");
        ParallelJob manifest = Manifests.read(file);
        Cluster.fresh(NS, "sweep");

        // Independently: every combination in nested loops, excluded ones skipped, the first minimum kept.
        List<MatrixAxis> axes = manifest.getSpec().tasks.matrix.axes;
        Map<String, IntOrString> excluded = manifest.getSpec().tasks.matrix.exclude.get(0);
        int tasks = 0, best = Integer.MAX_VALUE;
        String bestId = null;
        com.fasterxml.jackson.databind.node.ObjectNode bestRow = null;
        for (IntOrString lr : axes.get(0).values) {
            for (IntOrString batch : axes.get(1).values) {
                if (text(lr).equals(text(excluded.get("lr"))) && text(batch).equals(text(excluded.get("batch")))) continue;
                for (long seed = axes.get(2).range.start; seed < axes.get(2).range.end; seed++) {
                    tasks++;
                    int m = lossMillis(text(lr), batch.getIntVal(), (int) seed);
                    if (m < best) {
                        best = m;
                        bestId = "lr=" + text(lr) + ",batch=" + batch.getIntVal() + ",seed=" + seed;
                        // The documented argmin value (docs/contract.md, Reduction): id, params, the "by" field, index.
                        bestRow = Json.mapper().createObjectNode();
                        bestRow.put("id", bestId);
                        bestRow.putObject("params").put("lr", text(lr)).put("batch", batch.getIntVal()).put("seed", seed);
                        bestRow.put("loss", m / 1000.0);
                        bestRow.put("index", tasks - 1);
                    }
                }
            }
        }
        String expectedSummary = String.format(Locale.ROOT, "best: %s, loss=%s", bestId.replace(',', ' '), best / 1000.0);

        var applied = Cluster.kubectl("apply", "-n", NS, "-f", file.toString());
        assertThat(applied.code()).as(applied.err()).isZero();
        ParallelJob pj = Cluster.awaitPhase(NS, "sweep", Duration.ofMinutes(4), Phase.Succeeded, Phase.Failed);
        assertThat(pj.getStatus().phase).as("conditions: %s", pj.getStatus().conditions).isEqualTo(Phase.Succeeded);
        assertThat(pj.getStatus().tasks.total).isEqualTo(tasks);
        assertThat(pj.getStatus().tasks.succeeded).isEqualTo(tasks);
        JsonNode result = Json.mapper().valueToTree(pj.getStatus().result);
        assertThat(result.get("id").asText()).isEqualTo(bestId);
        assertThat(result.get("loss").asDouble()).isEqualTo(best / 1000.0);
        assertThat(result.get("params").get("lr").asText()).isEqualTo(bestId.replaceAll("lr=([^,]*),.*", "$1"));
        ExamplesE2ETest.assertSameResult("status.result", result, bestRow); // every field, both ways
        assertThat(pj.getStatus().resultSummary).isEqualTo(expectedSummary);
        assertThat(Cluster.kubectl("get", "pj", "sweep", "-n", NS).out()).contains(expectedSummary);

        // Per-task results carry the ids that name the combination.
        var results = Cluster.client().configMaps().inNamespace(NS).withName(pj.getStatus().resultsConfigMap).get();
        assertThat(String.join("\n", results.getData().values())).contains("\"id\":\"" + bestId + "\"");

        // An extra check, not the expected side: the local runner (same kernels and Reducer as the pods) agrees.
        var local = new LocalRunner(new PrintStream(OutputStream.nullOutputStream()), false).run(manifest, null, null, null, null);
        assertThat(local.summary()).isEqualTo(expectedSummary);
        Cluster.deleteAndWait(NS, "sweep");
    }

    @Test
    void tenMillionCombinationsAreASmallObject() throws Exception {
        Path file = Cluster.ROOT.resolve("k8s-examples/large/sweep-10m.yaml");
        Cluster.fresh(NS, "sweep-10m");
        var applied = Cluster.kubectl("apply", "-n", NS, "-f", file.toString());
        assertThat(applied.code()).as(applied.err()).isZero();
        // The example is applied suspended: the operator plans it and creates its Job, no pod runs.
        ParallelJob pj = Cluster.awaitPhase(NS, "sweep-10m", Duration.ofMinutes(1), Phase.Suspended);
        assertThat(pj.getStatus().tasks.total).isEqualTo(10_000_000L);
        var json = Cluster.kubectl("get", "pj", "sweep-10m", "-n", NS, "-o", "json");
        assertThat(json.out().length()).as("the stored object, status included").isLessThan(6000);

        var job = Cluster.client().batch().v1().jobs().inNamespace(NS).withName(pj.getStatus().jobName).get();
        assertThat(job.getSpec().getCompletions()).isEqualTo(200);
        Map<String, String> env = new HashMap<>();
        for (EnvVar e : job.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv()) {
            if (e.getValue() != null) env.put(e.getName(), e.getValue());
        }
        assertThat(env.get(PodContract.MATRIX)).hasSizeLessThan(300);
        // A few sampled pods' blocks, decoded from the Job's own environment as those pods would: 50,000
        // tasks each, task i = (x, y, z) = (i / 10000, i / 10 % 1000, i % 10 + 1).
        for (int part : new int[] {0, 117, 199}) {
            env.put(PodContract.PART_INDEX, Integer.toString(part));
            List<Task> block = PodContract.fromEnv(env).partTasks();
            assertThat(block).hasSize(50_000);
            for (Task t : List.of(block.get(0), block.get(12_345), block.get(block.size() - 1))) {
                long i = t.index();
                assertThat(i / 50_000).isEqualTo(part);
                assertThat(t.id()).isEqualTo("x=" + i / 10_000 + ",y=" + i / 10 % 1000 + ",z=" + (i % 10 + 1));
            }
        }
        assertThat(Cluster.client().pods().inNamespace(NS).withLabel("parallel.dev/job-name", "sweep-10m").list().getItems()).isEmpty();
        Cluster.deleteAndWait(NS, "sweep-10m");
    }
}
