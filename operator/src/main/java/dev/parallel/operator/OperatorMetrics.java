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

/** Prometheus metrics: ParallelJobs by phase, tasks finished, reconcile duration. */
@ApplicationScoped
public class OperatorMetrics {
    private final Map<Phase, AtomicLong> byPhase = new EnumMap<>(Phase.class);
    private final Counter tasksSucceeded;
    private final Counter tasksFailed;
    private final Timer reconcile;

    public OperatorMetrics(MeterRegistry registry) {
        for (Phase p : Phase.values()) {
            AtomicLong g = new AtomicLong();
            byPhase.put(p, g);
            registry.gauge("paralleljob_phase_count", io.micrometer.core.instrument.Tags.of("phase", p.name()), g);
        }
        tasksSucceeded = registry.counter("paralleljob_tasks_succeeded_total");
        tasksFailed = registry.counter("paralleljob_tasks_failed_total");
        reconcile = registry.timer("paralleljob_reconcile_duration");
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
