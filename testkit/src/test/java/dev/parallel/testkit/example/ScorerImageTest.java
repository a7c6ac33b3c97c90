package dev.parallel.testkit.example;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.api.v1alpha1.ParallelJobSpec;
import dev.parallel.api.v1alpha1.ReduceOp;
import dev.parallel.api.v1alpha1.TaskRange;
import dev.parallel.api.v1alpha1.TaskSource;
import dev.parallel.testkit.ParallelJobCluster;
import dev.parallel.testkit.ParallelJobExtension;
import dev.parallel.testkit.ParallelJobs;
import dev.parallel.testkit.Processes;
import dev.parallel.testkit.TestNamespace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The worked example of the README's "Testing your ParallelJobs": a user's own image (here built on the spot with
 * Docker from a static busybox, no registry) running a {@code command} ParallelJob on the kind cluster the
 * testkit starts, with the gathered result, the per-task results and a failing task's report checked.
 */
@ExtendWith(ParallelJobExtension.class)
class ScorerImageTest {
    static final String IMAGE = "example.com/acme/scorer:1.0";

    @BeforeAll
    static void buildAndLoadTheImage(ParallelJobCluster cluster) throws Exception {
        Path ctx = Files.createTempDirectory("scorer-image");
        Files.copy(Path.of("/bin/busybox"), ctx.resolve("busybox"));
        // The "application": scores its task from its parameter, and refuses n = 13.
        Files.writeString(ctx.resolve("score"), "#!/bin/sh\n[ \"$1\" -eq 13 ] && { echo 'unlucky input' >&2; exit 3; }\n"
                + "echo \"{\\\"score\\\": $(( $1 * $1 ))}\"\n");
        Files.writeString(ctx.resolve("Dockerfile"), "FROM scratch\nCOPY busybox /bin/busybox\n"
                + "RUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\nCOPY score /usr/local/bin/score\n"
                + "RUN [\"/bin/busybox\", \"chmod\", \"755\", \"/usr/local/bin/score\"]\n");
        Processes.run(List.of("docker", "build", "-q", "-t", IMAGE, ctx.toString()), Duration.ofMinutes(3),
                java.util.Map.of("DOCKER_BUILDKIT", "0"), null).orThrow(List.of("docker build", IMAGE));
        cluster.loadDockerImage(IMAGE);
    }

    static ParallelJob scorer(String name, long end) {
        var spec = new ParallelJobSpec();
        spec.image = IMAGE;
        spec.command = "score $TASK_PARAM_N";
        spec.tasks = new TaskSource();
        spec.tasks.range = new TaskRange(1, end, 1, "n");
        spec.reduce = ReduceOp.SUM;
        spec.pods = 2;
        var pj = new ParallelJob();
        pj.getMetadata().setName(name);
        pj.setSpec(spec);
        return pj;
    }

    @Test
    void everyTaskIsScoredAndSummed(ParallelJobs jobs, TestNamespace ns) {
        jobs.apply(ns.name(), scorer("scorer", 13)); // n = 1..12
        ParallelJob done = jobs.awaitSucceeded(ns.name(), "scorer", Duration.ofMinutes(3));

        assertThat(done.getStatus().tasks.succeeded).isEqualTo(12);
        assertThat(jobs.result(done).get("score").asLong()).isEqualTo(LongStream.rangeClosed(1, 12).map(n -> n * n).sum());
        assertThat(jobs.taskResults(ns.name(), "scorer")).hasSize(12)
                .allSatisfy(r -> assertThat(r.get("ok").asBoolean()).isTrue());
    }

    @Test
    void aFailingTaskFailsTheJobAndTheReportSaysWhy(ParallelJobs jobs, TestNamespace ns) {
        jobs.apply(ns.name(), scorer("unlucky", 15)); // n = 13 fails
        assertThatThrownBy(() -> jobs.awaitSucceeded(ns.name(), "unlucky", Duration.ofMinutes(3)))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("ended Failed")
                .hasMessageContaining("condition");
        ParallelJob failed = jobs.get(ns.name(), "unlucky");
        assertThat(failed.getStatus().tasks.failed).isEqualTo(1);
        assertThat(failed.getStatus().failedTasks).singleElement()
                .satisfies(t -> assertThat(t.reason).contains("exit code 3").contains("unlucky input"));
    }
}
