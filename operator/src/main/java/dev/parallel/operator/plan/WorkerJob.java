package dev.parallel.operator.plan;

import dev.parallel.api.contract.CommandInImage;
import dev.parallel.api.contract.MpiProgram;
import dev.parallel.api.contract.PodContract;
import dev.parallel.api.contract.WorkerConfig;
import dev.parallel.api.tasks.SpecTasks;
import dev.parallel.api.v1alpha1.ExecutorKind;
import dev.parallel.api.v1alpha1.ParallelJobSpec;
import dev.parallel.operator.OperatorSettings;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicyRule;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicyRuleBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Pure: builds the Indexed Job of a ParallelJob from its plan (for executor: mpi, the launcher Job of one
 * part). Created once, never updated (a Job's pod template is immutable); only {@code spec.suspend} is
 * patched later.
 */
public final class WorkerJob {
    /** The worker's exit code when tasks failed after their in-pod retries: the index fails, no pod retry. */
    public static final int EXIT_TASKS_FAILED = 1;
    static final String CONTAINER = "worker";
    /** executor: mpi: the same Job shape runs one launcher pod (mpirun) instead of the parts. */
    static final String LAUNCHER = "launcher";
    /** The job image beside a user's image (command tasks in any image): see CommandInImage. */
    static final String SIDECAR = "pj-tasks";

    private WorkerJob() {}

    public static Job build(Plan plan, OperatorSettings settings) {
        ParallelJobSpec s = plan.spec();
        String component = plan.mpi() ? LAUNCHER : "worker";
        Containers c = new Containers(plan, settings);
        return new JobBuilder()
                .withMetadata(plan.metadata(plan.jobName(), component))
                .withNewSpec()
                    .withCompletionMode("Indexed")
                    .withCompletions(plan.parts())
                    .withParallelism(plan.parallelism())
                    // Pod-level retries (OOM, eviction of a crashed pod) per index; task failures are
                    // retried inside the pod and then fail the index at once (podFailurePolicy).
                    .withBackoffLimitPerIndex(s.retriesOrDefault())
                    .withMaxFailedIndexes(Math.min(plan.parts(), s.maxFailedTasksOrDefault()))
                    .withNewPodFailurePolicy()
                        .withRules(podFailureRules(mainContainer(plan)))
                    .endPodFailurePolicy()
                    .withActiveDeadlineSeconds(s.activeDeadlineSeconds)
                    .withTtlSecondsAfterFinished(s.ttlSecondsAfterFinished)
                    .withSuspend(s.suspended())
                    .withTemplate(PodTemplate.of(plan, settings, component)
                            .initContainers(plan.inUserImage() ? List.of(c.sidecar()) : List.of())
                            .containers(plan.inUserImage() ? c.userContainer() : c.container())
                            .withRunVolume(plan.inUserImage())
                            .withSshVolume(plan.mpi())
                            .withResultWriter(c.streams())
                            .build())
                .endSpec()
                .build();
    }

    /** The restricted profile, bar the read-only root: a user's commands may write where their image lets them. */
    static io.fabric8.kubernetes.api.model.SecurityContext userImageSecurity() {
        return new io.fabric8.kubernetes.api.model.SecurityContextBuilder()
                .withAllowPrivilegeEscalation(false)
                .withNewCapabilities().withDrop("ALL").endCapabilities()
                .build();
    }

    /** The container that runs the part (or, for executor: mpi, mpirun). */
    static String mainContainer(Plan plan) { return plan.mpi() ? LAUNCHER : CONTAINER; }

    /** The container whose log carries the per-task result lines. */
    public static String resultsContainer(Plan plan) { return plan.inUserImage() ? SIDECAR : mainContainer(plan); }

    /** The environment that carries the contract to the pod (PodContract), then the user's env. */
    static List<EnvVar> env(Plan plan) {
        ParallelJobSpec s = plan.spec();
        // A user's MPI program: the launcher runs its tasks one at a time, as command tasks (one mpirun each).
        WorkerConfig c = new WorkerConfig(
                s.kernel, s.command, SpecTasks.sharedParams(s),
                plan.hasTaskFile() ? PodContract.TASKS_DIR + "/" + PodContract.TASKS_FILE_NAME : null,
                s.tasks.range, s.tasks.matrix, plan.parts(), 0,
                plan.mpiProgram() ? ExecutorKind.SEQUENTIAL : s.executorOrDefault(),
                plan.mpiProgram() ? 1 : s.threadsPerPod == null ? 0 : s.threadsPerPod, s.retriesOrDefault(),
                s.taskTimeoutSeconds == null ? 0 : s.taskTimeoutSeconds, dev.parallel.api.contract.Reduction.of(s),
                PodContract.DEFAULT_RESULTS_FILE, PodContract.DEFAULT_SUMMARY_FILE,
                s.executorOrDefault() == ExecutorKind.CUDA ? s.gpu.fallbackOrDefault() : null);
        Map<String, String> vars = new LinkedHashMap<>(PodContract.toEnv(c));
        if (plan.mpi()) vars.putAll(MpiWorkers.launcherEnv(plan));
        if (plan.mpiProgram()) vars.putAll(MpiProgram.env(plan.spec().mpi.ranks()));
        // The NVIDIA container runtime mounts only what these capabilities name; the driver API needs compute.
        if (s.gpu != null) vars.put("NVIDIA_DRIVER_CAPABILITIES", "compute,utility");
        List<EnvVar> env = new ArrayList<>();
        vars.forEach((k, v) -> env.add(new EnvVarBuilder().withName(k).withValue(v).build()));
        if (s.env != null) env.addAll(s.env);
        return env;
    }

    /** The containers of a worker (or launcher) pod. */
    private record Containers(Plan plan, OperatorSettings settings) {
        boolean streams() { return ResultWriter.streams(plan, settings); }

        /** The job image's container: the one that writes results (itself, or as the pj-tasks sidecar). */
        Container container() {
            List<VolumeMount> m = new ArrayList<>(PodTemplate.mounts(plan));
            if (plan.mpi()) m.add(PodTemplate.sshMount());
            if (streams()) m.addAll(ResultWriter.mounts());
            List<EnvVar> env = new ArrayList<>(env(plan));
            if (streams()) env.addAll(ResultWriter.env(plan));
            return new ContainerBuilder()
                    .withName(mainContainer(plan))
                    .withImage(settings.jobImage())
                    .withImagePullPolicy(settings.jobImagePullPolicy())
                    // The job image's entrypoint is the parallel-job CLI; "worker" runs this pod's part (for a
                    // user's MPI program: its commands, which call mpirun), "mpi-launch" runs mpirun over the MPI
                    // worker pods with a built-in kernel in each rank (the ranks use the workers' resources).
                    .withArgs(plan.mpi() && !plan.mpiProgram() ? "mpi-launch" : "worker")
                    .withEnv(env)
                    // mpirun and a JVM that relays rank 0's output: the ranks themselves run in the worker pods.
                    .withResources(plan.mpi() ? launcherResources() : PodTemplate.taskResources(plan, settings))
                    .withVolumeMounts(m)
                    .withTerminationMessagePath(PodContract.DEFAULT_SUMMARY_FILE)
                    .withTerminationMessagePolicy("File")
                    .withSecurityContext(PodTemplate.containerSecurity())
                    .build();
        }

        /** The user's image runs the tasks with only /bin/sh: the runner script of the contract. */
        Container userContainer() {
            List<EnvVar> env = new ArrayList<>(env(plan));
            env.add(new EnvVarBuilder().withName("PJ_RUN_DIR").withValue(CommandInImage.RUN_DIR).build());
            if (plan.spec().threadsPerPod == null && !plan.mpiProgram()) {
                env.add(new EnvVarBuilder().withName(PodContract.THREADS).withValue("1").build());
            }
            List<VolumeMount> m = new ArrayList<>(List.of(PodTemplate.mount(PodTemplate.RUN_VOLUME, CommandInImage.RUN_DIR),
                    PodTemplate.mount("tmp", "/tmp")));
            if (plan.mpi()) m.add(PodTemplate.sshMount()); // mpirun's client key and the hostfile
            return new ContainerBuilder()
                    .withName(mainContainer(plan))
                    .withImage(plan.spec().image)
                    .withImagePullPolicy(settings.jobImagePullPolicy())
                    .withCommand("/bin/sh", "-c", CommandInImage.RUNNER)
                    .withEnv(env)
                    .withResources(plan.mpi() ? launcherResources() : PodTemplate.taskResources(plan, settings))
                    .withVolumeMounts(m)
                    .withTerminationMessagePath(PodContract.DEFAULT_SUMMARY_FILE)
                    .withTerminationMessagePolicy("File")
                    // User commands may write where they like; everything else of the restricted profile holds.
                    .withSecurityContext(userImageSecurity())
                    .build();
        }

        /** The job image as a native sidecar: hands the part's tasks to the user's container, gathers results. */
        Container sidecar() {
            List<VolumeMount> m = new ArrayList<>(PodTemplate.mounts(plan));
            m.add(PodTemplate.mount(PodTemplate.RUN_VOLUME, CommandInImage.RUN_DIR));
            if (streams()) m.addAll(ResultWriter.mounts());
            return new ContainerBuilder(container())
                    .withName(SIDECAR)
                    .withRestartPolicy("Always")
                    .withArgs("sidecar")
                    .withVolumeMounts(m)
                    .withResources(PodTemplate.requests("50m", "128Mi", "256Mi").build())
                    .build();
        }
    }

    /** mpirun and what relays its output (a JVM, or a user's shell): the ranks run in the worker pods. */
    private static io.fabric8.kubernetes.api.model.ResourceRequirements launcherResources() {
        return PodTemplate.requests("100m", "256Mi", "512Mi").build();
    }

    static List<PodFailurePolicyRule> podFailureRules(String container) {
        return List.of(
                // Evictions, preemption, node drains: not the task's fault, does not use up a retry.
                new PodFailurePolicyRuleBuilder().withAction("Ignore")
                        .addNewOnPodCondition().withType("DisruptionTarget").withStatus("True").endOnPodCondition()
                        .build(),
                // The worker ran every task and some failed after their retries: final for this index.
                new PodFailurePolicyRuleBuilder().withAction("FailIndex")
                        .withNewOnExitCodes().withContainerName(container).withOperator("In")
                        .withValues(EXIT_TASKS_FAILED).endOnExitCodes()
                        .build());
    }
}
