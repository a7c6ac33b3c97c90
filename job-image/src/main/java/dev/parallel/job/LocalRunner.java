package dev.parallel.job;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parallel.api.contract.Reducer;
import dev.parallel.api.contract.Reduction;
import dev.parallel.api.tasks.Partition;
import dev.parallel.api.tasks.SpecTasks;
import dev.parallel.api.tasks.Task;
import dev.parallel.api.tasks.TaskList;
import dev.parallel.api.v1alpha1.ExecutorKind;
import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.api.v1alpha1.ParallelJobSpec;
import dev.parallel.job.exec.CpuLimit;
import dev.parallel.job.exec.ExecOptions;
import dev.parallel.job.exec.Executors;
import dev.parallel.job.exec.TaskExecutor;
import dev.parallel.api.v1alpha1.GpuSpec;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Runs a whole ParallelJob on this machine (no cluster): the same planning as the operator (parts are
 * the distribute_tasks blocks), every part run in turn by the declared executor, results reduced the
 * same way the operator reduces part summaries.
 */
public final class LocalRunner implements AutoCloseable {
    /** What a local run produced. */
    public record Outcome(long tasks, long ok, long failed, JsonNode result, String summary, long nanos) {}

    private final PrintStream progressOut;
    private final boolean terminal;
    /** Each part's executor, kept for the next run of this runner (a warm pool, as a long-lived process has). */
    private final java.util.Map<Integer, Executors.Choice> executors = new java.util.HashMap<>();
    private boolean saidKernelPath;

    public LocalRunner(PrintStream progressOut, boolean terminal) {
        this.progressOut = progressOut;
        this.terminal = terminal;
    }

    public Outcome run(ParallelJob job, ExecutorKind executorOverride, Integer threadsOverride, String tasksFile,
                       Path output) throws IOException, InterruptedException {
        ParallelJobSpec s = job.getSpec();
        String cmText = tasksFile == null ? null : Files.readString(Path.of(tasksFile));
        TaskList list = SpecTasks.taskList(s, cmText, "tasks file " + tasksFile);
        int parts = Partition.parts(list.size(), s.pods, s.tasksPerPod, s.parallelismOrDefault());
        ExecutorKind kind = executorOverride != null ? executorOverride : s.executorOrDefault();
        int workers = threadsOverride != null ? threadsOverride
                : s.threadsPerPod != null ? s.threadsPerPod : CpuLimit.available();
        ExecOptions opts = new ExecOptions(workers, s.retriesOrDefault(),
                s.taskTimeoutSeconds == null ? 0 : s.taskTimeoutSeconds);
        Reducer reducer = new Reducer(Reduction.of(s));
        long t0 = System.nanoTime();
        long ok = 0, failed = 0;
        JsonNode reduced = null;
        try (Writer out = output == null ? null : Files.newBufferedWriter(output, StandardCharsets.UTF_8)) {
            Progress progress = new Progress(list.size());
            progress.start();
            try {
                for (int part = 0; part < parts; part++) {
                    List<Task> tasks = list.block(Partition.block(list.size(), parts, part));
                    Executors.Choice choice = executors.computeIfAbsent(part, p -> Executors.forPart(kind, s.kernel,
                            s.command, opts, s.gpu == null ? GpuSpec.Fallback.FAIL : s.gpu.fallbackOrDefault()));
                    if (choice.fallbackLine() != null && part == 0) progressOut.println("warning: " + choice.fallbackLine());
                    if (!saidKernelPath && s.kernel != null && s.command == null
                            && !(choice.executor() instanceof dev.parallel.job.cuda.CudaExecutor)) {
                        progressOut.println(dev.parallel.job.kernels.KernelPath.describe());
                        saidKernelPath = true;
                    }
                    ResultCollector c = new ResultCollector(reducer.reduction(), tasks, out, null);
                    progress.current = c;
                    TaskExecutor ex = choice.executor(); // each part its own pool, as each pod has
                    try {
                        ex.run(tasks, c);
                    } finally {
                        // A CUDA executor runs once (its devices close after the run); other pools stay for the next run.
                        if (ex instanceof dev.parallel.job.cuda.CudaExecutor) executors.remove(part).executor().close();
                    }
                    progress.doneBefore += c.done();
                    progress.current = null;
                    ok += c.ok();
                    failed += c.failed();
                    if (c.reduceError() != null) progressOut.println("warning: part " + part + ": reduce failed: " + c.reduceError());
                    try {
                        reduced = reducer.merge(reduced, c.partial());
                    } catch (IllegalArgumentException e) { // results that do not reduce: say so, keep the counts
                        progressOut.println("warning: " + e.getMessage());
                    }
                }
            } finally {
                progress.finish();
            }
        }
        JsonNode result = reducer.finished(reduced);
        return new Outcome(list.size(), ok, failed, result, reducer.summary(result), System.nanoTime() - t0);
    }

    /** Closes the parts' executors (worker processes exit). */
    @Override
    public void close() {
        executors.values().forEach(c -> c.executor().close());
        executors.clear();
    }

    /** A bar redrawn in place on a terminal, a plain line every 5 s otherwise. */
    private final class Progress extends Thread {
        final long total;
        volatile long doneBefore;
        volatile ResultCollector current;
        private volatile boolean running = true;

        Progress(long total) {
            this.total = total;
            setDaemon(true);
        }

        long done() {
            ResultCollector c = current;
            return doneBefore + (c == null ? 0 : c.done());
        }

        @Override
        public void run() {
            long t0 = System.nanoTime();
            while (running) {
                try {
                    Thread.sleep(terminal ? 200 : 5000);
                } catch (InterruptedException e) {
                    return;
                }
                if (running) draw(t0);
            }
        }

        private void draw(long t0) {
            long d = done();
            double secs = (System.nanoTime() - t0) / 1e9;
            if (terminal) {
                int width = 30;
                int filled = total == 0 ? width : (int) (width * d / total);
                progressOut.printf("\r[%s%s] %d/%d tasks  %.1f s", "#".repeat(filled), ".".repeat(width - filled), d,
                        total, secs);
            } else {
                progressOut.printf("progress: %d/%d tasks after %.1f s%n", d, total, secs);
            }
            progressOut.flush();
        }

        void finish() throws InterruptedException {
            running = false;
            interrupt();
            join();
            if (terminal) progressOut.print("\r\033[K");
        }
    }
}
