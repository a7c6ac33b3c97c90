package dev.parallel.operator.gather;

import dev.parallel.api.contract.PartSummary;
import java.time.Instant;
import java.util.Map;

/**
 * What the cluster says about the parts: the final summary of each finished part (exactly one per
 * index, from the results ConfigMap), the parts running now, when the first pod started, and the
 * scheduler's reason when a pod cannot be placed (e.g. no node has the GPUs it asks for), and whether the
 * grouped reduction's rows did not all fit in the results ConfigMap; with streaming, what the folded records add
 * ({@link Streamed}: the parts not final yet count from their folds).
 */
public record Gathered(Map<Integer, PartSummary> finals, Map<Integer, Long> runningTasks, boolean resultsTruncated,
                       Instant firstStart, String unschedulable, boolean rowsTruncated, Streamed streamed) {
    /** Nothing gathered: no Job yet. */
    public static final Gathered NONE = new Gathered(Map.of(), Map.of(), false, null);

    /** Without streaming (spec.results.stream: false): only the final parts. */
    public Gathered(Map<Integer, PartSummary> finals, Map<Integer, Long> runningTasks, boolean resultsTruncated,
                    Instant firstStart, String unschedulable, boolean rowsTruncated) {
        this(finals, runningTasks, resultsTruncated, firstStart, unschedulable, rowsTruncated, null);
    }

    public Gathered(Map<Integer, PartSummary> finals, Map<Integer, Long> runningTasks, boolean resultsTruncated,
                    Instant firstStart, String unschedulable) {
        this(finals, runningTasks, resultsTruncated, firstStart, unschedulable, false);
    }

    public Gathered(Map<Integer, PartSummary> finals, Map<Integer, Long> runningTasks, boolean resultsTruncated,
                    Instant firstStart) {
        this(finals, runningTasks, resultsTruncated, firstStart, null);
    }
}
