package dev.parallel.job.kernels;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parallel.api.tasks.Task;

/**
 * What a task runs: a pure function of the task (a kernel) or a command. Implementations check
 * {@link Thread#interrupted()} in long loops so timeouts and SIGTERM can stop them.
 */
@FunctionalInterface
public interface TaskFunction {
    JsonNode apply(Task task) throws Exception;
}
