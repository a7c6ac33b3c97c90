package dev.parallel.operator.gather;

import dev.parallel.api.contract.PartSummary;
import dev.parallel.api.v1alpha1.ParallelJobStatus;
import java.util.List;
import java.util.Map;

/**
 * With streaming on, what the status adds from the folded records: the folds of the parts not final yet, the stats,
 * what runs now, where the records are, and (store cluster, once the bound was reached) what was kept.
 */
public record Streamed(Map<Integer, PartSummary> folds, FoldStats stats, long runningTasks,
                       List<ParallelJobStatus.RunningTask> slowest, ParallelJobStatus.ResultsLocation location,
                       String truncated) {

    /** The ResultsTruncated message of a cluster store that reached its bound, with the exact numbers. */
    public static String truncatedMessage(FoldStats s) {
        if (s.recordsDropped() == 0) return null;
        return "kept " + s.records() + " of " + (s.records() + s.recordsDropped()) + " task records (" + s.recordBytes()
                + " bytes); counts and the reduction are exact; for every record use spec.results.store: s3";
    }
}
