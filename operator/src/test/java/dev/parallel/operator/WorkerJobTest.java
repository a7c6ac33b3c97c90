package dev.parallel.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parallel.operator.plan.Names;
import dev.parallel.operator.plan.Plan;
import dev.parallel.operator.plan.TasksConfigMap;
import dev.parallel.operator.plan.WorkerJob;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobSpec;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The worker Job as a pure function of the plan: table rows of (what, read from the Job, expected). */
class WorkerJobTest {
    static Map<String, String> env(Job job) {
        return job.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
                .filter(e -> e.getValue() != null).collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
    }

    /** 100 tasks in parts of 30 (4 pods), 3 at a time, with every Job-level knob set. */
    static final Plan RANGE = Fixtures.spec().kernel("pi").set("params", "{samples: 1000, seed: 7}").range(0, 100, "task")
            .set("parallelism", 3).set("tasksPerPod", 30).set("retriesPerTask", 2).set("maxFailedTasks", 1)
            .set("activeDeadlineSeconds", 600).set("ttlSecondsAfterFinished", 60).plan();
    static final Job JOB = WorkerJob.build(RANGE, Fixtures.SETTINGS);

    static Arguments row(String what, Function<Job, Object> read, Object expected) {
        return Arguments.of(what, read, expected);
    }

    static JobSpec spec(Job j) { return j.getSpec(); }

    static PodSpec pod(Job j) { return j.getSpec().getTemplate().getSpec(); }

    static Container container(Job j) { return pod(j).getContainers().get(0); }

