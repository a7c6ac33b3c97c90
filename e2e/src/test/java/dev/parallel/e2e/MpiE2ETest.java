package dev.parallel.e2e;

import dev.parallel.testkit.ParallelJobExtension;
import dev.parallel.testkit.TestNamespace;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.BeforeAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.api.v1alpha1.Phase;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * executor: mpi on the real cluster (the happy path of each MPI example runs in ExamplesE2ETest):
 * workers disturbed before and during mpirun, and nothing left running afterwards.
 */
@ExtendWith(ParallelJobExtension.class)
class MpiE2ETest {
    static String NS;

    @BeforeAll
    static void namespace(TestNamespace ns) { NS = ns.name(); }

    /** 2 workers x 1 slot, 8 tasks of 1.5 s on one thread per rank: about 6 s of mpirun to disturb. */
    static String slowMpiJob(String name, int retries, int tasks) {
        return """
                apiVersion: parallel.dev/v1alpha1
                kind: ParallelJob
                metadata: {name: %s}
                spec:
                  kernel: sleep
                  params: {millis: 1500}
                  tasks: {range: {start: 0, end: %d, param: index}}
                  reduce: sum
                  executor: mpi
                  mpi: {workers: 2, slotsPerWorker: 1}
                  threadsPerPod: 1
                  retriesPerTask: %d
                """.formatted(name, tasks, retries);
    }

    static List<Pod> workerPods(String name) {
        return Cluster.client().pods().inNamespace(NS).withLabel("parallel.dev/job-name", name)
                .withLabel("app.kubernetes.io/component", "mpi-worker").list().getItems();
    }

    static Job launcher(String name) { return Cluster.client().batch().v1().jobs().inNamespace(NS).withName(name).get(); }

    static void fresh(String name) {
        Cluster.fresh(NS, name);
    }

