package dev.parallel.operator.status;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parallel.api.contract.PartSummary;
import dev.parallel.api.contract.Reducer;
import dev.parallel.api.v1alpha1.GpuSpec;
import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.api.v1alpha1.ParallelJobSpec;
import dev.parallel.api.v1alpha1.ParallelJobStatus;
import dev.parallel.api.v1alpha1.Phase;
import dev.parallel.operator.gather.Gathered;
import dev.parallel.operator.plan.Plan;
import io.fabric8.kubernetes.api.model.AnyType;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Pure: the status follows from the spec, the Job and the gathered parts; nothing is carried over
 * except timestamps, so a restarted operator computes the same status.
 */
public final class StatusCalculator {
    private StatusCalculator() {}

    /** Why there is no Job yet, when the operator holds it back on purpose (MPI workers not Ready). */
    public record Waiting(String reason, String message) {}

    public static ParallelJobStatus compute(ParallelJob pj, Plan plan, Job job, Gathered g, ParallelJobStatus previous,
                                            Instant now, String resultsConfigMap) {
        return compute(pj, plan, job, g, previous, now, resultsConfigMap, null);
    }

    public static ParallelJobStatus compute(ParallelJob pj, Plan plan, Job job, Gathered g, ParallelJobStatus previous,
                                            Instant now, String resultsConfigMap, Waiting waiting) {
        ParallelJobSpec spec = pj.getSpec();
        ParallelJobStatus s = new ParallelJobStatus();
        s.observedGeneration = pj.getMetadata().getGeneration();
        s.jobName = job == null ? (previous == null ? null : previous.jobName) : job.getMetadata().getName();
        s.resultsConfigMap = resultsConfigMap;

        long ok = 0, failed = 0, retries = 0;
        boolean partialDropped = false;
        Reducer reducer = new Reducer(dev.parallel.api.contract.Reduction.of(spec));
        JsonNode reduced = null;
        List<ParallelJobStatus.FailedTask> failedTasks = new ArrayList<>();
        String reduceError = null;
        int noGpuParts = 0;
        String noGpu = null;
        for (PartSummary p : g.finals().values()) {
            if (p.gpuUnavailable() != null && noGpuParts++ == 0) noGpu = "part " + p.part() + ": " + p.gpuUnavailable();
            ok += p.ok();
            failed += p.failed();
            retries += p.retries();
            partialDropped |= p.partialDropped();
            try {
                reduced = reducer.merge(reduced, p.partial());
            } catch (IllegalArgumentException e) {
                reduceError = e.getMessage();
            }
            // A task's result the pod could not reduce (e.g. no spec.reduction.by field): the pod says so in its note.
            int at = p.note() == null ? -1 : p.note().indexOf(PartSummary.REDUCE_FAILED);
            if (at >= 0 && reduceError == null) reduceError = "part " + p.part() + ": " + p.note().substring(at);
            if (p.failedTasks() != null) {
                for (var f : p.failedTasks()) {
                    if (failedTasks.size() < ParallelJobStatus.MAX_FAILED_TASKS_LISTED) {
                        failedTasks.add(new ParallelJobStatus.FailedTask(f.id(), f.reason()));
                    }
                }
            }
        }
        long running = g.runningTasks().values().stream().mapToLong(Long::longValue).sum();
        s.tasks = new ParallelJobStatus.TaskCounts(plan.tasks(), ok, failed, running, retries);
        // The Job counts its failed pods (a FailIndex exit included; Ignore'd disruptions not).
        s.tasks.podsFailed = job != null && job.getStatus() != null && job.getStatus().getFailed() != null
                ? job.getStatus().getFailed() : previous != null && previous.tasks != null ? previous.tasks.podsFailed : 0;
        s.progress = (ok + failed) + "/" + plan.tasks();
        JsonNode finished;
        try {
            finished = reducer.finished(reduced);
        } catch (IllegalArgumentException e) {
            finished = null;
            reduceError = e.getMessage();
        }
        JsonNode shown = finished;
        if (finished instanceof com.fasterxml.jackson.databind.node.ObjectNode o && reducer.reduction().grouped()) {
            // The rows live in the results ConfigMap; status keeps their count (and the best row), at constant size.
            var summary = o.deepCopy();
            summary.remove("rows");
            summary.put("rowsKey", resultsConfigMap == null ? Reducer.ROWS_KEY : resultsConfigMap + "/" + Reducer.ROWS_KEY);
            shown = summary;
        }
        s.result = shown == null ? null : new AnyType(dev.parallel.api.contract.Json.MAPPER.convertValue(shown, Object.class));
        s.resultSummary = reducer.summary(finished);
        s.failedTasks = failedTasks.isEmpty() ? null : failedTasks;

        boolean allFinal = g.finals().size() >= plan.parts();
        JobCondition jobFailed = condition(job, "Failed");
        boolean jobSuspended = job != null && job.getSpec() != null && Boolean.TRUE.equals(job.getSpec().getSuspend());

        Conditions c = new Conditions(previous == null ? null : previous.conditions, now, s.observedGeneration);
        String reason, message;
        boolean cpuFallback = spec.gpu != null && spec.gpu.fallbackOrDefault() == GpuSpec.Fallback.CPU;
        if (failed > spec.maxFailedTasksOrDefault() && noGpuParts > 0 && !cpuFallback) {
            s.phase = Phase.Failed;
            reason = "GpuUnavailable";
            message = "no usable GPU in " + noGpuParts + " part(s), and gpu.fallback is fail: " + noGpu
                    + ". Set spec.gpu.fallback: cpu to run on CPU threads instead";
        } else if (failed > spec.maxFailedTasksOrDefault()) {
            s.phase = Phase.Failed;
            reason = "TasksFailed";
            message = failed + " task(s) failed, more than maxFailedTasks=" + spec.maxFailedTasksOrDefault()
                    + (failedTasks.isEmpty() ? "" : "; first: " + failedTasks.get(0).id + ": " + failedTasks.get(0).reason);
        } else if (allFinal) {
            s.phase = Phase.Succeeded;
            reason = "AllTasksFinished";
            message = ok + " of " + plan.tasks() + " tasks succeeded" + (failed > 0 ? ", " + failed + " failed (allowed)" : "");
        } else if (jobFailed != null) {
            s.phase = Phase.Failed;
            reason = jobFailed.getReason() == null ? "JobFailed" : jobFailed.getReason();
            message = "the Job failed: " + (jobFailed.getMessage() == null ? reason : jobFailed.getMessage());
        } else if (jobSuspended) {
            s.phase = Phase.Suspended;
            reason = spec.suspended() ? "SuspendedBySpec" : "SuspendedByQueue";
            message = spec.suspended() ? "spec.suspend is true; set it to false to resume"
                    : "the Job is suspended by a queue controller (e.g. Kueue); it resumes when admitted";
        } else if (job == null) {
            s.phase = Phase.Pending;
            reason = waiting != null ? waiting.reason() : "Creating";
            message = waiting != null ? waiting.message() : "creating the Job";
        } else if (running > 0 || !g.finals().isEmpty() || g.firstStart() != null) {
            s.phase = Phase.Running;
            reason = "PodsRunning";
            message = g.runningTasks().size() + " part(s) running, " + g.finals().size() + " of " + plan.parts() + " finished";
        } else if (g.unschedulable() != null) {
            s.phase = Phase.Pending;
            reason = "Unschedulable";
            message = "no node can run the pods yet: " + g.unschedulable();
        } else {
            s.phase = Phase.Pending;
            reason = "PodsPending";
            message = "waiting for pods to be scheduled and started";
        }
        c.set("Running", s.phase == Phase.Running,
                s.phase == Phase.Running || s.phase == Phase.Pending ? reason : s.phase.name(), message);
        c.set("Suspended", s.phase == Phase.Suspended, s.phase == Phase.Suspended ? reason : "NotSuspended",
                s.phase == Phase.Suspended ? message : "not suspended");
        c.set("Complete", s.phase == Phase.Succeeded, s.phase == Phase.Succeeded ? reason : "NotComplete",
                s.phase == Phase.Succeeded ? message : s.progress + " tasks finished");
        c.set("Failed", s.phase == Phase.Failed, s.phase == Phase.Failed ? reason : "NotFailed",
                s.phase == Phase.Failed ? message : "no failure");
        if (reduceError != null) {
            c.set("ResultsTruncated", true, "ReduceFailed", reduceError);
        } else if (partialDropped) {
            c.set("ResultsTruncated", true, "SizeLimit", "a part's reduction did not fit its pod's 4 KiB termination "
                    + "message, so status.result lacks it (reduce: collect keeps every value; prefer sum, min or max); "
                    + "task counts are exact and per-task results are in the pods' logs");
        } else if (g.rowsTruncated()) {
            c.set("ResultsTruncated", true, "SizeLimit", "the grouped rows exceed the results ConfigMap's limit: "
                    + Reducer.ROWS_KEY + " holds the first of them in group order; status.result.groups has the full count");
        } else if (g.resultsTruncated()) {
            c.set("ResultsTruncated", true, "SizeLimit", "per-task results exceed the results ConfigMap's limit and "
                    + "were not all kept; status.result holds the complete reduction");
        }
        if (noGpuParts > 0 && cpuFallback) {
            c.set("CpuFallback", true, "GpuUnavailable", noGpuParts + " part(s) ran on CPU threads (gpu.fallback: cpu): " + noGpu);
        }
        s.conditions = c.list();

        s.startTime = previous != null && previous.startTime != null ? previous.startTime
                : g.firstStart() != null ? g.firstStart().toString() : null;
        s.completionTime = s.phase.isTerminal()
                ? (previous != null && previous.completionTime != null ? previous.completionTime : now.toString())
                : null;
        return s;
    }

    /** The Job's condition of {@code type} when it is True, else null. */
    public static JobCondition condition(Job job, String type) {
        if (job == null || job.getStatus() == null || job.getStatus().getConditions() == null) return null;
        return job.getStatus().getConditions().stream()
                .filter(c -> type.equals(c.getType()) && "True".equals(c.getStatus())).findFirst().orElse(null);
    }
}
