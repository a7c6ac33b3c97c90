package dev.parallel.job;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parallel.api.contract.PartSummary;
import dev.parallel.api.contract.PodContract;
import dev.parallel.api.contract.Reducer;
import dev.parallel.api.contract.Reduction;
import dev.parallel.api.contract.TaskResult;
import dev.parallel.api.tasks.Task;
import dev.parallel.api.v1alpha1.ReduceOp;
import java.io.PrintStream;
import java.io.Writer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongFunction;

/**
 * Receives every task's final result (thread-safe): writes it as a JSON line, folds it into the
 * reduction and the counts, and keeps a bounded list of failures for the summary.
 */
public final class ResultCollector implements Consumer<TaskResult> {
    /** Failures kept for the summary; the count is always exact. */
    static final int MAX_FAILED_KEPT = 200;

    private final Reducer reducer;
    private final LongFunction<Task> taskOf;
    private final Writer resultsFile;
    private final PrintStream logLines;
    private JsonNode partial;
    private long ok;
    private long failed;
    private long retries;
    private String reduceError;
    private final List<PartSummary.FailedTask> failures = new ArrayList<>();
    private dev.parallel.job.results.ResultStream stream;

    /** @param resultsFile where result lines go (may be null); @param logLines stdout for the operator (may be null) */
    public ResultCollector(ReduceOp reduce, Writer resultsFile, PrintStream logLines) {
        this(Reduction.of(reduce), (LongFunction<Task>) null, resultsFile, logLines);
    }

    /** @param tasks the tasks whose results arrive, contiguous by index: argmin and groupBy read their parameters */
    public ResultCollector(Reduction reduce, List<Task> tasks, Writer resultsFile, PrintStream logLines) {
        this(reduce, byIndex(tasks), resultsFile, logLines);
    }

    private ResultCollector(Reduction reduce, LongFunction<Task> taskOf, Writer resultsFile, PrintStream logLines) {
        this.reducer = new Reducer(reduce);
        this.taskOf = taskOf;
        this.resultsFile = resultsFile;
        this.logLines = logLines;
    }

    /**
     * Also streams every result to {@code s} (its record carries the task's parameters when the reduction needs them,
     * so the operator can reduce records without the task list). Returns this.
     */
    public synchronized ResultCollector streamingTo(dev.parallel.job.results.ResultStream s) {
        this.stream = s;
        return this;
    }

    /** A block's task by its index (blocks and sub-lists are contiguous runs of indices). */
    static LongFunction<Task> byIndex(List<Task> tasks) {
        if (tasks == null || tasks.isEmpty()) return i -> null;
        long first = tasks.get(0).index();
        return i -> i >= first && i - first < tasks.size() ? tasks.get((int) (i - first)) : null;
    }

    @Override
    public synchronized void accept(TaskResult r) {
        String line = r.json();
        try {
            if (resultsFile != null) {
                resultsFile.write(line + "\n");
                resultsFile.flush(); // a pod killed mid-part keeps what it finished
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot write results file", e);
        }
        if (logLines != null) logLines.println(PodContract.RESULT_LOG_PREFIX + line);
        if (stream != null) {
            Task t = reducer.reduction().needsParams() && taskOf != null ? taskOf.apply(r.index()) : null;
            if (t != null) stream.record(r.withParams(t.params()), null);
            else stream.record(r, line);
        }
        if (ok + failed == 0) dev.parallel.job.exec.StartupTrace.mark("first result recorded");
        retries += Math.max(0, r.attempts() - 1);
        if (r.ok()) {
            ok++;
            try {
                Task t = reducer.reduction().needsParams() && taskOf != null ? taskOf.apply(r.index()) : null;
                partial = reducer.add(partial, r, t == null ? null : t.params());
            } catch (IllegalArgumentException e) {
                if (reduceError == null) reduceError = e.getMessage();
            }
        } else {
            failed++;
            if (failures.size() < MAX_FAILED_KEPT) failures.add(new PartSummary.FailedTask(r.id(), r.error()));
        }
    }

    public synchronized long done() { return ok + failed; }

    public synchronized long ok() { return ok; }

    public synchronized long failed() { return failed; }

    public synchronized long retries() { return retries; }

    /** Flushes and closes the results file (when there is one). */
    public synchronized void close() throws java.io.IOException {
        if (resultsFile != null) resultsFile.close();
        if (logLines != null) logLines.flush();
    }

    public synchronized JsonNode partial() { return partial; }

    /** The first task result that did not reduce, and why (null: all did). */
    public synchronized String reduceError() { return reduceError; }

    public PartSummary summary(int part, long tasks, long millis, String executor, String note) {
        return summary(part, tasks, millis, executor, note, null);
    }

    public PartSummary summary(int part, long tasks, long millis, String executor, String note,
                               String gpuUnavailable) {
        return summary(part, tasks, millis, executor, note, gpuUnavailable, 0);
    }

    /** @param skipped tasks of the block not run here because they were already recorded (streamed results) */
    public synchronized PartSummary summary(int part, long tasks, long millis, String executor, String note,
                                            String gpuUnavailable, long skipped) {
        String n = reduceError == null ? note : (note == null ? "" : note + "; ") + PartSummary.REDUCE_FAILED + reduceError;
        return new PartSummary(part, tasks, ok, failed, retries, partial, false, List.copyOf(failures),
                failed > failures.size(), millis, executor, n, gpuUnavailable, skipped);
    }
}