    static Stream<Arguments> rangeJob() {
        return Stream.of(
                row("completion mode", j -> spec(j).getCompletionMode(), "Indexed"),
                row("completions: one per part", j -> spec(j).getCompletions(), 4),
                row("parallelism", j -> spec(j).getParallelism(), 3),
                row("pod retries per index", j -> spec(j).getBackoffLimitPerIndex(), 2),
                row("failed indexes allowed", j -> spec(j).getMaxFailedIndexes(), 1),
                row("deadline", j -> spec(j).getActiveDeadlineSeconds(), 600L),
                row("TTL", j -> spec(j).getTtlSecondsAfterFinished(), 60),
                row("not suspended", j -> spec(j).getSuspend(), false),
                row("pod failure policy", j -> spec(j).getPodFailurePolicy().getRules().stream().map(r -> r.getAction()).toList(),
                        List.of("Ignore", "FailIndex")),
                row("restart policy", j -> pod(j).getRestartPolicy(), "Never"),
                row("no service account token", j -> pod(j).getAutomountServiceAccountToken(), false),
                row("non-root", j -> pod(j).getSecurityContext().getRunAsNonRoot(), true),
                row("seccomp", j -> pod(j).getSecurityContext().getSeccompProfile().getType(), "RuntimeDefault"),
                row("volumes", j -> pod(j).getVolumes().stream().map(v -> v.getName()).toList(), List.of("work", "tmp", "pj-results-token", "pj-results-done")),
                row("image", j -> container(j).getImage(), "docker.io/parallel-dev/job:test"),
                row("args", j -> container(j).getArgs(), List.of("worker")),
                row("no privilege escalation", j -> container(j).getSecurityContext().getAllowPrivilegeEscalation(), false),
                row("read-only root", j -> container(j).getSecurityContext().getReadOnlyRootFilesystem(), true),
                row("capabilities dropped", j -> container(j).getSecurityContext().getCapabilities().getDrop(), List.of("ALL")),
                row("owner is the controller", j -> j.getMetadata().getOwnerReferences().stream().map(o -> o.getController()).toList(),
                        List.of(true)),
                row("job-name label", j -> j.getMetadata().getLabels().get(Names.LABEL_JOB_NAME), "demo"),
                row("managed-by label", j -> j.getMetadata().getLabels().get(Names.LABEL_MANAGED_BY), "parallel-job-operator"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rangeJob")
    void aRangeJobIsAnIndexedJob(String what, Function<Job, Object> read, Object expected) {
        assertThat(read.apply(JOB)).as(what).isEqualTo(expected);
    }

    @Test
    void theContractIsInTheEnvironment() {
        assertThat(RANGE.parts()).isEqualTo(4);
        assertThat(env(JOB)).containsEntry("PJ_KERNEL", "pi").containsEntry("PJ_PARTS", "4")
                .containsEntry("PJ_RETRIES", "2").containsEntry("PJ_REDUCE", "sum")
                .containsEntry("PJ_RANGE", "{\"start\":0,\"end\":100,\"param\":\"task\"}")
                .doesNotContainKey("PJ_TASKS_FILE");
    }

    @Test
    void itemsGoToAConfigMapMountedAsTheTaskFile() {
        var plan = Fixtures.spec().command("echo $TASK_PARAM_X").set("tasks", "{items: [{id: a, x: 1}, {x: 2}]}")
                .set("podLabels", "{team: blue, parallel.dev/job-name: spoofed}").set("suspend", true).plan();
        Job job = WorkerJob.build(plan, Fixtures.SETTINGS);
        assertThat(plan.parts()).isEqualTo(2);
        assertThat(job.getSpec().getSuspend()).isTrue();
        assertThat(env(job)).containsEntry("PJ_TASKS_FILE", "/pj/tasks/tasks.jsonl").containsEntry("PJ_REDUCE", "none");
        assertThat(job.getSpec().getTemplate().getMetadata().getLabels()).containsEntry("team", "blue")
                .containsEntry("parallel.dev/job-name", "demo");
        var cm = TasksConfigMap.build(plan);
        assertThat(cm.getMetadata().getName()).isEqualTo("demo-tasks");
        assertThat(cm.getData().get("tasks.jsonl")).isEqualTo("{\"id\":\"a\",\"x\":1}\n{\"x\":2}\n");
        assertThat(pod(job).getVolumes()).extracting("name").contains("tasks");
        assertThat(container(job).getResources().getLimits()).containsKey("memory");
    }

    @Test
    void commandsInAUserImageGetTheRunnerAndTheJobImageAsASidecar() {
        var plan = Fixtures.spec().set("image", "docker.io/library/busybox:1.36").command("echo $TASK_PARAM_N")
                .range(0, 4, "\"n\"").plan();
        var pod = pod(WorkerJob.build(plan, Fixtures.SETTINGS));
        var user = pod.getContainers().get(0);
        assertThat(user.getImage()).isEqualTo("docker.io/library/busybox:1.36");
        assertThat(user.getCommand()).containsExactly("/bin/sh", "-c", dev.parallel.api.contract.CommandInImage.RUNNER);
        assertThat(user.getEnv()).extracting(EnvVar::getName).contains("PJ_COMMAND", "PJ_RUN_DIR", "PJ_THREADS");
        assertThat(user.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        var sidecar = pod.getInitContainers().get(0);
        assertThat(sidecar.getImage()).isEqualTo("docker.io/parallel-dev/job:test");
        assertThat(sidecar.getRestartPolicy()).isEqualTo("Always");
        assertThat(sidecar.getArgs()).containsExactly("sidecar");
        assertThat(sidecar.getVolumeMounts()).extracting("mountPath").contains("/pj/run");
        assertThat(WorkerJob.resultsContainer(plan)).isEqualTo(sidecar.getName());
    }

    @Test
    void longNamesStayValidAndDeterministic() {
        var pj = Fixtures.spec().kernel("pi").range(0, 2).pj();
        pj.getMetadata().setName("a".repeat(80));
        String n = Names.job(pj);
        assertThat(n).hasSizeLessThanOrEqualTo(47).isEqualTo(Names.job(pj));
        assertThat(Names.labels(pj, "worker").values()).allMatch(v -> v.length() <= 63);
    }
}
