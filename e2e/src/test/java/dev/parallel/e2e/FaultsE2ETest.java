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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What users hit: bad input at apply time, pods and the operator going away mid-run. */
@ExtendWith(ParallelJobExtension.class)
class FaultsE2ETest {
    static String NS;

    @BeforeAll
    static void namespace(TestNamespace ns) { NS = ns.name(); }

    /** 2 pods x 8 tasks of 1 s each, one thread: long enough to disturb, result known (sum of millis). */
    static String slowJob(String name) {
        return """
                apiVersion: parallel.dev/v1alpha1
                kind: ParallelJob
                metadata: {name: %s}
                spec:
                  kernel: sleep
                  params: {millis: 1000}
                  tasks: {range: {start: 0, end: 16, param: index}}
                  reduce: sum
                  pods: 2
                  parallelism: 2
                  threadsPerPod: 1
                  retriesPerTask: 2
                """.formatted(name);
    }

    @Test
    void badManifestIsRejectedByKubectlApplyWithTheCelMessage() throws Exception {
        Path f = Files.createTempFile("bad", ".yaml");
        Files.writeString(f, """
                apiVersion: parallel.dev/v1alpha1
                kind: ParallelJob
                metadata: {name: bad-two-sources}
                spec:
                  kernel: pi
                  tasks:
                    range: {start: 0, end: 4}
                    items: [{samples: 10}]
                """);
        var r = Cluster.kubectl("apply", "-n", NS, "-f", f.toString());
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains("spec.tasks must set exactly one of items, range, matrix or configMapRef");
        Files.writeString(f, """
                apiVersion: parallel.dev/v1alpha1
                kind: ParallelJob
                metadata: {name: bad-range}
                spec:
                  kernel: pi
                  tasks: {range: {start: 5, end: 5}}
                """);
        r = Cluster.kubectl("apply", "-n", NS, "-f", f.toString());
        assertThat(r.err()).contains("spec.tasks.range.end must be greater than spec.tasks.range.start");
    }

    @Test
    void aWorkerPodDeletedMidRunIsRetriedAndTheResultIsExact() throws Exception {
        String name = "e2e-pod-deleted";
        Cluster.fresh(NS, name);
        Cluster.apply(NS, slowJob(name));
        Pod victim = await().atMost(Duration.ofSeconds(90)).until(() -> Cluster.runningPods(NS, name).stream()
                .findFirst().orElse(null), p -> p != null);
        Pod running = victim;
        await().atMost(Duration.ofSeconds(60)).until(() -> Cluster.tasksLogged(NS, running) >= 1); // a task done first
        victim = Cluster.client().pods().inNamespace(NS).resource(victim).get();
        assertThat(victim.getStatus().getPhase()).as("the victim was still working when deleted").isEqualTo("Running");
        String index = victim.getMetadata().getLabels().get("batch.kubernetes.io/job-completion-index");
        String victimUid = victim.getMetadata().getUid();
        Cluster.client().pods().inNamespace(NS).resource(victim).withGracePeriod(0).delete();
        ParallelJob pj = Cluster.awaitPhase(NS, name, Duration.ofMinutes(3), Phase.Succeeded, Phase.Failed);
        assertThat(pj.getStatus().phase).as("%s", pj.getStatus().conditions).isEqualTo(Phase.Succeeded);
        assertThat(pj.getStatus().tasks.succeeded).isEqualTo(16);
        assertThat(Cluster.client().pods().inNamespace(NS).withLabel("parallel.dev/job-name", name)
                .withLabel("batch.kubernetes.io/job-completion-index", index).list().getItems())
                .as("a replacement pod ran the deleted pod's part %s", index)
                .anyMatch(p -> !p.getMetadata().getUid().equals(victimUid) && "Succeeded".equals(p.getStatus().getPhase()));
        assertThat(pj.getStatus().result.getValue()).isEqualTo(16000); // each task counted exactly once
        Cluster.deleteAndWait(NS, name);
    }

    @Test
    void theOperatorPodDeletedMidRunComesBackAndTheResultIsExact() throws Exception {
        String name = "e2e-operator-deleted";
        Cluster.fresh(NS, name);
        Cluster.apply(NS, slowJob(name));
        await().atMost(Duration.ofSeconds(90)).until(() -> !Cluster.runningPods(NS, name).isEmpty());
        var operators = Cluster.client().pods().inNamespace(Cluster.OPERATOR_NAMESPACE)
                .withLabel("app.kubernetes.io/name", "parallel-job-operator").list().getItems();
        assertThat(operators).as("operator installed by Helm in " + Cluster.OPERATOR_NAMESPACE).isNotEmpty();
        operators.forEach(p -> Cluster.client().pods().inNamespace(Cluster.OPERATOR_NAMESPACE).resource(p).withGracePeriod(0).delete());
        ParallelJob pj = Cluster.awaitPhase(NS, name, Duration.ofMinutes(4), Phase.Succeeded, Phase.Failed);
        assertThat(pj.getStatus().phase).isEqualTo(Phase.Succeeded);
        assertThat(pj.getStatus().tasks.succeeded).isEqualTo(16);
        assertThat(pj.getStatus().result.getValue()).isEqualTo(16000);
        assertThat(Cluster.client().batch().v1().jobs().inNamespace(NS).withLabel("parallel.dev/job-name", name).list().getItems())
                .as("no Job created twice").hasSize(1);
        Cluster.deleteAndWait(NS, name);
    }

    @Test
    void ttlAfterFinishDeletesTheJobButKeepsTheResult() throws Exception {
        String name = "e2e-ttl";
        Cluster.fresh(NS, name);
        Cluster.apply(NS, """
                apiVersion: parallel.dev/v1alpha1
                kind: ParallelJob
                metadata: {name: %s}
                spec:
                  kernel: primes
                  tasks: {items: [{from: 0, to: 1000}, {from: 1000, to: 2000}]}
                  ttlSecondsAfterFinished: 2
                """.formatted(name));
        ParallelJob pj = Cluster.awaitPhase(NS, name, Duration.ofMinutes(3), Phase.Succeeded, Phase.Failed);
        assertThat(pj.getStatus().phase).isEqualTo(Phase.Succeeded);
        await().atMost(Duration.ofSeconds(60)).until(() -> Cluster.client().batch().v1().jobs().inNamespace(NS)
                .withName(pj.getStatus().jobName).get() == null);
        Thread.sleep(3000); // the operator must not recreate it
        assertThat(Cluster.client().batch().v1().jobs().inNamespace(NS).withName(pj.getStatus().jobName).get()).isNull();
        ParallelJob after = Cluster.get(NS, name);
        assertThat(after.getStatus().phase).isEqualTo(Phase.Succeeded);
        assertThat(after.getStatus().result.getValue()).isEqualTo(303); // pi(2000) = 303 primes, still there
        assertThat(Cluster.client().configMaps().inNamespace(NS).withName(after.getStatus().resultsConfigMap).get()).isNotNull();
        Cluster.deleteAndWait(NS, name);
    }
}
