package dev.parallel.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parallel.api.contract.PartSummary;
import dev.parallel.api.v1alpha1.ParallelJobStatus;
import dev.parallel.operator.gather.FoldStats;
import dev.parallel.operator.gather.Gathered;
import dev.parallel.operator.gather.Streamed;
import dev.parallel.operator.plan.Plan;
import dev.parallel.operator.status.StatusCalculator;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** status.live and status.results from the folded records, and how often live figures alone rewrite status. */
class LiveStatusTest {
    final Plan plan = Fixtures.plan(Fixtures.pj("kernel: pi\nparams: {samples: 10}\ntasks: {range: {start: 0, end: 1000}}\npods: 2\n"));
    final Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
    final io.fabric8.kubernetes.api.model.batch.v1.Job job = new JobBuilder().withNewMetadata().withName("demo").endMetadata()
            .withNewSpec().withSuspend(false).endSpec().withNewStatus().endStatus().build();

    Gathered gathered(long recorded, FoldStats stats, List<ParallelJobStatus.RunningTask> slowest) {
        PartSummary fold = new PartSummary(0, 500, recorded, 0, 0, null, false, List.of(), false, 0, null, null, null);
        var loc = new ParallelJobStatus.ResultsLocation();
        loc.store = "cluster";
        loc.configMap = "demo-results";
        loc.records = stats.records();
        loc.recordsDropped = stats.recordsDropped();
        return new Gathered(Map.of(), Map.of(0, 500L - recorded, 1, 500L), false, t0, null, false,
                new Streamed(Map.of(0, fold), stats, 4, slowest, loc, Streamed.truncatedMessage(stats)));
    }

    @Test
    void liveFiguresComeFromTheStatsAndOnlyTheyChangeAtMostOncePerInterval() {
        FoldStats stats = FoldStats.EMPTY.withDurations(List.of(40L, 50L, 60L, 900L)).withSample(t0.toEpochMilli(), 0)
                .withSample(t0.plusSeconds(20).toEpochMilli(), 200).withRecords(200, 0, 20_000);
        var slow = List.of(new ParallelJobStatus.RunningTask("t7", "demo-0-aaaaa", 12));
        Instant now = t0.plusSeconds(20);
        ParallelJobStatus s = StatusCalculator.compute(plan, job, gathered(200, stats, slow), null, now, "demo-results", null);
        assertThat(s.progress).isEqualTo("200/1000");
        assertThat(s.live.tasksPerSecond).isEqualTo(10.0);
        assertThat(s.live.etaSeconds).isEqualTo(80);
        assertThat(s.live.runningTasks).isEqualTo(4);
        assertThat(s.live.p50Millis).isBetween(45L, 55L);
        assertThat(s.live.p95Millis).isBetween(800L, 1000L);
        assertThat(s.live.slowestRunning).isEqualTo(slow);
        assertThat(s.results.records).isEqualTo(200);
        assertThat(s.tasks.running).isEqualTo(800);

        // 2 s later, only the live figures differ: the previous ones stay, so nothing is written.
        Instant soon = now.plusSeconds(2);
        var slower = List.of(new ParallelJobStatus.RunningTask("t7", "demo-0-aaaaa", 14));
        ParallelJobStatus next = StatusCalculator.throttleLive(StatusCalculator.compute(plan, job, gathered(200, stats, slower), s, soon,
                "demo-results", null), s, soon, Duration.ofSeconds(5));
        assertThat(StatusCalculator.same(s, next)).isTrue();
        // 5 s later they go.
        Instant later = now.plusSeconds(5);
        next = StatusCalculator.throttleLive(StatusCalculator.compute(plan, job, gathered(200, stats, slower), s, later, "demo-results",
                null), s, later, Duration.ofSeconds(5));
        assertThat(StatusCalculator.same(s, next)).isFalse();
        assertThat(next.live.slowestRunning.get(0).seconds).isEqualTo(14);
        // Progress is never held back.
        FoldStats more = stats.withSample(soon.toEpochMilli(), 210);
        next = StatusCalculator.throttleLive(StatusCalculator.compute(plan, job, gathered(210, more, slower), s, soon, "demo-results",
                null), s, soon, Duration.ofSeconds(5));
        assertThat(next.progress).isEqualTo("210/1000");
        assertThat(next.live.updated).isEqualTo(soon.toString());
    }

    @Test
    void aFullClusterStoreSaysExactlyWhatItKept() {
        FoldStats stats = FoldStats.EMPTY.withRecords(612, 388, 65_536);
        ParallelJobStatus s = StatusCalculator.compute(plan, job, gathered(1000, stats, List.of()), null, t0, "demo-results", null);
        assertThat(s.conditions).anyMatch(c -> "ResultsTruncated".equals(c.getType()) && "True".equals(c.getStatus())
                && "SizeLimit".equals(c.getReason()) && c.getMessage().equals("kept 612 of 1000 task records (65536 bytes); counts "
                + "and the reduction are exact; for every record use spec.results.store: s3"));
        assertThat(s.results.recordsDropped).isEqualTo(388);
    }
}
