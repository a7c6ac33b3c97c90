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

    @JsonPropertyDescription("live: what is running now, how fast tasks finish and when the rest should be done (from the "
            + "records pods stream; absent with spec.results.stream: false).")
    public LiveStats live;

    @JsonPropertyDescription("results: where every task's record is: the store, and the ConfigMap or bucket and prefix.")
    public ResultsLocation results;

    /** Live figures from the streamed records. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class LiveStats {
        @JsonPropertyDescription("runningTasks: tasks running now, as the pods last reported.")
        public Long runningTasks;
        @JsonPropertyDescription("tasksPerSecond: tasks finished per second, over the last minute.")
        public Double tasksPerSecond;
        @JsonPropertyDescription("etaSeconds: the remaining tasks at tasksPerSecond.")
        public Long etaSeconds;
        @JsonPropertyDescription("p50Millis: median duration of the finished tasks.")
        public Long p50Millis;
        @JsonPropertyDescription("p95Millis: 95th percentile duration of the finished tasks.")
        public Long p95Millis;
        @JsonPropertyDescription("slowestRunning: the longest-running tasks now (at most 5).")
        public List<RunningTask> slowestRunning;
        @JsonPropertyDescription("updated: when these figures were computed.")
        public String updated;

        @Override
        public boolean equals(Object o) {
            return o instanceof LiveStats l && Objects.equals(l.runningTasks, runningTasks)
                    && Objects.equals(l.tasksPerSecond, tasksPerSecond) && Objects.equals(l.etaSeconds, etaSeconds)
                    && Objects.equals(l.p50Millis, p50Millis) && Objects.equals(l.p95Millis, p95Millis)
                    && Objects.equals(l.slowestRunning, slowestRunning) && Objects.equals(l.updated, updated);
        }

        @Override
        public int hashCode() { return Objects.hash(runningTasks, tasksPerSecond, etaSeconds, p50Millis, p95Millis); }
    }

    /** A task running now. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class RunningTask {
        @JsonPropertyDescription("id of the task.")
        public String id;
        @JsonPropertyDescription("pod running it.")
        public String pod;
        @JsonPropertyDescription("seconds it has been running.")
        public Long seconds;

        public RunningTask() {}

        public RunningTask(String id, String pod, long seconds) {
            this.id = id;
            this.pod = pod;
            this.seconds = seconds;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof RunningTask r && Objects.equals(r.id, id) && Objects.equals(r.pod, pod)
                    && Objects.equals(r.seconds, seconds);
        }

        @Override
        public int hashCode() { return Objects.hash(id, pod, seconds); }
    }

    /** Where the per-task records are. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class ResultsLocation {
        @JsonPropertyDescription("store: cluster or s3.")
        public String store;
        @JsonPropertyDescription("configMap: with store cluster, the ConfigMap holding the records (keys part-NNNNN.results.jsonl).")
        public String configMap;
        @JsonPropertyDescription("bucket: with store s3.")
        public String bucket;
        @JsonPropertyDescription("prefix: with store s3, the key prefix under which this run's records are.")
        public String prefix;
        @JsonPropertyDescription("endpoint: with store s3, the endpoint written to.")
        public String endpoint;
        @JsonPropertyDescription("region: with store s3, the bucket's region.")
        public String region;
        @JsonPropertyDescription("secretName: with store s3, the Secret in this namespace with the credentials the operator "
                + "wrote with (keys AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY); `parallel-job results` reads it.")
        public String secretName;
        @JsonPropertyDescription("records: how many task records the store holds.")
        public Long records;
        @JsonPropertyDescription("recordsDropped: records not kept because the store's size bound was reached (store cluster).")
        public Long recordsDropped;

        @Override
        public boolean equals(Object o) {
            return o instanceof ResultsLocation r && Objects.equals(r.store, store) && Objects.equals(r.configMap, configMap)
                    && Objects.equals(r.bucket, bucket) && Objects.equals(r.prefix, prefix)
                    && Objects.equals(r.endpoint, endpoint) && Objects.equals(r.region, region)
                    && Objects.equals(r.secretName, secretName) && Objects.equals(r.records, records)
                    && Objects.equals(r.recordsDropped, recordsDropped);
        }

        @Override
        public int hashCode() {
            return Objects.hash(store, configMap, bucket, prefix, endpoint, region, secretName, records, recordsDropped);
        }
    }

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
