package dev.parallel.operator.status;

/** Every condition type and reason the operator writes into status, in one place (the e2e suites read them). */
public final class ConditionType {
    private ConditionType() {}

    public static final String RUNNING = "Running";
    public static final String SUSPENDED = "Suspended";
    public static final String COMPLETE = "Complete";
    public static final String FAILED = "Failed";
    public static final String RESULTS_TRUNCATED = "ResultsTruncated";
    public static final String CPU_FALLBACK = "CpuFallback";
    /** Set by updateErrorStatus while JOSDK retries an exception. */
    public static final String RECONCILE_ERROR = "ReconcileError";

    /** The reasons, grouped by the path that sets them. */
    public static final class Reason {
        private Reason() {}

        // validate: the ParallelJob cannot run as written
        public static final String INVALID_SPEC = "InvalidSpec";
        public static final String TASKS_NOT_FOUND = "TasksNotFound";
        public static final String INVALID_TASKS = "InvalidTasks";
        // deploy: a child could not be created or did not come up
        public static final String JOB_REJECTED = "JobRejected";
        public static final String MPI_WORKERS_FAILED = "MpiWorkersFailed";
        public static final String MPI_WORKERS_NOT_READY = "MpiWorkersNotReady";
        public static final String WAITING_FOR_MPI_WORKERS = "WaitingForMpiWorkers";
        public static final String REMOVING_LEFTOVERS = "RemovingLeftovers";
        // status: the phase decision
        public static final String GPU_UNAVAILABLE = "GpuUnavailable";
        public static final String TASKS_FAILED = "TasksFailed";
        public static final String ALL_TASKS_FINISHED = "AllTasksFinished";
        public static final String JOB_FAILED = "JobFailed";
        public static final String SUSPENDED_BY_SPEC = "SuspendedBySpec";
        public static final String SUSPENDED_BY_QUEUE = "SuspendedByQueue";
        public static final String CREATING = "Creating";
        public static final String PODS_RUNNING = "PodsRunning";
        public static final String UNSCHEDULABLE = "Unschedulable";
        public static final String PODS_PENDING = "PodsPending";
        // the False side of the phase conditions
        public static final String NOT_SUSPENDED = "NotSuspended";
        public static final String NOT_COMPLETE = "NotComplete";
        public static final String NOT_FAILED = "NotFailed";
        // ResultsTruncated
        public static final String REDUCE_FAILED = "ReduceFailed";
        public static final String SIZE_LIMIT = "SizeLimit";
    }
}
