package dev.parallel.operator.gather;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parallel.api.contract.PartSummary;
import dev.parallel.api.contract.PodContract;
import dev.parallel.api.contract.Reducer;
import dev.parallel.api.contract.Reduction;
import dev.parallel.operator.plan.Plan;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * Records each newly finished part in the results ConfigMap (its summary, and its per-task results
 * read from the pod's log while they fit under the size limit), then reports every finished part.
 */
public final class Gatherer {
    private static final Logger LOG = Logger.getLogger(Gatherer.class);

    private final KubernetesClient client;
    private final int maxResultsBytes;

    public Gatherer(KubernetesClient client, int maxResultsBytes) {
        this.client = client;
        this.maxResultsBytes = maxResultsBytes;
    }

    public Gathered gather(Plan plan, Job job, List<Pod> pods, ConfigMap results) {
        Map<Integer, PartSummary> finals = new TreeMap<>(ResultsStore.summaries(results));
        var fresh = PartObserver.newlyFinished(plan, job, pods, finals.keySet());
        boolean truncated = ResultsStore.truncated(results);
        boolean rowsTruncated = ResultsStore.rowsTruncated(results);
        if (!fresh.isEmpty()) {
            Map<String, String> add = new HashMap<>();
            int size = ResultsStore.size(results);
            for (var f : fresh.values()) {
                String summary = f.summary().encode();
                add.put(ResultsStore.summaryKey(f.part()), summary);
                size += summary.length() + 16;
            }
            Reduction reduction = Reduction.of(plan.spec());
            if (reduction.grouped()) { // the rows before per-task lines: they are the answer, the lines detail
                Map<Integer, PartSummary> all = new TreeMap<>(finals);
                fresh.forEach((i, f) -> all.put(i, f.summary()));
                String old = results == null || results.getData() == null ? null : results.getData().get(ResultsStore.ROWS_KEY);
                size -= old == null ? 0 : old.getBytes(StandardCharsets.UTF_8).length;
                Rows rows = rows(reduction, all.values(), maxResultsBytes - size);
                add.put(ResultsStore.ROWS_KEY, rows.text());
                size += rows.text().getBytes(StandardCharsets.UTF_8).length;
                rowsTruncated = rows.truncated();
                add.put(ResultsStore.ROWS_TRUNCATED_KEY, Boolean.toString(rows.truncated()));
            }
            for (var f : fresh.values()) {
                if (truncated) break;
                String lines = resultLines(plan, f.podName());
                int bytes = lines.getBytes(StandardCharsets.UTF_8).length;
                if (size + bytes > maxResultsBytes) {
                    truncated = true;
                    add.put(ResultsStore.TRUNCATED_KEY, "true");
                } else if (!lines.isEmpty()) {
                    add.put(ResultsStore.resultsKey(f.part()), lines);
                    size += bytes;
                }
            }
            // Optimistic locking on the ConfigMap's resourceVersion: two writers (a restarted operator
            // racing its old self) cannot both add a part; the loser retries and sees it recorded.
            ConfigMap updated = new io.fabric8.kubernetes.api.model.ConfigMapBuilder(results).addToData(add).build();
            client.configMaps().inNamespace(plan.namespace()).resource(updated).update();
            fresh.forEach((i, f) -> finals.put(i, f.summary()));
        }
        return new Gathered(finals, PartObserver.running(plan, pods, finals.keySet()), truncated,
                PartObserver.firstStart(pods), PartObserver.unschedulable(pods), rowsTruncated);
    }

    /** The grouped rows as JSON lines, as many as fit in {@code budget} bytes. */
    public record Rows(String text, boolean truncated) {}

    public static Rows rows(Reduction reduction, java.util.Collection<PartSummary> parts, int budget) {
        Reducer reducer = new Reducer(reduction);
        JsonNode acc = null;
        for (PartSummary p : parts) {
            try {
                acc = reducer.merge(acc, p.partial());
            } catch (IllegalArgumentException e) { // the status says ReduceFailed; keep what merges
                LOG.debugf("part %d does not merge: %s", p.part(), e.getMessage());
            }
        }
        JsonNode finished;
        try {
            finished = reducer.finished(acc);
        } catch (IllegalArgumentException e) { // the status says ReduceFailed
            finished = null;
        }
        StringBuilder text = new StringBuilder();
        int bytes = 0;
        for (JsonNode row : Reducer.rows(finished)) {
            String line = row.toString() + "\n";
            int n = line.getBytes(StandardCharsets.UTF_8).length;
            if (bytes + n > budget) return new Rows(text.toString(), true);
            text.append(line);
            bytes += n;
        }
        return new Rows(text.toString(), false);
    }

    private String resultLines(Plan plan, String pod) {
        try {
            String log = client.pods().inNamespace(plan.namespace()).withName(pod)
                    .inContainer(dev.parallel.operator.plan.WorkerJob.resultsContainer(plan)).getLog();
            if (log == null) return "";
            return log.lines().filter(l -> l.startsWith(PodContract.RESULT_LOG_PREFIX))
                    .map(l -> l.substring(PodContract.RESULT_LOG_PREFIX.length()))
                    .collect(Collectors.joining("\n"));
        } catch (KubernetesClientException e) {
            LOG.debugf("no log for pod %s: %s", pod, e.getMessage());
            return "";
        }
    }
}
