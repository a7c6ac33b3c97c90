package dev.parallel.operator.status;

import static dev.parallel.operator.status.ConditionType.Reason;

import dev.parallel.api.contract.Reducer;
import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.api.v1alpha1.ParallelJobStatus;
import dev.parallel.api.v1alpha1.Phase;
import dev.parallel.operator.gather.Gathered;
import dev.parallel.operator.kueue.Admission;
import dev.parallel.operator.plan.Plan;
import io.fabric8.kubernetes.api.model.AnyType;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.time.Instant;
import java.util.ArrayList;

/**
 * The one status builder, pure: every path's status comes from here. The normal path follows from the
 * spec, the Job and the gathered parts ({@link Totals}, then {@link PhaseDecision}); nothing is carried
 * over except timestamps, so a restarted operator computes the same status. {@link #failed} is the
 * status of a ParallelJob that cannot run; {@link #withReconcileError} marks an exception JOSDK retries.
 */
public final class StatusCalculator {
    private StatusCalculator() {}

    public static ParallelJobStatus compute(ParallelJob pj, Plan plan, Job job, Gathered g, ParallelJobStatus previous,
                                            Instant now, String resultsConfigMap) {
        return compute(plan, job, g, previous, now, resultsConfigMap, null);
    }

    /** No Job on purpose yet ({@code waiting} says why): nothing gathered, no results ConfigMap in status. */
    public static ParallelJobStatus waiting(Plan plan, ParallelJobStatus previous, Instant now, PhaseDecision.Waiting waiting) {
        return compute(plan, null, Gathered.NONE, previous, now, null, waiting);
    }

    public static ParallelJobStatus compute(Plan plan, Job job, Gathered g, ParallelJobStatus previous,
                                            Instant now, String resultsConfigMap, PhaseDecision.Waiting waiting) {
        return compute(plan, job, g, previous, now, resultsConfigMap, waiting, null);
    }

    /** @param queue with a queue (Kueue), its Workload's admission: the phase may be Queued, and Admitted says why */
    public static ParallelJobStatus compute(Plan plan, Job job, Gathered g, ParallelJobStatus previous, Instant now,
                                            String resultsConfigMap, PhaseDecision.Waiting waiting, Admission queue) {
        ParallelJob pj = plan.pj();
        ParallelJobStatus s = new ParallelJobStatus();
        s.observedGeneration = pj.getMetadata().getGeneration();
        s.jobName = job == null ? (previous == null ? null : previous.jobName) : job.getMetadata().getName();
        s.resultsConfigMap = resultsConfigMap;

        Totals t = Totals.of(plan.spec(), g, resultsConfigMap);
        s.tasks = new ParallelJobStatus.TaskCounts(plan.tasks(), t.ok(), t.failed(), t.running(), t.retries());
        // The Job counts its failed pods (a FailIndex exit included; Ignore'd disruptions not).
        s.tasks.podsFailed = job != null && job.getStatus() != null && job.getStatus().getFailed() != null
                ? job.getStatus().getFailed() : previous != null && previous.tasks != null ? previous.tasks.podsFailed : 0;
        s.progress = (t.ok() + t.failed()) + "/" + plan.tasks();
        s.result = t.result() == null ? null
                : new AnyType(dev.parallel.api.contract.Json.mapper().convertValue(t.result(), Object.class));
        s.resultSummary = t.resultSummary();
        s.failedTasks = t.failedTasks().isEmpty() ? null : t.failedTasks();
        if (g.streamed() != null) {
            s.live = live(plan, t, g.streamed(), now);
            s.results = g.streamed().location();
        }

        PhaseDecision d = PhaseDecision.decide(plan, job, g, t, waiting, queue);
        s.phase = d.phase();
        Conditions c = new Conditions(previous == null ? null : previous.conditions, now, s.observedGeneration);
        phaseConditions(c, d, s.progress);
        resultConditions(c, t, g);
        // Kueue's own reason and message, e.g. Pending: "couldn't assign flavors ...: insufficient unused quota for cpu ...".
        if (queue != null) c.set(ConditionType.Admitted.name(), queue.admitted(), queue.reason(), queue.message());
        if (t.noGpuParts() > 0 && PhaseDecision.cpuFallback(plan.spec())) {
            c.set(ConditionType.CpuFallback.name(), true, Reason.GpuUnavailable.name(), t.noGpuParts()
                    + " part(s) ran on CPU threads (gpu.fallback: cpu): " + t.noGpu());
        }
        s.conditions = c.list();

        s.startTime = previous != null && previous.startTime != null ? previous.startTime
                : g.firstStart() != null ? g.firstStart().toString() : null;
        s.completionTime = s.phase.isTerminal()
                ? (previous != null && previous.completionTime != null ? previous.completionTime : now.toString())
                : null;
        return s;
    }

