package dev.parallel.operator.status;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parallel.api.contract.PartSummary;
import dev.parallel.api.contract.Reducer;
import dev.parallel.api.v1alpha1.ParallelJobSpec;
import dev.parallel.api.v1alpha1.ParallelJobStatus;
import dev.parallel.operator.gather.Gathered;
import java.util.ArrayList;
import java.util.List;

/**
 * Pure: what the finished parts (and, with streaming, the records folded so far) add up to: task counts, the first
 * failed tasks, parts without a GPU, and the reduction (as status shows it: a grouped one's rows stay in the results ConfigMap).
 */
public record Totals(long ok, long failed, long retries, long running, boolean partialDropped, String reduceError,
                     List<ParallelJobStatus.FailedTask> failedTasks, int noGpuParts, String noGpu,
                     JsonNode result, String resultSummary) {

    public static Totals of(ParallelJobSpec spec, Gathered g, String resultsConfigMap) {
        long ok = 0, failed = 0, retries = 0;
        boolean partialDropped = false;
        Reducer reducer = new Reducer(dev.parallel.api.contract.Reduction.of(spec));
        JsonNode reduced = null;
        List<ParallelJobStatus.FailedTask> failedTasks = new ArrayList<>();
        String reduceError = null;
        int noGpuParts = 0;
        String noGpu = null;
        // With streaming, the parts not final yet count what they recorded so far (their folds): live progress.
        java.util.Map<Integer, PartSummary> parts = new java.util.TreeMap<>(g.finals());
        if (g.streamed() != null) g.streamed().folds().forEach(parts::putIfAbsent);
        for (PartSummary p : parts.values()) {
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
        JsonNode finished;
        try {
            finished = reducer.finished(reduced);
        } catch (IllegalArgumentException e) {
            finished = null;
            reduceError = e.getMessage();
        }
        JsonNode shown = finished;
        if (finished instanceof ObjectNode o && reducer.reduction().grouped()) {
            // The rows live in the results ConfigMap; status keeps their count (and the best row), at constant size.
            var summary = o.deepCopy();
            summary.remove("rows");
            summary.put("rowsKey", resultsConfigMap == null ? Reducer.ROWS_KEY : resultsConfigMap + "/" + Reducer.ROWS_KEY);
            shown = summary;
        }
        return new Totals(ok, failed, retries, running, partialDropped, reduceError, failedTasks, noGpuParts, noGpu,
                shown, reducer.summary(finished));
    }
}
