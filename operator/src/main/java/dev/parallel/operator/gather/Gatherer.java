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
import dev.parallel.api.contract.ResultsContract;
import dev.parallel.api.v1alpha1.ParallelJobStatus;
import dev.parallel.api.v1alpha1.TaskResultBatch;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Set;
import java.util.TreeSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * Records each newly finished part in the results ConfigMap (its summary, and its per-task results
 * read from the pod's log while they fit under the size limit), then reports every finished part. With streaming
 * (spec.results.stream, default), it first folds the pods' TaskResultBatches (see {@link #fold}); a part is then final
 * from its fold ({@link FinalParts}).
 */
public final class Gatherer {
    private static final Logger LOG = Logger.getLogger(Gatherer.class);

    private final KubernetesClient client;
    private final int maxResultsBytes;
    private final ExternalStore s3;
    private final FoldListener listener;
    private final java.util.function.Predicate<Plan> streams;
    private final LiveTracker live = new LiveTracker();

    /** Most bytes of records one pass reads (the rest waits for the next pass, seconds later). */
    static final long MAX_PASS_BYTES = 32L * 1024 * 1024;
    /** Batches per list page. */
    static final long PAGE = 100;
    /** Room kept free in the results ConfigMap for the folds' growth when records fill it. */
    static final int RESERVE_BYTES = 32 * 1024;

    /** What a fold pass did, for the metrics (called only after the ConfigMap update succeeded). */
    public interface FoldListener {
        FoldListener NONE = new FoldListener() { };

        default void folded(long ok, long failed, List<Long> millis) { }

        default void batches(long folded, long duplicate, long foreign) { }

        default void running(String pjUid, long tasks) { }
    }

    public Gatherer(KubernetesClient client, int maxResultsBytes) {
        this(client, maxResultsBytes, null, FoldListener.NONE, Gatherer::streaming);
    }

    /**
     * @param s3 the S3 store (null: this build has none, and store: s3 fails the pass with a message)
     * @param streams whether a ParallelJob's pods stream (the same decision as their pods' environment)
     */
    public Gatherer(KubernetesClient client, int maxResultsBytes, ExternalStore s3, FoldListener listener,
                    java.util.function.Predicate<Plan> streams) {
        this.client = client;
        this.maxResultsBytes = maxResultsBytes;
        this.s3 = s3;
        this.listener = listener;
        this.streams = streams;
    }

    /** Whether the pods stream their records by the spec alone (spec.results.stream, default true). */
    public static boolean streaming(Plan plan) {
        return plan.spec().results == null || plan.spec().results.streamOrDefault();
    }

    /** Whether the records go to S3: spec.results.store, else the chart's results.store (the store decides). */
    private boolean s3Store(Plan plan) {
        if (s3 != null) return s3.handles(plan);
        return plan.spec().results != null && plan.spec().results.store == dev.parallel.api.v1alpha1.ResultsSpec.Store.s3;
    }

    public Gathered gather(Plan plan, Job job, List<Pod> pods, ConfigMap results) {
        return gather(plan, job, pods, results, new dev.parallel.operator.events.PendingEvents(), Instant.now());
    }

    public Gathered gather(Plan plan, Job job, List<Pod> pods, ConfigMap results, dev.parallel.operator.events.PendingEvents events,
                           Instant now) {
        if (streams.test(plan) && job != null) return fold(plan, job, pods, results, events, now);
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
            Map<Integer, PartSummary> all = new TreeMap<>(finals);
            fresh.forEach((i, f) -> all.put(i, f.summary()));
            Rows rows = rows(plan, all, results, add, size);
            if (rows != null) {
                size += rows.text().getBytes(StandardCharsets.UTF_8).length;
                rowsTruncated = rows.truncated();
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

    /** A grouped reduction's rows, rewritten into {@code add} from every final part (null: not grouped). */
    private Rows rows(Plan plan, Map<Integer, PartSummary> all, ConfigMap results, Map<String, String> add, int size) {
        Reduction reduction = Reduction.of(plan.spec());
        if (!reduction.grouped()) return null; // the rows before per-task lines: they are the answer, the lines detail
        String old = results == null || results.getData() == null ? null : results.getData().get(ResultsStore.ROWS_KEY);
        size -= old == null ? 0 : old.getBytes(StandardCharsets.UTF_8).length;
        Rows rows = rows(reduction, all.values(), maxResultsBytes - size);
        add.put(ResultsStore.ROWS_KEY, rows.text());
        add.put(ResultsStore.ROWS_TRUNCATED_KEY, Boolean.toString(rows.truncated()));
        return rows;
    }

    /** The batches of this run's Job, paged, up to {@link #MAX_PASS_BYTES} of records; {@code all}: none left unread. */
    record Listing(List<TaskResultBatch> batches, boolean all) {}

    Listing list(Plan plan) {
        List<TaskResultBatch> out = new ArrayList<>();
        long bytes = 0;
        String cont = null;
        do {
            io.fabric8.kubernetes.api.model.KubernetesResourceList<TaskResultBatch> page;
            try {
                page = client.resources(TaskResultBatch.class).inNamespace(plan.namespace())
                        .withLabel(ResultsContract.LABEL_JOB, plan.jobName())
                        .list(new ListOptionsBuilder().withLimit(PAGE).withContinue(cont).build());
            } catch (KubernetesClientException e) {
                if (e.getCode() != 404) throw e;
                throw new IllegalStateException("the TaskResultBatch CRD is not installed (crds/taskresultbatches.parallel.dev-v1.yml; "
                        + "the chart's crds/ hold it): apply it, or set spec.results.stream: false", e);
            }
            for (TaskResultBatch b : page.getItems()) {
                out.add(b);
                bytes += BatchRecords.bytes(b);
            }
            cont = page.getMetadata() == null ? null : page.getMetadata().getContinue();
            if (cont != null && cont.isEmpty()) cont = null;
        } while (cont != null && bytes < MAX_PASS_BYTES);
        return new Listing(out, cont == null);
    }

    /**
     * The streamed path, in an order that survives a crash anywhere: read the state (the results ConfigMap) and the
     * batches; fold; write the records to S3 (store s3: keyed by batch, a repeat overwrites); ONE ConfigMap update
     * with the new state, records (store cluster) and final parts, on its resourceVersion; then delete the folded
     * batches. A crash before the update leaves state and batches as they were; after it, the batches fold again as
     * duplicates (their tasks are in the done sets) and are deleted.
     */
    private Gathered fold(Plan plan, Job job, List<Pod> pods, ConfigMap results, dev.parallel.operator.events.PendingEvents events,
                          Instant now) {
        Map<Integer, PartSummary> finals = new TreeMap<>(ResultsStore.summaries(results));
        Pass pass = observe(plan, job, pods, results, now);
        BatchFolder.Result r = BatchFolder.fold(plan, pass.before(), pass.sorted().trusted(), finals.keySet(),
                Math.max(PartSummary.MAX_BYTES, maxResultsBytes / 4 / Math.max(1, plan.parts())));
        FoldState state = r.state();
        Ending ending = ending(plan, job, pass, state, finals.keySet());

        Map<String, String> add = new HashMap<>();
        ending.summaries().forEach((p, s) -> add.put(ResultsStore.summaryKey(p), s.encode()));
        Set<Integer> changedParts = new TreeSet<>();
        r.batches().forEach(b -> { if (b.fresh() > 0) changedParts.add(b.part()); });
        add.putAll(state.entries(changedParts));
        ending.summaries().keySet().forEach(p -> add.remove(FoldState.foldKey(p))); // the summary replaces the fold
        Set<String> writers = new TreeSet<>();
        pass.sorted().trusted().forEach(b -> writers.add(BatchTrust.label(b, ResultsContract.LABEL_POD_UID)));
        boolean changed = r.fresh() > 0 || !ending.summaries().isEmpty() || !pass.before().pods().containsAll(writers);

        boolean s3Store = s3Store(plan);
        Set<String> recordedBefore = recordedBefore(pass);
        if (s3Store) putRecords(plan, r, recordedBefore);
        FoldStats stats = state.stats();
        boolean truncated = ResultsStore.truncated(results);
        if (changed) {
            Instant start = PartObserver.firstStart(pods);
            if (stats.samples().isEmpty() && start != null) stats = stats.withSample(start.toEpochMilli(), pass.before().recorded());
            stats = stats.withSample(now.toEpochMilli(), state.recorded());
            if (s3Store) stats = stats.withRecords(r.fresh(), 0, r.batches().stream().mapToLong(b -> b.lines().length()).sum());
            Map<String, String> data = new TreeMap<>(results.getData() == null ? Map.of() : results.getData());
            data.putAll(add);
            ending.summaries().keySet().forEach(p -> data.remove(FoldState.foldKey(p)));
            data.put(FoldState.PODS_KEY, FoldState.json(remember(pass, writers)));
            Set<String> folded = new TreeSet<>(recordedBefore);
            r.batches().forEach(b -> folded.add(b.name()));
            data.put(FoldState.FOLDED_KEY, FoldState.json(folded));
            data.put(FoldState.STATS_KEY, FoldState.json(stats)); // counted in the sizes below; rewritten with the records'
            if (!ending.summaries().isEmpty()) {
                Map<Integer, PartSummary> allFinals = new TreeMap<>(finals);
                allFinals.putAll(ending.summaries());
                Rows rows = rows(plan, allFinals, results, add, size(data));
                if (rows != null) data.putAll(Map.of(ResultsStore.ROWS_KEY, add.get(ResultsStore.ROWS_KEY),
                        ResultsStore.ROWS_TRUNCATED_KEY, add.get(ResultsStore.ROWS_TRUNCATED_KEY)));
            }
            if (!s3Store) {
                Kept kept = keepRecords(plan, data, ending.fromPodLogs(), r, truncated);
                truncated = kept.truncated();
                stats = stats.withRecords(kept.kept(), kept.dropped(), kept.bytes());
            }
            data.put(FoldState.STATS_KEY, FoldState.json(stats));
            ConfigMap updated = new io.fabric8.kubernetes.api.model.ConfigMapBuilder(results).withData(data).build();
            // Optimistic locking on the resourceVersion: a restarted operator racing its old self cannot fold twice.
            client.configMaps().inNamespace(plan.namespace()).resource(updated).update();
            finals.putAll(ending.summaries());
            listener.folded(r.ok(), r.failed(), r.millis());
        }
        deleteFolded(plan, r, pass.sorted(), events); // the update stands (or nothing changed): they are done with
        return gathered(plan, pods, results, pass, state, stats, finals, truncated, add, now);
    }

    /** What a pass reads: the state so far, this run's Job's pods, and the listed batches sorted by trust. */
    private record Pass(FoldState before, List<Pod> own, Listing listing, BatchTrust.Sorted sorted) {}

    private Pass observe(Plan plan, Job job, List<Pod> pods, ConfigMap results, Instant now) {
        String jobUid = job.getMetadata().getUid();
        FoldState before = FoldState.of(results);
        List<Pod> own = pods.stream().filter(p -> p.getMetadata().getOwnerReferences() != null && p.getMetadata()
                .getOwnerReferences().stream().anyMatch(o -> jobUid.equals(o.getUid()))).toList();
        Set<String> seenUids = new TreeSet<>(before.pods());
        own.forEach(p -> seenUids.add(p.getMetadata().getUid()));
        Listing listing = list(plan);
        BatchTrust.Sorted sorted = BatchTrust.sort(listing.batches(), jobUid, seenUids, plan.parts(), now);
        live.saw(plan.pj().getMetadata().getUid(), sorted.trusted());
        return new Pass(before, own, listing, sorted);
    }

    /** The parts this pass makes final (from their folds), and those whose records come from their pod's log. */
    private record Ending(Map<Integer, PartSummary> summaries, Map<Integer, String> fromPodLogs) {}

    private static Ending ending(Plan plan, Job job, Pass pass, FoldState state, Set<Integer> finalsBefore) {
        Map<Integer, PartSummary> summaries = new TreeMap<>();
        Map<Integer, String> fromPodLogs = new TreeMap<>();
        for (var f : PartObserver.newlyFinished(plan, job, pass.own(), finalsBefore).values()) {
            boolean succeeded = pass.own().stream().anyMatch(p -> p.getMetadata().getName().equals(f.podName())
                    && p.getStatus() != null && "Succeeded".equals(p.getStatus().getPhase()));
            var fin = FinalParts.decide(plan, f.part(), f.summary(), succeeded, state.folds().get(f.part()),
                    state.doneOf(plan, f.part()), pass.listing().all() && !pass.sorted().waitingParts().contains(f.part()));
            if (fin == null) continue;
            summaries.put(f.part(), fin.summary());
            if (fin.fromPod()) fromPodLogs.put(f.part(), f.podName());
        }
        return new Ending(summaries, fromPodLogs);
    }

    /**
     * The pod UIDs to remember: those that may still write (not finished) and those whose batches are still there. A
     * finished pod's batches are all listed by then; a deleted pod's last batch counts because it was remembered while
     * the pod ran. Bounded by the running pods, not by every pod the Job ever had.
     */
    private static Set<String> remember(Pass pass, Set<String> writers) {
        Set<String> remember = new TreeSet<>(writers);
        pass.own().stream().filter(p -> p.getStatus() == null || !Set.of("Succeeded", "Failed").contains(p.getStatus().getPhase()))
                .forEach(p -> remember.add(p.getMetadata().getUid()));
        if (!pass.listing().all()) remember.addAll(pass.before().pods());
        return remember;
    }

    /**
     * Batches an earlier update recorded (a crash came before their deletes): their records are in the store under
     * their own keys, and stay there. Carried until their deletion is seen (all listed, and gone).
     */
    private static Set<String> recordedBefore(Pass pass) {
        Set<String> recorded = new TreeSet<>(pass.before().folded());
        if (pass.listing().all()) {
            Set<String> listed = new TreeSet<>();
            pass.listing().batches().forEach(b -> listed.add(b.getMetadata().getName()));
            recorded.retainAll(listed);
        }
        return recorded;
    }

    /**
     * Store s3, before the update: every listed batch not recorded before, a duplicate one too: a pass that crashed
     * before its update may have put records under its key that another batch holds now; an empty put removes them.
     */
    private void putRecords(Plan plan, BatchFolder.Result r, Set<String> recordedBefore) {
        if (s3 == null) throw new IllegalStateException("spec.results.store: s3, but this operator has no S3 store");
        for (var b : r.batches()) if (!recordedBefore.contains(b.name())) s3.put(plan, b.part(), b.name(), b.lines());
    }

    /** What the cluster store kept of this pass's records. */
    private record Kept(long kept, long dropped, long bytes, boolean truncated) {}

    /**
     * Store cluster: the records of the parts that did not stream (their pods' logs), then every folded record, appended
     * into {@code data} while the ConfigMap stays under its bound; after that, counted as dropped (the counts and the
     * reduction stay exact). The first record that does not fit ends the keeping: the store holds the first R recorded.
     */
    private Kept keepRecords(Plan plan, Map<String, String> data, Map<Integer, String> fromPodLogs, BatchFolder.Result r,
                             boolean truncated) {
        long kept = 0, dropped = 0, bytes = 0;
        int size = size(data);
        Map<Integer, StringBuilder> lines = new TreeMap<>();
        fromPodLogs.forEach((p, pod) -> {
            String l = resultLines(plan, pod);
            if (!l.isEmpty()) lines.computeIfAbsent(p, k -> new StringBuilder()).append(l).append('\n');
        });
        r.batches().forEach(b -> { if (!b.lines().isEmpty()) lines.computeIfAbsent(b.part(), k -> new StringBuilder()).append(b.lines()); });
        for (var e : lines.entrySet()) {
            String key = ResultsStore.resultsKey(e.getKey());
            StringBuilder keep = new StringBuilder(data.getOrDefault(key, ""));
            if (keep.isEmpty()) size += key.length();
            for (String line : e.getValue().toString().split("\n")) {
                if (line.isEmpty()) continue;
                int len = jsonBytes(line) + 2; // and its "\n"
                if (!truncated && size + len + RESERVE_BYTES <= maxResultsBytes) {
                    keep.append(line).append('\n');
                    size += len;
                    kept++;
                    bytes += len;
                } else {
                    truncated = true;
                    dropped++;
                }
            }
            if (!keep.isEmpty()) data.put(key, keep.toString());
        }
        if (truncated) data.put(ResultsStore.TRUNCATED_KEY, "true");
        return new Kept(kept, dropped, bytes, truncated);
    }

    /** Deletes the folded batches and the foreign ones (with one ForeignResults event), and counts them. */
    private void deleteFolded(Plan plan, BatchFolder.Result r, BatchTrust.Sorted sorted, dev.parallel.operator.events.PendingEvents events) {
        long dup = r.batches().stream().filter(BatchFolder.Folded::duplicate).count();
        for (var b : r.batches()) delete(plan, b.name());
        for (var f : sorted.foreign()) delete(plan, f.name());
        if (!sorted.foreign().isEmpty()) {
            var first = sorted.foreign().get(0);
            events.once("foreign/" + first.name(), dev.parallel.operator.events.EventReason.ForeignResults, sorted.foreign().size()
                    + " result batch(es) not from this run's pods were deleted, e.g. " + first.name() + ": " + first.why());
        }
        listener.batches(r.batches().size() - dup, dup, sorted.foreign().size());
    }

    /** What the status shows after the pass: final parts, the folds of the others, live figures, where the records are. */
    private Gathered gathered(Plan plan, List<Pod> pods, ConfigMap results, Pass pass, FoldState state, FoldStats stats,
                              Map<Integer, PartSummary> finals, boolean truncated, Map<String, String> add, Instant now) {
        String pjUid = plan.pj().getMetadata().getUid();
        Set<String> runningPods = new TreeSet<>();
        pass.own().stream().filter(p -> p.getStatus() != null && "Running".equals(p.getStatus().getPhase()))
                .forEach(p -> runningPods.add(p.getMetadata().getName()));
        LiveTracker.View view = live.view(pjUid, runningPods, now);
        listener.running(pjUid, view.runningTasks());
        boolean s3Store = s3Store(plan);
        ParallelJobStatus.ResultsLocation location = s3Store && s3 != null ? s3.location(plan) : new ParallelJobStatus.ResultsLocation();
        if (!s3Store) {
            location.store = "cluster";
            location.configMap = results.getMetadata().getName();
        }
        location.records = stats.records();
        location.recordsDropped = s3Store ? null : stats.recordsDropped();
        Map<Integer, PartSummary> folds = new TreeMap<>(state.folds());
        finals.keySet().forEach(folds::remove);
        Map<Integer, Long> running = new TreeMap<>(PartObserver.running(plan, pass.own(), finals.keySet()));
        running.replaceAll((p, n) -> Math.max(0, n - state.doneOf(plan, p).count()));
        Streamed streamed = new Streamed(folds, stats, view.runningTasks(), view.slowest(), location, Streamed.truncatedMessage(stats));
        return new Gathered(finals, running, truncated, PartObserver.firstStart(pods), PartObserver.unschedulable(pods),
                add.containsKey(ResultsStore.ROWS_TRUNCATED_KEY) ? "true".equals(add.get(ResultsStore.ROWS_TRUNCATED_KEY))
                        : ResultsStore.rowsTruncated(results), streamed);
    }

    private void delete(Plan plan, String name) {
        try {
            client.resources(TaskResultBatch.class).inNamespace(plan.namespace()).withName(name).delete();
        } catch (KubernetesClientException e) { // the next pass deletes it (it folds again as a duplicate)
            LOG.debugf("batch %s not deleted: %s", name, e.getMessage());
        }
    }

    /** The run ended: every batch left of its Job goes at once (a server-side delete by label). */
    public void cleanup(Plan plan) {
        live.forget(plan.pj().getMetadata().getUid());
        listener.running(plan.pj().getMetadata().getUid(), 0);
        if (!streams.test(plan)) return;
        try {
            client.resources(TaskResultBatch.class).inNamespace(plan.namespace())
                    .withLabel(ResultsContract.LABEL_JOB, plan.jobName()).delete();
        } catch (KubernetesClientException e) { // the Job owns them: they go with it at the latest
            LOG.debugf("batches of %s not deleted: %s", plan.jobName(), e.getMessage());
        }
    }

    /** The data's size as the API serves it: JSON strings, so a record's quotes count twice. */
    static int size(Map<String, String> data) {
        int n = 0;
        for (var e : data.entrySet()) n += e.getKey().length() + jsonBytes(e.getValue());
        return n;
    }

    /** Bytes of {@code s} inside a JSON string: UTF-8, with quotes, backslashes and control characters escaped. */
    static int jsonBytes(String s) {
        int n = s.getBytes(StandardCharsets.UTF_8).length;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\' || c == '\n' || c == '\t' || c == '\r') n++;
            else if (c < 0x20) n += 5;
        }
        return n;
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