    /** No plan yet: a referenced object is missing ({@code waiting} names it); Pending, nothing counted. */
    public static ParallelJobStatus pending(ParallelJob pj, ParallelJobStatus previous, Instant now, PhaseDecision.Waiting waiting) {
        ParallelJobStatus s = new ParallelJobStatus();
        s.phase = Phase.Pending;
        s.observedGeneration = pj.getMetadata().getGeneration();
        Conditions c = new Conditions(previous == null ? null : previous.conditions, now, s.observedGeneration);
        phaseConditions(c, new PhaseDecision(Phase.Pending, waiting.reason(), waiting.message()), "no");
        s.conditions = c.list();
        return s;
    }

    /** The four phase conditions: the phase's own True with the decision's reason, the others False. */
    private static void phaseConditions(Conditions c, PhaseDecision d, String progress) {
        Phase p = d.phase();
        c.set(ConditionType.Running.name(), p == Phase.Running,
                p == Phase.Running || p == Phase.Pending || p == Phase.Queued ? d.reason() : p.name(), d.message());
        c.set(ConditionType.Suspended.name(), p == Phase.Suspended, p == Phase.Suspended ? d.reason() : Reason.NotSuspended.name(),
                p == Phase.Suspended ? d.message() : "not suspended");
        c.set(ConditionType.Complete.name(), p == Phase.Succeeded, p == Phase.Succeeded ? d.reason() : Reason.NotComplete.name(),
                p == Phase.Succeeded ? d.message() : progress + " tasks finished");
        c.set(ConditionType.Failed.name(), p == Phase.Failed, p == Phase.Failed ? d.reason() : Reason.NotFailed.name(),
                p == Phase.Failed ? d.message() : "no failure");
    }

    /** ResultsTruncated, when status.result or the results ConfigMap lacks something, and why. */
    private static void resultConditions(Conditions c, Totals t, Gathered g) {
        if (t.reduceError() != null) {
            c.set(ConditionType.ResultsTruncated.name(), true, Reason.ReduceFailed.name(), t.reduceError());
        } else if (t.partialDropped() && g.streamed() != null) {
            c.set(ConditionType.ResultsTruncated.name(), true, Reason.SizeLimit.name(), "a part's reduction outgrew its share of the "
                    + "results ConfigMap, so status.result lacks it (reduce: collect keeps every value; prefer sum, min or max); "
                    + "task counts are exact and every task's record is in the results store");
        } else if (t.partialDropped()) {
            c.set(ConditionType.ResultsTruncated.name(), true, Reason.SizeLimit.name(), "a part's reduction did not fit its pod's 4 KiB "
                    + "termination message, so status.result lacks it (reduce: collect keeps every value; prefer sum, min or max); "
                    + "task counts are exact and per-task results are in the pods' logs");
        } else if (g.rowsTruncated()) {
            c.set(ConditionType.ResultsTruncated.name(), true, Reason.SizeLimit.name(), "the grouped rows exceed the results ConfigMap's limit: "
                    + Reducer.ROWS_KEY + " holds the first of them in group order; status.result.groups has the full count");
        } else if (g.streamed() != null && g.streamed().truncated() != null) {
            c.set(ConditionType.ResultsTruncated.name(), true, Reason.SizeLimit.name(), g.streamed().truncated());
        } else if (g.resultsTruncated()) {
            c.set(ConditionType.ResultsTruncated.name(), true, Reason.SizeLimit.name(), "per-task results exceed the results ConfigMap's "
                    + "limit and were not all kept; status.result holds the complete reduction");
        }
    }

