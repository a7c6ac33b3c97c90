package dev.parallel.operator.status;

import static dev.parallel.operator.status.ConditionType.Reason;

import dev.parallel.api.v1alpha1.GpuSpec;
import dev.parallel.api.v1alpha1.ParallelJobSpec;
import dev.parallel.api.v1alpha1.Phase;
import dev.parallel.operator.gather.Gathered;
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
        ParallelJobSpec spec = plan.spec();
        boolean allFinal = g.finals().size() >= plan.parts();
        JobCondition jobFailed = jobCondition(job, ConditionType.Failed.name());
        boolean jobSuspended = job != null && job.getSpec() != null && Boolean.TRUE.equals(job.getSpec().getSuspend());
        if (t.failed() > spec.maxFailedTasksOrDefault() && t.noGpuParts() > 0 && !cpuFallback(spec)) {
            return new PhaseDecision(Phase.Failed, Reason.GpuUnavailable.name(), "no usable GPU in " + t.noGpuParts()
                    + " part(s), and gpu.fallback is fail: " + t.noGpu() + ". Set spec.gpu.fallback: cpu to run on CPU threads instead");
        } else if (t.failed() > spec.maxFailedTasksOrDefault()) {
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
        } else if (jobSuspended) {
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
