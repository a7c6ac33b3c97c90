package dev.parallel.operator.status;

import static dev.parallel.operator.status.ConditionType.Reason;

import dev.parallel.api.v1alpha1.GpuSpec;
import dev.parallel.api.v1alpha1.ParallelJobSpec;
import dev.parallel.api.v1alpha1.Phase;
import dev.parallel.operator.gather.Gathered;
import dev.parallel.operator.kueue.Admission;
import dev.parallel.operator.plan.Plan;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;

/** Pure: the phase, and the reason and message of its condition, from the totals, the Job and the pods. */
public record PhaseDecision(Phase phase, String reason, String message) {

    /**
     * Why there is no Job yet, when the operator holds it back on purpose (MPI workers not Ready, leftovers), or
     * why the Job has no pods (the API server refuses them).
     */
    public record Waiting(String reason, String message) {}

    public static PhaseDecision decide(Plan plan, Job job, Gathered g, Totals t, Waiting waiting) {
        return decide(plan, job, g, t, waiting, null);
    }

    /** @param queue with a queue (Kueue), what its Workload's status says; null without one */
    public static PhaseDecision decide(Plan plan, Job job, Gathered g, Totals t, Waiting waiting, Admission queue) {
        ParallelJobSpec spec = plan.spec();
        boolean allFinal = g.finals().size() >= plan.parts();
        JobCondition jobFailed = jobCondition(job, ConditionType.Failed.name());
        boolean jobSuspended = job != null && job.getSpec() != null && Boolean.TRUE.equals(job.getSpec().getSuspend());
        // Failing is decided on final parts: a streamed part's failures count live in status.tasks, but its end says
        // why (e.g. its pod's gpuUnavailable) and only then is it sure that its retries are spent.
        long finalFailed = g.finals().values().stream().mapToLong(dev.parallel.api.contract.PartSummary::failed).sum();
        if (finalFailed > spec.maxFailedTasksOrDefault() && t.noGpuParts() > 0 && !cpuFallback(spec)) {
            return new PhaseDecision(Phase.Failed, Reason.GpuUnavailable.name(), "no usable GPU in " + t.noGpuParts()
                    + " part(s), and gpu.fallback is fail: " + t.noGpu() + ". Set spec.gpu.fallback: cpu to run on CPU threads instead");
        } else if (finalFailed > spec.maxFailedTasksOrDefault()) {
            var first = t.failedTasks().isEmpty() ? null : t.failedTasks().get(0);
            return new PhaseDecision(Phase.Failed, Reason.TasksFailed.name(), t.failed() + " task(s) failed, more than maxFailedTasks="
                    + spec.maxFailedTasksOrDefault() + (first == null ? "" : "; first: " + first.id + ": " + first.reason));
        } else if (allFinal) {
            return new PhaseDecision(Phase.Succeeded, Reason.AllTasksFinished.name(), t.ok() + " of " + plan.tasks()
                    + " tasks succeeded" + (t.failed() > 0 ? ", " + t.failed() + " failed (allowed)" : ""));
        } else if (jobFailed != null) {
            String reason = jobFailed.getReason() == null ? Reason.JobFailed.name() : jobFailed.getReason();
            return new PhaseDecision(Phase.Failed, reason, "the Job failed: "
                    + (jobFailed.getMessage() == null ? reason : jobFailed.getMessage()));
        } else if (queue != null && (!queue.admitted() || spec.suspended())) {
            return queued(plan, queue);
        } else if (jobSuspended || job == null && spec.suspended()) {
            return spec.suspended()
                    ? new PhaseDecision(Phase.Suspended, Reason.SuspendedBySpec.name(), "spec.suspend is true; set it to false to resume")
                    : new PhaseDecision(Phase.Suspended, Reason.SuspendedByQueue.name(),
                            "the Job is suspended by a queue controller (e.g. Kueue); it resumes when admitted");
        } else if (job != null && waiting != null && t.running() == 0 && g.finals().isEmpty() && g.firstStart() == null) {
            // The Job exists but its pods do not (PodsRejected: admission refused them).
            return new PhaseDecision(Phase.Pending, waiting.reason(), waiting.message());
        } else if (job == null) {
            return waiting != null ? new PhaseDecision(Phase.Pending, waiting.reason(), waiting.message())
                    : new PhaseDecision(Phase.Pending, Reason.Creating.name(), "creating the Job");
        } else if (t.running() > 0 || !g.finals().isEmpty() || g.firstStart() != null) {
            return new PhaseDecision(Phase.Running, Reason.PodsRunning.name(), g.runningTasks().size() + " part(s) running, "
                    + g.finals().size() + " of " + plan.parts() + " finished");
        } else if (g.unschedulable() != null) {
            return new PhaseDecision(Phase.Pending, Reason.Unschedulable.name(), "no node can run the pods yet: " + g.unschedulable());
        }
        return new PhaseDecision(Phase.Pending, Reason.PodsPending.name(), "waiting for pods to be scheduled and started");
    }

    /** Held by the queue: deactivated by spec.suspend, evicted (its pods stopping), or waiting for admission. */
    private static PhaseDecision queued(Plan plan, Admission q) {
        if (plan.spec().suspended()) {
            return new PhaseDecision(Phase.Suspended, Reason.SuspendedBySpec.name(), "spec.suspend is true: Workload " + q.workload()
                    + " is inactive, so Kueue holds no quota for it; set spec.suspend to false to queue it again");
        }
        if (q.state() == Admission.State.EVICTED) {
            return new PhaseDecision(Phase.Queued, Reason.EvictedByKueue.name(), "Kueue evicted Workload " + q.workload() + " ("
                    + q.reason() + ": " + q.message() + "); its pods are being stopped and it queues again, keeping the finished parts");
        }
        return new PhaseDecision(Phase.Queued, Reason.QueuedByKueue.name(), "waiting for Kueue to admit Workload " + q.workload()
                + " (LocalQueue " + q.queue() + "): " + q.message());
    }

    static boolean cpuFallback(ParallelJobSpec spec) {
        return spec.gpu != null && spec.gpu.fallbackOrDefault() == GpuSpec.Fallback.CPU;
    }

    /** The Job's condition of {@code type} when it is True, else null. */
    public static JobCondition jobCondition(Job job, String type) {
        if (job == null || job.getStatus() == null || job.getStatus().getConditions() == null) return null;
        return job.getStatus().getConditions().stream()
                .filter(c -> type.equals(c.getType()) && Conditions.TRUE.equals(c.getStatus())).findFirst().orElse(null);
    }
}
