package dev.parallel.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;
import java.util.List;

/**
 * Task results a pod recorded while it ran: a batch of finished tasks' records (JSON lines, the
 * {@link dev.parallel.api.contract.TaskResult} format), created by the pod as itself (a pod-bound token;
 * a ValidatingAdmissionPolicy ties the object to the calling pod, its Job and part), owned by the Job.
 * The operator folds batches into the ParallelJob's results and deletes them; nothing else reads them.
 * Layout and limits: {@link dev.parallel.api.contract.ResultsContract}.
 */
@Group(ParallelJob.GROUP)
@Version(ParallelJob.VERSION)
@Plural("taskresultbatches")
@ShortNames("pjrb")
@AdditionalPrinterColumn(name = "Part", jsonPath = ".spec.part", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Tasks", jsonPath = ".spec.count", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class TaskResultBatch extends CustomResource<TaskResultBatch.Spec, Void> implements Namespaced {

    /** What a pod recorded in one write. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Spec {
        @Required
        @Min(0)
        @JsonPropertyDescription("part: the Job completion index of the pod that recorded it.")
        public Integer part;

        @Required
        @Min(0)
        @JsonPropertyDescription("seq: the batch's number within its pod, from 0.")
        public Long seq;

        @Min(0)
        @JsonPropertyDescription("count: how many task records are in records.")
        public Integer count;

        @Size(max = dev.parallel.api.contract.ResultsContract.MAX_BATCH_BYTES)
        @JsonPropertyDescription("records: one JSON object per line, a finished task each "
                + "({index, id, ok, value | error, attempts, millis[, params]}).")
        public String records;

        @Size(max = dev.parallel.api.contract.ResultsContract.MAX_RUNNING_REPORTED)
        @JsonPropertyDescription("running: the pod's longest-running tasks when it wrote this batch (at most 8).")
        public List<RunningTask> running;

        @Min(0)
        @Max(100000)
        @JsonPropertyDescription("inFlight: how many tasks the pod was running when it wrote this batch.")
        public Integer inFlight;

        @JsonPropertyDescription("last: the pod's final batch (its part ended after it).")
        public Boolean last;

        public Spec() {}
    }

    /** A task a pod is running now. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class RunningTask {
        @JsonPropertyDescription("index of the task in the whole list.")
        public Long index;
        @Size(max = 256)
        @JsonPropertyDescription("id of the task.")
        public String id;
        @JsonPropertyDescription("startedAt: when its current attempt started (RFC 3339).")
        public String startedAt;

        public RunningTask() {}

        public RunningTask(long index, String id, String startedAt) {
            this.index = index;
            this.id = id;
            this.startedAt = startedAt;
        }
    }
}
