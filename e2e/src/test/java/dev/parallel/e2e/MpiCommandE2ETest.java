package dev.parallel.e2e;

import dev.parallel.testkit.ParallelJobExtension;
import dev.parallel.testkit.TestNamespace;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.BeforeAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parallel.api.contract.Json;
import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.api.v1alpha1.Phase;
import io.fabric8.kubernetes.api.model.Pod;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * executor: mpi with spec.command, the user's own MPI program, on the real cluster in a namespace that enforces
 * the restricted profile: k8s-examples/mpi-command.yaml as it stands (ranks in the job image), the same program
 * with spec.image (the launcher runs the shell runner beside the job-image sidecar, the workers run sshd
 * configured on its command line), and a program whose mpirun fails. Each task's result is checked exactly
 * against what 2 workers x 2 slots must print: ranks 0-3 of 4, two on each worker pod, rank x n summed.
 */
@ExtendWith(ParallelJobExtension.class)
class MpiCommandE2ETest {
    static String NS;
    static final Path EXAMPLE = Cluster.ROOT.resolve("k8s-examples/mpi-command.yaml");

    @BeforeAll
    static void namespace(TestNamespace ns) { NS = ns.name(); }

    static List<Pod> pods(String name, String component) {
        return Cluster.client().pods().inNamespace(NS).withLabel("parallel.dev/job-name", name)
                .withLabel("app.kubernetes.io/component", component).list().getItems();
    }

    /** The job image the operator runs its pods in (the chart's value). */
    static String jobImage() {
        var d = Cluster.client().apps().deployments().inNamespace(Cluster.OPERATOR_NAMESPACE).list().getItems().get(0);
        return d.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
                .filter(e -> "PARALLEL_JOB_JOB_IMAGE".equals(e.getName())).findFirst().orElseThrow().getValue();
    }

    /** The example's per-task results, as 4 ranks on the two worker pods print them: n = 1, 2, 3. */
    static void resultsAreExact(String name, ParallelJob pj) throws Exception {
        assertThat(pj.getStatus().phase).as("%s", pj.getStatus().conditions).isEqualTo(Phase.Succeeded);
        assertThat(pj.getStatus().tasks.total).isEqualTo(3);
        assertThat(pj.getStatus().tasks.succeeded).isEqualTo(3);
        assertThat(pj.getStatus().result.getValue()).isEqualTo(36); // sum over n of (0 + 1 + 2 + 3) x n
        var cm = Cluster.client().configMaps().inNamespace(NS).withName(pj.getStatus().resultsConfigMap).get();
        List<String> lines = cm.getData().get("part-00000.results.jsonl").lines().filter(l -> !l.isBlank()).toList();
        assertThat(lines).hasSize(3);
        String hosts = "[\"" + name + "-worker-0\",\"" + name + "-worker-1\"]"; // the worker pods' host names
        List<String> values = new ArrayList<>();
        for (String l : lines) {
            JsonNode r = Json.mapper().readTree(l);
            assertThat(r.get("ok").asBoolean()).as(l).isTrue();
            values.add(r.get("index").asInt() + " " + r.get("value"));
        }
        assertThat(values).containsExactlyInAnyOrder(
                "0 {\"ranks\":4,\"size\":4,\"hosts\":" + hosts + ",\"weighted\":6}",
                "1 {\"ranks\":4,\"size\":4,\"hosts\":" + hosts + ",\"weighted\":12}",
                "2 {\"ranks\":4,\"size\":4,\"hosts\":" + hosts + ",\"weighted\":18}");
    }

