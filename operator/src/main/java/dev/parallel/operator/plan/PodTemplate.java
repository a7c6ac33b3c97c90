package dev.parallel.operator.plan;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parallel.api.contract.Json;
import dev.parallel.api.contract.PodContract;
import dev.parallel.api.v1alpha1.GpuSpec;
import dev.parallel.api.v1alpha1.ParallelJobSpec;
import dev.parallel.api.v1alpha1.PodTemplateRules;
import dev.parallel.operator.OperatorSettings;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
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
 * volumes and the task resources, merged over the user's spec.template (README, Pod template): the
 * first container is the task container and takes the template's task entry. A new pod field goes here, once.
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
    private boolean resultWriter;

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

    /** Streamed results: the pods run as the writer account and carry its token and done-set volumes (ResultWriter). */
    PodTemplate withResultWriter(boolean on) { resultWriter = on; return this; }

    public PodTemplateSpec build() {
        ParallelJobSpec s = plan.spec();
        // spec.template as the base: what the operator does not own is kept as the user wrote it.
        PodTemplateSpec t = s.template == null ? new PodTemplateSpec() : s.template;
        PodSpec u = t.getSpec() == null ? new PodSpec() : t.getSpec();
        ObjectMeta um = t.getMetadata() == null ? new ObjectMeta() : t.getMetadata();
        Container task = taskEntry(u);
        List<Container> ours = new ArrayList<>(containers);
        if (!ours.isEmpty() && task != null) ours.set(0, withTaskEntry(ours.get(0), task));
        return new PodTemplateSpecBuilder()
                .withNewMetadata()
                    .withLabels(podLabels(plan, plan.labels(component)))
                    .withAnnotations(podAnnotations(plan, um.getAnnotations()))
                .endMetadata()
                .withSpec(new PodSpecBuilder(u)
                    .withRestartPolicy("Never")
                    .withSubdomain(subdomain != null ? subdomain : u.getSubdomain())
                    .withServiceAccountName(resultWriter ? ResultWriter.podServiceAccount(plan)
                            : s.serviceAccountName != null ? s.serviceAccountName : u.getServiceAccountName())
                    .withAutomountServiceAccountToken(or(u.getAutomountServiceAccountToken(), false))
                    .withEnableServiceLinks(or(u.getEnableServiceLinks(), false))
                    .withNodeSelector(nodeSelector(s, s.nodeSelector != null ? s.nodeSelector : u.getNodeSelector()))
                    .withTolerations(tolerations(s, s.tolerations != null ? s.tolerations : u.getTolerations()))
                    .withRuntimeClassName(s.gpu != null && s.gpu.runtimeClassName != null ? s.gpu.runtimeClassName
                            : u.getRuntimeClassName())
                    .withAffinity(s.affinity != null ? s.affinity : u.getAffinity())
                    .withImagePullSecrets(s.imagePullSecrets != null ? s.imagePullSecrets : u.getImagePullSecrets())
                    .withSecurityContext(merged(podSecurity(settings), u.getSecurityContext(), PodSecurityContext.class))
                    // The user's init containers first (they may fetch the input), then ours (the sidecar).
                    .withInitContainers(concat(u.getInitContainers(), initContainers))
                    .withContainers(concat(ours, others(u)))
                    .withVolumes(concat(volumes(), u.getVolumes()))
                    .build())
                .build();
    }

    /** The entry named task in spec.template.spec.containers, if any (at most one: TemplateValidator). */
    static Container taskEntry(PodSpec u) {
        if (u.getContainers() == null) return null;
        return u.getContainers().stream().filter(c -> PodTemplateRules.TASK_CONTAINER.equals(c.getName())).findFirst().orElse(null);
    }

    /** The user's own containers: every one but the task entry. */
    private static List<Container> others(PodSpec u) {
        if (u.getContainers() == null) return List.of();
        return u.getContainers().stream().filter(c -> !PodTemplateRules.TASK_CONTAINER.equals(c.getName())).toList();
    }

    /**
     * The task container with what the task entry adds: volumeMounts, envFrom, env after ours, workingDir,
     * securityContext fields over ours. Its resources are taskResources' (spec.resources' twin), not here.
     */
    private Container withTaskEntry(Container ours, Container task) {
        return new ContainerBuilder(ours)
                .withVolumeMounts(concat(ours.getVolumeMounts(), task.getVolumeMounts()))
                .withEnvFrom(concat(ours.getEnvFrom(), task.getEnvFrom()))
                .withEnv(concat(ours.getEnv(), task.getEnv()))
                .withWorkingDir(task.getWorkingDir() != null ? task.getWorkingDir() : ours.getWorkingDir())
                .withSecurityContext(merged(ours.getSecurityContext(), task.getSecurityContext(), SecurityContext.class))
                .build();
    }

    /** Field by field, the user's values over ours (a field the user leaves out keeps our default). */
    static <T> T merged(T ours, T user, Class<T> type) {
        if (user == null) return ours;
        if (ours == null) return user;
        ObjectNode o = Json.mapper().valueToTree(ours);
        ObjectNode u = Json.mapper().valueToTree(user);
        u.properties().forEach(e -> {
            if (!e.getValue().isNull()) o.set(e.getKey(), e.getValue());
        });
        return Json.mapper().convertValue(o, type);
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> l = new ArrayList<>();
        if (a != null) l.addAll(a);
        if (b != null) l.addAll(b);
        return l;
    }

    private static <T> T or(T v, T dflt) { return v != null ? v : dflt; }

    /** The user's spec.template labels and spec.podLabels plus ours; ours win: the operator finds pods by them. */
    static Map<String, String> podLabels(Plan plan, Map<String, String> labels) {
        Map<String, String> podLabels = new LinkedHashMap<>();
        var t = plan.spec().template;
        if (t != null && t.getMetadata() != null && t.getMetadata().getLabels() != null) podLabels.putAll(t.getMetadata().getLabels());
        if (plan.spec().podLabels != null) podLabels.putAll(plan.spec().podLabels);
        podLabels.putAll(labels);
        return podLabels;
    }

    /** spec.template annotations, spec.podAnnotations, then ours (the full ParallelJob name: pods are mapped back by it). */
    static Map<String, String> podAnnotations(Plan plan, Map<String, String> template) {
        Map<String, String> a = new LinkedHashMap<>();
        if (template != null) a.putAll(template);
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

    /**
     * The spec's resources (or the template's task entry's: never both, CEL), else the operator's defaults,
     * plus spec.gpu's count: where the tasks run.
     */
    static ResourceRequirements taskResources(Plan plan, OperatorSettings settings) {
        ResourceRequirements r = plan.spec().resources;
        if (r == null && plan.spec().template != null && plan.spec().template.getSpec() != null) {
            Container task = taskEntry(plan.spec().template.getSpec());
            if (task != null) r = task.getResources();
        }
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

    /** The nodeSelector (spec's or template's) with spec.gpu.nodeSelector added (GPU nodes). */
    private static Map<String, String> nodeSelector(ParallelJobSpec s, Map<String, String> nodeSelector) {
        if (s.gpu == null || s.gpu.nodeSelector == null) return nodeSelector;
        Map<String, String> m = new LinkedHashMap<>();
        if (nodeSelector != null) m.putAll(nodeSelector);
        m.putAll(s.gpu.nodeSelector);
        return m;
    }

    private static List<Toleration> tolerations(ParallelJobSpec s, List<Toleration> tolerations) {
        if (s.gpu == null || s.gpu.tolerations == null) return tolerations;
        List<Toleration> t = new ArrayList<>();
        if (tolerations != null) t.addAll(tolerations);
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
        if (resultWriter) v.addAll(ResultWriter.volumes(plan));
        if (runVolume) v.add(new VolumeBuilder().withName(RUN_VOLUME).withNewEmptyDir().endEmptyDir().build());
        // The SSH Secret, 0440 root:fsGroup: readable by the pod's user, and ssh accepts a key it does not own.
        if (sshVolume) {
            v.add(new VolumeBuilder().withName(SSH_VOLUME).withNewSecret().withSecretName(Names.mpiSecret(plan.pj()))
                    .withDefaultMode(0440).endSecret().build());
        }
        return v;
    }
}
