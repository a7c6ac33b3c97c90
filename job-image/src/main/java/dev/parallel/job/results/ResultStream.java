package dev.parallel.job.results;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import dev.parallel.api.contract.Json;
import dev.parallel.api.contract.ResultsContract;
import dev.parallel.api.contract.TaskResult;
import dev.parallel.api.tasks.Task;
import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.job.exec.TaskStarts;
import java.io.PrintStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A pod's finished tasks on their way to the API server (thread-safe): executor threads only append a record
 * line; a background thread writes a TaskResultBatch every flush interval, or as soon as the records reach
 * {@link ResultsContract#TARGET_BATCH_BYTES}. A batch also says which tasks run now (the oldest
 * {@link ResultsContract#MAX_RUNNING_REPORTED}) and how many; an interval with no new record and no newly started task
 * writes nothing. A batch that failed for a retryable reason is kept, under the same name, and written again first
 * (409 then means the first try had landed). {@link #finish} writes everything left, the last batch marked
 * {@code last}.
 */
public final class ResultStream implements TaskStarts, AutoCloseable {
    /** Longest record line; a larger one (a huge result or parameters) is recorded as a failure saying so. */
    public static final int MAX_RECORD_CHARS = ResultsContract.MAX_BATCH_BYTES / 2;

    /** Where batches go: {@link ApiWriter} in a pod. */
    public interface Sink {
        void create(String name, JsonNode batch, long deadlineNanos) throws ApiWriter.WriteFailed, InterruptedException;
    }

    private record Running(long index, String id, long startedAt) {}

    private record Unsent(String name, ObjectNode body, int count, boolean last) {}

    private final PodIdentity who;
    private final long flushMillis;
    private final Sink sink;
    private final PrintStream log;
    private final ConcurrentHashMap<Long, Running> running = new ConcurrentHashMap<>();
    private final Object lock = new Object();
    private List<String> pending = new ArrayList<>();
    private long pendingChars;
    private volatile boolean startedSinceLastBatch;
    private volatile boolean withholdFailures;
    private volatile boolean stopping;
    private volatile ApiWriter.WriteFailed refused;
    /** Written by the flusher until it stops, then by the thread that calls finish. */
    private Unsent unsent;
    private long seq;
    private boolean finished;
    private long recorded;
    private long batches;
    private final Thread flusher;

    public ResultStream(PodIdentity who, long flushMillis, Sink sink, PrintStream log) {
        this.who = who;
        this.flushMillis = flushMillis;
        this.sink = sink;
        this.log = log;
        this.flusher = new Thread(this::flushLoop, "pj-results-stream");
        flusher.setDaemon(true);
        flusher.start();
    }

    /** A stream to the API server as {@code c} describes it. */
    public static ResultStream open(StreamConfig c, PrintStream log) {
        ApiWriter w = new ApiWriter(c.apiServer(), c.tls(), c.tokenFile(), c.who().namespace(), c.retryBudget());
        return new ResultStream(c.who(), c.flushMillis(), w::create, log);
    }

    @Override
    public void started(Task task) {
        running.put(task.index(), new Running(task.index(), task.id(), System.currentTimeMillis()));
        startedSinceLastBatch = true;
    }

    /**
     * One finished task; {@code line} is {@code r} as JSON when the caller has it (null: written here). After
     * {@link #withholdFailures()} failed tasks are not recorded.
     */
    public void record(TaskResult r, String line) {
        running.remove(r.index());
        if (!r.ok() && withholdFailures) return;
        String l = line != null ? line : r.json();
        if (l.length() > MAX_RECORD_CHARS) {
            l = TaskResult.failure(r.index(), r.id(), "result too large to record: " + l.length()
                    + " characters as JSON, at most " + MAX_RECORD_CHARS, r.attempts(), r.millis()).json();
        }
        synchronized (lock) {
            pending.add(l);
            pendingChars += l.length() + 1;
            if (pendingChars >= ResultsContract.TARGET_BATCH_BYTES) lock.notifyAll();
        }
    }

    /**
     * The pod is being stopped (SIGTERM): tasks that fail from now on were interrupted, not failed on their own, so
     * they are left unrecorded and the part's next pod runs them.
     */
    public void withholdFailures() { withholdFailures = true; }

    /** Records handed to the API server so far. */
    public synchronized long recorded() { return recorded; }

    public synchronized long batches() { return batches; }

    /**
     * Stops the background writer and writes every record left, the final batch with {@code last: true} (written even
     * when empty: it tells the operator this pod has nothing more), giving up at {@code deadlineNanos}
     * ({@link System#nanoTime}).
     */
    public void finish(long deadlineNanos) throws ApiWriter.WriteFailed, InterruptedException {
        stop();
        if (refused != null) throw refused;
        synchronized (this) {
            if (finished) return; // a SIGTERM hook and the normal end may both get here
            writeAll(true, deadlineNanos);
            finished = true;
        }
    }

    /** Stops the background writer without writing more (an error path). */
    @Override
    public void close() {
        try {
            stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void stop() throws InterruptedException {
        stopping = true;
        // A write in progress (perhaps in its retry backoff) is cut short: its batch stays kept under its name and
        // the caller writes it again (409 if the cut request had landed), within the caller's own deadline.
        flusher.interrupt();
        flusher.join();
    }

    private void flushLoop() {
        long lastWrite = 0;
        while (!stopping) {
            try {
                synchronized (lock) {
                    long until = System.currentTimeMillis() + flushMillis;
                    long left;
                    // A full batch goes at once, but no sooner than minSpacing after the last write: a pod writes at
                    // most 4 times per interval (and per second), so a Job stays within 4x the rate its interval was sized for.
                    while (!stopping && (left = (pendingChars >= ResultsContract.TARGET_BATCH_BYTES
                            ? lastWrite + minSpacing() : until) - System.currentTimeMillis()) > 0) {
                        lock.wait(left);
                    }
                }
                if (stopping) return;
                synchronized (this) {
                    writeAll(false, Long.MAX_VALUE);
                }
                lastWrite = System.currentTimeMillis();
            } catch (InterruptedException e) {
                return;
            } catch (ApiWriter.WriteFailed e) {
                lastWrite = System.currentTimeMillis();
                if (!e.retryable) {
                    refused = e;
                    log.println("results stream: " + e.getMessage() + "; nothing more is recorded, the pod will exit 2");
                    log.flush();
                    return;
                }
                log.println("results stream: " + e.getMessage() + "; trying again at the next flush");
                log.flush();
            }
        }
    }

    private long minSpacing() { return Math.min(1000, flushMillis / 4); }

    /**
     * The kept batch, else the pending records up to the target size: one batch at an interval, every batch left at
     * the end (the last one marked). Holds this.
     */
    private void writeAll(boolean last, long deadlineNanos) throws ApiWriter.WriteFailed, InterruptedException {
        while (true) {
            if (unsent == null) {
                List<String> lines = take();
                if (lines.isEmpty() && !last && !startedSinceLastBatch) return;
                startedSinceLastBatch = false;
                unsent = batch(lines, last && pendingChars() == 0);
            }
            boolean wasLast = unsent.last;
            sink.create(unsent.name, unsent.body, deadlineNanos);
            recorded += unsent.count;
            batches++;
            unsent = null;
            if (!last || wasLast) return;
        }
    }

    private long pendingChars() {  // the records not yet in a batch
        synchronized (lock) {
            return pendingChars;
        }
    }

    /** Up to the target size of pending records, in the order they finished. */
    private List<String> take() {
        synchronized (lock) {
            if (pendingChars < ResultsContract.TARGET_BATCH_BYTES) {
                List<String> all = pending;
                pending = new ArrayList<>();
                pendingChars = 0;
                return all;
            }
            List<String> head = new ArrayList<>();
            long chars = 0;
            int i = 0;
            while (i < pending.size() && (head.isEmpty() || chars + pending.get(i).length() + 1 <= ResultsContract.TARGET_BATCH_BYTES)) {
                chars += pending.get(i).length() + 1;
                head.add(pending.get(i++));
            }
            pending = new ArrayList<>(pending.subList(i, pending.size()));
            pendingChars -= chars;
            return head;
        }
    }

    private Unsent batch(List<String> lines, boolean last) {
        long n = seq++;
        String name = ResultsContract.batchName(who.pod(), n);
        ObjectNode b = Json.object();
        b.put("apiVersion", ParallelJob.GROUP + "/" + ParallelJob.VERSION).put("kind", ResultsContract.BATCH_KIND);
        ObjectNode meta = b.putObject("metadata");
        meta.put("name", name).put("namespace", who.namespace());
        meta.putObject("labels").put(ResultsContract.LABEL_JOB, who.jobName())
                .put(ResultsContract.LABEL_PART, Integer.toString(who.part())).put(ResultsContract.LABEL_POD, who.pod())
                .put(ResultsContract.LABEL_POD_UID, who.podUid());
        // No controller/blockOwnerDeletion: setting those would need delete permission on the Job.
        meta.putArray("ownerReferences").addObject().put("apiVersion", "batch/v1").put("kind", "Job")
                .put("name", who.jobName()).put("uid", who.jobUid());
        ObjectNode spec = b.putObject("spec");
        spec.put("part", who.part()).put("seq", n).put("count", lines.size());
        if (!lines.isEmpty()) spec.putRawValue("records", new RawValue(quoted(lines)));
        List<Running> now = new ArrayList<>(running.values());
        now.sort(Comparator.comparingLong(Running::startedAt).thenComparingLong(Running::index));
        ArrayNode r = spec.putArray("running");
        for (Running t : now.subList(0, Math.min(now.size(), ResultsContract.MAX_RUNNING_REPORTED))) {
            r.addObject().put("index", t.index()).put("id", TaskResult.truncate(t.id(), 256))
                    .put("startedAt", Instant.ofEpochMilli(t.startedAt()).toString());
        }
        spec.put("inFlight", Math.min(now.size(), 100_000)).put("last", last);
        return new Unsent(name, b, lines.size(), last);
    }

    /**
     * The lines, each ended by a newline, as one JSON string literal. By hand: Jackson's escaping of a 256 KiB string
     * full of quotes was most of what streaming cost a pod of no-op tasks (profiled). The lines are JSON already, so
     * they hold no raw control characters but the escape is complete anyway.
     */
    static String quoted(List<String> lines) {
        int n = 2;
        for (String l : lines) n += 2 * l.length() + 2; // at most every character escaped (control characters aside)
        StringBuilder sb = new StringBuilder(n).append('"');
        for (String l : lines) {
            for (int i = 0, len = l.length(); i < len; i++) {
                char c = l.charAt(i);
                if (c == '"' || c == '\\') sb.append('\\').append(c);
                else if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                else sb.append(c);
            }
            sb.append("\\n");
        }
        return sb.append('"').toString();
    }

}
