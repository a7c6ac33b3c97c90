package dev.parallel.job;

import dev.parallel.api.contract.PartSummary;
import dev.parallel.api.contract.PodContract;
import dev.parallel.api.contract.WorkerConfig;
import dev.parallel.api.tasks.Task;
import dev.parallel.job.exec.CpuLimit;
import dev.parallel.job.exec.ExecOptions;
import dev.parallel.job.exec.Executors;
import dev.parallel.job.exec.StartupTrace;
import dev.parallel.job.exec.TaskExecutor;
import dev.parallel.job.exec.TaskStarts;
import dev.parallel.job.results.ApiWriter;
import dev.parallel.job.results.DoneTasks;
import dev.parallel.job.results.ResultStream;
import dev.parallel.job.results.StreamConfig;
import dev.parallel.job.cuda.CudaExecutor;
import dev.parallel.job.kernels.KernelPath;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs one part inside a pod: reads the contract, takes its distribute_tasks block, runs it, and
 * writes results and the bounded summary. On SIGTERM running tasks are cancelled and the summary is
 * still written before the JVM exits. With streamed results ({@link StreamConfig}) it first skips the tasks its
 * part's done set says are recorded, streams every result as it finishes, and writes the last batch before the
 * summary: when that cannot be written the pod exits {@link #EXIT_STREAM_FAILED}.
 */
public final class PartRunner {
    private PartRunner() {}

    /** The results stream could not record this pod's results: an infrastructure failure the Job retries. */
    public static final int EXIT_STREAM_FAILED = 2;
    /** How long after SIGTERM the last batch may still be retried (the default grace period is 30 s). */
    public static final long SIGTERM_FLUSH_SECONDS = 20;

    /** @return the exit code: 0 only if every task of the part succeeded */
    public static int run(WorkerConfig c, PrintStream stdout) throws IOException, InterruptedException {
        return run(c, null, stdout);
    }

    /** @param stream where results stream while the part runs; null: only the summary at the end */
    public static int run(WorkerConfig c, StreamConfig stream, PrintStream stdout) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        StartupTrace.mark("contract read");
        List<Task> block = c.partTasks();
        List<Task> tasks = stream == null ? block : DoneTasks.toRun(stream.doneDir(), c.partIndex(), block, stdout);
        long skipped = block.size() - tasks.size();
        int workers = c.threads() > 0 ? c.threads() : CpuLimit.available();
        Executors.Choice choice = Executors.forPart(c.executor(), c.kernel(), c.command(),
                new ExecOptions(workers, c.retries(), c.taskTimeoutSeconds()), c.gpuFallback());
        TaskExecutor executor = choice.executor();
        if (choice.fallbackLine() != null) stdout.println(choice.fallbackLine());
        if (executor instanceof CudaExecutor cuda) stdout.println("executor cuda: devices " + cuda.deviceNames());
        stdout.printf("part %d/%d: %d tasks%s%s with %s x %d%s%n", c.partIndex(), c.parts(), block.size(),
                block.isEmpty() ? "" : " [" + block.get(0).index() + ", " + (block.get(block.size() - 1).index() + 1) + ")",
                skipped == 0 ? "" : ", " + tasks.size() + " to run",
                executor.name(), executor instanceof CudaExecutor cuda ? cuda.deviceNames().size() : workers,
                cpuKernelLine(c, executor));

        StartupTrace.mark("executor ready");
        Path results = Path.of(c.resultsFile());
        if (results.getParent() != null) Files.createDirectories(results.getParent());
        CountDownLatch finished = new CountDownLatch(1);
        ResultStream rs = stream == null ? null : ResultStream.open(stream, stdout);
        AtomicLong sigtermAt = new AtomicLong();
        Thread onSigterm = new Thread(() -> {
            sigtermAt.set(System.nanoTime() | 1); // never 0: 0 means no SIGTERM
            if (rs != null) rs.withholdFailures(); // interrupted tasks are the next pod's to run
            executor.cancel();
            try {
                finished.await(25, TimeUnit.SECONDS); // within the default 30 s grace period
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }, "pj-sigterm");
        Runtime.getRuntime().addShutdownHook(onSigterm);
        try (Writer w = Files.newBufferedWriter(results, StandardCharsets.UTF_8)) {
            ResultCollector collector = new ResultCollector(c.reduce(), block, w, stdout);
            if (rs != null) collector.streamingTo(rs);
            executor.run(tasks, collector, rs == null ? TaskStarts.NONE : rs);
            if (rs != null) {
                long term = sigtermAt.get();
                try {
                    rs.finish(term == 0 ? Long.MAX_VALUE : term + TimeUnit.SECONDS.toNanos(SIGTERM_FLUSH_SECONDS));
                    stdout.println("results stream: " + rs.recorded() + " records in " + rs.batches() + " batches");
                } catch (ApiWriter.WriteFailed e) {
                    String msg = "results stream: cannot record this pod's results: " + e.getMessage() + "; exit "
                            + EXIT_STREAM_FAILED + " (the Job retries the part; its next pod runs only the tasks not recorded)";
                    stdout.println(msg);
                    stdout.flush();
                    writeSummary(c.summaryFile(), msg);
                    return EXIT_STREAM_FAILED;
                }
            }
            long millis = (System.nanoTime() - t0) / 1_000_000;
            PartSummary summary = collector.summary(c.partIndex(), block.size(), millis, executor.name(), null,
                    choice.gpuUnavailable(), skipped);
            StartupTrace.mark("tasks done");
            String encoded = summary.encode();
            writeSummary(c.summaryFile(), encoded);
            stdout.println("summary " + encoded);
            stdout.flush();
            StartupTrace.mark("summary written");
            StartupTrace.print();
            return summary.failed() == 0 ? 0 : 1;
        } finally {
            if (rs != null) rs.close();
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(onSigterm);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it returns now that we counted down
            }
            executor.close();
        }
    }

    /** "; kernels: vector (...)" when the part runs a built-in kernel on CPUs (worker JVMs choose alike). */
    static String cpuKernelLine(WorkerConfig c, TaskExecutor executor) {
        return c.kernel() == null || c.command() != null || executor instanceof CudaExecutor ? ""
                : "; " + KernelPath.describe();
    }

    /** Writes the part's summary (or why there is none) where the operator reads it: the termination message. */
    public static void writeSummary(String file, String encoded) throws IOException {
        if (file == null || file.isEmpty()) return;
        Path p = Path.of(file);
        if (!p.startsWith("/dev") && p.getParent() != null) Files.createDirectories(p.getParent());
        Files.writeString(p, encoded, StandardCharsets.UTF_8);
    }

    /** The in-pod entry point. */
    public static int fromEnvironment() throws IOException, InterruptedException {
        WorkerConfig c = PodContract.fromEnv(System.getenv());
        return run(c, StreamConfig.fromEnv(System.getenv(), c.partIndex()), System.out);
    }
}