    /** status.live: what runs now, the last minute's throughput, the ETA at that rate, and the durations' quantiles. */
    static ParallelJobStatus.LiveStats live(Plan plan, Totals t, dev.parallel.operator.gather.Streamed st, Instant now) {
        ParallelJobStatus.LiveStats l = new ParallelJobStatus.LiveStats();
        l.runningTasks = st.runningTasks();
        l.tasksPerSecond = st.stats().tasksPerSecond(now.toEpochMilli());
        long remaining = Math.max(0, plan.tasks() - t.ok() - t.failed());
        l.etaSeconds = remaining == 0 ? Long.valueOf(0) : l.tasksPerSecond == null || l.tasksPerSecond <= 0 ? null
                : (long) Math.ceil(remaining / l.tasksPerSecond);
        l.p50Millis = st.stats().quantileMillis(0.5);
        l.p95Millis = st.stats().quantileMillis(0.95);
        l.slowestRunning = st.slowest().isEmpty() ? null : st.slowest();
        l.updated = now.toString();
        return l;
    }

    /**
     * The status to write when only status.live would change and the last live figures are younger than
     * {@code interval}: the previous live figures, so nothing is written (live figures alone rewrite status at most
     * once per interval; progress, phase and conditions always go at once).
     */
    public static ParallelJobStatus throttleLive(ParallelJobStatus s, ParallelJobStatus previous, Instant now,
                                                 java.time.Duration interval) {
        if (previous == null || previous.live == null || s.live == null || previous.live.updated == null) return s;
        Instant last;
        try {
            last = Instant.parse(previous.live.updated);
        } catch (RuntimeException e) {
            return s;
        }
        if (!now.isBefore(last.plus(interval))) return s;
        ParallelJobStatus.LiveStats fresh = s.live;
        s.live = previous.live;
        if (same(previous, s)) return s;
        s.live = fresh;
        return s;
    }

    /** A ParallelJob that cannot run (invalid spec or tasks, a rejected Job, MPI workers that failed): final. */
    public static ParallelJobStatus failed(ParallelJob pj, Instant now, String reason, String message) {
        ParallelJobStatus s = new ParallelJobStatus();
        s.phase = Phase.Failed;
        s.observedGeneration = pj.getMetadata().getGeneration();
        Conditions c = new Conditions(null, now, s.observedGeneration);
        c.add(ConditionType.Failed.name(), true, reason, message);
        s.conditions = new ArrayList<>(c.list());
        s.completionTime = now.toString();
        return s;
    }

    /** The last status with a ReconcileError condition (the exception's class and message) while JOSDK retries. */
    public static ParallelJobStatus withReconcileError(ParallelJobStatus previous, Instant now, Exception e) {
        ParallelJobStatus s = previous == null ? new ParallelJobStatus() : previous;
        if (s.phase == null) s.phase = Phase.Pending;
        s.conditions.removeIf(c -> ConditionType.ReconcileError.name().equals(c.getType()));
        s.conditions.add(new ConditionBuilder().withType(ConditionType.ReconcileError.name())
                .withStatus(Conditions.TRUE).withReason(e.getClass().getSimpleName())
                .withMessage(dev.parallel.api.contract.TaskResult.truncate(String.valueOf(e.getMessage()), 500))
                .withLastTransitionTime(now.toString()).build());
        return s;
    }

    /** Whether the status would change: the write is skipped when not. */
    public static boolean same(ParallelJobStatus a, ParallelJobStatus b) {
        if (a == null) return false;
        var m = dev.parallel.api.contract.Json.mapper();
        return m.valueToTree(a).equals(m.valueToTree(b));
    }
}
