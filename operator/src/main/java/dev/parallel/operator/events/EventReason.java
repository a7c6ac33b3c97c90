package dev.parallel.operator.events;

/** The few event reasons the operator emits, each on a transition only. */
public enum EventReason {
    JobCreated("Normal"),
    MpiWorkersCreated("Normal"),
    MpiLauncherCreated("Normal"),
    MpiWorkersStopped("Normal"),
    Running("Normal"),
    Suspended("Normal"),
    Resumed("Normal"),
    Succeeded("Normal"),
    /** Kueue: the Workload was created (queued), admitted, or evicted; Kueue support is off. */
    WorkloadCreated("Normal"),
    Admitted("Normal"),
    Evicted("Warning"),
    KueueDisabled("Warning"),
    Failed("Warning"),
    /** executor cuda found no usable GPU and ran on CPU threads (gpu.fallback: cpu). */
    CpuFallback("Warning"),
    InvalidSpec("Warning"),
    TasksNotFound("Warning"),
    ServiceAccountNotFound("Warning"),
    /** The API server refuses the Job's pods (Pod Security admission, quota): its message. */
    PodsRejected("Warning"),
    /** A result batch not from this run's pods (wrong owner, unknown pod, wrong part) was deleted unread. */
    ForeignResults("Warning");

    public final String type;

    EventReason(String type) { this.type = type; }
}
