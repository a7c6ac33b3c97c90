package dev.parallel.operator.gather;

import dev.parallel.api.contract.DoneSet;
import dev.parallel.api.contract.PartSummary;
import dev.parallel.api.tasks.Partition;
import dev.parallel.operator.plan.Plan;
import java.util.ArrayList;
import java.util.List;

/**
 * Pure: a finished part's final summary with streaming on, from its fold (what was recorded) and its pod's own
 * summary (executor, gpuUnavailable, note, millis, skipped). A part whose pod succeeded is final once all its block is
 * recorded; for a failed index (the Job gives up on it) the tasks not recorded count as failed with the pod's reason.
 */
public final class FinalParts {
    private FinalParts() {}

    /** The final summary, and whether it is the pod's own (a pod that did not stream: its log holds the records). */
    public record Final(PartSummary summary, boolean fromPod) {}

    /**
     * @param pod the pod's summary (its termination message, or one PartObserver made that says why there is none)
     * @param listedAll whether this pass listed every batch (none left for the next pass)
     * @return the final summary, or null while the part's records are still coming
     */
    public static Final decide(Plan plan, int part, PartSummary pod, boolean podSucceeded, PartSummary fold, DoneSet done,
                               boolean listedAll) {
        long block = Partition.block(plan.tasks(), plan.parts(), part).size();
        long recorded = done == null ? 0 : done.count();
        if (recorded >= block) return new Final(of(part, block, pod, fold, 0, null), false);
        if (!listedAll) return null; // its last batches may be in the part of the list this pass did not read
        if (podSucceeded && recorded == 0 && pod.skipped() == 0) return new Final(pod, true); // a pod that did not stream
        String reason = podSucceeded ? "the pod succeeded but did not record these tasks" : reason(pod);
        return new Final(of(part, block, pod, fold, block - recorded, reason), false);
    }

    private static PartSummary of(int part, long block, PartSummary pod, PartSummary fold, long unrecorded, String reason) {
        long ok = fold == null ? 0 : fold.ok();
        long failed = (fold == null ? 0 : fold.failed()) + unrecorded;
        List<PartSummary.FailedTask> failedTasks = new ArrayList<>(fold == null || fold.failedTasks() == null ? List.of() : fold.failedTasks());
        boolean truncated = fold != null && fold.failedTasksTruncated();
        if (unrecorded > 0) {
            if (failedTasks.size() < BatchFolder.MAX_FAILED_KEPT) {
                failedTasks.add(new PartSummary.FailedTask("part-" + part, reason + " (" + unrecorded + " task(s) not recorded)"));
            }
            truncated |= unrecorded > 1;
        }
        String note = join(podNote(pod), fold == null ? null : fold.note());
        return new PartSummary(part, block, ok, failed, fold == null ? 0 : fold.retries(), fold == null ? null : fold.partial(),
                fold != null && fold.partialDropped(), List.copyOf(failedTasks), truncated, pod.millis(), pod.executor(), note,
                pod.gpuUnavailable(), pod.skipped());
    }

    /** The pod's note without its own reduce failure (the fold reduced the records itself). */
    private static String podNote(PartSummary pod) {
        String n = pod.note();
        if (n == null) return null;
        int at = n.indexOf(PartSummary.REDUCE_FAILED);
        if (at >= 0) n = n.substring(0, at).replaceAll("[;\\s]+$", "");
        return n.isBlank() ? null : n;
    }

    private static String join(String a, String b) {
        if (a == null) return b;
        if (b == null) return a;
        return a + "; " + b;
    }

    /** Why a failed pod's part failed: its note (PartObserver puts the container's reason there), else its first failure. */
    private static String reason(PartSummary pod) {
        if (pod.note() != null && !pod.note().isBlank()) return pod.note();
        if (pod.failedTasks() != null && !pod.failedTasks().isEmpty()) return pod.failedTasks().get(0).reason();
        return "the pod failed";
    }
}
