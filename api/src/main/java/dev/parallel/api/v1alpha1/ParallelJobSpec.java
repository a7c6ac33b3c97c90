package dev.parallel.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.AnyType;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.List;
import java.util.Map;

/** What to run, over which tasks, split how, on what hardware. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "has(self.kernel) != has(self.command)",
        message = "set exactly one of spec.kernel (a built-in kernel) or spec.command (a shell command per task)")
@ValidationRule(value = "!(has(self.pods) && has(self.tasksPerPod))",
        message = "set at most one of spec.pods or spec.tasksPerPod")
@ValidationRule(value = "!has(self.image) || has(self.command)",
        message = "spec.image needs spec.command: built-in kernels run in the operator's job image")
@ValidationRule(value = "has(self.mpi) == (has(self.executor) && self.executor == 'mpi')",
        message = "spec.mpi goes with spec.executor: mpi (set both, or neither)")
@ValidationRule(value = "!has(self.mpi) || !(has(self.pods) || has(self.tasksPerPod) || has(self.parallelism))",
        message = ParallelJobSpec.MPI_SPLIT)
@ValidationRule(value = "!has(self.mpi) || !has(self.command) || !(has(self.mpi.mode) || has(self.threadsPerPod))",
        message = ParallelJobSpec.MPI_PROGRAM)
@ValidationRule(value = "!has(self.executor) || self.executor != 'cuda' || has(self.gpu)",
        message = ParallelJobSpec.CUDA_NEEDS_GPU)
@ValidationRule(value = "!has(self.executor) || self.executor != 'cuda' || (has(self.kernel) && (self.kernel == 'pi' || self.kernel == 'primes' || self.kernel == 'matmul'))",
        message = ParallelJobSpec.CUDA_KERNELS)
@ValidationRule(value = "!(has(self.reduce) && has(self.reduction))",
        message = "set at most one of spec.reduce (an op, e.g. sum) or spec.reduction ({op, by, groupBy})")
@ValidationRule(value = "!has(self.reduction) || !has(self.reduction.groupBy) || !has(self.tasks.matrix) "
        + "|| self.reduction.groupBy.all(g, self.tasks.matrix.axes.exists(a, a.param == g))",
        message = "spec.reduction.groupBy: name params of spec.tasks.matrix.axes")
@ValidationRule(value = "self.tasks == oldSelf.tasks", message = "spec.tasks is immutable: create a new ParallelJob to run other tasks")
// spec.template: a shortcut field and its template twin, never both (which would win is not obvious).
@ValidationRule(value = "!(has(self.nodeSelector) && " + PodTemplateRules.HAS_SPEC + " && has(self.template.spec.nodeSelector))",
        message = "set nodeSelector in spec.nodeSelector or spec.template.spec.nodeSelector, not both")
@ValidationRule(value = "!(has(self.tolerations) && " + PodTemplateRules.HAS_SPEC + " && has(self.template.spec.tolerations))",
        message = "set tolerations in spec.tolerations or spec.template.spec.tolerations, not both")
@ValidationRule(value = "!(has(self.affinity) && " + PodTemplateRules.HAS_SPEC + " && has(self.template.spec.affinity))",
        message = "set affinity in spec.affinity or spec.template.spec.affinity, not both")
@ValidationRule(value = "!(has(self.serviceAccountName) && " + PodTemplateRules.HAS_SPEC
        + " && (has(self.template.spec.serviceAccountName) || has(self.template.spec.serviceAccount)))",
        message = "set serviceAccountName in spec.serviceAccountName or spec.template.spec.serviceAccountName, not both")
@ValidationRule(value = "!(has(self.imagePullSecrets) && " + PodTemplateRules.HAS_SPEC + " && has(self.template.spec.imagePullSecrets))",
        message = "set imagePullSecrets in spec.imagePullSecrets or spec.template.spec.imagePullSecrets, not both")
@ValidationRule(value = "!(has(self.gpu) && has(self.gpu.runtimeClassName) && " + PodTemplateRules.HAS_SPEC
        + " && has(self.template.spec.runtimeClassName))",
        message = "set runtimeClassName in spec.gpu.runtimeClassName or spec.template.spec.runtimeClassName, not both")
@ValidationRule(value = "!(has(self.resources) && " + PodTemplateRules.TASK_HAS + "resources)))",
        message = "set resources in spec.resources or spec.template.spec.containers[task].resources, not both")
@ValidationRule(value = "!(has(self.env) && " + PodTemplateRules.TASK_HAS + "env)))",
        message = "set env in spec.env or spec.template.spec.containers[task].env, not both")
@ValidationRule(value = "!(has(self.podLabels) && " + PodTemplateRules.HAS_META + " && has(self.template.metadata.labels) "
        + "&& self.podLabels.exists(k, k in self.template.metadata.labels))",
        message = "set each label in spec.podLabels or spec.template.metadata.labels, not both")
@ValidationRule(value = "!(has(self.podAnnotations) && " + PodTemplateRules.HAS_META + " && has(self.template.metadata.annotations) "
        + "&& self.podAnnotations.exists(k, k in self.template.metadata.annotations))",
        message = "set each annotation in spec.podAnnotations or spec.template.metadata.annotations, not both")
// spec.template: what the operator owns in the pods (the contract), as far as the CEL cost budget goes.
@ValidationRule(value = "!(" + PodTemplateRules.HAS_SPEC + " && has(self.template.spec.restartPolicy) "
        + "&& self.template.spec.restartPolicy != 'Never')",
        message = "spec.template.spec.restartPolicy: the operator sets Never (a failed pod is retried per spec.retriesPerTask); remove it")
@ValidationRule(value = "!(" + PodTemplateRules.TASK_HAS + "image)))",
        message = "spec.template.spec.containers[task].image: the task container's image is spec.image (default the "
                + "operator's job image); set spec.image instead")
@ValidationRule(value = "!(" + PodTemplateRules.TASK_HAS + "command)))", message = PodTemplateRules.COMMAND_ARGS)
@ValidationRule(value = "!(" + PodTemplateRules.TASK_HAS + "args)))", message = PodTemplateRules.COMMAND_ARGS)
// Over the CEL cost budget (the template's lists are unbounded), so the operator checks them (TemplateValidator):
// one task entry, our container and volume names, the contract's env vars in the task entry.
@ValidationRule(value = "!(has(self.env) && self.env.exists(e, " + PodTemplateRules.CONTRACT_ENV_CEL + "))",
        message = "spec.env: " + PodTemplateRules.CONTRACT_ENV_MESSAGE)
public class ParallelJobSpec {
    // Messages shared by the CEL rules above and SpecValidator (the local runner has no API server).
    static final String CUDA_NEEDS_GPU = "executor: cuda requires spec.gpu (e.g. gpu: {count: 1}): the pods must ask "
            + "for the GPUs they run on";
    static final String MPI_SPLIT = "with executor: mpi the split is spec.mpi.workers x spec.mpi.slotsPerWorker ranks: remove "
            + "spec.pods, spec.tasksPerPod and spec.parallelism";
    static final String MPI_PROGRAM = "with executor: mpi, spec.command is your MPI program, run once per task on the launcher "
            + "(mpirun starts its ranks): remove spec.mpi.mode and spec.threadsPerPod, which place the ranks of built-in kernels";
    static final String CUDA_KERNELS = "executor: cuda runs the built-in kernels pi, primes and matmul; for your own GPU program "
            + "use spec.command with spec.image and spec.gpu, and executor threads";

    @Required
    @JsonPropertyDescription("tasks: the task list, from exactly one of items, range, matrix or configMapRef. Immutable.")
    public TaskSource tasks;

    @JsonPropertyDescription("kernel: the built-in kernel each task runs (pi, primes, matmul, sleep). Exactly one of kernel or command.")
    public Kernel kernel;

    @JsonPropertyDescription("params: parameters shared by every task; a task's own parameters override them.")
    public TaskParams params;

    @Size(max = 4096)
    @JsonPropertyDescription("command: a shell command run once per task with TASK_ID, TASK_INDEX and TASK_PARAM_<NAME> "
            + "in its environment; the last JSON line of its stdout is the result, else its exit code. With executor: mpi it "
            + "is your MPI program: it runs on the launcher, where `mpirun prog` starts one rank per worker slot "
            + "(PJ_MPI_NP ranks, hostfile PJ_MPI_HOSTFILE). At most 4096 characters.")
    public String command;

    @Size(max = 512)
    @JsonPropertyDescription("image: the container image for command tasks (fully qualified); default the operator's job image, "
            + "which has a POSIX shell and coreutils (and Open MPI and sshd, for executor: mpi; a user's image for executor: "
            + "mpi needs Open MPI, /usr/sbin/sshd, ssh and a user with the pods' uid).")
    public String image;

    @JsonPropertyDescription("executor: how a pod runs its tasks: threads (default), processes (one child process per worker, "
            + "crash-isolated), sequential, mpi (ranks over worker pods under mpirun; see spec.mpi), or cuda (pi, primes and matmul on the pod's GPUs; "
            + "needs spec.gpu).")
    public ExecutorKind executor;

    @JsonPropertyDescription("mpi: worker pods and slots for executor: mpi (required with it, not allowed without).")
    public MpiSpec mpi;

    @Min(1)
    @Max(256)
    @JsonPropertyDescription("threadsPerPod: workers per pod; default the CPUs the pod may use.")
    public Integer threadsPerPod;

    @Min(1)
    @Max(10000)
    @JsonPropertyDescription("parallelism: how many pods run at once. Default 2.")
    public Integer parallelism;

    @Min(1)
    @Max(100000)
    @JsonPropertyDescription("pods: how many parts (pods) the tasks are split into; default parallelism. "
            + "At most one of pods or tasksPerPod.")
    public Integer pods;

    @Min(1)
    @JsonPropertyDescription("tasksPerPod: split so that each pod gets about this many tasks. At most one of pods or tasksPerPod.")
    public Integer tasksPerPod;

    @Min(0)
    @Max(100)
    @JsonPropertyDescription("retriesPerTask: how often a failed task is retried inside its pod, and how often a failed pod "
            + "(part) is restarted. Default 0.")
    public Integer retriesPerTask;

    @Min(0)
    @JsonPropertyDescription("maxFailedTasks: how many tasks may fail before the ParallelJob fails; default 0.")
    public Integer maxFailedTasks;

    @Min(1)
    @Max(3600)
    @JsonPropertyDescription("taskTimeoutSeconds: a task running longer fails (and is retried per retriesPerTask).")
    public Integer taskTimeoutSeconds;

    @Min(1)
    @JsonPropertyDescription("activeDeadlineSeconds: the ParallelJob fails when it runs longer than this.")
    public Long activeDeadlineSeconds;

    @Min(0)
    @JsonPropertyDescription("ttlSecondsAfterFinished: after the ParallelJob finishes, its Job and pods are deleted after this "
            + "many seconds; the ParallelJob and its results ConfigMap stay.")
    public Integer ttlSecondsAfterFinished;

    @JsonPropertyDescription("suspend: true stops the pods (running tasks are lost and rerun on resume); false resumes.")
    public Boolean suspend;

    @JsonPropertyDescription("reduce: how task results combine: sum (default for kernels), min, max, mean, count, collect "
            + "(all results, size-capped), argmin, argmax (the winning task), none (default for commands). For a field of "
            + "the results or per-group rows use spec.reduction instead.")
    public ReduceOp reduce;

    @JsonPropertyDescription("reduction: reduce one field of each task's result, optionally per group of parameters, "
            + "e.g. {op: argmin, by: loss} or {op: mean, by: loss, groupBy: [batch]}. At most one of reduce or reduction.")
    public ReductionSpec reduction;

    @JsonPropertyDescription("gpu: GPUs for each pod that runs tasks (with executor: mpi, each worker pod).")
    public GpuSpec gpu;

    @JsonPropertyDescription("resources: CPU and memory for each pod's container.")
    public ResourceRequirements resources;

    @JsonPropertyDescription("nodeSelector for the pods.")
    public Map<String, String> nodeSelector;

    @JsonPropertyDescription("tolerations for the pods.")
    public List<Toleration> tolerations;

    @JsonPropertyDescription("affinity for the pods.")
    public Affinity affinity;

    @Pattern("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
    @JsonPropertyDescription("serviceAccountName the pods run as; default the namespace's default (its token is not mounted).")
    public String serviceAccountName;

    @JsonPropertyDescription("imagePullSecrets for the pods.")
    public List<LocalObjectReference> imagePullSecrets;

    @Size(max = 100)
    @JsonPropertyDescription("env: extra environment variables for the task container.")
    public List<EnvVar> env;

    @JsonPropertyDescription("podLabels: extra labels on the pods.")
    public Map<String, String> podLabels;

    @JsonPropertyDescription("podAnnotations: extra annotations on the pods.")
    public Map<String, String> podAnnotations;

    @JsonPropertyDescription("template: a pod template merged into every pod the operator creates (workers, MPI launcher "
            + "and MPI workers). Kept as written: volumes, initContainers, extra containers, scheduling, pod securityContext "
            + "(over the restricted defaults), labels and annotations. The container named task in template.spec.containers "
            + "adds volumeMounts, envFrom, env, resources, workingDir and securityContext to the container that runs the tasks; "
            + "its image, command and args are the operator's. See the README, Pod template.")
    public PodTemplateSpec template;

    @JsonPropertyDescription("results: where each task's record goes (store: cluster, the default, or s3) and whether pods "
            + "stream them as tasks finish (stream, default true).")
    public ResultsSpec results;

    @JsonIgnore
    public ExecutorKind executorOrDefault() { return executor == null ? ExecutorKind.THREADS : executor; }

    @JsonIgnore
    public int parallelismOrDefault() { return parallelism == null ? 2 : parallelism; }

    @JsonIgnore
    public int retriesOrDefault() { return retriesPerTask == null ? 0 : retriesPerTask; }

    @JsonIgnore
    public int maxFailedTasksOrDefault() { return maxFailedTasks == null ? 0 : maxFailedTasks; }

    @JsonIgnore
    public boolean suspended() { return Boolean.TRUE.equals(suspend); }

    @JsonIgnore
    public ReduceOp reduceOrDefault() {
        if (reduce != null) return reduce;
        return kernel == null || kernel == Kernel.SLEEP ? ReduceOp.NONE : ReduceOp.SUM;
    }
}
