package dev.parallel.job;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parallel.api.contract.Json;
import dev.parallel.api.tasks.Task;
import dev.parallel.api.v1alpha1.ExecutorKind;
import dev.parallel.api.v1alpha1.Kernel;
import dev.parallel.api.v1alpha1.ReduceOp;
import dev.parallel.job.exec.CpuLimit;
import dev.parallel.job.exec.ExecOptions;
import dev.parallel.job.exec.Executors;
import dev.parallel.job.exec.ProcessExecutor;
import dev.parallel.job.exec.TaskExecutor;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.LongFunction;

/**
 * A benchmark, not a test: tasks/s per executor on the built-in kernels, speedups, and the dispatch
 * cost per task. Medians of {@code runs} repetitions after one warm-up.
 */
public final class Bench {
    private final PrintStream out;
    private final int runs;
    private final boolean quick;
    private final int workers = CpuLimit.available();

    public Bench(PrintStream out, int runs, boolean quick) {
        this.out = out;
        this.runs = runs;
        this.quick = quick;
    }

    public void runAll() throws InterruptedException {
        kernels();
        executors();
        out.println();
        streaming();
        mpi();
    }

    /**
     * Each kernel alone, one thread, steady state: best of {@code runs} after two warm-up runs, on the
     * vector and the scalar loops (forced), with the inputs of issue 19's table. bench/omp.c's figures
     * for the same tasks: {@code omp pi <(echo "42 20000000") 1 7} and so on (its own best-of).
     */
    public void kernels() throws InterruptedException {
        out.printf(Locale.ROOT, "# kernels alone, 1 thread, best of %d: %s; %s%n", runs, cpu(),
                dev.parallel.job.kernels.KernelPath.describe());
        out.println("| kernel | input | vector s | scalar s | vector/scalar |");
        out.println("|---|---|---|---|---|");
        long state = 42; // the C reference's state for its single task
        kernelRow("pi", "20,000,000 samples", p -> dev.parallel.job.kernels.PiKernel.hits(p, state, 0, 20_000_000));
        kernelRow("primes", "[0, 20,000,000)", p -> dev.parallel.job.kernels.PrimesKernel.count(p, 0, 20_000_000));
        for (int n : new int[] {256, 512}) {
            kernelRow("matmul", "n = " + n + ", fill + multiply + sum", p -> {
                double[][] ab = dev.parallel.job.kernels.MatmulKernel.fill(p, 7, n);
                return dev.parallel.job.kernels.MatmulKernel.sum(dev.parallel.job.kernels.MatmulKernel.multiply(p, ab[0], ab[1], n));
            });
        }
        out.println();
    }

    private interface PathRun {
        Object run(dev.parallel.job.kernels.KernelPath path) throws InterruptedException;
    }

    private void kernelRow(String name, String input, PathRun r) throws InterruptedException {
        double[] best = new double[2];
        Object[] results = new Object[2];
        dev.parallel.job.kernels.KernelPath[] paths = {dev.parallel.job.kernels.KernelPath.VECTOR,
                dev.parallel.job.kernels.KernelPath.SCALAR};
        for (int i = 0; i < 2; i++) {
            dev.parallel.job.kernels.KernelPath p = paths[i];
            if (p == dev.parallel.job.kernels.KernelPath.VECTOR && !dev.parallel.job.kernels.KernelPath.vectorAvailable()) {
                best[i] = Double.NaN;
                continue;
            }
            results[i] = r.run(p);
            r.run(p);
            best[i] = Double.MAX_VALUE;
            for (int k = 0; k < runs; k++) {
                long t0 = System.nanoTime();
                r.run(p);
                best[i] = Math.min(best[i], (System.nanoTime() - t0) / 1e9);
            }
        }
        if (results[0] != null && !results[0].equals(results[1])) {
            throw new IllegalStateException(name + ": vector gave " + results[0] + ", scalar " + results[1]);
        }
        out.printf(Locale.ROOT, "| %s | %s | %.4f | %.4f | %.2fx |%n", name, input, best[0], best[1], best[1] / best[0]);
    }

