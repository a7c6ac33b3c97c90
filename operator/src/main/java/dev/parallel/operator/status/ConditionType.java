package dev.parallel.operator.status;

/**
 * Every condition type the operator writes into status, and (in {@link Reason}) every reason it sets
 * itself, in one place: the e2e suites and users' scripts read them, so they do not change.
 */
public enum ConditionType {
    Running, Suspended, Complete, Failed,
    /** status.result or the results ConfigMap lacks something (ReduceFailed, SizeLimit). */
    ResultsTruncated,
    /** executor: cuda found no usable GPU and ran on CPU threads (gpu.fallback: cpu). */
    CpuFallback,
    /** With a queue: whether Kueue admitted the Workload, with Kueue's own reason and message. */
    Admitted,
    /** Set by updateErrorStatus while JOSDK retries an exception. */
    ReconcileError;

    /** The reasons, grouped by the phase that sets them. A failed Job's own reason passes through as it is. */
    public enum Reason {
        // validate: the ParallelJob cannot run as written
        InvalidSpec, TasksNotFound, InvalidTasks,
        // validate: a referenced object is missing (yet): Pending until missingReferenceTimeoutSeconds, then Failed
        ServiceAccountNotFound,
        // deploy: a child could not be created or did not come up, or the launcher waits
        JobRejected, MpiWorkersFailed, MpiWorkersNotReady, WaitingForMpiWorkers, RemovingLeftovers,
        // status: the phase decision
        GpuUnavailable, TasksFailed, AllTasksFinished, JobFailed, SuspendedBySpec, SuspendedByQueue, Creating,
        PodsRunning, Unschedulable, PodsPending, PodsRejected,
        // the queue (Kueue): waiting for admission, stopping after an eviction, or Kueue support off
        QueuedByKueue, EvictedByKueue, KueueDisabled,
        // the False side of the phase conditions
        NotSuspended, NotComplete, NotFailed,
        // ResultsTruncated
        ReduceFailed, SizeLimit
    }
}
