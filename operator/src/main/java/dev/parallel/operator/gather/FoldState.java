package dev.parallel.operator.gather;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.parallel.api.contract.DoneSet;
import dev.parallel.api.contract.Json;
import dev.parallel.api.contract.PartSummary;
import dev.parallel.api.contract.ResultsContract;
import dev.parallel.api.tasks.Partition;
import dev.parallel.operator.plan.Plan;
import io.fabric8.kubernetes.api.model.ConfigMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.jboss.logging.Logger;

/**
 * What the streamed records folded so far add up to, as the results ConfigMap holds it: per part its fold
 * ({@code fold-NNNNN}, a {@link PartSummary} of the recorded tasks) and done set ({@code done-NNNNN}), the
 * {@link FoldStats} ({@code stats}) and the UIDs of the Job's pods seen writing ({@code pods}: a deleted pod's
 * last batch still counts) and the names of the batches already folded whose deletion was not yet seen
 * ({@code folded}: after a crash between the update and the deletes, such a batch is a duplicate whose records an
 * external store must keep). Read fresh every pass, written in the pass's one ConfigMap update: the ConfigMap is
 * the only memory, so an operator restarted at any point folds on from exactly what was recorded.
 */
public record FoldState(Map<Integer, PartSummary> folds, Map<Integer, DoneSet> done, FoldStats stats, Set<String> pods,
                        Set<String> folded) {
    private static final Logger LOG = Logger.getLogger(FoldState.class);
    public static final String STATS_KEY = "stats";
    public static final String PODS_KEY = "pods";
    public static final String FOLDED_KEY = "folded";

    public FoldState(Map<Integer, PartSummary> folds, Map<Integer, DoneSet> done, FoldStats stats, Set<String> pods) {
        this(folds, done, stats, pods, Set.of());
    }

    public static String foldKey(int part) { return String.format(Locale.ROOT, "fold-%05d", part); }

    /** The state in {@code cm} (none yet: empty); an undecodable key counts as absent, never fatal. */
    public static FoldState of(ConfigMap cm) {
        Map<String, String> data = cm == null || cm.getData() == null ? Map.of() : cm.getData();
        Map<Integer, PartSummary> folds = new TreeMap<>();
        Map<Integer, DoneSet> done = new TreeMap<>();
        FoldStats stats = FoldStats.EMPTY;
        Set<String> pods = new TreeSet<>();
        Set<String> folded = new TreeSet<>();
        for (var e : data.entrySet()) {
            String k = e.getKey();
            try {
                if (k.startsWith("fold-")) folds.put(Integer.parseInt(k.substring(5)), PartSummary.decode(e.getValue()));
                else if (k.startsWith("done-")) done.put(Integer.parseInt(k.substring(5)), DoneSet.decode(e.getValue()));
                else if (STATS_KEY.equals(k)) stats = Json.mapper().readValue(e.getValue(), FoldStats.class);
                else if (PODS_KEY.equals(k)) pods.addAll(Json.mapper().readValue(e.getValue(), new TypeReference<Set<String>>() {}));
                else if (FOLDED_KEY.equals(k)) folded.addAll(Json.mapper().readValue(e.getValue(), new TypeReference<Set<String>>() {}));
            } catch (JsonProcessingException | IllegalArgumentException ex) {
                LOG.warnf("results ConfigMap %s: key %s is not ours to read (%s); ignored", cm.getMetadata().getName(), k,
                        ex.getMessage());
            }
        }
        return new FoldState(folds, done, stats, pods, folded);
    }

    /** Part {@code part}'s done set (empty when nothing is recorded yet). */
    public DoneSet doneOf(Plan plan, int part) {
        DoneSet d = done.get(part);
        if (d != null) return d;
        var b = Partition.block(plan.tasks(), plan.parts(), part);
        return DoneSet.empty(b.start(), b.size());
    }

    /** The ConfigMap keys of parts {@code parts}' folds and done sets (what a pass that changed them writes). */
    public Map<String, String> entries(Set<Integer> parts) {
        Map<String, String> out = new TreeMap<>();
        for (int p : parts) {
            if (folds.containsKey(p)) out.put(foldKey(p), json(folds.get(p)));
            if (done.containsKey(p)) out.put(doneKey(p), done.get(p).encode());
        }
        return out;
    }

    /** Tasks recorded in every part. */
    public long recorded() { return done.values().stream().mapToLong(DoneSet::count).sum(); }

    static String json(Object o) {
        try {
            return Json.mapper().writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static String doneKey(int part) { return ResultsContract.doneKey(part); }
}
