package dev.parallel.operator.gather;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parallel.api.contract.DoneSet;
import dev.parallel.api.contract.Json;
import dev.parallel.api.contract.PartSummary;
import dev.parallel.api.contract.Reducer;
import dev.parallel.api.contract.Reduction;
import dev.parallel.api.contract.TaskResult;
import dev.parallel.api.v1alpha1.ParallelJobStatus;
import dev.parallel.api.v1alpha1.TaskResultBatch;
import dev.parallel.operator.plan.Plan;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Pure: folds trusted batches into the state, exactly once per task. A record counts only when its index is in its
 * part's block and not yet in the part's {@link DoneSet}; then it is counted (ok, failed, retries), reduced with its
 * own params ({@link Reducer#add}) and marked done. A batch of a part that is already final counts nothing. Batches
 * fold in name order ({@code <pod>.<seq>}), so a repeated pass over the same batches gives the same result.
 */
public final class BatchFolder {
    /** Failed tasks a part's fold keeps (the status lists 20 in all); the count is always exact. */
    static final int MAX_FAILED_KEPT = ParallelJobStatus.MAX_FAILED_TASKS_LISTED;

    private BatchFolder() {}

    /** One batch's outcome: the JSON lines of the records it recorded for the first time, and what it held. */
    public record Folded(String name, int part, String lines, int fresh, int duplicates, int outside) {
        public boolean duplicate() { return fresh == 0; }
    }

    /** The new state, each batch's outcome, and the newly recorded tasks' counts and durations. */
    public record Result(FoldState state, List<Folded> batches, long ok, long failed, List<Long> millis) {
        public long fresh() { return ok + failed; }
    }

    /**
     * @param finals parts already final (their summaries written): their batches count nothing
     * @param partialBudget bytes a part's partial reduction may take in the ConfigMap; beyond, it is dropped
     *                      (partialDropped, as a pod's summary does) and the counts stay exact
     */
    public static Result fold(Plan plan, FoldState before, List<TaskResultBatch> batches, Set<Integer> finals, int partialBudget) {
        Reducer reducer = new Reducer(Reduction.of(plan.spec()));
        Map<Integer, DoneSet> done = new TreeMap<>();
        before.done().forEach((p, d) -> done.put(p, DoneSet.decode(d.encode()))); // never change the caller's
        Map<Integer, Acc> accs = new HashMap<>();
        List<Folded> out = new ArrayList<>();
        long ok = 0, failed = 0;
        List<Long> millis = new ArrayList<>();
        List<TaskResultBatch> sorted = new ArrayList<>(batches);
        sorted.sort(Comparator.comparing(b -> b.getMetadata().getName()));
        for (TaskResultBatch b : sorted) {
            int part = b.getSpec().part;
            String name = b.getMetadata().getName();
            List<TaskResult> records = BatchRecords.parse(b);
            if (finals.contains(part) || part >= plan.parts()) {
                out.add(new Folded(name, part, "", 0, records.size(), 0));
                continue;
            }
            DoneSet d = done.computeIfAbsent(part, p -> before.doneOf(plan, p));
            Acc acc = accs.computeIfAbsent(part, p -> new Acc(plan, p, before.folds().get(p)));
            StringBuilder lines = new StringBuilder();
            int fresh = 0, dup = 0, outside = 0;
            for (TaskResult r : records) {
                if (!d.inBlock(r.index())) {
                    outside++;
                    continue;
                }
                if (!d.add(r.index())) {
                    dup++;
                    continue;
                }
                fresh++;
                acc.add(reducer, r);
                millis.add(r.millis());
                if (r.ok()) ok++;
                else failed++;
                lines.append(FoldState.json(r)).append('\n');
            }
            acc.bound(partialBudget);
            out.add(new Folded(name, part, lines.toString(), fresh, dup, outside));
        }
        Map<Integer, PartSummary> folds = new TreeMap<>(before.folds());
        accs.forEach((p, a) -> folds.put(p, a.summary()));
        FoldState after = new FoldState(folds, done, before.stats().withDurations(millis), before.pods(), before.folded());
        return new Result(after, out, ok, failed, millis);
    }

    /** A part's fold while it grows. */
    private static final class Acc {
        final int part;
        final long tasks;
        long ok, failed, retries;
        JsonNode partial;
        boolean partialDropped;
        final List<PartSummary.FailedTask> failedTasks;
        boolean failedTruncated;
        String note;

        Acc(Plan plan, int part, PartSummary from) {
            this.part = part;
            this.tasks = dev.parallel.api.tasks.Partition.block(plan.tasks(), plan.parts(), part).size();
            if (from == null) {
                failedTasks = new ArrayList<>();
                return;
            }
            ok = from.ok();
            failed = from.failed();
            retries = from.retries();
            partial = from.partial() == null ? null : from.partial().deepCopy();
            partialDropped = from.partialDropped();
            failedTasks = new ArrayList<>(from.failedTasks() == null ? List.of() : from.failedTasks());
            failedTruncated = from.failedTasksTruncated();
            note = from.note();
        }

        void add(Reducer reducer, TaskResult r) {
            retries += Math.max(0, r.attempts() - 1);
            if (r.ok()) {
                ok++;
                if (partialDropped) return;
                try {
                    partial = reducer.add(partial, r, r.params() instanceof ObjectNode o ? o : null);
                } catch (IllegalArgumentException e) {
                    if (note == null) note = PartSummary.REDUCE_FAILED + e.getMessage();
                }
            } else {
                failed++;
                if (failedTasks.size() < MAX_FAILED_KEPT) failedTasks.add(new PartSummary.FailedTask(r.id(), r.error()));
                else failedTruncated = true;
            }
        }

        /** A partial beyond the budget (collect, many groups) is dropped for good, as a pod's summary drops it. */
        void bound(int budget) {
            if (partial != null && partial.toString().getBytes(StandardCharsets.UTF_8).length > budget) {
                partial = null;
                partialDropped = true;
            }
        }

        PartSummary summary() {
            return new PartSummary(part, tasks, ok, failed, retries, partial, partialDropped, List.copyOf(failedTasks),
                    failedTruncated, 0, null, note, null, 0);
        }
    }

    /** A part's partial from a fold, as JSON (for tests and messages). */
    static String partialText(PartSummary s) { return s.partial() == null ? null : s.partial().toString(); }

    static JsonNode tree(Object o) { return Json.mapper().valueToTree(o); }
}