    public void executors() throws InterruptedException {
        out.printf(Locale.ROOT, "# job-image bench: %d CPUs (%s), java %s, %s, %d runs each (median)%n%n", workers,
                cpu(), System.getProperty("java.version"), dev.parallel.job.kernels.KernelPath.describe(), runs);
        out.println("| kernel | tasks | sequential s | threads s | processes s | processes warm s | pool start-up s "
                + "| threads/seq | processes/threads | warm processes/threads |");
        out.println("|---|---|---|---|---|---|---|---|---|---|");
        kernel("pi", Kernel.PI, 16, i -> obj().put("samples", quick ? 1_000_000 : 20_000_000L).put("seed", 42));
        // The same tasks, 4x as many: the workers' JVM start-up is paid once per part, so a longer part
        // shows the steady-state ratio the short one hides.
        kernel("pi x4", Kernel.PI, 64, i -> obj().put("samples", quick ? 1_000_000 : 20_000_000L).put("seed", 42));
        kernel("primes", Kernel.PRIMES, 16, i -> obj().put("from", i * (quick ? 1_000_000L : 10_000_000L))
                .put("to", (i + 1) * (quick ? 1_000_000L : 10_000_000L)));
        kernel("matmul", Kernel.MATMUL, 8, i -> obj().put("n", quick ? 128 : 384).put("seed", 7));
        out.println();
        int n = 100_000;
        List<Task> empty = tasks(n, i -> obj().put("millis", 0));
        double seconds = median(() -> time(ExecutorKind.THREADS, Kernel.SLEEP, empty, workers));
        out.printf(Locale.ROOT, "dispatch overhead, threads: %.2f us/task (%d empty tasks, %d threads)%n",
                seconds * 1e6 / n, n, workers);
        List<Task> emptyFew = tasks(quick ? 2000 : 20_000, i -> obj().put("millis", 0));
        double ps = median(() -> time(ExecutorKind.PROCESSES, Kernel.SLEEP, emptyFew, workers));
        out.printf(Locale.ROOT, "dispatch overhead, processes: %.2f us/task (%d empty tasks, %d processes, incl. JVM start)%n",
                ps * 1e6 / emptyFew.size(), emptyFew.size(), workers);
        double pw = warmPool(Kernel.SLEEP, emptyFew);
        out.printf(Locale.ROOT, "dispatch overhead, processes, warm pool: %.2f us/task (%d empty tasks, %d processes)%n",
                pw * 1e6 / emptyFew.size(), emptyFew.size(), workers);
    }

