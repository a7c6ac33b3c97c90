package dev.parallel.job.exec;

import dev.parallel.api.tasks.Task;

/**
 * Told when an attempt of a task starts (from the thread that runs it), so a streamed batch can say what a pod is
 * running now. Must return at once: it runs on the executor's threads.
 */
@FunctionalInterface
public interface TaskStarts {
    TaskStarts NONE = t -> { };

    void started(Task task);
}
