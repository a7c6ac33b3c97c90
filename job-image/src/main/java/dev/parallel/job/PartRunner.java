package dev.parallel.job;

import dev.parallel.api.contract.PartSummary;
import dev.parallel.api.contract.PodContract;
import dev.parallel.api.contract.WorkerConfig;
import dev.parallel.api.tasks.Task;
import dev.parallel.job.exec.CpuLimit;
import dev.parallel.job.exec.ExecOptions;
import dev.parallel.job.exec.Executors;
import dev.parallel.job.exec.TaskExecutor;
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

/**
 * Runs one part inside a pod: reads the contract, takes its distribute_tasks block, runs it, and
 * writes results and the bounded summary. On SIGTERM running tasks are cancelled and the summary is
 * still written before the JVM exits.
 */
public final class PartRunner {
    private PartRunner() {}

    /** @return the exit code: 0 only if every task of the part succeeded */
    public static int run(WorkerConfig c, PrintStream stdout) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        List<Task> tasks = c.partTasks();
        int workers = c.threads() > 0 ? c.threads() : CpuLimit.available();
        Executors.Choice choice = Executors.forPart(c.executor(), c.kernel(), c.command(),
                new ExecOptions(workers, c.retries(), c.taskTimeoutSeconds()), c.gpuFallback());
        TaskExecutor executor = choice.executor();
        if (choice.fallbackLine() != null) stdout.println(choice.fallbackLine());
        if (executor instanceof CudaExecutor cuda) stdout.println("executor cuda: devices " + cuda.deviceNames());
        stdout.printf("part %d/%d: %d tasks%s with %s x %d%s%n", c.partIndex(), c.parts(), tasks.size(),
                tasks.isEmpty() ? "" : " [" + tasks.get(0).index() + ", " + (tasks.get(tasks.size() - 1).index() + 1) + ")",
                executor.name(), executor instanceof CudaExecutor cuda ? cuda.deviceNames().size() : workers,
                cpuKernelLine(c, executor));

        Path results = Path.of(c.resultsFile());
        if (results.getParent() != null) Files.createDirectories(results.getParent());
        CountDownLatch finished = new CountDownLatch(1);
        Thread onSigterm = new Thread(() -> {
            executor.cancel();
            try {
                finished.await(25, TimeUnit.SECONDS); // within the default 30 s grace period
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }, "pj-sigterm");
        Runtime.getRuntime().addShutdownHook(onSigterm);
        try (Writer w = Files.newBufferedWriter(results, StandardCharsets.UTF_8)) {
            ResultCollector collector = new ResultCollector(c.reduce(), tasks, w, stdout);
            executor.run(tasks, collector);
            long millis = (System.nanoTime() - t0) / 1_000_000;
            PartSummary summary = collector.summary(c.partIndex(), tasks.size(), millis, executor.name(), null,
                    choice.gpuUnavailable());
            String encoded = summary.encode();
            writeSummary(c.summaryFile(), encoded);
            stdout.println("summary " + encoded);
            stdout.flush();
            return summary.failed() == 0 ? 0 : 1;
        } finally {
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
        return run(PodContract.fromEnv(System.getenv()), System.out);
    }
}
