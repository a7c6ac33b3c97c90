package dev.parallel.e2e;

import dev.parallel.testkit.ParallelJobExtension;
import dev.parallel.testkit.TestNamespace;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.BeforeAll;
import static org.assertj.core.api.Assertions.assertThat;

import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.api.v1alpha1.Phase;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The job image's JVMs in real pods start from its class archive (AppCDS, hack/images.sh): the pod's
 * JVM (threads) and the worker JVMs it starts (processes). A JVM that cannot use the archive (another
 * JRE, a changed jar) starts without it and without a word, so only its memory map tells.
 */
@ExtendWith(ParallelJobExtension.class)
class JobImageE2ETest {
    static String NS;

    @BeforeAll
    static void namespace(TestNamespace ns) { NS = ns.name(); }

    @ParameterizedTest(name = "executor {0}")
    @ValueSource(strings = {"threads", "processes"})
    void everyJvmOfAPodMapsTheImagesClassArchive(String executor) throws Exception {
        String name = "e2e-cds-" + executor;
        Cluster.fresh(NS, name);
        // A command task's parent is the JVM that ran it: the pod's JVM, or a worker process.
        Cluster.apply(NS, """
                apiVersion: parallel.dev/v1alpha1
                kind: ParallelJob
                metadata: {name: %s}
                spec:
                  command: 'grep -c /app/parallel-job.jsa /proc/$PPID/maps || true'
                  tasks: {range: {start: 0, end: 4, param: i}}
                  executor: %s
                  threadsPerPod: 2
                  pods: 2
                  reduce: min
                """.formatted(name, executor));
        ParallelJob pj = Cluster.awaitPhase(NS, name, Duration.ofMinutes(3), Phase.Succeeded, Phase.Failed);
        assertThat(pj.getStatus().phase).as("conditions: %s", pj.getStatus().conditions).isEqualTo(Phase.Succeeded);
        assertThat(pj.getStatus().tasks.succeeded).isEqualTo(4);
        // min over tasks of the archive's mappings in the task's parent JVM: 0 if any JVM went without
        long min = dev.parallel.api.contract.Json.mapper().valueToTree(pj.getStatus().result).asLong();
        assertThat(min).as("result %s", pj.getStatus().result).isPositive();
        Cluster.deleteAndWait(NS, name);
    }
}
