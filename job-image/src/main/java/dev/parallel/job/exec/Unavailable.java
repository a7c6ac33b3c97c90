package dev.parallel.job.exec;

import dev.parallel.api.contract.TaskResult;
import dev.parallel.api.tasks.Task;
import java.util.List;
import java.util.function.Consumer;

/** Runs nothing: every task fails with the reason the part cannot run (e.g. no GPU with gpu.fallback: fail). */
public final class Unavailable implements TaskExecutor {
    private final String reason;

    public Unavailable(String reason) { this.reason = reason; }

    @Override
    public void run(List<Task> tasks, Consumer<TaskResult> sink, TaskStarts starts) {
        for (Task t : tasks) sink.accept(TaskResult.failure(t.index(), t.id(), reason, 0, 0));
    }

    @Override
    public void cancel() { }

    @Override
    public String name() { return "none"; }
}