    /** After the run the workers are stopped and the keys and Service deleted, as for built-in kernels. */
    static void nothingLeftRunning(String name) {
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertThat(pods(name, "mpi-worker")).as("worker pods running after the run")
                    .noneMatch(p -> p.getMetadata().getDeletionTimestamp() == null
                            && !"Failed".equals(p.getStatus().getPhase()) && !"Succeeded".equals(p.getStatus().getPhase()));
            assertThat(Cluster.client().secrets().inNamespace(NS).withName(name + "-ssh").get()).isNull();
            assertThat(Cluster.client().services().inNamespace(NS).withName(name + "-mpi").get()).isNull();
        });
    }

    @Test
    void theExampleRunsFourRanksOnTheTwoWorkerPodsForEachTaskAndTheResultsAreExact() throws Exception {
        String name = "mpi-command";
        Cluster.fresh(NS, name);
        var applied = Cluster.kubectl("apply", "-n", NS, "-f", EXAMPLE.toString());
        assertThat(applied.code()).as(applied.err()).isZero();
        ParallelJob pj = Cluster.awaitPhase(NS, name, Duration.ofMinutes(4), Phase.Succeeded, Phase.Failed);
        resultsAreExact(name, pj);
        // The launcher ran the commands in the job image, as a command worker.
        Pod launcher = pods(name, "launcher").get(0);
        assertThat(launcher.getSpec().getContainers().get(0).getImage()).isEqualTo(jobImage());
        assertThat(launcher.getSpec().getContainers().get(0).getArgs()).containsExactly("worker");
        nothingLeftRunning(name);
        Cluster.deleteAndWait(NS, name);
    }

    @Test
    void theSameProgramInAUsersImageRunsItsRanksThereWithTheSameResults() throws Exception {
        String name = "mpi-command-image";
        Cluster.fresh(NS, name);
        // The job image named as a user's image: the user-image path (shell runner, sidecar, sshd on the command
        // line with no config file of ours) with an image that has Open MPI, sshd and a shell.
        String yaml = Files.readString(EXAMPLE).replace("name: mpi-command", "name: " + name)
                .replace("  executor: mpi\n", "  executor: mpi\n  image: " + jobImage() + "\n");
        Cluster.apply(NS, yaml);
        ParallelJob pj = Cluster.awaitPhase(NS, name, Duration.ofMinutes(4), Phase.Succeeded, Phase.Failed);
        resultsAreExact(name, pj);
        Pod launcher = pods(name, "launcher").get(0);
        assertThat(launcher.getSpec().getContainers().get(0).getCommand()).startsWith("/bin/sh", "-c");
        assertThat(launcher.getSpec().getInitContainers()).extracting(c -> c.getName()).containsExactly("pj-tasks");
        Pod worker = pods(name, "mpi-worker").get(0);
        assertThat(worker.getSpec().getContainers().get(0).getCommand().get(2)).contains("sshd -D -e -f /dev/null");
        nothingLeftRunning(name);
        Cluster.deleteAndWait(NS, name);
    }

    @Test
    void aFailingMpiProgramFailsItsTaskWithTheExitCodeOfTheFailedRank() throws Exception {
        String name = "mpi-command-fails";
        Cluster.fresh(NS, name);
        Cluster.apply(NS, """
                apiVersion: parallel.dev/v1alpha1
                kind: ParallelJob
                metadata: {name: %s}
                spec:
                  executor: mpi
                  mpi: {workers: 2}
                  command: 'mpirun sh -c "if [ \\$OMPI_COMM_WORLD_RANK = 1 ]; then echo rank 1 gives up >&2; exit 7; fi"'
                  tasks: {items: [{id: only}]}
                """.formatted(name));
        ParallelJob pj = Cluster.awaitPhase(NS, name, Duration.ofMinutes(4), Phase.Succeeded, Phase.Failed);
        assertThat(pj.getStatus().phase).isEqualTo(Phase.Failed);
        assertThat(pj.getStatus().tasks.failed).isEqualTo(1);
        assertThat(pj.getStatus().failedTasks).singleElement().satisfies(f -> {
            assertThat(f.id).isEqualTo("only");
            assertThat(f.reason).startsWith("exit code 7"); // mpirun exits with the first failed rank's code
        });
        nothingLeftRunning(name);
        Cluster.deleteAndWait(NS, name);
    }
}
