package dev.parallel.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestsTest {
    @TempDir
    Path dir;

    Manifests.InvalidManifest invalid(String yaml) throws Exception {
        Path f = dir.resolve("m.yaml");
        Files.writeString(f, yaml);
        try {
            Manifests.read(f);
        } catch (Manifests.InvalidManifest e) {
            return e;
        }
        throw new AssertionError("accepted: " + yaml);
    }

    @Test
    void examplesAreValid() throws Exception {
        try (var files = Files.walk(Path.of("../k8s-examples"))) {
            // Every example that is a ParallelJob (k8s-examples/kueue/ also holds the queues and RBAC it needs).
            for (Path p : files.filter(x -> x.toString().endsWith(".yaml") && isParallelJob(x)).toList()) {
                assertThat(Manifests.read(p).getSpec()).as(p.toString()).isNotNull();
            }
        }
    }

    private static boolean isParallelJob(Path p) {
        try {
            return Files.readString(p).lines().anyMatch(l -> l.equals("kind: ParallelJob"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void everyProblemNamesItsField() throws Exception {
        String head = "apiVersion: parallel.dev/v1alpha1\nkind: ParallelJob\nmetadata: {name: x}\n";
        assertThat(invalid(head + "spec:\n  kernel: pi\n  tasks: {range: {start: 5, end: 5}}\n  pods: 0\n").problems)
                .containsExactly("spec.tasks.range.end: must be greater than spec.tasks.range.start",
                        "spec.pods: must be >= 1, got 0");
        assertThat(invalid(head + "spec:\n  kernel: pi\n  command: echo\n  tasks: {items: []}\n").problems)
                .containsExactly("spec.tasks.items: must not be empty",
                        "spec.kernel: set exactly one of spec.kernel (a built-in kernel) or spec.command");
        assertThat(invalid(head + "spec:\n  kernel: pi\n  tasks: {range: {start: 0, end: 2}}\n  parallelizm: 3\n").problems)
                .singleElement().asString().startsWith("spec.parallelizm: Unrecognized field \"parallelizm\"");
        assertThat(invalid(head + "spec:\n  kernel: fft\n  tasks: {range: {start: 0, end: 2}}\n").problems)
                .singleElement().asString().startsWith("spec.kernel: ").contains("unknown kernel 'fft'");
        assertThat(invalid(head + "spec:\n  kernel: pi\n  tasks: {range: {start: 0, end: 2}\n").problems)
                .singleElement().asString().contains("not valid YAML");
        assertThat(invalid(head + "spec:\n  kernel: pi\n  tasks: {range: {start: 0, end: 2}}\n"
                + "  resources: {requests: {cpu: 500m, memory: 1Gi}, limits: {cpu: lots, memory: 1.5Gi}}\n").problems)
                .singleElement().asString()
                .isEqualTo("spec.resources.limits.cpu: must be a quantity such as 500m, 2 or 1Gi, got \"lots\"");
        assertThat(invalid(head + "spec:\n  kernel: pi\n  executor: cuda\n  tasks: {range: {start: 0, end: 2}}\n").problems)
                .singleElement().asString().startsWith("spec.gpu: executor: cuda requires spec.gpu");
    }

    @Test
    void aUsersMpiProgramIsValidInAnyImageAndRefusesTheBuiltInRankSettings() throws Exception {
        String head = "apiVersion: parallel.dev/v1alpha1\nkind: ParallelJob\nmetadata: {name: x}\nspec:\n  command: mpirun ./app\n"
                + "  executor: mpi\n  tasks: {range: {start: 0, end: 2}}\n";
        Path ok = dir.resolve("ok.yaml");
        Files.writeString(ok, head + "  image: registry.example/app:1\n  mpi: {workers: 2, slotsPerWorker: 2}\n");
        assertThat(Manifests.read(ok).getSpec().image).isEqualTo("registry.example/app:1");
        assertThat(invalid(head + "  mpi: {workers: 2, mode: dynamic}\n").problems).containsExactly("spec.command: with executor: mpi, "
                + "spec.command is your MPI program, run once per task on the launcher (mpirun starts its ranks): remove "
                + "spec.mpi.mode and spec.threadsPerPod, which place the ranks of built-in kernels");
        assertThat(invalid(head + "  mpi: {workers: 2}\n  threadsPerPod: 2\n  pods: 2\n").problems).containsExactly(
                "spec.mpi: with executor: mpi the split is spec.mpi.workers x spec.mpi.slotsPerWorker ranks: remove spec.pods, "
                        + "spec.tasksPerPod and spec.parallelism",
                "spec.command: with executor: mpi, spec.command is your MPI program, run once per task on the launcher (mpirun "
                        + "starts its ranks): remove spec.mpi.mode and spec.threadsPerPod, which place the ranks of built-in kernels");
    }

    @Test
    void sweepMistakesNameTheFieldAndTheFix() throws Exception {
        String head = "apiVersion: parallel.dev/v1alpha1\nkind: ParallelJob\nmetadata: {name: x}\nspec:\n  command: echo\n";
        assertThat(invalid(head + "  tasks: {matrix: {axes: [{param: lr, values: [0.1, \"0.01\"]}]}}\n").problems).singleElement()
                .asString().isEqualTo("spec.tasks.matrix.axes[0].values[0]: must be an integer or a string: write fractional "
                        + "numbers (and true/false) quoted, e.g. \"0.01\"");
        assertThat(invalid(head + "  tasks: {matrix: {axes: [{param: a, values: [1]}], exclude: [{b: 1}]}}\n"
                + "  reduction: {op: argmin, groupBy: [c]}\n").problems).containsExactly(
                "spec.tasks.matrix.exclude[0].b: is not a param of any axis; name only params of spec.tasks.matrix.axes",
                "spec.reduction.groupBy: 'c' is not a param of spec.tasks.matrix.axes");
        assertThat(invalid(head + "  tasks: {matrix: {axes: [{param: a, values: [1]}]}}\n  reduce: sum\n  reduction: {op: sum}\n")
                .problems).singleElement().asString().startsWith("spec.reduction: set at most one of spec.reduce");
    }

    /** The local runner names the same winner the cluster does (SweepE2ETest checks both against a plain computation). */
    @Test
    void theLocalRunnerNamesTheSweepsWinner() throws Exception {
        var out = new java.io.PrintStream(java.io.OutputStream.nullOutputStream());
        var outcome = new LocalRunner(out, false).run(Manifests.read(Path.of("../k8s-examples/sweep.yaml")), null, null, null, null);
        assertThat(outcome.tasks()).isEqualTo(45);
        assertThat(outcome.ok()).isEqualTo(45);
        assertThat(outcome.summary()).isEqualTo("best: lr=0.01 batch=64 seed=2, loss=0.183");
    }
}
