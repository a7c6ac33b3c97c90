package dev.parallel.operator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parallel.api.contract.DoneSet;
import dev.parallel.api.contract.Json;
import dev.parallel.api.contract.PartSummary;
import dev.parallel.api.contract.ResultsContract;
import dev.parallel.api.contract.TaskResult;
import dev.parallel.api.v1alpha1.TaskResultBatch;
import dev.parallel.operator.gather.BatchFolder;
import dev.parallel.operator.gather.BatchTrust;
import dev.parallel.operator.gather.FinalParts;
import dev.parallel.operator.gather.FoldState;
import dev.parallel.operator.gather.FoldStats;
import dev.parallel.operator.plan.Plan;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** The fold of streamed records, pure: exactly once per task whatever arrives twice, late, out of order or from elsewhere. */
class FoldTest {
    static final String JOB_UID = "job-uid";
    static final Instant NOW = Instant.parse("2026-01-01T00:10:00Z");
    // pi, 20 tasks in 2 parts of 10: part 0 is tasks 0-9, part 1 tasks 10-19.
    final Plan pi = Fixtures.plan(Fixtures.pj("kernel: pi\nparams: {samples: 10}\ntasks: {range: {start: 0, end: 20}}\npods: 2\n"));

    /** A batch {@code <pod>.<seq>} of part {@code part} written by pod UID {@code podUid}, owned by {@code owner}. */
    static TaskResultBatch batch(String pod, long seq, int part, String podUid, String owner, String created, TaskResult... records) {
        TaskResultBatch b = new TaskResultBatch();
        b.setMetadata(new ObjectMetaBuilder().withName(ResultsContract.batchName(pod, seq)).withNamespace("ns1")
                .withCreationTimestamp(created)
                .withLabels(Map.of(ResultsContract.LABEL_JOB, "demo", ResultsContract.LABEL_PART, Integer.toString(part),
                        ResultsContract.LABEL_POD, pod, ResultsContract.LABEL_POD_UID, podUid))
                .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("batch/v1").withKind("Job").withName("demo")
                        .withUid(owner).build()).build());
        TaskResultBatch.Spec s = new TaskResultBatch.Spec();
        s.part = part;
        s.seq = seq;
        s.count = records.length;
        StringBuilder text = new StringBuilder();
        for (TaskResult r : records) text.append(Json.mapper().valueToTree(r).toString()).append('\n');
        s.records = text.toString();
        b.setSpec(s);
        return b;
    }

    static TaskResultBatch batch(String pod, long seq, int part, TaskResult... records) {
        return batch(pod, seq, part, "uid-" + pod, JOB_UID, "2026-01-01T00:09:59Z", records);
    }

    /** pi's record: {hits, samples: 10}, 5 ms. */
    static TaskResult hit(long index, int hits) {
        return TaskResult.success(index, "t" + index, Json.mapper().createObjectNode().put("hits", hits).put("samples", 10), 1, 5);
    }

    static TaskResult[] hits(long from, long to) {
        return LongStream.range(from, to).mapToObj(i -> hit(i, (int) (i % 7))).toArray(TaskResult[]::new);
    }

    /** The state as the results ConfigMap would hold it after the pass's update (every key through its text). */
    static FoldState persisted(FoldState s) {
        Map<String, String> data = new HashMap<>(s.entries(new TreeSet<>(s.done().keySet())));
        data.put(FoldState.STATS_KEY, Json.mapper().valueToTree(s.stats()).toString());
        return FoldState.of(new ConfigMapBuilder().withNewMetadata().withName("demo-results").endMetadata().withData(data).build());
    }

    static FoldState empty() { return FoldState.of(null); }

    static long hitsOf(PartSummary p) { return p.partial().get("hits").asLong(); }

    @Test
    void aRecordCountsOnceWhateverBatchesRepeatIt() {
        // pod a records tasks 0-5; its replacement b (a's last batch unfolded when b started) reruns 4-9.
        var a = batch("demo-0-aaaaa", 0, 0, hits(0, 6));
        var b = batch("demo-0-bbbbb", 0, 0, hits(4, 10));
        BatchFolder.Result r = BatchFolder.fold(pi, empty(), List.of(a, b), Set.of(), 4096);
        PartSummary p = r.state().folds().get(0);
        assertThat(p.ok()).isEqualTo(10);
        assertThat(r.fresh()).isEqualTo(10);
        assertThat(r.state().done().get(0).complete()).isTrue();
        long expected = LongStream.range(0, 10).map(i -> i % 7).sum();
        assertThat(hitsOf(p)).isEqualTo(expected);
        assertThat(r.batches()).extracting(BatchFolder.Folded::duplicates).containsExactly(0, 2);
        // The lines to store hold each task once.
        assertThat(String.join("", r.batches().stream().map(BatchFolder.Folded::lines).toList()).lines().count()).isEqualTo(10);
    }

    @Test
    void crashBeforeTheUpdateFoldsTheSameAgainAndAfterItCountsNothingTwice() {
        var batches = List.of(batch("demo-0-aaaaa", 0, 0, hits(0, 4)), batch("demo-0-aaaaa", 1, 0, hits(4, 7)),
                batch("demo-1-ccccc", 0, 1, hits(10, 15)));
        FoldState s0 = persisted(empty());
        BatchFolder.Result first = BatchFolder.fold(pi, s0, batches, Set.of(), 4096);
        // Crash before the ConfigMap update: the state is still s0 and the batches are all there.
        BatchFolder.Result again = BatchFolder.fold(pi, s0, batches, Set.of(), 4096);
        assertThat(Json.mapper().<JsonNode>valueToTree(again.state().folds())).isEqualTo(Json.mapper().valueToTree(first.state().folds()));
        assertThat(again.batches()).isEqualTo(first.batches());
        assertThat(first.fresh()).isEqualTo(12);
        // Crash after the update, before the batches were deleted: they fold again, as duplicates only.
        FoldState s1 = persisted(first.state());
        BatchFolder.Result after = BatchFolder.fold(pi, s1, batches, Set.of(), 4096);
        assertThat(after.fresh()).isZero();
        assertThat(after.batches()).allMatch(BatchFolder.Folded::duplicate).allMatch(b -> b.lines().isEmpty());
        assertThat(Json.mapper().<JsonNode>valueToTree(after.state().folds())).isEqualTo(Json.mapper().valueToTree(first.state().folds()));
        assertThat(after.state().recorded()).isEqualTo(12);
        // The stats' durations are not counted twice either.
        assertThat(persisted(after.state()).stats().durations()).isEqualTo(first.state().stats().durations());
    }

    @Test
    void outOfOrderBatchesAndPassesGiveTheSameFold() {
        var b0 = batch("demo-0-aaaaa", 0, 0, hits(0, 3));
        var b1 = batch("demo-0-aaaaa", 1, 0, hits(3, 6));
        var b2 = batch("demo-0-aaaaa", 2, 0, hits(6, 10));
        FoldState inOrder = BatchFolder.fold(pi, empty(), List.of(b0, b1, b2), Set.of(), 4096).state();
        // The newest batch listed first, and the middle one only in a later pass.
        FoldState pass1 = persisted(BatchFolder.fold(pi, empty(), List.of(b2, b0), Set.of(), 4096).state());
        FoldState pass2 = BatchFolder.fold(pi, pass1, List.of(b1), Set.of(), 4096).state();
        assertThat(hitsOf(pass2.folds().get(0))).isEqualTo(hitsOf(inOrder.folds().get(0)));
        assertThat(pass2.folds().get(0).ok()).isEqualTo(10);
        assertThat(pass2.done().get(0).encode()).isEqualTo(inOrder.done().get(0).encode());
    }

    @Test
    void recordsOutsideThePartsBlockAndBatchesOfFinalPartsCountNothing() {
        // part 0's batch claims task 15 (part 1's): not counted.
        var wrong = batch("demo-0-aaaaa", 0, 0, hit(15, 1), hit(2, 3));
        var late = batch("demo-1-ccccc", 3, 1, hits(10, 12));
        BatchFolder.Result r = BatchFolder.fold(pi, empty(), List.of(wrong, late), Set.of(1), 4096);
        assertThat(r.state().folds().get(0).ok()).isEqualTo(1);
        assertThat(r.batches().get(0).outside()).isEqualTo(1);
        assertThat(r.state().folds()).doesNotContainKey(1);
        assertThat(r.batches().get(1).duplicate()).isTrue();
    }

    @Test
    void failuresRetriesAndAReduceErrorAreCountedBounded() {
        List<TaskResult> rs = new ArrayList<>();
        for (int i = 0; i < 10; i++) rs.add(TaskResult.failure(i, "t" + i, "boom " + i, 3, 7));
        Plan big = Fixtures.plan(Fixtures.pj("kernel: pi\nparams: {samples: 10}\ntasks: {range: {start: 0, end: 60}}\npods: 2\n"));
        List<TaskResult> more = new ArrayList<>(rs);
        for (int i = 10; i < 30; i++) more.add(TaskResult.failure(i, "t" + i, "boom " + i, 1, 7));
        PartSummary p = BatchFolder.fold(big, empty(), List.of(batch("demo-0-aaaaa", 0, 0, more.toArray(TaskResult[]::new))),
                Set.of(), 4096).state().folds().get(0);
        assertThat(p.failed()).isEqualTo(30);
        assertThat(p.retries()).isEqualTo(20);
        assertThat(p.failedTasks()).hasSize(20);
        assertThat(p.failedTasksTruncated()).isTrue();
    }

    @Test
    void argminAndGroupByReduceWithTheRecordsOwnParams() {
        Plan sweep = Fixtures.plan(Fixtures.pj(SweepTest.SWEEP + "reduction: {op: argmin, by: loss, groupBy: [batch]}\n"));
        // 9 tasks (lr x batch), one part per pod as the planner split them: records of part 0 only.
        var block = dev.parallel.api.tasks.Partition.block(sweep.tasks(), sweep.parts(), 0);
        List<TaskResult> rs = new ArrayList<>();
        for (long i = block.start(); i < block.end(); i++) {
            JsonNode params = Json.mapper().createObjectNode().put("lr", "0." + i).put("batch", 32 * (1 + i % 2));
            rs.add(TaskResult.success(i, "t" + i, Json.mapper().createObjectNode().put("loss", 10 - i), 1, 3).withParams(params));
        }
        PartSummary p = BatchFolder.fold(sweep, empty(), List.of(batch("demo-0-aaaaa", 0, 0, rs.toArray(TaskResult[]::new))),
                Set.of(), 64_000).state().folds().get(0);
        JsonNode groups = p.partial().get("groups");
        assertThat(groups.size()).isEqualTo(Math.min(2, (int) block.size()));
        // Each group's winner is its lowest loss: the highest index of that batch size, with its params.
        long last = block.end() - 1;
        JsonNode cell = groups.get("[" + (32 * (1 + last % 2)) + "]");
        assertThat(cell.get("index").asLong()).isEqualTo(last);
        assertThat(cell.get("params").get("lr").asText()).isEqualTo("0." + last);
    }

    @Test
    void aPartialBeyondItsBudgetIsDroppedForGoodWithExactCounts() {
        Plan collect = Fixtures.plan(Fixtures.pj("kernel: pi\nparams: {samples: 10}\nreduce: collect\ntasks: {range: {start: 0, end: 400}}\npods: 1\n"));
        BatchFolder.Result r = BatchFolder.fold(collect, empty(), List.of(batch("demo-0-aaaaa", 0, 0, hits(0, 300))), Set.of(), 4096);
        PartSummary p = r.state().folds().get(0);
        assertThat(p.partialDropped()).isTrue();
        assertThat(p.partial()).isNull();
        PartSummary next = BatchFolder.fold(collect, persisted(r.state()), List.of(batch("demo-0-aaaaa", 1, 0, hits(300, 302))),
                Set.of(), 4096).state().folds().get(0);
        assertThat(next.partialDropped()).isTrue();
        assertThat(next.ok()).isEqualTo(302);
    }

    @Test
    void trustChecksOwnerPodAndPart() {
        Set<String> pods = Set.of("uid-demo-0-aaaaa");
        var ours = batch("demo-0-aaaaa", 0, 0, hits(0, 1));
        var otherOwner = batch("demo-0-aaaaa", 1, 0, "uid-demo-0-aaaaa", "another-job", "2026-01-01T00:09:59Z", hits(1, 2));
        var unknownNew = batch("demo-0-xxxxx", 0, 0, "uid-x", JOB_UID, "2026-01-01T00:09:30Z", hits(2, 3));
        var unknownOld = batch("demo-0-yyyyy", 0, 0, "uid-y", JOB_UID, "2026-01-01T00:07:00Z", hits(3, 4));
        var badPart = batch("demo-0-aaaaa", 2, 7, hits(4, 5));
        var mislabelled = batch("demo-0-aaaaa", 3, 0, hits(5, 6));
        mislabelled.getSpec().part = 1;
        var s = BatchTrust.sort(List.of(ours, otherOwner, unknownNew, unknownOld, badPart, mislabelled), JOB_UID, pods, 2, NOW);
        assertThat(s.trusted()).containsExactly(ours);
        assertThat(s.waiting()).isEqualTo(1 + 2); // the unknown pod's young batch; young part mistakes wait for their 2 min
        assertThat(s.waitingParts()).containsExactly(0);
        assertThat(s.foreign()).extracting(BatchTrust.Foreign::name)
                .containsExactlyInAnyOrder(otherOwner.getMetadata().getName(), unknownOld.getMetadata().getName());
        assertThat(s.foreign()).anyMatch(f -> f.why().contains("pod UID uid-y is not a pod of Job demo"));
        var later = BatchTrust.sort(List.of(badPart, mislabelled), JOB_UID, pods, 2, NOW.plusSeconds(300));
        assertThat(later.foreign()).extracting(BatchTrust.Foreign::why)
                .containsExactlyInAnyOrder("part 7 is not a part of this run (2 parts)", "spec.part 1 differs from its label parallel.dev/part");
    }

    @Test
    void aFailedIndexCountsItsUnrecordedTasksAsFailedWithThePodsReason() {
        var r = BatchFolder.fold(pi, empty(), List.of(batch("demo-1-ccccc", 0, 1, hits(10, 16))), Set.of(), 4096);
        PartSummary pod = new PartSummary(1, 10, 0, 10, 0, null, false,
                List.of(new PartSummary.FailedTask("part-1", "OOMKilled (exit code 137)")), true, 0, null, "OOMKilled (exit code 137)", null);
        DoneSet done = r.state().done().get(1);
        var fin = FinalParts.decide(pi, 1, pod, false, r.state().folds().get(1), done, true);
        assertThat(fin.fromPod()).isFalse();
        PartSummary s = fin.summary();
        assertThat(s.ok()).isEqualTo(6);
        assertThat(s.failed()).isEqualTo(4);
        assertThat(s.tasks()).isEqualTo(10);
        assertThat(s.failedTasks()).containsExactly(new PartSummary.FailedTask("part-1", "OOMKilled (exit code 137) (4 task(s) not recorded)"));
        assertThat(hitsOf(s)).isEqualTo(LongStream.range(10, 16).map(i -> i % 7).sum());
        // Not every batch read yet this pass: wait.
        assertThat(FinalParts.decide(pi, 1, pod, false, r.state().folds().get(1), done, false)).isNull();
    }

    @Test
    void aSucceededPartIsFinalWhenAllRecordedAndAPodThatDidNotStreamKeepsItsSummary() {
        var r = BatchFolder.fold(pi, empty(), List.of(batch("demo-0-aaaaa", 0, 0, hits(0, 10))), Set.of(), 4096);
        PartSummary pod = new PartSummary(0, 10, 4, 0, 0, null, false, List.of(), false, 1234, "threads", null, null, 6);
        var fin = FinalParts.decide(pi, 0, pod, true, r.state().folds().get(0), r.state().done().get(0), false);
        assertThat(fin.summary().ok()).isEqualTo(10);
        assertThat(fin.summary().millis()).isEqualTo(1234);
        assertThat(fin.summary().executor()).isEqualTo("threads");
        assertThat(fin.summary().skipped()).isEqualTo(6);
        PartSummary old = new PartSummary(0, 10, 10, 0, 0, Json.mapper().createObjectNode().put("hits", 3), false, List.of(), false, 9,
                "threads", null, null);
        var oldFin = FinalParts.decide(pi, 0, old, true, null, DoneSet.empty(0, 10), true);
        assertThat(oldFin.fromPod()).isTrue();
        assertThat(oldFin.summary()).isEqualTo(old);
    }

    @Test
    void statsGiveQuantilesAndAThroughputThatDecays() {
        FoldStats s = FoldStats.EMPTY.withDurations(List.of(100L, 100L, 100L, 100L, 100L, 100L, 100L, 100L, 100L, 5000L));
        assertThat(s.quantileMillis(0.5)).isBetween(90L, 110L);
        assertThat(s.quantileMillis(0.95)).isBetween(4500L, 5500L);
        long t0 = NOW.toEpochMilli();
        s = s.withSample(t0, 0).withSample(t0 + 10_000, 100).withSample(t0 + 20_000, 200);
        assertThat(s.tasksPerSecond(t0 + 20_000)).isEqualTo(10.0);
        // Nothing recorded since: the last minute's rate falls, then is 0.
        assertThat(s.tasksPerSecond(t0 + 40_000)).isEqualTo(5.0);
        assertThat(s.tasksPerSecond(t0 + 90_000)).isEqualTo(0.0);
        FoldStats many = FoldStats.EMPTY;
        for (int i = 0; i < 1000; i++) many = many.withSample(t0 + i * 5_000L, i);
        assertThat(many.samples().size()).isLessThanOrEqualTo(14);
        assertThat(many.tasksPerSecond(t0 + 999 * 5_000L)).isEqualTo(0.2);
    }
}
