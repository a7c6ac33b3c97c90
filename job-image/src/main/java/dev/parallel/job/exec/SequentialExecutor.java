package dev.parallel.job.exec;

import dev.parallel.api.contract.TaskResult;
import dev.parallel.api.tasks.Task;
import dev.parallel.job.kernels.TaskFunction;
import java.util.List;
import java.util.function.Consumer;

/** One task after another in the calling thread: the baseline. */
public final class SequentialExecutor implements TaskExecutor {
    private final TaskFunction fn;
    private final ExecOptions options;
    private volatile boolean cancelled;
    private volatile Thread runner;

    public SequentialExecutor(TaskFunction fn, ExecOptions options) {
        this.fn = fn;
        this.options = options;
    }

    @Override
    public void run(List<Task> tasks, Consumer<TaskResult> sink, TaskStarts starts) {
        runner = Thread.currentThread();
        Attempts attempts = new Attempts(fn, options, () -> cancelled, starts);
        try {
            for (Task t : tasks) sink.accept(attempts.run(t));
        } finally {
            attempts.close();
            runner = null;
        }
    }

    @Override
    public void cancel() {
        cancelled = true;
        Thread t = runner;
        if (t != null) t.interrupt();
    }

    @Override
    public String name() { return "sequential"; }
}
