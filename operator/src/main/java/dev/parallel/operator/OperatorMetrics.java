package dev.parallel.operator;

import dev.parallel.api.v1alpha1.ParallelJobStatus;
import dev.parallel.api.v1alpha1.Phase;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Prometheus metrics: ParallelJobs by phase, tasks finished, reconcile duration, and from the streamed records
 * (documented in docs/architecture.md, "Metrics"): tasks finished by outcome, tasks running, task durations, result
 * batches by outcome. No label names a ParallelJob: the cardinality stays bounded however many run.
 */
@ApplicationScoped
public class OperatorMetrics {
    private final Map<Phase, AtomicLong> byPhase = new EnumMap<>(Phase.class);
    private final Counter tasksSucceeded;
    private final Counter tasksFailed;
    private final Timer reconcile;
    private final Counter finishedSucceeded;
    private final Counter finishedFailed;
    private final io.micrometer.core.instrument.DistributionSummary taskDuration;
    private final Counter batchesFolded;
    private final Counter batchesDuplicate;
    private final Counter batchesForeign;
    /** Tasks running now per ParallelJob (by UID), summed into one gauge. */
    private final Map<String, Long> running = new java.util.concurrent.ConcurrentHashMap<>();

    public OperatorMetrics(MeterRegistry registry) {
        for (Phase p : Phase.values()) {
            AtomicLong g = new AtomicLong();
            byPhase.put(p, g);
            registry.gauge("paralleljob_phase_count", io.micrometer.core.instrument.Tags.of("phase", p.name()), g);
        }
        tasksSucceeded = registry.counter("paralleljob_tasks_succeeded_total");
        tasksFailed = registry.counter("paralleljob_tasks_failed_total");
        reconcile = registry.timer("paralleljob_reconcile_duration");
        finishedSucceeded = registry.counter("parallel_job_tasks_finished_total", "outcome", "succeeded");
        finishedFailed = registry.counter("parallel_job_tasks_finished_total", "outcome", "failed");
        taskDuration = io.micrometer.core.instrument.DistributionSummary.builder("parallel_job_task_duration_seconds")
                .description("duration of the tasks whose records were folded").baseUnit("seconds").register(registry);
        batchesFolded = registry.counter("parallel_job_result_batches_total", "outcome", "folded");
        batchesDuplicate = registry.counter("parallel_job_result_batches_total", "outcome", "duplicate");
        batchesForeign = registry.counter("parallel_job_result_batches_total", "outcome", "foreign");
        registry.gauge("parallel_job_tasks_running", running, m -> m.values().stream().mapToLong(Long::longValue).sum());
    }

    /** The fold's outcomes, reported only after the ConfigMap update that recorded them succeeded. */
    public dev.parallel.operator.gather.Gatherer.FoldListener foldListener() {
        return new dev.parallel.operator.gather.Gatherer.FoldListener() {
            @Override
            public void folded(long ok, long failed, java.util.List<Long> millis) {
                finishedSucceeded.increment(ok);
                finishedFailed.increment(failed);
                for (long m : millis) taskDuration.record(m / 1000.0);
            }

            @Override
            public void batches(long folded, long duplicate, long foreign) {
                batchesFolded.increment(folded);
                batchesDuplicate.increment(duplicate);
                batchesForeign.increment(foreign);
            }

            @Override
            public void running(String pjUid, long tasks) {
                if (tasks == 0) running.remove(pjUid);
                else running.put(pjUid, tasks);
            }
        };
    }

    void reconciled(long nanos) { reconcile.record(nanos, TimeUnit.NANOSECONDS); }

    /** Phase counts since this operator started (a restarted operator re-learns them as it reconciles). */
    void phaseChanged(Phase before, Phase after, ParallelJobStatus.TaskCounts tasks) {
        if (before != null) byPhase.get(before).updateAndGet(v -> Math.max(0, v - 1));
        byPhase.get(after).incrementAndGet();
        if (after.isTerminal() && tasks != null) {
            tasksSucceeded.increment(tasks.succeeded);
            tasksFailed.increment(tasks.failed);
        }
    }
}
