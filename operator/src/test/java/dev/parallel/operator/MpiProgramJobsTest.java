package dev.parallel.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parallel.api.contract.CommandInImage;
import dev.parallel.api.contract.MpiProgram;
import dev.parallel.api.contract.PodContract;
import dev.parallel.operator.plan.MpiSshSecret;
import dev.parallel.operator.plan.MpiWorkers;
import dev.parallel.operator.plan.Plan;
import dev.parallel.operator.plan.WorkerJob;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * executor: mpi with spec.command (the user's own MPI program): the launcher and worker Jobs as pure functions
 * of the plan, in the job image and in a user's image. Table rows of (what, read from the Job, expected).
 */
class MpiProgramJobsTest {
    static final String USER_IMAGE = "registry.example/team/mpi-app:1";
    static final String COMMAND = "mpirun ./hello $TASK_PARAM_N";

    /** 3 tasks, 2 workers x 2 slots: 4 ranks per mpirun. */
    static Plan plan(String image) {
        var s = Fixtures.spec().command("'" + COMMAND + "'").range(0, 3, "\"n\"").set("executor", "mpi")
                .set("mpi", "{workers: 2, slotsPerWorker: 2}").set("retriesPerTask", 1).set("env", "[{name: APP, value: x}]");
        if (image != null) s.set("image", image);
        return Fixtures.plan(s.pj());
    }

    static final Plan IN_JOB_IMAGE = plan(null);
    static final Plan IN_USER_IMAGE = plan(USER_IMAGE);
    static final String HOSTS = "demo-worker-0.demo-mpi.ns1.svc,demo-worker-1.demo-mpi.ns1.svc";

    static Arguments row(String what, Function<Job, Object> read, Object expected) {
        return Arguments.of(what, read, expected);
    }

    static PodSpec pod(Job j) { return j.getSpec().getTemplate().getSpec(); }

    static Container main(Job j) { return pod(j).getContainers().get(0); }

    static Map<String, String> env(Container c) {
        return c.getEnv().stream().filter(e -> e.getValue() != null).collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
    }

    static List<String> mounts(Container c) { return c.getVolumeMounts().stream().map(VolumeMount::getMountPath).toList(); }

    /** What a user's MPI program finds in the launcher, whichever image it runs in. */
    static Stream<Arguments> commonToBothLaunchers() {
        return Stream.of(
                row("one part: the launcher", j -> j.getSpec().getCompletions(), 1),
                row("container name", j -> main(j).getName(), "launcher"),
                row("FailIndex on the launcher's exit code 1",
                        j -> j.getSpec().getPodFailurePolicy().getRules().get(1).getOnExitCodes().getContainerName(), "launcher"),
                row("pod retries per index", j -> j.getSpec().getBackoffLimitPerIndex(), 1),
                row("the command", j -> env(main(j)).get(PodContract.COMMAND), COMMAND),
                row("tasks one at a time: one mpirun each", j -> env(main(j)).get(PodContract.EXECUTOR), "sequential"),
                row("one thread", j -> env(main(j)).get(PodContract.THREADS), "1"),
                row("ranks", j -> env(main(j)).get(MpiProgram.NP_ENV), "4"),
                row("hostfile", j -> env(main(j)).get(MpiProgram.HOSTFILE_ENV), "/etc/pj-ssh/hostfile"),
                row("Open MPI's default hostfile", j -> env(main(j)).get("OMPI_MCA_orte_default_hostfile"), "/etc/pj-ssh/hostfile"),
                row("ssh options without the job image's ssh_config", j -> env(main(j)).get("OMPI_MCA_plm_rsh_args"),
                        "-p 2222 -i /etc/pj-ssh/id_ecdsa -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
                                + "-o BatchMode=yes -o ConnectionAttempts=10 -o LogLevel=ERROR"),
                row("TCP between pods", j -> env(main(j)).get("OMPI_MCA_btl"), "self,vader,tcp"),
                row("no single copy (seccomp)", j -> env(main(j)).get("OMPI_MCA_btl_vader_single_copy_mechanism"), "none"),
                row("only the launcher sshes", j -> env(main(j)).get("OMPI_MCA_plm_rsh_no_tree_spawn"), "1"),
                row("no binding", j -> env(main(j)).get("OMPI_MCA_hwloc_base_binding_policy"), "none"),
                row("oversubscription allowed", j -> env(main(j)).get("OMPI_MCA_rmaps_base_oversubscribe"), "1"),
                row("worker names", j -> env(main(j)).get(PodContract.MPI_HOSTS), HOSTS),
                row("the user's env", j -> env(main(j)).get("APP"), "x"),
                row("the SSH Secret mounted", j -> mounts(main(j)).contains(PodContract.SSH_DIR), true),
                row("SSH Secret volume 0440", j -> pod(j).getVolumes().stream().filter(v -> v.getSecret() != null)
                        .map(v -> v.getSecret().getSecretName() + " " + Integer.toOctalString(v.getSecret().getDefaultMode())).toList(),
                        List.of("demo-ssh 440")),
                row("light resources: the ranks run in the workers", j -> main(j).getResources().getRequests().get("cpu").toString(), "100m"),
                row("non-root", j -> pod(j).getSecurityContext().getRunAsNonRoot(), true),
                row("seccomp", j -> pod(j).getSecurityContext().getSeccompProfile().getType(), "RuntimeDefault"),
                row("no privilege escalation", j -> main(j).getSecurityContext().getAllowPrivilegeEscalation(), false),
                row("capabilities dropped", j -> main(j).getSecurityContext().getCapabilities().getDrop(), List.of("ALL")));
    }

    @ParameterizedTest(name = "job image: {0}")
    @MethodSource("commonToBothLaunchers")
    void theLauncherInTheJobImage(String what, Function<Job, Object> read, Object expected) {
        assertThat(read.apply(WorkerJob.build(IN_JOB_IMAGE, Fixtures.SETTINGS))).as(what).isEqualTo(expected);
    }

    @ParameterizedTest(name = "user image: {0}")
    @MethodSource("commonToBothLaunchers")
    void theLauncherInAUsersImage(String what, Function<Job, Object> read, Object expected) {
        assertThat(read.apply(WorkerJob.build(IN_USER_IMAGE, Fixtures.SETTINGS))).as(what).isEqualTo(expected);
    }

    static Stream<Arguments> jobImageLauncher() {
        return Stream.of(
                row("image", j -> main(j).getImage(), "docker.io/parallel-dev/job:test"),
                row("runs the commands as a worker does, not the built-in mpi-launch", j -> main(j).getArgs(), List.of("worker")),
                row("no command: the image's entrypoint", j -> main(j).getCommand(), List.of()),
                row("no sidecar", j -> pod(j).getInitContainers(), List.of()),
                row("read-only root", j -> main(j).getSecurityContext().getReadOnlyRootFilesystem(), true),
                row("results in the launcher's log", j -> WorkerJob.resultsContainer(IN_JOB_IMAGE), "launcher"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jobImageLauncher")
    void inTheJobImageTheLauncherIsACommandWorker(String what, Function<Job, Object> read, Object expected) {
        assertThat(read.apply(WorkerJob.build(IN_JOB_IMAGE, Fixtures.SETTINGS))).as(what).isEqualTo(expected);
    }

    static Stream<Arguments> userImageLauncher() {
        return Stream.of(
                row("image", j -> main(j).getImage(), USER_IMAGE),
                row("the shell runner of command tasks", j -> main(j).getCommand(), List.of("/bin/sh", "-c", CommandInImage.RUNNER)),
                row("mounts: run dir, /tmp, the SSH Secret", j -> mounts(main(j)), List.of(CommandInImage.RUN_DIR, "/tmp", PodContract.SSH_DIR)),
                row("the job image as sidecar", j -> pod(j).getInitContainers().stream().map(c -> c.getImage() + " " + c.getArgs()).toList(),
                        List.of("docker.io/parallel-dev/job:test [sidecar]")),
                row("the sidecar sees the ranks too (the MPI env list)", j -> env(pod(j).getInitContainers().get(0)).get(MpiProgram.NP_ENV), "4"),
                row("writable root, as command tasks in a user's image", j -> main(j).getSecurityContext().getReadOnlyRootFilesystem(), null),
                row("results from the sidecar", j -> WorkerJob.resultsContainer(IN_USER_IMAGE), "pj-tasks"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("userImageLauncher")
    void inAUsersImageTheLauncherRunsTheShellRunnerBesideTheSidecar(String what, Function<Job, Object> read, Object expected) {
        assertThat(read.apply(WorkerJob.build(IN_USER_IMAGE, Fixtures.SETTINGS))).as(what).isEqualTo(expected);
    }

    static Stream<Arguments> workers() {
        return Stream.of(
                row("job image: its image", j -> w(IN_JOB_IMAGE).getImage(), "docker.io/parallel-dev/job:test"),
                row("job image: sshd with the image's config", j -> w(IN_JOB_IMAGE).getCommand().get(2),
                        "trap 'kill -TERM $pid; wait $pid; exit 143' TERM; "
                                + "/usr/sbin/sshd -D -e -f /etc/ssh/parallel-job/sshd_config & pid=$!; wait $pid; exit 1"),
                row("job image: read-only root", j -> w(IN_JOB_IMAGE).getSecurityContext().getReadOnlyRootFilesystem(), true),
                row("user image: its image", j -> w(IN_USER_IMAGE).getImage(), USER_IMAGE),
                row("user image: sshd configured on its command line", j -> w(IN_USER_IMAGE).getCommand(),
                        List.of("/bin/sh", "-c", MpiProgram.SSHD)),
                row("user image: writable root", j -> w(IN_USER_IMAGE).getSecurityContext().getReadOnlyRootFilesystem(), null),
                row("user image: capabilities dropped", j -> w(IN_USER_IMAGE).getSecurityContext().getCapabilities().getDrop(),
                        List.of("ALL")),
                row("user image: no privilege escalation", j -> w(IN_USER_IMAGE).getSecurityContext().getAllowPrivilegeEscalation(), false),
                row("user image: the SSH Secret, /tmp and scratch", j -> mounts(w(IN_USER_IMAGE)),
                        List.of(PodContract.WORK_DIR, "/tmp", PodContract.SSH_DIR)),
                row("user image: the user's env", j -> w(IN_USER_IMAGE).getEnv().stream().map(EnvVar::getName).toList(), List.of("APP")),
                row("user image: ready when sshd listens", j -> w(IN_USER_IMAGE).getReadinessProbe().getTcpSocket().getPort().getIntVal(),
                        PodContract.SSH_PORT),
                row("user image: the task resources", j -> w(IN_USER_IMAGE).getResources().getRequests().get("cpu").toString(), "500m"),
                row("user image: non-root pod", j -> pod(MpiWorkers.job(IN_USER_IMAGE, Fixtures.SETTINGS)).getSecurityContext()
                        .getRunAsNonRoot(), true),
                row("workers", j -> MpiWorkers.job(IN_USER_IMAGE, Fixtures.SETTINGS).getSpec().getParallelism(), 2));
    }

    static Container w(Plan plan) { return main(MpiWorkers.job(plan, Fixtures.SETTINGS)); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("workers")
    void theWorkersRunSshdInTheImageOfTheRanks(String what, Function<Job, Object> read, Object expected) {
        assertThat(read.apply(null)).as(what).isEqualTo(expected);
    }

    @Test
    void theSshSecretCarriesTheHostfileOfEveryWorkerAndItsSlots() {
        assertThat(MpiSshSecret.build(IN_USER_IMAGE).getStringData()).containsEntry(PodContract.SSH_HOSTFILE,
                "demo-worker-0.demo-mpi.ns1.svc slots=2\ndemo-worker-1.demo-mpi.ns1.svc slots=2\n");
    }

    @Test
    void theBuiltInKernelsKeepTheirLauncher() {
        var builtIn = Fixtures.plan(Fixtures.spec().kernel("pi").range(0, 4).set("executor", "mpi").set("mpi", "{workers: 2}").pj());
        assertThat(builtIn.mpiProgram()).isFalse();
        Container c = main(WorkerJob.build(builtIn, Fixtures.SETTINGS));
        assertThat(c.getArgs()).containsExactly("mpi-launch");
        assertThat(env(c)).containsEntry(PodContract.EXECUTOR, "mpi").doesNotContainKeys(MpiProgram.NP_ENV, "OMPI_MCA_btl");
        assertThat(IN_JOB_IMAGE.mpiProgram()).isTrue();
    }
}
