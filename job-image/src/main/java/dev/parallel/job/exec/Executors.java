package dev.parallel.job.exec;

import dev.parallel.api.v1alpha1.ExecutorKind;
import dev.parallel.api.v1alpha1.Kernel;
import dev.parallel.job.kernels.Kernels;
import java.util.List;

/** Builds the executor a part asked for. */
public final class Executors {
    private Executors() {}

    public static TaskExecutor create(ExecutorKind kind, Kernel kernel, String command, ExecOptions options) {
        return switch (kind) {
            case SEQUENTIAL -> new SequentialExecutor(Kernels.of(kernel, command), options);
            // MPI ranks are processes that mpirun places (MpiRank); inside a rank, and in the local
            // runner, the tasks run on threads.
            case THREADS, MPI -> new ThreadExecutor(Kernels.of(kernel, command), options);
            // Children share the container's memory: keep each worker's heap modest and its start fast.
            case PROCESSES -> new ProcessExecutor(kernel, command, options,
                    List.of("-XX:+UseSerialGC", "-XX:MaxRAMPercentage=" + Math.max(5, 50 / options.workers()),
                            "-Xshare:auto"));
        };
    }
}