    /**
     * Streamed results on vs off (issue 18), threads executor: the same tasks with every result also batched to an
     * in-process API server over HTTP on this machine, as a pod of a one-pod Job does (flush every
     * {@code flushMillis}, or at the target batch size). Off and on runs alternate; medians; "on" includes writing the
     * last batch. The API server's own cost is not in "on": it runs in this JVM but is idle between writes.
     */
    public void streaming() throws InterruptedException {
        long flushMillis = dev.parallel.api.contract.ResultsContract.flushMillis(1, 5, 5000);
        out.printf(Locale.ROOT, "# streamed results on vs off, threads x %d, flush every %d ms or %d KiB, %d runs each (median)%n",
                workers, flushMillis, dev.parallel.api.contract.ResultsContract.TARGET_BATCH_BYTES / 1024, runs);
        out.println("| workload | tasks | off s | on s | overhead | off CPU s | on CPU s | CPU overhead | API requests per run "
                + "| requests per 1,000 tasks |");
        out.println("|---|---|---|---|---|---|---|---|---|---|");
        try (dev.parallel.job.results.FakeApiServer api = new dev.parallel.job.results.FakeApiServer(null, false)) {
            streamRow(api, flushMillis, "noop", Kernel.SLEEP, tasks(100_000, i -> obj().put("millis", 0)));
            streamRow(api, flushMillis, "pi", Kernel.PI, tasks(64, i -> obj().put("samples", quick ? 1_000_000 : 20_000_000L)
                    .put("seed", 42)));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private void streamRow(dev.parallel.job.results.FakeApiServer api, long flushMillis, String name, Kernel k, List<Task> tasks)
            throws InterruptedException {
        double[] off = new double[runs];
        double[] on = new double[runs];
        double[] offCpu = new double[runs];
        double[] onCpu = new double[runs];
        long[] requests = new long[runs];
        // One writer (one HTTP connection) for every run, as a pod has.
        var w = new dev.parallel.job.results.ApiWriter(api.uri(), null, null, "bench", java.time.Duration.ofSeconds(10));
        try (TaskExecutor ex = Executors.create(ExecutorKind.THREADS, k, null, new ExecOptions(workers, 0, 0))) {
            time(ex, tasks); // warm-up, both ways
            streamed(ex, tasks, w, flushMillis, "w");
            for (int r = 0; r < runs; r++) {
                double c0 = cpuSeconds();
                off[r] = time(ex, tasks);
                double c1 = cpuSeconds();
                long before = api.requests();
                on[r] = streamed(ex, tasks, w, flushMillis, Integer.toString(r));
                onCpu[r] = cpuSeconds() - c1;
                offCpu[r] = c1 - c0;
                requests[r] = api.requests() - before;
            }
        }
        for (double[] a : new double[][] {off, on, offCpu, onCpu}) Arrays.sort(a);
        Arrays.sort(requests);
        double o = off[runs / 2], n = on[runs / 2], oc = offCpu[runs / 2], nc = onCpu[runs / 2];
        long q = requests[runs / 2];
        out.printf(Locale.ROOT, "| %s | %d | %.3f | %.3f | %+.1f%% | %.3f | %.3f | %+.1f%% | %d | %.2f |%n", name, tasks.size(), o, n,
                (n / o - 1) * 100, oc, nc, (nc / oc - 1) * 100, q, q * 1000.0 / tasks.size());
    }

    /** CPU time of this whole JVM (every thread: workers, the stream's writer, the in-process API server, GC). */
    private static double cpuSeconds() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime() / 1e9;
    }

    private static double streamed(TaskExecutor ex, List<Task> tasks, dev.parallel.job.results.ApiWriter w, long flushMillis,
                                   String run) throws InterruptedException {
        var who = new dev.parallel.job.results.PodIdentity("bench", "bench-0-r" + run, "pod-uid", "bench", "job-uid", 0);
        var quiet = new PrintStream(java.io.OutputStream.nullOutputStream());
        ResultCollector c = new ResultCollector(ReduceOp.SUM, null, null);
        long t0 = System.nanoTime();
        try (var stream = new dev.parallel.job.results.ResultStream(who, flushMillis, w::create, quiet)) {
            c.streamingTo(stream);
            ex.run(tasks, c, stream);
            stream.finish(Long.MAX_VALUE);
            if (stream.recorded() != tasks.size()) {
                throw new IllegalStateException("streamed " + stream.recorded() + " of " + tasks.size() + " results");
            }
        } catch (dev.parallel.job.results.ApiWriter.WriteFailed e) {
            throw new IllegalStateException(e);
        }
        double s = (System.nanoTime() - t0) / 1e9;
        if (c.failed() > 0) throw new IllegalStateException(c.failed() + " bench tasks failed");
        return s;
    }

    /**
     * executor: mpi on this machine: mpirun starting N rank JVMs on localhost (what a launcher does over
     * worker pods, minus ssh and the network), against the thread executor on the same pi tasks.
     * Skipped, with the reason, where Open MPI is not installed.
     */
    public void mpi() throws InterruptedException {
        out.println();
        java.nio.file.Path lib;
        try {
            lib = dev.parallel.job.mpi.MpiLauncher.javaLibraryPath();
        } catch (IllegalStateException | java.io.IOException e) {
            out.println("mpi: skipped (" + e.getMessage() + ")");
            return;
        }
        long samples = quick ? 1_000_000 : 20_000_000L;
        int count = 16;
        List<Task> tasks = tasks(count, i -> obj().put("samples", samples).put("seed", 42));
        ResultCollector ref = new ResultCollector(ReduceOp.SUM, null, null);
        Executors.create(ExecutorKind.THREADS, Kernel.PI, null, new ExecOptions(workers, 0, 0)).run(tasks, ref);
        double thr = median(() -> time(ExecutorKind.THREADS, Kernel.PI, tasks, workers));
        out.printf(Locale.ROOT, "# executor: mpi vs threads, pi %d tasks x %d samples (mpirun on localhost, incl. rank JVM start)%n",
                count, samples);
        out.println("| run | ranks x threads | seconds | vs threads in one JVM |");
        out.println("|---|---|---|---|");
        out.printf(Locale.ROOT, "| threads | 1 x %d | %.3f | 1.00x |%n", workers, thr);
        for (String[] run : new String[][] {{"static", "4", "1"}, {"dynamic", "4", "1"}, {"static", "2", "1"}, {"static", "1", "2"}}) {
            double t = median(() -> mpiRun(lib, run[0], Integer.parseInt(run[1]), Integer.parseInt(run[2]), count, samples,
                    ref.partial()));
            out.printf(Locale.ROOT, "| mpi %s | %s x %s | %.3f | %.2fx |%n", run[0], run[1], run[2], t, thr / t);
        }
    }

    private double mpiRun(java.nio.file.Path lib, String mode, int ranks, int threads, int count, long samples,
                          com.fasterxml.jackson.databind.JsonNode expected) throws InterruptedException {
        try {
            java.nio.file.Path summary = java.nio.file.Files.createTempFile("pj-bench", ".summary");
            java.util.Map<String, String> env = new java.util.HashMap<>(System.getenv());
            env.put(dev.parallel.api.contract.PodContract.KERNEL, "pi");
            env.put(dev.parallel.api.contract.PodContract.PARAMS, "{\"samples\":" + samples + ",\"seed\":42}");
            env.put(dev.parallel.api.contract.PodContract.RANGE, "{\"start\":0,\"end\":" + count + ",\"param\":\"task\"}");
            env.put(dev.parallel.api.contract.PodContract.THREADS, Integer.toString(threads));
            env.put(dev.parallel.api.contract.PodContract.SUMMARY_FILE, summary.toString());
            env.put(dev.parallel.api.contract.PodContract.RESULTS_FILE, summary + ".results");
            env.put(dev.parallel.api.contract.PodContract.MPI_HOSTS, "localhost");
            env.put(dev.parallel.api.contract.PodContract.MPI_SLOTS, Integer.toString(ranks));
            env.put(dev.parallel.api.contract.PodContract.MPI_MODE, mode);
            env.put(dev.parallel.api.contract.PodContract.MPI_WAIT_SECONDS, "0");
            env.put("PJ_MPI_JAVA_LIBRARY_PATH", lib.toString());
            env.put("OMPI_ALLOW_RUN_AS_ROOT", "1");
            env.put("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
            PrintStream quiet = new PrintStream(java.io.OutputStream.nullOutputStream());
            long t0 = System.nanoTime();
            int code = new dev.parallel.job.mpi.MpiLauncher(env, quiet, quiet).run();
            double s = (System.nanoTime() - t0) / 1e9;
            var got = dev.parallel.api.contract.PartSummary.decode(java.nio.file.Files.readString(summary)).partial();
            if (code != 0 || !expected.equals(got)) {
                throw new IllegalStateException("mpi " + mode + " run gave " + got + " (exit " + code + "), threads " + expected);
            }
            return s;
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private void kernel(String name, Kernel k, int count, LongFunction<ObjectNode> params) throws InterruptedException {
        List<Task> tasks = tasks(count, params);
        double seq = median(() -> time(ExecutorKind.SEQUENTIAL, k, tasks, 1));
        double thr = median(() -> time(ExecutorKind.THREADS, k, tasks, workers));
        double proc = median(() -> time(ExecutorKind.PROCESSES, k, tasks, workers));
        double warm = warmPool(k, tasks);
        // Cold minus warm: what starting the workers (JVM start, class loading, JIT of the kernel in
        // each) costs once per pool, whatever the number of tasks.
        out.printf(Locale.ROOT, "| %s | %d | %.3f | %.3f | %.3f | %.3f | %.3f | %.2fx | %.2fx | %.2fx |%n", name, count, seq,
                thr, proc, warm, proc - warm, seq / thr, thr / proc, thr / warm);
    }

    /** The CPU model and the SIMD extensions the kernels care about, from /proc/cpuinfo (Linux). */
    static String cpu() {
        try {
            List<String> info = java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/cpuinfo"));
            String model = info.stream().filter(l -> l.startsWith("model name")).findFirst()
                    .map(l -> l.split(":", 2)[1].strip()).orElse(System.getProperty("os.arch"));
            List<String> flags = info.stream().filter(l -> l.startsWith("flags") || l.startsWith("Features")).findFirst()
                    .map(l -> List.of(l.split(":", 2)[1].strip().split(" "))).orElse(List.of());
            List<String> simd = List.of("avx2", "fma", "avx512f", "avx512dq", "asimd", "sve").stream()
                    .filter(flags::contains).toList();
            return model + "; SIMD: " + String.join(" ", simd);
        } catch (java.io.IOException e) {
            return System.getProperty("os.arch");
        }
    }

    private static ObjectNode obj() { return Json.mapper().createObjectNode(); }

    private static List<Task> tasks(int n, LongFunction<ObjectNode> params) {
        List<Task> t = new ArrayList<>(n);
        for (int i = 0; i < n; i++) t.add(new Task(i, Integer.toString(i), params.apply(i)));
        return t;
    }

    private static double time(ExecutorKind kind, Kernel k, List<Task> tasks, int workers) throws InterruptedException {
        try (TaskExecutor ex = Executors.create(kind, k, null, new ExecOptions(workers, 0, 0))) {
            return time(ex, tasks);
        }
    }

    private static double time(TaskExecutor ex, List<Task> tasks) throws InterruptedException {
        ResultCollector c = new ResultCollector(ReduceOp.SUM, null, null);
        long t0 = System.nanoTime();
        ex.run(tasks, c);
        double s = (System.nanoTime() - t0) / 1e9;
        if (c.failed() > 0) throw new IllegalStateException(c.failed() + " bench tasks failed");
        return s;
    }

    /**
     * A long-lived pool (as ProcessPoolExecutor's after its first map): the same workers serve the
     * warm-up run and every timed run, as the thread executor's JVM does.
     */
    private double warmPool(Kernel k, List<Task> tasks) throws InterruptedException {
        var pool = (ProcessExecutor) Executors.create(ExecutorKind.PROCESSES, k, null, new ExecOptions(workers, 0, 0));
        try {
            pool.prestart();
            return median(() -> time(pool, tasks));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        } finally {
            pool.close();
        }
    }

    private interface Timed {
        double run() throws InterruptedException;
    }

    private double median(Timed t) throws InterruptedException {
        t.run(); // warm-up
        double[] s = new double[runs];
        for (int i = 0; i < runs; i++) s[i] = t.run();
        Arrays.sort(s);
        return s[runs / 2];
    }
}
