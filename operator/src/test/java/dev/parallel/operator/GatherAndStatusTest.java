package dev.parallel.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parallel.api.contract.Json;
import dev.parallel.api.v1alpha1.ParallelJobStatus;
import dev.parallel.api.v1alpha1.Phase;
import dev.parallel.operator.gather.Gathered;
import dev.parallel.operator.gather.PartObserver;
import dev.parallel.operator.plan.Plan;
import dev.parallel.operator.plan.Planner;
import dev.parallel.operator.status.StatusCalculator;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class GatherAndStatusTest {
    final dev.parallel.api.v1alpha1.ParallelJob pj = Fixtures.pj("kernel: pi\nparams: {samples: 10}\ntasks: {range: {start: 0, end: 10}}\npods: 3\n");

    Job job(String failedIndexes, String condition) {
        var b = new JobBuilder().withNewMetadata().withName("demo").endMetadata().withNewSpec().withSuspend(false).endSpec()
                .withNewStatus().withFailedIndexes(failedIndexes).endStatus();
        if (condition != null) b.editStatus().addNewCondition().withType(condition).withStatus("True").withReason("DeadlineExceeded")
                .withMessage("Job was active longer than specified deadline").endCondition().endStatus();
        return b.build();
    }

    @Test
    void aRetriedIndexIsCountedOnceFromItsSucceededPod() throws Exception {
        Plan plan = Planner.plan(pj, null); // 10 tasks in 3 parts: 4, 3, 3
        var pods = List.of(
                Fixtures.pod("p0", 0, "Succeeded", Fixtures.summary(0, 4, 4, 0, "{\"hits\":3,\"samples\":40}"), 0, "2026-01-01T00:00:00Z"),
                // index 1: first pod OOM-killed (retried by the Job), second succeeded
                Fixtures.pod("p1a", 1, "Failed", null, 137, "2026-01-01T00:00:01Z"),
                Fixtures.pod("p1b", 1, "Succeeded", Fixtures.summary(1, 3, 3, 0, "{\"hits\":2,\"samples\":30}"), 0, "2026-01-01T00:00:05Z"),
                Fixtures.pod("p2", 2, "Running", null, 0, "2026-01-01T00:00:02Z"));
        var fresh = PartObserver.newlyFinished(plan, job(null, null), pods, Set.of());
        assertThat(fresh).containsOnlyKeys(0, 1);
        assertThat(fresh.get(1).podName()).isEqualTo("p1b");

        var finals = new TreeMap<Integer, dev.parallel.api.contract.PartSummary>();
        fresh.forEach((k, v) -> finals.put(k, v.summary()));
        Gathered g = new Gathered(finals, PartObserver.running(plan, pods, finals.keySet()), false, PartObserver.firstStart(pods));
        ParallelJobStatus s = StatusCalculator.compute(pj, plan, job(null, null), g, null, Instant.EPOCH, "demo-results");
        assertThat(s.phase).isEqualTo(Phase.Running);
        assertThat(s.progress).isEqualTo("7/10");
        assertThat(s.tasks).isEqualTo(new ParallelJobStatus.TaskCounts(10, 7, 0, 3, 0));
        assertThat(Json.mapper().<com.fasterxml.jackson.databind.JsonNode>valueToTree(s.result).get("hits").asLong()).isEqualTo(5);

        // A recorded part is never recorded again, whatever its pods do later.
        assertThat(PartObserver.newlyFinished(plan, job(null, null), pods, finals.keySet())).isEmpty();
    }

    @Test
    void statusIsRecomputedIdenticallyAfterARestart() throws Exception {
        Plan plan = Planner.plan(pj, null);
        var finals = new TreeMap<Integer, dev.parallel.api.contract.PartSummary>();
        for (int i = 0; i < 3; i++) {
            long n = i == 0 ? 4 : 3;
            finals.put(i, dev.parallel.api.contract.PartSummary.decode(Fixtures.summary(i, n, n, 0, "{\"hits\":1,\"samples\":" + n * 10 + "}")));
        }
        Gathered g = new Gathered(finals, Map.of(), false, Instant.parse("2026-01-01T00:00:00Z"));
        var first = StatusCalculator.compute(pj, plan, job(null, null), g, null, Instant.parse("2026-01-01T00:01:00Z"), "r");
        // A new operator: same cluster state, the previous status as stored, a later clock.
        var again = StatusCalculator.compute(pj, plan, job(null, null), g, first, Instant.parse("2026-01-01T00:05:00Z"), "r");
        assertThat(Json.mapper().<com.fasterxml.jackson.databind.JsonNode>valueToTree(again)).isEqualTo(Json.mapper().<com.fasterxml.jackson.databind.JsonNode>valueToTree(first));
        assertThat(first.phase).isEqualTo(Phase.Succeeded);
        assertThat(first.resultSummary).isEqualTo("pi=0.120000");
        assertThat(first.completionTime).isEqualTo("2026-01-01T00:01:00Z");
    }

    @Test
    void failedTasksAndDeadlinesFailWithAReason() throws Exception {
        Plan plan = Planner.plan(pj, null);
        var pods = List.of(Fixtures.pod("p0", 0, "Failed", Fixtures.summary(0, 4, 3, 1, "{\"hits\":1,\"samples\":30}"), 1,
                "2026-01-01T00:00:00Z"));
        // Not yet final (the Job may retry the index): nothing counted.
        assertThat(PartObserver.newlyFinished(plan, job(null, null), pods, Set.of())).isEmpty();
        var fresh = PartObserver.newlyFinished(plan, job("0", null), pods, Set.of());
        var finals = new TreeMap<Integer, dev.parallel.api.contract.PartSummary>();
        fresh.forEach((k, v) -> finals.put(k, v.summary()));
        var s = StatusCalculator.compute(pj, plan, job("0", null), new Gathered(finals, Map.of(), false, null), null,
                Instant.EPOCH, "r");
        assertThat(s.phase).isEqualTo(Phase.Failed);
        assertThat(s.conditions).filteredOn(c -> c.getType().equals("Failed")).singleElement()
                .satisfies(c -> assertThat(c.getReason()).isEqualTo("TasksFailed"))
                .satisfies(c -> assertThat(c.getMessage()).contains("1 task(s) failed").contains("t0: boom"));
        assertThat(s.failedTasks).extracting(f -> f.id).containsExactly("t0");

        var deadline = StatusCalculator.compute(pj, plan, job(null, "Failed"), new Gathered(Map.of(), Map.of(), false, null),
                null, Instant.EPOCH, "r");
        assertThat(deadline.phase).isEqualTo(Phase.Failed);
        assertThat(deadline.conditions).filteredOn(c -> c.getType().equals("Failed")).singleElement()
                .satisfies(c -> assertThat(c.getReason()).isEqualTo("DeadlineExceeded"));
    }

    @Test
    void resultsBeyondTheLimitsSayWhichLimitAndWhatIsStillExact() throws Exception {
        Plan plan = Planner.plan(pj, null);
        var full = new dev.parallel.api.contract.PartSummary(0, 4, 4, 0, 0, dev.parallel.api.contract.Json.mapper().readTree("7"),
                false, List.of(), false, 5, "threads", null, null);
        var dropped = new dev.parallel.api.contract.PartSummary(1, 4, 4, 0, 0, null, true, List.of(), false, 5, "threads", null, null);
        // Per-task results did not all fit the ConfigMap: the reduction is still whole.
        var s = StatusCalculator.compute(pj, plan, job(null, null), new Gathered(Map.of(0, full, 1, full, 2, full), Map.of(), true, null),
                null, Instant.EPOCH, "r");
        assertThat(s.phase).isEqualTo(Phase.Succeeded);
        assertThat(s.conditions).filteredOn(c -> c.getType().equals("ResultsTruncated")).singleElement()
                .satisfies(c -> assertThat(c.getMessage()).contains("status.result holds the complete reduction"));
        // A part's reduction was dropped from its summary: status.result lacks it, and says so.
        s = StatusCalculator.compute(pj, plan, job(null, null), new Gathered(Map.of(0, full, 1, dropped, 2, full), Map.of(), false, null),
                null, Instant.EPOCH, "r");
        assertThat(s.tasks.succeeded).isEqualTo(12);
        assertThat(s.conditions).filteredOn(c -> c.getType().equals("ResultsTruncated")).singleElement()
                .satisfies(c -> assertThat(c.getMessage()).contains("status.result lacks it"));
        // Within the limits: no such condition.
        s = StatusCalculator.compute(pj, plan, job(null, null), new Gathered(Map.of(0, full, 1, full, 2, full), Map.of(), false, null),
                null, Instant.EPOCH, "r");
        assertThat(s.conditions).noneMatch(c -> c.getType().equals("ResultsTruncated"));
    }

    @Test
    void aPodKilledWithoutASummaryFailsItsWholePartWithTheReason() throws Exception {
        Plan plan = Planner.plan(pj, null);
        var pods = List.of(Fixtures.pod("p2", 2, "Failed", null, 137, "2026-01-01T00:00:00Z"));
        var fresh = PartObserver.newlyFinished(plan, job("2", null), pods, Set.of());
        var s = fresh.get(2).summary();
        assertThat(s.failed()).isEqualTo(3);
        assertThat(s.failedTasks().get(0).reason()).isEqualTo("Error (exit code 137)");
    }

    @Test
    void suspendedJobsSayWhoSuspendedThem() throws Exception {
        Plan plan = Planner.plan(pj, null);
        Job suspended = job(null, null);
        suspended.getSpec().setSuspend(true);
        var s = StatusCalculator.compute(pj, plan, suspended, new Gathered(Map.of(), Map.of(), false, null), null, Instant.EPOCH, "r");
        assertThat(s.phase).isEqualTo(Phase.Suspended);
        assertThat(s.conditions).filteredOn(c -> c.getType().equals("Suspended")).singleElement()
                .satisfies(c -> assertThat(c.getReason()).isEqualTo("SuspendedByQueue"));
        pj.getSpec().suspend = true;
        s = StatusCalculator.compute(pj, plan, suspended, new Gathered(Map.of(), Map.of(), false, null), null, Instant.EPOCH, "r");
        assertThat(s.conditions).filteredOn(c -> c.getType().equals("Suspended")).singleElement()
                .satisfies(c -> assertThat(c.getReason()).isEqualTo("SuspendedBySpec"));
    }

    @Test
    void jobIndexListsParse() {
        assertThat(PartObserver.indexes("0,3-5,9")).containsExactly(0, 3, 4, 5, 9);
        assertThat(PartObserver.indexes("")).isEmpty();
    }
}
