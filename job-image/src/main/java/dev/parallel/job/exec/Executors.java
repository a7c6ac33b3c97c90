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
     * A pod runs its part once, in a fresh JVM, on CPUs its task threads fill: what the JIT compiles before
     * the kernels' loops is paid out of the part's time. Measured with -XX:+LogCompilation on cold matmul
     * runs with two threads: C2 spent ~600 ms on the kernels and the Vector API, half of it on the Vector
     * API's Java fallbacks (they run while the vector loops are interpreted or in C1's code, and get hot), and
     * the vector loops were compiled 0.6-1.4 s after the start. So the kernels' own methods compile 2.5 times
     * sooner than by default, the vector loops and the Vector API's methods 100 times sooner (a few calls),
     * which also gives the API's methods their call profiles before C2 compiles a loop (without them C2
     * leaves the calls virtual and the vectors heap objects: VectorWarmup's BOXED; VectorWarmupTest checks
     * that these flags compile every loop whole). Everything else keeps the JVM's thresholds: compiling it 4
     * times later too made 100,000 no-op tasks 30% slower cold and the kernels no faster than noise.
     * With VectorWarmup's allocation check and PrimesKernel's per-segment method, alternating cold runs of
     * docs/benchmarks.md's lists (medians of 4) against the commit before: two threads pi 0.85x the time,
     * matmul n = 256 0.71x, primes 0.90x; one thread 0.82-0.85x. {@code quiet} first: each command would
     * print a line.
     */
    public static final List<String> JIT_JVM_ARGS = List.of("-XX:CompileCommand=quiet",
            "-XX:CompileCommand=CompileThresholdScaling,dev.parallel.job.kernels.MatmulKernel::*,0.4",
            "-XX:CompileCommand=CompileThresholdScaling,dev.parallel.job.kernels.PrimesKernel::*,0.4",
            "-XX:CompileCommand=CompileThresholdScaling,dev.parallel.job.kernels.PiKernel::*,0.4",
            "-XX:CompileCommand=CompileThresholdScaling,dev.parallel.job.kernels.SplitMix64::*,0.4",
            "-XX:CompileCommand=CompileThresholdScaling,dev.parallel.job.kernels.VectorLoops::*,0.01",
            "-XX:CompileCommand=CompileThresholdScaling,jdk.incubator.vector.*::*,0.01");

    /**
     * For every JVM that runs kernels: worker processes and MPI ranks get them from here, the image's
     * entrypoint reads them from /app/kernel-jvm.args, which the image builds write with {@code parallel-job
     * jvm-flags} (hack/images.sh, job-image/Dockerfile; ExecutorsTest checks both). No jar manifest attribute
     * adds a module or a JIT option, so these are JVM options.
     * <ul>
     * <li>The Vector API module: the kernels' vector loops (KernelPath) need it; without it they run
     * their scalar loops.
     * <li>The loop flags: the serial and parallel collectors turn off C2's strip-mined counted-loop
     * safepoints, and the kernels' int-counted inner loops then compile to slower code: pi 10% slower
     * than under G1 (77 vs 70 ms a task here). These keep G1's loop shape whatever collector the JVM
     * picks (a container under 2 CPUs or 1792 MiB gets the serial one).
     * <li>The JIT's thresholds ({@link #JIT_JVM_ARGS}).
     * </ul>
     */
    public static final List<String> KERNEL_JVM_ARGS = java.util.stream.Stream.concat(
            java.util.stream.Stream.of("--add-modules=jdk.incubator.vector", "-XX:+UseCountedLoopSafepoints",
                    "-XX:LoopStripMiningIter=1000"), JIT_JVM_ARGS.stream()).toList();

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
