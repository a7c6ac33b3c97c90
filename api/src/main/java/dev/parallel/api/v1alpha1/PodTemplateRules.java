package dev.parallel.api.v1alpha1;

import java.util.List;

/**
 * What spec.template may say, in one place: the names the operator owns (containers, volumes, env vars of
 * the contract) and the CEL rules built from them. The CRD carries the rules (ParallelJobSpec's annotations);
 * the operator's TemplateValidator checks them again and what CEL cannot afford.
 */
public final class PodTemplateRules {
    private PodTemplateRules() {}

    /** The documented name of the task container's entry in spec.template.spec.containers (docs/contract.md). */
    public static final String TASK_CONTAINER = "task";

    /** The operator's container names (worker, launcher, mpi-worker, the user image's sidecar): not the user's. */
    public static final List<String> OPERATOR_CONTAINERS = List.of("worker", "launcher", "mpi-worker", "pj-tasks");
    static final String OPERATOR_CONTAINERS_CEL = "['worker', 'launcher', 'mpi-worker', 'pj-tasks']";

    /**
     * The operator's volume names (scratch, /tmp, the task file, the sidecar's run dir, MPI's SSH keys, the
     * streamed results' token and done sets).
     */
    public static final List<String> OPERATOR_VOLUMES = List.of("work", "tmp", "tasks", "run", "ssh", "pj-results-token",
            "pj-results-done");
    static final String OPERATOR_VOLUMES_CEL = "['work', 'tmp', 'tasks', 'run', 'ssh', 'pj-results-token', 'pj-results-done']";

    /** What the task container's entry may carry besides its name; the rest of that container is the operator's. */
    public static final List<String> TASK_FIELDS = List.of("volumeMounts", "envFrom", "env", "resources", "workingDir",
            "securityContext");

    /** Env vars of the contract (PodContract): the PJ_ prefix, the Job's index, what a command task sees. */
    public static final String ENV_PREFIX = "PJ_";
    public static final List<String> CONTRACT_ENV = List.of("JOB_COMPLETION_INDEX", "TASK_ID", "TASK_INDEX");
    public static final String TASK_PARAM_PREFIX = "TASK_PARAM_";
    static final String CONTRACT_ENV_CEL = "(e.name.startsWith('PJ_') || e.name.startsWith('TASK_PARAM_') "
            + "|| e.name in ['JOB_COMPLETION_INDEX', 'TASK_ID', 'TASK_INDEX'])";

    /** Whether {@code name} is an env var of the contract (set by the operator, not the user). */
    public static boolean contractEnv(String name) {
        return name != null && (name.startsWith(ENV_PREFIX) || name.startsWith(TASK_PARAM_PREFIX) || CONTRACT_ENV.contains(name));
    }

    public static final String CONTRACT_ENV_MESSAGE = "PJ_*, TASK_ID, TASK_INDEX, TASK_PARAM_* and JOB_COMPLETION_INDEX are "
            + "the env vars of the operator's contract (docs/contract.md); rename yours";
    static final String COMMAND_ARGS = "spec.template.spec.containers[task].command and args are the operator's (they run "
            + "spec.command once per task); set spec.command instead";

    // CEL: the template's pod spec and its containers, when present.
    static final String HAS_SPEC = "has(self.template) && has(self.template.spec)";
    static final String CONTAINERS = "self.template.spec.containers";
    static final String IS_TASK = "has(c.name) && c.name == 'task'";
    static final String HAS_CONTAINERS = HAS_SPEC + " && has(" + CONTAINERS + ")";
    static final String TASK_HAS = HAS_CONTAINERS + " && " + CONTAINERS + ".exists(c, " + IS_TASK + " && has(c.";
    static final String HAS_META = "has(self.template) && has(self.template.metadata)";
}
