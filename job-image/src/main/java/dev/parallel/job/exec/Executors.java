package dev.parallel.job.exec;

import dev.parallel.api.v1alpha1.ExecutorKind;
import dev.parallel.api.v1alpha1.GpuSpec;
import dev.parallel.api.v1alpha1.Kernel;
import dev.parallel.job.cuda.CudaDevices;
import dev.parallel.job.cuda.CudaExecutor;
import dev.parallel.job.kernels.Kernels;
import java.util.List;

/** Builds the executor a part asked for. */
public final class Executors {
    private Executors() {}

    /**
     * For every JVM that runs kernels besides the pod's own (worker processes, MPI ranks); the image's
     * entrypoint (hack/images.sh JOB_JAVA, job-image/Dockerfile) carries the same, and ExecutorsTest
     * checks that it does. No jar manifest attribute adds a module, so this is a JVM option.
     * <ul>
     * <li>The Vector API module: the kernels' vector loops (KernelPath) need it; without it they run
     * their scalar loops.
     * <li>The loop flags: the serial and parallel collectors turn off C2's strip-mined counted-loop
     * safepoints, and the kernels' int-counted inner loops then compile to slower code: pi 10% slower
     * than under G1 (77 vs 70 ms a task here). These keep G1's loop shape whatever collector the JVM
     * picks (a container under 2 CPUs or 1792 MiB gets the serial one).
     * </ul>
     */
    public static final List<String> KERNEL_JVM_ARGS = List.of("--add-modules=jdk.incubator.vector",
            "-XX:+UseCountedLoopSafepoints", "-XX:LoopStripMiningIter=1000");

    /**
     * What every child JVM (worker process, MPI rank) is started with: the serial collector (children
     * share the container: no collector threads of their own), the loop flags, and the class archive
     * this JVM uses (the job image's AppCDS archive: half the start-up).
     */
    public static List<String> childJvmArgs() {
        List<String> args = new java.util.ArrayList<>(List.of("-XX:+UseSerialGC"));
        args.addAll(KERNEL_JVM_ARGS);
        java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("-XX:SharedArchiveFile=")).forEach(args::add);
        return List.copyOf(args);
    }

    /** Worker JVMs share the container's memory: keep each heap modest and its start fast. */
    private static final java.util.function.IntFunction<List<String>> PROCESS_JVM_ARGS = workers -> {
        List<String> args = new java.util.ArrayList<>(childJvmArgs());
        args.addAll(List.of("-XX:MaxRAMPercentage=" + Math.max(5, 50 / workers), "-Xshare:auto"));
        return List.copyOf(args);
    };

    /**
     * The executor for a part, and for executor cuda without a usable GPU the reason: with
     * {@code fallback} cpu the part runs on threads, with fail every task fails with that reason.
     */
    public record Choice(TaskExecutor executor, String gpuUnavailable) {
        /** One line for the log when executor cuda had no GPU, else null. */
        public String fallbackLine() {
            return gpuUnavailable == null ? null : "executor cuda: no usable GPU: " + gpuUnavailable
                    + (executor instanceof Unavailable ? "; gpu.fallback: fail: every task fails"
                    : "; gpu.fallback: cpu: running on CPU threads");
        }
    }

    public static Choice forPart(ExecutorKind kind, Kernel kernel, String command, ExecOptions options,
                                 GpuSpec.Fallback fallback) {
        if (kind != ExecutorKind.CUDA) return new Choice(create(kind, kernel, command, options), null);
        try {
            return new Choice(new CudaExecutor(kernel, CudaDevices.open(), options), null);
        } catch (CudaDevices.Unavailable e) {
            TaskExecutor instead = fallback == GpuSpec.Fallback.CPU
                    ? create(ExecutorKind.THREADS, kernel, command, options)
                    : new Unavailable("no usable GPU: " + e.getMessage() + " (gpu.fallback: fail)");
            return new Choice(instead, e.getMessage());
        }
    }

    public static TaskExecutor create(ExecutorKind kind, Kernel kernel, String command, ExecOptions options) {
        return switch (kind) {
            case SEQUENTIAL -> new SequentialExecutor(Kernels.of(kernel, command), options);
            // MPI ranks are processes that mpirun places (MpiRank); inside a rank, and in the local
            // runner, the tasks run on threads.
            case THREADS, MPI -> new ThreadExecutor(Kernels.of(kernel, command), options);
            case CUDA -> throw new IllegalArgumentException("executor cuda depends on the devices: use Executors.forPart");
            case PROCESSES -> new ProcessExecutor(kernel, command, options, PROCESS_JVM_ARGS.apply(options.workers()));
        };
    }
}
