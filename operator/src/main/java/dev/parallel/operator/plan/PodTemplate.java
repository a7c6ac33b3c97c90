package dev.parallel.operator.plan;

import dev.parallel.api.contract.PodContract;
import dev.parallel.api.v1alpha1.GpuSpec;
import dev.parallel.api.v1alpha1.ParallelJobSpec;
import dev.parallel.operator.OperatorSettings;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Pure: the one pod template of every Job the operator creates (workers, MPI launcher, MPI workers):
 * labels, security context, scheduling (GPU node selector, tolerations, runtime class), the shared
 * volumes and the task resources. A new pod field goes here, once.
 */
public final class PodTemplate {
    static final String RUN_VOLUME = "run";
    static final String SSH_VOLUME = "ssh";

    private final Plan plan;
    private final OperatorSettings settings;
    private final String component;
    private String subdomain;
    private List<Container> initContainers = List.of();
    private List<Container> containers = List.of();
    private boolean runVolume;
    private boolean sshVolume;

    private PodTemplate(Plan plan, OperatorSettings settings, String component) {
        this.plan = plan;
        this.settings = settings;
        this.component = component;
    }

    /** The pods of {@code component} (worker, launcher, mpi-worker). */
    public static PodTemplate of(Plan plan, OperatorSettings settings, String component) {
        return new PodTemplate(plan, settings, component);
    }

    PodTemplate subdomain(String s) { subdomain = s; return this; }

    PodTemplate initContainers(List<Container> c) { initContainers = c; return this; }

    PodTemplate containers(Container... c) { containers = List.of(c); return this; }

    /** Adds the emptyDir the user's image and the job image's sidecar share (command tasks in any image). */
    PodTemplate withRunVolume(boolean on) { runVolume = on; return this; }

    /** Adds the SSH Secret of executor: mpi. */
    PodTemplate withSshVolume(boolean on) { sshVolume = on; return this; }

    public PodTemplateSpec build() {
        ParallelJobSpec s = plan.spec();
        return new PodTemplateSpecBuilder()
                .withNewMetadata()
                    .withLabels(podLabels(plan, plan.labels(component)))
                    .withAnnotations(podAnnotations(plan))
                .endMetadata()
                .withNewSpec()
                    .withRestartPolicy("Never")
                    .withSubdomain(subdomain)
                    .withServiceAccountName(s.serviceAccountName)
                    .withAutomountServiceAccountToken(false)
                    .withEnableServiceLinks(false)
                    .withNodeSelector(nodeSelector(s))
                    .withTolerations(tolerations(s))
                    .withRuntimeClassName(s.gpu == null ? null : s.gpu.runtimeClassName)
                    .withAffinity(s.affinity)
                    .withImagePullSecrets(s.imagePullSecrets)
                    .withSecurityContext(podSecurity(settings))
                    .withInitContainers(initContainers)
                    .withContainers(containers)
                    .withVolumes(volumes())
                .endSpec()
                .build();
    }

    /** The user's spec.podLabels plus ours; ours win: the operator finds pods by them. */
    static Map<String, String> podLabels(Plan plan, Map<String, String> labels) {
        Map<String, String> podLabels = new LinkedHashMap<>();
        if (plan.spec().podLabels != null) podLabels.putAll(plan.spec().podLabels);
        podLabels.putAll(labels);
        return podLabels;
    }

    /** The user's spec.podAnnotations plus ours (the full ParallelJob name: the operator maps pods back by it). */
    static Map<String, String> podAnnotations(Plan plan) {
        Map<String, String> a = new LinkedHashMap<>();
        if (plan.spec().podAnnotations != null) a.putAll(plan.spec().podAnnotations);
        a.putAll(Names.annotations(plan.pj()));
        return a;
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

    /** The restricted profile of a job-image container. */
    static SecurityContext containerSecurity() {
        return new SecurityContextBuilder()
                .withAllowPrivilegeEscalation(false)
                .withReadOnlyRootFilesystem(true)
                .withNewCapabilities().withDrop("ALL").endCapabilities()
                .build();
    }

    /** The spec's resources, else the operator's defaults, plus spec.gpu's count: where the tasks run. */
    static ResourceRequirements taskResources(Plan plan, OperatorSettings settings) {
        ResourceRequirements r = plan.spec().resources;
        ResourceRequirementsBuilder b;
        if (r != null && ((r.getRequests() != null && !r.getRequests().isEmpty())
                || (r.getLimits() != null && !r.getLimits().isEmpty()))) {
            b = new ResourceRequirementsBuilder(r);
        } else {
            b = requests(settings.defaultCpu(), settings.defaultMemory(), settings.defaultMemory());
        }
        GpuSpec gpu = plan.spec().gpu;
        // Extended resources are set as limits only; the API server defaults the request to the same.
        if (gpu != null) b.addToLimits(gpu.resourceOrDefault(), new Quantity(Integer.toString(gpu.count)));
        return b.build();
    }

    /** CPU and memory requests with a memory limit (no CPU limit: no throttling). */
    static ResourceRequirementsBuilder requests(String cpu, String memory, String memoryLimit) {
        return new ResourceRequirementsBuilder()
                .addToRequests("cpu", new Quantity(cpu))
                .addToRequests("memory", new Quantity(memory))
                .addToLimits("memory", new Quantity(memoryLimit));
    }

    /** spec.nodeSelector with spec.gpu.nodeSelector added (GPU nodes). */
    private static Map<String, String> nodeSelector(ParallelJobSpec s) {
        if (s.gpu == null || s.gpu.nodeSelector == null) return s.nodeSelector;
        Map<String, String> m = new LinkedHashMap<>();
        if (s.nodeSelector != null) m.putAll(s.nodeSelector);
        m.putAll(s.gpu.nodeSelector);
        return m;
    }

    private static List<Toleration> tolerations(ParallelJobSpec s) {
        if (s.gpu == null || s.gpu.tolerations == null) return s.tolerations;
        List<Toleration> t = new ArrayList<>();
        if (s.tolerations != null) t.addAll(s.tolerations);
        t.addAll(s.gpu.tolerations);
        return t;
    }

    /** Scratch (work), /tmp and the task file: what every job-image container mounts. */
    static List<VolumeMount> mounts(Plan plan) {
        List<VolumeMount> m = new ArrayList<>();
        m.add(mount("work", PodContract.WORK_DIR));
        m.add(mount("tmp", "/tmp"));
        if (plan.hasTaskFile()) m.add(new VolumeMountBuilder(mount("tasks", PodContract.TASKS_DIR)).withReadOnly(true).build());
        return m;
    }

    static VolumeMount mount(String volume, String path) {
        return new VolumeMountBuilder().withName(volume).withMountPath(path).build();
    }

    static VolumeMount sshMount() {
        return new VolumeMountBuilder(mount(SSH_VOLUME, PodContract.SSH_DIR)).withReadOnly(true).build();
    }

    private List<Volume> volumes() {
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
        if (runVolume) v.add(new VolumeBuilder().withName(RUN_VOLUME).withNewEmptyDir().endEmptyDir().build());
        // The SSH Secret, 0440 root:fsGroup: readable by the pod's user, and ssh accepts a key it does not own.
        if (sshVolume) {
            v.add(new VolumeBuilder().withName(SSH_VOLUME).withNewSecret().withSecretName(Names.mpiSecret(plan.pj()))
                    .withDefaultMode(0440).endSecret().build());
        }
        return v;
    }
}
