package dev.parallel.api.contract;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parallel.api.v1alpha1.ExecutorKind;
import dev.parallel.api.v1alpha1.GpuSpec;
import dev.parallel.api.v1alpha1.Kernel;
import dev.parallel.api.v1alpha1.TaskMatrix;
import dev.parallel.api.v1alpha1.TaskRange;

/**
 * Everything a pod needs to run its part, as {@link PodContract} carries it in environment variables.
 * Exactly one of {@code kernel}/{@code command}; exactly one of {@code tasksFile}/{@code range}/{@code matrix}.
 * {@code threads} 0 means "the CPUs this container may use". {@code gpuFallback} only with executor cuda.
 */
public record WorkerConfig(
        Kernel kernel,
        String command,
        ObjectNode params,
        String tasksFile,
        TaskRange range,
        TaskMatrix matrix,
        int parts,
        int partIndex,
        ExecutorKind executor,
        int threads,
        int retries,
        int taskTimeoutSeconds,
        Reduction reduce,
        String resultsFile,
        String summaryFile,
        GpuSpec.Fallback gpuFallback) {

    /** This part's tasks: its distribute_tasks block of the task file, range or matrix. */
    public java.util.List<dev.parallel.api.tasks.Task> partTasks() throws java.io.IOException {
        dev.parallel.api.tasks.TaskList list = taskList();
        return list.block(dev.parallel.api.tasks.Partition.block(list.size(), parts, partIndex));
    }

    /** The whole task list, addressable by index (a range or matrix decodes only what is asked for). */
    public dev.parallel.api.tasks.TaskList taskList() throws java.io.IOException {
        if (tasksFile != null) {
            return dev.parallel.api.tasks.TaskList.ofJsonLines(java.nio.file.Files.newBufferedReader(java.nio.file.Path.of(tasksFile)), params,
                    "task file " + tasksFile);
        }
        return matrix != null ? dev.parallel.api.tasks.TaskList.ofMatrix(matrix, params)
                : dev.parallel.api.tasks.TaskList.ofRange(range, params);
    }
}
