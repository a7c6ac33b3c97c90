package dev.parallel.job.exec;

import dev.parallel.api.contract.TaskResult;
import dev.parallel.api.tasks.Task;
import java.util.List;
import java.util.function.Consumer;

/**
 * Runs a part's tasks. Callers see only this interface, so MPI ranks or CUDA devices plug in as more
 * implementations. {@code sink} is called exactly once per task with its final outcome (after
 * retries), from any thread.
 */
public interface TaskExecutor extends AutoCloseable {
    default void run(List<Task> tasks, Consumer<TaskResult> sink) throws InterruptedException {
        run(tasks, sink, TaskStarts.NONE);
    }

    /** As above, telling {@code starts} when each attempt of a task begins (streamed results report what runs). */
    void run(List<Task> tasks, Consumer<TaskResult> sink, TaskStarts starts) throws InterruptedException;

    /** Stops early (SIGTERM): no new tasks start, running ones are interrupted and reported failed. */
    void cancel();

    String name();

    /** Releases what the executor keeps between runs (a process pool's idle workers), like a pool's shutdown. */
    @Override
    default void close() {}
}
