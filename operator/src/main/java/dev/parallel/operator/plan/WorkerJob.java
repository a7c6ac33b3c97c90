package dev.parallel.operator.plan;

import dev.parallel.api.contract.CommandInImage;
import dev.parallel.api.contract.PodContract;
import dev.parallel.api.contract.WorkerConfig;
import dev.parallel.api.tasks.SpecTasks;
import dev.parallel.api.v1alpha1.ExecutorKind;
import dev.parallel.api.v1alpha1.GpuSpec;
import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.api.v1alpha1.ParallelJobSpec;
import dev.parallel.operator.OperatorSettings;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicyRule;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Pure: builds the Indexed Job of a ParallelJob. Created once, never updated (a Job's pod template is
 * immutable); only {@code spec.suspend} is patched later.
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

    public static Job build(ParallelJob pj, Plan plan, OperatorSettings settings) {
        ParallelJobSpec s = pj.getSpec();
        Map<String, String> labels = Names.labels(pj, mpi(pj) ? LAUNCHER : "worker");
        return new Template(pj, plan, settings).build(labels, podLabels(pj, labels));
    }

    /** Whether the tasks run in the user's image (command + image) rather than in the job image. */
    public static boolean inUserImage(ParallelJob pj) { return pj.getSpec().image != null; }

    /** The user's spec.podLabels plus ours; ours win: the operator finds pods by them. */
    static Map<String, String> podLabels(ParallelJob pj, Map<String, String> labels) {
        Map<String, String> podLabels = new LinkedHashMap<>();
        if (pj.getSpec().podLabels != null) podLabels.putAll(pj.getSpec().podLabels);
        podLabels.putAll(labels);
        return podLabels;
    }

    public static boolean mpi(ParallelJob pj) { return pj.getSpec().executorOrDefault() == ExecutorKind.MPI; }

    /** The container that runs the part (or, for executor: mpi, mpirun). */
    static String mainContainer(ParallelJob pj) { return mpi(pj) ? LAUNCHER : CONTAINER; }

    /** The container whose log carries the per-task result lines. */
    public static String resultsContainer(ParallelJob pj) { return inUserImage(pj) ? SIDECAR : mainContainer(pj); }

    public static OwnerReference ownerReference(ParallelJob pj) {
        return new OwnerReferenceBuilder()
                .withApiVersion(pj.getApiVersion())
                .withKind(pj.getKind())
                .withName(pj.getMetadata().getName())
                .withUid(pj.getMetadata().getUid())
                .withController(true)
                .withBlockOwnerDeletion(true)
                .build();
    }

    /** The environment that carries the contract to the pod (PodContract), then the user's env. */
    static List<EnvVar> env(ParallelJob pj, Plan plan) {
        ParallelJobSpec s = pj.getSpec();
        WorkerConfig c = new WorkerConfig(
                s.kernel, s.command, SpecTasks.sharedParams(s),
                plan.hasTaskFile() ? PodContract.TASKS_DIR + "/" + PodContract.TASKS_FILE_NAME : null,
                s.tasks.range, s.tasks.matrix, plan.parts(), 0, s.executorOrDefault(),
                s.threadsPerPod == null ? 0 : s.threadsPerPod, s.retriesOrDefault(),
                s.taskTimeoutSeconds == null ? 0 : s.taskTimeoutSeconds, dev.parallel.api.contract.Reduction.of(s),
                PodContract.DEFAULT_RESULTS_FILE, PodContract.DEFAULT_SUMMARY_FILE,
                s.executorOrDefault() == ExecutorKind.CUDA ? s.gpu.fallbackOrDefault() : null);
        Map<String, String> vars = new LinkedHashMap<>(PodContract.toEnv(c));
        if (mpi(pj)) vars.putAll(MpiWorkers.launcherEnv(pj));
        // The NVIDIA container runtime mounts only what these capabilities name; the driver API needs compute.
        if (s.gpu != null) vars.put("NVIDIA_DRIVER_CAPABILITIES", "compute,utility");
        List<EnvVar> env = new ArrayList<>();
        vars.forEach((k, v) -> env.add(new EnvVarBuilder().withName(k).withValue(v).build()));
        if (s.env != null) env.addAll(s.env);
        return env;
    }

    /** Holds the inputs while the fluent builder runs. */
    private record Template(ParallelJob pj, Plan plan, OperatorSettings settings) {
        Job build(Map<String, String> labels, Map<String, String> podLabels) {
            ParallelJobSpec s = pj.getSpec();
            return new io.fabric8.kubernetes.api.model.batch.v1.JobBuilder()
                    .withNewMetadata()
                        .withName(Names.job(pj))
                        .withNamespace(pj.getMetadata().getNamespace())
                        .withLabels(labels)
                        .withOwnerReferences(ownerReference(pj))
                    .endMetadata()
                    .withNewSpec()
                        .withCompletionMode("Indexed")
                        .withCompletions(plan.parts())
                        .withParallelism(plan.parallelism())
                        // Pod-level retries (OOM, eviction of a crashed pod) per index; task failures are
                        // retried inside the pod and then fail the index at once (podFailurePolicy).
                        .withBackoffLimitPerIndex(s.retriesOrDefault())
                        .withMaxFailedIndexes(Math.min(plan.parts(), s.maxFailedTasksOrDefault()))
                        .withNewPodFailurePolicy()
                            .withRules(podFailureRules(mainContainer(pj)))
                        .endPodFailurePolicy()
                        .withActiveDeadlineSeconds(s.activeDeadlineSeconds)
                        .withTtlSecondsAfterFinished(s.ttlSecondsAfterFinished)
                        .withSuspend(s.suspended())
                        .withNewTemplate()
                            .withNewMetadata()
                                .withLabels(podLabels)
                                .withAnnotations(s.podAnnotations)
                            .endMetadata()
                            .withNewSpec()
                                .withRestartPolicy("Never")
                                .withServiceAccountName(s.serviceAccountName)
                                .withAutomountServiceAccountToken(false)
                                .withEnableServiceLinks(false)
                                .withNodeSelector(nodeSelector(pj))
                                .withTolerations(tolerations(pj))
                                .withRuntimeClassName(runtimeClassName(pj))
                                .withAffinity(s.affinity)
                                .withImagePullSecrets(s.imagePullSecrets)
                                .withSecurityContext(podSecurity(settings))
                                .withInitContainers(inUserImage(pj) ? List.of(sidecar()) : List.of())
                                .withContainers(inUserImage(pj) ? userContainer() : container())
                                .withVolumes(volumes())
                            .endSpec()
                        .endTemplate()
                    .endSpec()
                    .build();
        }

        private Container container() {
            List<VolumeMount> m = new ArrayList<>(mounts());
            if (mpi(pj)) m.add(sshMount());
            return new ContainerBuilder()
                    .withName(mainContainer(pj))
                    .withImage(settings.jobImage())
                    .withImagePullPolicy(settings.jobImagePullPolicy())
                    // The job image's entrypoint is the parallel-job CLI; "worker" runs this pod's part,
                    // "mpi-launch" runs mpirun over the MPI worker pods (the ranks use their resources).
                    .withArgs(mpi(pj) ? "mpi-launch" : "worker")
                    .withEnv(env(pj, plan))
                    .withResources(mpi(pj) ? launcherResources() : resources(pj, settings))
                    .withVolumeMounts(m)
                    .withTerminationMessagePath(PodContract.DEFAULT_SUMMARY_FILE)
                    .withTerminationMessagePolicy("File")
                    .withSecurityContext(containerSecurity())
                    .build();
        }

        /** The user's image runs the tasks with only /bin/sh: the runner script of the contract. */
        private Container userContainer() {
            List<EnvVar> env = new ArrayList<>(env(pj, plan));
            env.add(new EnvVarBuilder().withName("PJ_RUN_DIR").withValue(CommandInImage.RUN_DIR).build());
            if (pj.getSpec().threadsPerPod == null) {
                env.add(new EnvVarBuilder().withName(PodContract.THREADS).withValue("1").build());
            }
            return new ContainerBuilder()
                    .withName(CONTAINER)
                    .withImage(pj.getSpec().image)
                    .withImagePullPolicy(settings.jobImagePullPolicy())
                    .withCommand("/bin/sh", "-c", CommandInImage.RUNNER)
                    .withEnv(env)
                    .withResources(resources(pj, settings))
                    .withVolumeMounts(
                            new VolumeMountBuilder().withName("run").withMountPath(CommandInImage.RUN_DIR).build(),
                            new VolumeMountBuilder().withName("tmp").withMountPath("/tmp").build())
                    .withTerminationMessagePath(PodContract.DEFAULT_SUMMARY_FILE)
                    .withTerminationMessagePolicy("File")
                    // User commands may write where they like; everything else of the restricted profile holds.
                    .withNewSecurityContext()
                        .withAllowPrivilegeEscalation(false)
                        .withNewCapabilities().withDrop("ALL").endCapabilities()
                    .endSecurityContext()
                    .build();
        }

        /** The job image as a native sidecar: hands the part's tasks to the user's container, gathers results. */
        private Container sidecar() {
            List<VolumeMount> m = new ArrayList<>(mounts());
            m.add(new VolumeMountBuilder().withName("run").withMountPath(CommandInImage.RUN_DIR).build());
            return new ContainerBuilder(container())
                    .withName(SIDECAR)
                    .withRestartPolicy("Always")
                    .withArgs("sidecar")
                    .withVolumeMounts(m)
                    .withResources(new ResourceRequirementsBuilder()
                            .addToRequests("cpu", new Quantity("50m"))
                            .addToRequests("memory", new Quantity("128Mi"))
                            .addToLimits("memory", new Quantity("256Mi")).build())
                    .build();
        }

        private List<VolumeMount> mounts() { return WorkerJob.mounts(plan); }

        private List<Volume> volumes() {
            List<Volume> v = WorkerJob.volumes(plan);
            if (inUserImage(pj)) v.add(new VolumeBuilder().withName("run").withNewEmptyDir().endEmptyDir().build());
            if (mpi(pj)) v.add(sshVolume(pj));
            return v;
        }
    }

    /** The restricted Pod Security profile, for every pod the operator creates. */
    static PodSecurityContext podSecurity(OperatorSettings settings) {
        return new PodSecurityContextBuilder()
                .withRunAsNonRoot(true)
                .withRunAsUser(settings.jobPodUser())
                .withRunAsGroup(settings.jobPodUser())
                .withFsGroup(settings.jobPodUser())
                .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
                .build();
    }

    static SecurityContext containerSecurity() {
        return new SecurityContextBuilder()
                .withAllowPrivilegeEscalation(false)
                .withReadOnlyRootFilesystem(true)
                .withNewCapabilities().withDrop("ALL").endCapabilities()
                .build();
    }

    /** The spec's resources, else the operator's defaults, plus spec.gpu's count: where the tasks run. */
    static ResourceRequirements resources(ParallelJob pj, OperatorSettings settings) {
        ResourceRequirements r = pj.getSpec().resources;
        ResourceRequirementsBuilder b;
        if (r != null && ((r.getRequests() != null && !r.getRequests().isEmpty())
                || (r.getLimits() != null && !r.getLimits().isEmpty()))) {
            b = new ResourceRequirementsBuilder(r);
        } else {
            b = new ResourceRequirementsBuilder()
                    .addToRequests("cpu", new Quantity(settings.defaultCpu()))
                    .addToRequests("memory", new Quantity(settings.defaultMemory()))
                    .addToLimits("memory", new Quantity(settings.defaultMemory()));
        }
        GpuSpec gpu = pj.getSpec().gpu;
        // Extended resources are set as limits only; the API server defaults the request to the same.
        if (gpu != null) b.addToLimits(gpu.resourceOrDefault(), new Quantity(Integer.toString(gpu.count)));
        return b.build();
    }

    /** spec.nodeSelector with spec.gpu.nodeSelector added (GPU nodes). */
    static Map<String, String> nodeSelector(ParallelJob pj) {
        GpuSpec gpu = pj.getSpec().gpu;
        if (gpu == null || gpu.nodeSelector == null) return pj.getSpec().nodeSelector;
        Map<String, String> m = new LinkedHashMap<>();
        if (pj.getSpec().nodeSelector != null) m.putAll(pj.getSpec().nodeSelector);
        m.putAll(gpu.nodeSelector);
        return m;
    }

    static List<Toleration> tolerations(ParallelJob pj) {
        GpuSpec gpu = pj.getSpec().gpu;
        if (gpu == null || gpu.tolerations == null) return pj.getSpec().tolerations;
        List<Toleration> t = new ArrayList<>();
        if (pj.getSpec().tolerations != null) t.addAll(pj.getSpec().tolerations);
        t.addAll(gpu.tolerations);
        return t;
    }

    static String runtimeClassName(ParallelJob pj) {
        return pj.getSpec().gpu == null ? null : pj.getSpec().gpu.runtimeClassName;
    }

    /** mpirun and a JVM that relays rank 0's output: the ranks themselves run in the worker pods. */
    private static ResourceRequirements launcherResources() {
        return new ResourceRequirementsBuilder()
                .addToRequests("cpu", new Quantity("100m"))
                .addToRequests("memory", new Quantity("256Mi"))
                .addToLimits("memory", new Quantity("512Mi")).build();
    }

    /** Scratch (work), /tmp and the task file: what every job-image container mounts. */
    static List<VolumeMount> mounts(Plan plan) {
        List<VolumeMount> m = new ArrayList<>();
        m.add(new VolumeMountBuilder().withName("work").withMountPath(PodContract.WORK_DIR).build());
        m.add(new VolumeMountBuilder().withName("tmp").withMountPath("/tmp").build());
        if (plan.hasTaskFile()) {
            m.add(new VolumeMountBuilder().withName("tasks").withMountPath(PodContract.TASKS_DIR).withReadOnly(true)
                    .build());
        }
        return m;
    }

    static List<Volume> volumes(Plan plan) {
        List<Volume> v = new ArrayList<>();
        v.add(new VolumeBuilder().withName("work").withNewEmptyDir().endEmptyDir().build());
        v.add(new VolumeBuilder().withName("tmp").withNewEmptyDir().withMedium("Memory").withSizeLimit(new Quantity("64Mi"))
                .endEmptyDir().build());
        if (plan.hasTaskFile()) {
            v.add(new VolumeBuilder().withName("tasks").withNewConfigMap()
                    .withName(plan.tasksConfigMap())
                    .addNewItem().withKey(plan.tasksKey()).withPath(PodContract.TASKS_FILE_NAME).endItem()
                    .endConfigMap().build());
        }
        return v;
    }

    /** The SSH Secret, 0440 root:fsGroup: readable by the pod's user, and ssh accepts a key it does not own. */
    static Volume sshVolume(ParallelJob pj) {
        return new VolumeBuilder().withName("ssh").withNewSecret().withSecretName(Names.mpiSecret(pj))
                .withDefaultMode(0440).endSecret().build();
    }

    static VolumeMount sshMount() {
        return new VolumeMountBuilder().withName("ssh").withMountPath(PodContract.SSH_DIR).withReadOnly(true).build();
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