    /** After the run: no worker pod runs and the SSH keys and Service are gone. */
    static void nothingLeftRunning(String name) {
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            // Failed pods (a killed worker) stay, as a Job's do, until the ParallelJob is deleted.
            assertThat(workerPods(name)).as("worker pods running after the run")
                    .noneMatch(p -> p.getMetadata().getDeletionTimestamp() == null
                            && !"Failed".equals(p.getStatus().getPhase()) && !"Succeeded".equals(p.getStatus().getPhase()));
            assertThat(Cluster.client().secrets().inNamespace(NS).withName(name + "-ssh").get()).isNull();
            assertThat(Cluster.client().services().inNamespace(NS).withName(name + "-mpi").get()).isNull();
        });
    }

    @Test
    void aWorkerDeletedBeforeTheLauncherStartsDelaysItAndTheResultIsExact() throws Exception {
        String name = "e2e-mpi-early";
        fresh(name);
        Cluster.apply(NS, slowMpiJob(name, 0, 4));
        Pod first = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> workerPods(name).stream().filter(p -> p.getMetadata().getName().contains("-worker-0-"))
                        .findFirst().orElse(null), p -> p != null);
        assertThat(launcher(name)).as("the launcher waits for Ready workers").isNull();
        Cluster.client().pods().inNamespace(NS).resource(first).withGracePeriod(0).delete();

        ParallelJob pj = Cluster.awaitPhase(NS, name, Duration.ofMinutes(3), Phase.Succeeded, Phase.Failed);
        assertThat(pj.getStatus().phase).as("%s", pj.getStatus().conditions).isEqualTo(Phase.Succeeded);
        assertThat(pj.getStatus().result.getValue()).isEqualTo(6000); // 4 x 1500 ms, each counted once
        assertThat(launcher(name).getStatus().getFailed()).as("the launcher never failed").isNull();
        nothingLeftRunning(name);
        Cluster.deleteAndWait(NS, name);
    }

    @Test
    void aWorkerKilledMidRunFailsTheJobWithAClearConditionWhenNoRetryIsAllowed() throws Exception {
        String name = "e2e-mpi-killed";
        ParallelJob pj = runAndKillAWorker(name, 0);
        assertThat(pj.getStatus().phase).isEqualTo(Phase.Failed);
        var failed = Cluster.condition(pj, "Failed");
        assertThat(failed.getStatus()).isEqualTo("True");
        assertThat(pj.getStatus().failedTasks).as("the reason names mpirun").isNotEmpty();
        assertThat(pj.getStatus().failedTasks.get(0).reason).contains("mpirun exited");
        nothingLeftRunning(name);
        Cluster.deleteAndWait(NS, name);
    }

    @Test
    void aWorkerKilledMidRunIsRetriedWhenTheSpecAllowsAndTheResultIsExact() throws Exception {
        String name = "e2e-mpi-retried";
        ParallelJob pj = runAndKillAWorker(name, 1);
        assertThat(pj.getStatus().phase).as("%s", pj.getStatus().conditions).isEqualTo(Phase.Succeeded);
        assertThat(pj.getStatus().result.getValue()).isEqualTo(12000); // 8 x 1500 ms: the rerun counted once
        assertThat(launcher(name).getStatus().getFailed()).as("one launcher pod failed, then the retry ran").isEqualTo(1);
        nothingLeftRunning(name);
        Cluster.deleteAndWait(NS, name);
    }

    @Test
    void workersThatNeverBecomeReadyFailTheJobWithAClearConditionAndNoLauncher() throws Exception {
        String name = "e2e-mpi-unschedulable";
        fresh(name);
        Cluster.apply(NS, """
                apiVersion: parallel.dev/v1alpha1
                kind: ParallelJob
                metadata: {name: %s}
                spec:
                  kernel: pi
                  params: {samples: 1000, seed: 1}
                  tasks: {range: {start: 0, end: 4, param: task}}
                  executor: mpi
                  mpi: {workers: 2, workersReadyTimeoutSeconds: 30}
                  nodeSelector: {parallel.dev/no-such-node: "true"}
                """.formatted(name));
        Cluster.awaitPhase(NS, name, Duration.ofSeconds(60), Phase.Pending);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(Cluster.get(NS, name).getStatus().conditions)
                .anyMatch(c -> "WaitingForMpiWorkers".equals(c.getReason())));
        // The Job controller makes both worker pods within seconds, well inside the 30 s the workers have.
        List<String> pods = await().atMost(Duration.ofSeconds(20)).until(
                () -> workerPods(name).stream().map(p -> p.getMetadata().getName()).sorted().toList(), l -> l.size() == 2);
        ParallelJob pj = Cluster.awaitPhase(NS, name, Duration.ofSeconds(90), Phase.Failed);
        var failed = Cluster.condition(pj, "Failed");
        assertThat(failed.getReason()).isEqualTo("MpiWorkersNotReady");
        // Names each pod with the scheduler's reason: never "no worker pod yet" when the pods exist.
        assertThat(failed.getMessage()).startsWith("0 of 2 MPI workers Ready").doesNotContain("no worker pod yet");
        for (String pod : pods) {
            assertThat(failed.getMessage()).as("the message names %s", pod)
                    .containsPattern(java.util.regex.Pattern.quote(pod) + " \\(.*?didn't match Pod's node affinity/selector");
        }
        assertThat(launcher(name)).as("no launcher without Ready workers").isNull();
        nothingLeftRunning(name);
        Cluster.deleteAndWait(NS, name);
    }

    /** Runs 8 slow tasks, kills worker 1 while mpirun runs, and returns the finished ParallelJob. */
    private static ParallelJob runAndKillAWorker(String name, int retries) throws Exception {
        fresh(name);
        Cluster.apply(NS, slowMpiJob(name, retries, 8));
        killAWorkerWhileMpirunRuns(name);
        return Cluster.awaitPhase(NS, name, Duration.ofMinutes(4), Phase.Succeeded, Phase.Failed);
    }

    /** Waits until both ranks have started (their lines in the launcher's log), then SIGKILLs worker 1's container. */
    private static void killAWorkerWhileMpirunRuns(String name) throws Exception {
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250)).until(() -> {
            var pods = Cluster.client().pods().inNamespace(NS).withLabel("batch.kubernetes.io/job-name", name).list().getItems();
            return pods.stream().filter(p -> p.getStatus() != null && "Running".equals(p.getStatus().getPhase())).anyMatch(p -> {
                String log = Cluster.client().pods().inNamespace(NS).resource(p).getLog();
                return log.contains("rank 0/2 on") && log.contains("rank 1/2 on");
            });
        });
        Thread.sleep(1000); // tasks under way: 4 x 1.5 s per rank
        Pod victim = workerPods(name).stream().filter(p -> p.getMetadata().getName().contains("-worker-1-")).findFirst()
                .orElseThrow();
        Cluster.signal(victim, "mpi-worker", "SIGKILL");
    }
}
