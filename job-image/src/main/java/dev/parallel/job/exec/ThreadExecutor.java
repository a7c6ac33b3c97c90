package dev.parallel.job.exec;

import dev.parallel.api.contract.TaskResult;
import dev.parallel.api.tasks.Task;
import dev.parallel.job.kernels.TaskFunction;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A pool of worker threads that pull the next task from a shared counter (dynamic scheduling: uneven
 * tasks balance themselves, and dispatch costs one atomic increment).
 */
public final class ThreadExecutor implements TaskExecutor {
    private final TaskFunction fn;
    private final ExecOptions options;
    private volatile boolean cancelled;
    private final List<Thread> workers = new ArrayList<>();

    public ThreadExecutor(TaskFunction fn, ExecOptions options) {
        this.fn = fn;
        this.options = options;
    }

    @Override
    public void run(List<Task> tasks, Consumer<TaskResult> sink, TaskStarts starts) throws InterruptedException {
        AtomicInteger next = new AtomicInteger();
        Attempts attempts = new Attempts(fn, options, () -> cancelled, starts);
        int n = Math.min(options.workers(), Math.max(1, tasks.size()));
        List<Thread> mine = new ArrayList<>();
        synchronized (workers) {
            for (int w = 0; w < n; w++) {
                Thread t = new Thread(() -> {
                    int i;
                    while ((i = next.getAndIncrement()) < tasks.size()) sink.accept(attempts.run(tasks.get(i)));
                }, "pj-worker-" + w);
                t.setDaemon(true);
                mine.add(t);
            }
            workers.addAll(mine);
            mine.forEach(Thread::start);
        }
        try {
            for (Thread t : mine) t.join();
        } finally {
            attempts.close();
            synchronized (workers) {
                workers.removeAll(mine); // the executor runs again (MPI dynamic mode hands out chunks)
            }
        }
    }

    @Override
    public void cancel() {
        cancelled = true;
        synchronized (workers) {
            workers.forEach(Thread::interrupt);
        }
    }

    @Override
    public String name() { return "threads"; }
}
