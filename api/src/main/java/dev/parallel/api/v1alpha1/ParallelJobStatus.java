package dev.parallel.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.AnyType;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** Observed state, recomputed from the cluster on every reconcile. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ParallelJobStatus {
    /** Most failed tasks listed in status; the count is always exact. */
    public static final int MAX_FAILED_TASKS_LISTED = 20;

    @JsonPropertyDescription("phase: Pending, Queued (waiting for Kueue to admit it), Running, Suspended, Succeeded or Failed.")
    public Phase phase;

    @JsonPropertyDescription("progress: finished tasks over all tasks, e.g. 37/100.")
    public String progress;

    @JsonPropertyDescription("resultSummary: the reduced result in one line (the pi estimate for pi).")
    public String resultSummary;

    @JsonPropertyDescription("conditions: Ready-style conditions (Running, Complete, Failed, Suspended, ResultsTruncated).")
    public List<Condition> conditions = new ArrayList<>();

    @JsonPropertyDescription("observedGeneration: the spec generation this status describes.")
    public Long observedGeneration;

    @JsonPropertyDescription("tasks: task counts.")
    public TaskCounts tasks;

    @JsonPropertyDescription("result: the reduced value of all succeeded tasks (for pi: hits, samples, estimate).")
    public AnyType result;

    @JsonPropertyDescription("failedTasks: up to 20 failed tasks with their reasons; tasks.failed has the exact count.")
    public List<FailedTask> failedTasks;

    @JsonPropertyDescription("resultsConfigMap: the ConfigMap holding each part's summary and per-task results.")
    public String resultsConfigMap;

    @JsonPropertyDescription("jobName: the Indexed Job running the pods.")
    public String jobName;

    @JsonPropertyDescription("startTime: when the first pod started running.")
    public String startTime;

    @JsonPropertyDescription("completionTime: when the ParallelJob reached Succeeded or Failed.")
    public String completionTime;

    /** Task counts; total is known from the plan, the others from gathered part summaries. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class TaskCounts {
        @JsonPropertyDescription("total number of tasks.")
        public long total;
        @JsonPropertyDescription("succeeded tasks, each counted once.")
        public long succeeded;
        @JsonPropertyDescription("failed tasks (after retries), each counted once.")
        public long failed;
        @JsonPropertyDescription("tasks in parts whose pods are running now.")
        public long running;
        @JsonPropertyDescription("retries: task attempts that were retried, summed over parts.")
        public long retries;
        @JsonPropertyDescription("podsFailed: the Job's failed pods: killed, OOM-killed or crashed (the part ran again "
                + "in a new pod while retriesPerTask allowed), or ended with failed tasks.")
        public long podsFailed;

        public TaskCounts() {}

        public TaskCounts(long total, long succeeded, long failed, long running, long retries) {
            this.total = total;
            this.succeeded = succeeded;
            this.failed = failed;
            this.running = running;
            this.retries = retries;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof TaskCounts t && t.total == total && t.succeeded == succeeded && t.failed == failed
                    && t.running == running && t.retries == retries && t.podsFailed == podsFailed;
        }

        @Override
        public int hashCode() { return Objects.hash(total, succeeded, failed, running, retries, podsFailed); }
    }

    /** A failed task and why. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class FailedTask {
        @JsonPropertyDescription("id of the task.")
        public String id;
        @JsonPropertyDescription("reason it failed (bounded).")
        public String reason;

        public FailedTask() {}

        public FailedTask(String id, String reason) {
            this.id = id;
            this.reason = reason;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof FailedTask f && Objects.equals(f.id, id) && Objects.equals(f.reason, reason);
        }

        @Override
        public int hashCode() { return Objects.hash(id, reason); }
    }
}
