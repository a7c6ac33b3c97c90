package dev.parallel.job.exec;

/** How an executor runs a part: workers (threads or processes), retries per task, timeout per attempt. */
public record ExecOptions(int workers, int retries, int timeoutSeconds) {
    public ExecOptions {
        if (workers < 1) throw new IllegalArgumentException("workers must be >= 1, got " + workers);
        if (retries < 0) throw new IllegalArgumentException("retries must be >= 0, got " + retries);
    }
}
