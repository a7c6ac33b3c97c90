package dev.parallel.operator.gather;

import dev.parallel.api.contract.PartSummary;
import dev.parallel.operator.plan.Names;
import dev.parallel.operator.plan.Plan;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * The results ConfigMap's layout: {@code part-NNNNN} holds a finished part's summary (written once,
 * never overwritten: that is what makes counting exactly-once across pod retries and operator
 * restarts), {@code part-NNNNN.results.jsonl} its per-task results while they fit, and for a grouped
 * reduction {@code reduced.jsonl} one row per group.
 */
public final class ResultsStore {
    public static final String TRUNCATED_KEY = "results-truncated";
    /** spec.reduction.groupBy: one JSON line per group, rewritten as parts finish (derived from their summaries). */
    public static final String ROWS_KEY = dev.parallel.api.contract.Reducer.ROWS_KEY;
    public static final String ROWS_TRUNCATED_KEY = "reduced-truncated";
    private static final String PREFIX = "part-";
    private static final String RESULTS_SUFFIX = ".results.jsonl";

    private ResultsStore() {}

    public static String summaryKey(int part) { return String.format("%s%05d", PREFIX, part); }

    public static String resultsKey(int part) { return summaryKey(part) + RESULTS_SUFFIX; }

    public static ConfigMap empty(Plan plan) {
        return new ConfigMapBuilder().withMetadata(plan.metadata(Names.resultsConfigMap(plan.pj()), "results")).build();
    }

    /** The finished parts recorded so far; an undecodable entry is skipped (never fatal). */
    public static Map<Integer, PartSummary> summaries(ConfigMap cm) {
        Map<Integer, PartSummary> out = new TreeMap<>();
        if (cm == null || cm.getData() == null) return out;
        cm.getData().forEach((k, v) -> {
            if (k.startsWith(PREFIX) && !k.endsWith(RESULTS_SUFFIX)) {
                try {
                    out.put(Integer.parseInt(k.substring(PREFIX.length())), PartSummary.decode(v));
                } catch (Exception ignored) {
                    // written by us; a hand-edited entry is ignored rather than crash-looping
                }
            }
        });
        return out;
    }

    public static boolean truncated(ConfigMap cm) {
        return cm != null && cm.getData() != null && "true".equals(cm.getData().get(TRUNCATED_KEY));
    }

    public static boolean rowsTruncated(ConfigMap cm) {
        return cm != null && cm.getData() != null && "true".equals(cm.getData().get(ROWS_TRUNCATED_KEY));
    }

    public static int size(ConfigMap cm) {
        if (cm == null || cm.getData() == null) return 0;
        int n = 0;
        for (var e : cm.getData().entrySet()) {
            n += e.getKey().length() + e.getValue().getBytes(StandardCharsets.UTF_8).length;
        }
        return n;
    }
}
