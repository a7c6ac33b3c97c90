package dev.parallel.api.contract;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parallel.api.v1alpha1.ExecutorKind;
import dev.parallel.api.v1alpha1.GpuSpec;
import dev.parallel.api.v1alpha1.Kernel;
import dev.parallel.api.v1alpha1.ReduceOp;
import dev.parallel.api.v1alpha1.TaskMatrix;
import dev.parallel.api.v1alpha1.TaskRange;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The contract between the operator and the job image, defined once (documented in
 * docs/contract.md). The operator writes a {@link WorkerConfig} into these environment variables;
 * the pod reads it back with {@link #fromEnv}. Results go to the results file and, one per line
 * behind {@link #RESULT_LOG_PREFIX}, to stdout; the {@link PartSummary} goes to the summary file.
 */
public final class PodContract {
    public static final String KERNEL = "PJ_KERNEL";
    public static final String COMMAND = "PJ_COMMAND";
    public static final String PARAMS = "PJ_PARAMS";
    public static final String TASKS_FILE = "PJ_TASKS_FILE";
    public static final String RANGE = "PJ_RANGE";
    /** spec.tasks.matrix as JSON; each pod decodes its own tasks from it. */
    public static final String MATRIX = "PJ_MATRIX";
    public static final String PARTS = "PJ_PARTS";
    /** Set by Kubernetes for Indexed Jobs; the part this pod runs. */
    public static final String PART_INDEX = "JOB_COMPLETION_INDEX";
    public static final String EXECUTOR = "PJ_EXECUTOR";
    public static final String THREADS = "PJ_THREADS";
    public static final String RETRIES = "PJ_RETRIES";
    public static final String TASK_TIMEOUT_SECONDS = "PJ_TASK_TIMEOUT_SECONDS";
    public static final String REDUCE = "PJ_REDUCE";
    /** spec.reduction.by: the result field the op reads. */
    public static final String REDUCE_BY = "PJ_REDUCE_BY";
    /** spec.reduction.groupBy, comma-separated. */
    public static final String GROUP_BY = "PJ_GROUP_BY";
    public static final String RESULTS_FILE = "PJ_RESULTS_FILE";
    public static final String SUMMARY_FILE = "PJ_SUMMARY_FILE";

    /** Where the operator mounts the task list (a ConfigMap key) in the pod. */
    public static final String TASKS_DIR = "/pj/tasks";
    public static final String TASKS_FILE_NAME = "tasks.jsonl";
    /** The pod's writable scratch volume. */
    public static final String WORK_DIR = "/pj/work";
    public static final String DEFAULT_RESULTS_FILE = WORK_DIR + "/results.jsonl";
    public static final String DEFAULT_SUMMARY_FILE = "/dev/termination-log";
    /** Marks a task-result line in the pod's log, where the operator gathers per-task results. */
    public static final String RESULT_LOG_PREFIX = "@pj-result ";

    /** Printed by the process that holds a whole run's summary when it is not the pod's main process (MPI rank 0). */
    public static final String SUMMARY_LOG_PREFIX = "@pj-summary ";

    // executor: mpi. The launcher pod gets these besides the contract above and forwards the contract to
    // every rank (mpirun -x); ranks divide the tasks by MPI rank, not by PJ_PARTS.
    /** Comma-separated worker host names (stable DNS names through the headless Service). */
    public static final String MPI_HOSTS = "PJ_MPI_HOSTS";
    public static final String MPI_SLOTS = "PJ_MPI_SLOTS";
    /** static | dynamic (MpiSpec.Mode). */
    public static final String MPI_MODE = "PJ_MPI_MODE";
    /** How long the launcher waits for every worker's sshd before it gives up. */
    public static final String MPI_WAIT_SECONDS = "PJ_MPI_WAIT_SECONDS";
    /** Where the per-ParallelJob SSH Secret is mounted (keys, authorized_keys) in launcher and workers. */
    public static final String SSH_DIR = "/etc/pj-ssh";
    /** sshd's port in worker pods: above 1024, so sshd runs without any capability. */
    public static final int SSH_PORT = 2222;
    /** Keys of the SSH Secret: the client key pair, the workers' host key, authorized_keys. */
    public static final String SSH_CLIENT_KEY = "id_ecdsa";
    public static final String SSH_HOST_KEY = "ssh_host_ecdsa_key";
    public static final String SSH_AUTHORIZED_KEYS = "authorized_keys";
    /** The Secret's Open MPI hostfile (every worker with its slots): a user's MPI program reads it (MpiProgram). */
    public static final String SSH_HOSTFILE = "hostfile";

    /** executor: cuda: what to do without a usable GPU (GpuSpec.Fallback: fail | cpu). */
    public static final String GPU_FALLBACK = "PJ_GPU_FALLBACK";

    /** What a command task sees. */
    public static final String TASK_ID = "TASK_ID";
    public static final String TASK_INDEX = "TASK_INDEX";
    public static final String TASK_PARAM_PREFIX = "TASK_PARAM_";

    private PodContract() {}

    public static Map<String, String> toEnv(WorkerConfig c) {
        Map<String, String> env = new LinkedHashMap<>();
        if (c.kernel() != null) env.put(KERNEL, c.kernel().value());
        if (c.command() != null) env.put(COMMAND, c.command());
        if (c.params() != null && !c.params().isEmpty()) env.put(PARAMS, c.params().toString());
        if (c.tasksFile() != null) env.put(TASKS_FILE, c.tasksFile());
        if (c.range() != null) env.put(RANGE, write(c.range()));
        if (c.matrix() != null) env.put(MATRIX, write(c.matrix()));
        env.put(PARTS, Integer.toString(c.parts()));
        env.put(EXECUTOR, c.executor().value());
        if (c.threads() > 0) env.put(THREADS, Integer.toString(c.threads()));
        if (c.retries() > 0) env.put(RETRIES, Integer.toString(c.retries()));
        if (c.taskTimeoutSeconds() > 0) env.put(TASK_TIMEOUT_SECONDS, Integer.toString(c.taskTimeoutSeconds()));
        env.put(REDUCE, c.reduce().op().value());
        if (c.reduce().by() != null) env.put(REDUCE_BY, c.reduce().by());
        if (c.reduce().grouped()) env.put(GROUP_BY, String.join(",", c.reduce().groupBy()));
        if (c.resultsFile() != null) env.put(RESULTS_FILE, c.resultsFile());
        if (c.summaryFile() != null) env.put(SUMMARY_FILE, c.summaryFile());
        if (c.gpuFallback() != null) env.put(GPU_FALLBACK, c.gpuFallback().value());
        return env;
    }

    /** Reads the contract; a missing or malformed variable is an error that names it. */
    public static WorkerConfig fromEnv(Map<String, String> env) {
        String kernel = env.get(KERNEL);
        String command = env.get(COMMAND);
        if ((kernel == null) == (command == null)) {
            throw new IllegalArgumentException("set exactly one of " + KERNEL + " or " + COMMAND);
        }
        String tasksFile = env.get(TASKS_FILE);
        String range = env.get(RANGE);
        String matrix = env.get(MATRIX);
        if ((tasksFile != null ? 1 : 0) + (range != null ? 1 : 0) + (matrix != null ? 1 : 0) != 1) {
            throw new IllegalArgumentException("set exactly one of " + TASKS_FILE + ", " + RANGE + " or " + MATRIX);
        }
        try {
            return new WorkerConfig(
                    kernel == null ? null : Kernel.of(kernel),
                    command,
                    env.containsKey(PARAMS) ? (ObjectNode) Json.tree(env.get(PARAMS)) : null,
                    tasksFile,
                    range == null ? null : range(range),
                    matrix == null ? null : Json.mapper().readValue(matrix, TaskMatrix.class),
                    intVar(env, PARTS, 1),
                    intVar(env, PART_INDEX, 0),
                    ExecutorKind.of(env.getOrDefault(EXECUTOR, ExecutorKind.THREADS.value())),
                    intVar(env, THREADS, 0),
                    intVar(env, RETRIES, 0),
                    intVar(env, TASK_TIMEOUT_SECONDS, 0),
                    new Reduction(ReduceOp.of(env.getOrDefault(REDUCE, ReduceOp.SUM.value())), env.get(REDUCE_BY),
                            env.containsKey(GROUP_BY) ? java.util.List.of(env.get(GROUP_BY).split(",")) : null),
                    env.getOrDefault(RESULTS_FILE, DEFAULT_RESULTS_FILE),
                    env.getOrDefault(SUMMARY_FILE, DEFAULT_SUMMARY_FILE),
                    env.containsKey(GPU_FALLBACK) ? GpuSpec.Fallback.of(env.get(GPU_FALLBACK)) : null);
        } catch (JsonProcessingException | ClassCastException e) {
            throw new IllegalArgumentException("malformed " + (range != null ? RANGE + " or " : "")
                    + (matrix != null ? MATRIX + " or " : "") + PARAMS
                    + ": " + e.getMessage());
        }
    }

    /**
     * {@value #RANGE} read from its tree, not bound as a bean: in a fresh JVM, Jackson's introspection of TaskRange
     * cost a pod 0.13-0.3 s before its first task (measured with -Dpj.trace=startup; a tasks file took 0.01 s).
     */
    static TaskRange range(String json) throws JsonProcessingException {
        var n = Json.tree(json);
        if (!n.isObject() || !n.path("start").canConvertToLong() || !n.path("end").canConvertToLong()
                || n.has("step") && !n.get("step").isNull() && !n.get("step").canConvertToLong()
                || n.has("param") && !n.get("param").isNull() && !n.get("param").isTextual()) {
            throw new IllegalArgumentException("malformed " + RANGE + ": want {\"start\": N, \"end\": M, \"step\": S, \"param\": \"name\"}, got "
                    + json);
        }
        TaskRange r = new TaskRange();
        r.start = n.get("start").asLong();
        r.end = n.get("end").asLong();
        r.step = n.hasNonNull("step") ? n.get("step").asLong() : null;
        r.param = n.hasNonNull("param") ? n.get("param").asText() : null;
        return r;
    }

    private static int intVar(Map<String, String> env, String name, int dflt) {
        String v = env.get(name);
        if (v == null || v.isBlank()) return dflt;
        try {
            return Integer.parseInt(v.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be an integer, got '" + v + "'");
        }
    }

    private static String write(Object o) {
        try {
            return Json.mapper().writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
