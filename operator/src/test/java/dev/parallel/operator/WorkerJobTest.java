package dev.parallel.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parallel.operator.plan.Planner;
import dev.parallel.operator.plan.TasksConfigMap;
import dev.parallel.operator.plan.WorkerJob;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class WorkerJobTest {
    static Map<String, String> env(Job job) {
        return job.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
                .filter(e -> e.getValue() != null).collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
    }

    @Test
    void rangeJobIsAnIndexedJobWithTheContractInItsEnvironment() throws Exception {
        var pj = Fixtures.pj("""
                kernel: pi
                params: {samples: 1000, seed: 7}
                tasks: {range: {start: 0, end: 100, param: task}}
                parallelism: 3
                tasksPerPod: 30
                retriesPerTask: 2
                maxFailedTasks: 1
                activeDeadlineSeconds: 600
                ttlSecondsAfterFinished: 60
                """);
        var plan = Planner.plan(pj, null);
        assertThat(plan.parts()).isEqualTo(4);
        Job job = WorkerJob.build(plan, Fixtures.SETTINGS);
        var s = job.getSpec();
        assertThat(s.getCompletionMode()).isEqualTo("Indexed");
        assertThat(s.getCompletions()).isEqualTo(4);
        assertThat(s.getParallelism()).isEqualTo(3);
        assertThat(s.getBackoffLimitPerIndex()).isEqualTo(2);
        assertThat(s.getMaxFailedIndexes()).isEqualTo(1);
        assertThat(s.getActiveDeadlineSeconds()).isEqualTo(600);
        assertThat(s.getTtlSecondsAfterFinished()).isEqualTo(60);
        assertThat(s.getSuspend()).isFalse();
        assertThat(s.getPodFailurePolicy().getRules()).extracting("action").containsExactly("Ignore", "FailIndex");
        var pod = s.getTemplate().getSpec();
        assertThat(pod.getRestartPolicy()).isEqualTo("Never");
        assertThat(pod.getAutomountServiceAccountToken()).isFalse();
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        var c = pod.getContainers().get(0);
        assertThat(c.getImage()).isEqualTo("docker.io/parallel-dev/job:test");
        assertThat(c.getArgs()).containsExactly("worker");
        assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(env(job)).containsEntry("PJ_KERNEL", "pi").containsEntry("PJ_PARTS", "4")
                .containsEntry("PJ_RETRIES", "2").containsEntry("PJ_REDUCE", "sum")
                .containsEntry("PJ_RANGE", "{\"start\":0,\"end\":100,\"param\":\"task\"}")
                .doesNotContainKey("PJ_TASKS_FILE");
        assertThat(job.getMetadata().getOwnerReferences()).singleElement()
                .satisfies(o -> assertThat(o.getController()).isTrue());
        assertThat(job.getMetadata().getLabels()).containsEntry("parallel.dev/job-name", "demo")
                .containsEntry("app.kubernetes.io/managed-by", "parallel-job-operator");
        assertThat(pod.getVolumes()).extracting("name").containsExactly("work", "tmp");
    }

    @Test
    void itemsGoToAConfigMapMountedAsTheTaskFile() throws Exception {
        var pj = Fixtures.pj("""
                command: echo $TASK_PARAM_X
                tasks: {items: [{id: a, x: 1}, {x: 2}]}
                podLabels: {team: blue, parallel.dev/job-name: spoofed}
                suspend: true
                """);
        var plan = Planner.plan(pj, null);
        Job job = WorkerJob.build(plan, Fixtures.SETTINGS);
        assertThat(plan.parts()).isEqualTo(2);
        assertThat(job.getSpec().getSuspend()).isTrue();
        assertThat(env(job)).containsEntry("PJ_TASKS_FILE", "/pj/tasks/tasks.jsonl").containsEntry("PJ_REDUCE", "none");
        assertThat(job.getSpec().getTemplate().getMetadata().getLabels()).containsEntry("team", "blue")
                .containsEntry("parallel.dev/job-name", "demo");
        var cm = TasksConfigMap.build(plan);
        assertThat(cm.getMetadata().getName()).isEqualTo("demo-tasks");
        assertThat(cm.getData().get("tasks.jsonl")).isEqualTo("{\"id\":\"a\",\"x\":1}\n{\"x\":2}\n");
        assertThat(job.getSpec().getTemplate().getSpec().getVolumes()).extracting("name").contains("tasks");
        assertThat(job.getSpec().getTemplate().getSpec().getContainers().get(0).getResources().getLimits())
                .containsKey("memory");
    }

    @Test
    void commandsInAUserImageGetTheRunnerAndTheJobImageAsASidecar() throws Exception {
        var pj = Fixtures.pj("image: docker.io/library/busybox:1.36\ncommand: echo $TASK_PARAM_N\n"
                + "tasks: {range: {start: 0, end: 4, param: \"n\"}}\n");
        Job job = WorkerJob.build(Planner.plan(pj, null), Fixtures.SETTINGS);
        var pod = job.getSpec().getTemplate().getSpec();
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
        assertThat(WorkerJob.resultsContainer(Planner.plan(pj, null))).isEqualTo(sidecar.getName());
    }

    @Test
    void longNamesStayValidAndDeterministic() {
        var pj = Fixtures.pj("kernel: pi\ntasks: {range: {start: 0, end: 2}}\n");
        pj.getMetadata().setName("a".repeat(80));
        String n = dev.parallel.operator.plan.Names.job(pj);
        assertThat(n).hasSizeLessThanOrEqualTo(47).isEqualTo(dev.parallel.operator.plan.Names.job(pj));
        assertThat(dev.parallel.operator.plan.Names.labels(pj, "worker").values()).allMatch(v -> v.length() <= 63);
    }
}
