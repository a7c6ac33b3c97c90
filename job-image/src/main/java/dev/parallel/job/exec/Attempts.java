package dev.parallel.job.exec;

import dev.parallel.api.contract.TaskResult;
import dev.parallel.api.tasks.Task;
import dev.parallel.job.kernels.TaskFailure;
import dev.parallel.job.kernels.TaskFunction;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/** Runs one task in the calling thread with retries and an optional per-attempt timeout. */
final class Attempts {
    private final TaskFunction fn;
    private final ExecOptions options;
    private final BooleanSupplier cancelled;
    private final TaskStarts starts;
    /** Only used with a timeout: the attempt runs there so this thread can stop waiting. */
    private final ExecutorService timed;

    Attempts(TaskFunction fn, ExecOptions options, BooleanSupplier cancelled, TaskStarts starts) {
        this.fn = fn;
        this.options = options;
        this.cancelled = cancelled;
        this.starts = starts;
        this.timed = options.timeoutSeconds() > 0 ? Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "pj-attempt");
            t.setDaemon(true);
            return t;
        }) : null;
    }

    TaskResult run(Task task) {
        long t0 = System.nanoTime();
        String error = null;
        int attempt = 0;
        while (attempt <= options.retries()) {
            attempt++;
            if (cancelled.getAsBoolean()) {
                error = "cancelled: the pod is terminating";
                break;
            }
            starts.started(task);
            try {
                var value = timed == null ? fn.apply(task) : withTimeout(task);
                if (task.index() < 2) StartupTrace.mark("task " + task.index() + " done");
                return TaskResult.success(task.index(), task.id(), value, attempt, millisSince(t0));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                error = "cancelled: the pod is terminating";
                break;
            } catch (TaskFailure e) {
                error = e.getMessage();
            } catch (TimeoutException e) {
                error = "timed out after " + options.timeoutSeconds() + " s";
            } catch (Exception | OutOfMemoryError | StackOverflowError e) {
                error = describe(e);
            }
        }
        return TaskResult.failure(task.index(), task.id(), error, attempt, millisSince(t0));
    }

    private com.fasterxml.jackson.databind.JsonNode withTimeout(Task task) throws Exception {
        Future<com.fasterxml.jackson.databind.JsonNode> f = timed.submit(() -> fn.apply(task));
        try {
            return f.get(options.timeoutSeconds(), TimeUnit.SECONDS);
        } catch (TimeoutException | InterruptedException e) {
            f.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception ex) throw ex;
            throw new RuntimeException(e.getCause());
        }
    }

    void close() {
        if (timed != null) timed.shutdownNow();
    }

    static String describe(Throwable e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }

    static long millisSince(long t0) { return (System.nanoTime() - t0) / 1_000_000; }
}
