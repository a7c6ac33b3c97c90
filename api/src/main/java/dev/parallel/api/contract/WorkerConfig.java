package dev.parallel.api.contract;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parallel.api.v1alpha1.ExecutorKind;
import dev.parallel.api.v1alpha1.Kernel;
import dev.parallel.api.v1alpha1.ReduceOp;
import dev.parallel.api.v1alpha1.TaskRange;

/**
 * Everything a pod needs to run its part, as {@link PodContract} carries it in environment variables.
 * Exactly one of {@code kernel}/{@code command}; exactly one of {@code tasksFile}/{@code range}.
 * {@code threads} 0 means "the CPUs this container may use".
 */
public record WorkerConfig(
        Kernel kernel,
        String command,
        ObjectNode params,
        String tasksFile,
        TaskRange range,
        int parts,
        int partIndex,
        ExecutorKind executor,
        int threads,
        int retries,
        int taskTimeoutSeconds,
        ReduceOp reduce,
        String resultsFile,
        String summaryFile) {}
