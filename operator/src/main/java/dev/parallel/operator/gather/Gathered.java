package dev.parallel.operator.gather;

import dev.parallel.api.contract.PartSummary;
import java.time.Instant;
import java.util.Map;

/**
 * What the cluster says about the parts: the final summary of each finished part (exactly one per
 * index, from the results ConfigMap), the parts running now, and when the first pod started.
 */
public record Gathered(Map<Integer, PartSummary> finals, Map<Integer, Long> runningTasks, boolean resultsTruncated,
                       Instant firstStart) {}
