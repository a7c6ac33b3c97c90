package dev.parallel.job.mpi;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parallel.api.contract.Json;
import dev.parallel.api.contract.PartSummary;
import dev.parallel.api.contract.PodContract;
import dev.parallel.api.contract.Reducer;
import dev.parallel.api.contract.TaskResult;
import dev.parallel.api.contract.WorkerConfig;
import dev.parallel.api.tasks.Partition;
import dev.parallel.api.tasks.Task;
import dev.parallel.api.tasks.TaskList;
import dev.parallel.api.v1alpha1.ExecutorKind;
import dev.parallel.api.v1alpha1.MpiSpec;
import dev.parallel.api.v1alpha1.ReduceOp;
import dev.parallel.api.contract.DoneSet;
import dev.parallel.job.ResultCollector;
import dev.parallel.job.results.DoneTasks;
import dev.parallel.job.exec.CpuLimit;
import dev.parallel.job.exec.ExecOptions;
import dev.parallel.job.exec.Executors;
import dev.parallel.job.exec.TaskExecutor;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One MPI rank, as the tutorial's mpi4py programs are written. Static: rank r runs its
 * distribute_tasks block on a thread pool, then counts and the reduction are combined with
 * MPI_Allreduce (collect, and anything not numeric, with MPI_Gather) and every task's result line is
 * gathered to rank 0. Dynamic (MPICommExecutor): rank 0 hands out chunks of tasks on demand and the
 * other ranks send back results with each request. Rank 0 prints the per-task result lines and the
 * run's summary to stdout, which mpirun forwards to the launcher pod (MpiLauncher).
 */
public final class MpiRank {
    static final int TAG_REQUEST = 1;
    static final int TAG_WORK = 2;

    private final Collectives mpi;
    private final WorkerConfig config;
    private final PrintStream out;
    private final int threads;
    private final String doneSet;
    /** The tasks already recorded ({@link MpiLauncher#DONE_SET_ENV}): skipped; set in {@link #run}. */
    private DoneSet done;

    MpiRank(Collectives mpi, WorkerConfig config, PrintStream out, Map<String, String> env) {
        this.mpi = mpi;
        this.config = config;
        this.out = out;
        // Ranks sharing a pod share its CPUs: Open MPI says how many ranks this node hosts.
        int local = parse(env.get("OMPI_COMM_WORLD_LOCAL_SIZE"), 1);
        this.doneSet = env.get(MpiLauncher.DONE_SET_ENV);
        this.threads = config.threads() > 0 ? config.threads() : Math.max(1, CpuLimit.available() / Math.max(1, local));
    }

    /** The rank's entry point (mpirun ... parallel-job mpi-rank): MPI_Init, run, MPI_Finalize. */
    public static int main(String[] args) throws Exception {
        Map<String, String> env = System.getenv();
        WorkerConfig c = PodContract.fromEnv(env);
        MpiSpec.Mode mode = MpiSpec.Mode.of(env.getOrDefault(PodContract.MPI_MODE, MpiSpec.Mode.STATIC.value()));
        try (OpenMpi mpi = OpenMpi.init(args)) {
            new MpiRank(mpi, c, System.out, env).run(mode);
        }
        return 0;
    }

    void run(MpiSpec.Mode mode) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        // Decoded on demand: a rank materialises only the tasks it runs (a range or matrix may be millions).
        TaskList all = config.taskList();
        done = doneSet(all.size());
        // One line per rank in the launcher's log (mpirun forwards every rank's stdout): who runs what.
        // One write per line: mpirun interleaves the ranks' output at write boundaries.
        out.print(String.format("rank %d/%d on %s: %s, %d tasks in all%n", mpi.rank(), mpi.size(), hostName(), mode.value(),
                all.size()));
        out.flush();
        if (mode == MpiSpec.Mode.DYNAMIC && mpi.size() > 1) {
            if (mpi.rank() == 0) dispatch(all, t0);
            else work(all);
        } else {
            runStatic(all, t0);
        }
    }

    private DoneSet doneSet(long size) {
        if (doneSet == null || doneSet.isBlank()) return DoneSet.empty(0, size);
        try {
            DoneSet d = DoneSet.decode(doneSet);
            if (d.first() == 0 && d.size() == size) return d;
        } catch (IllegalArgumentException e) {
            // the launcher encoded it: cannot happen; run everything
        }
        return DoneSet.empty(0, size);
    }

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            return "?";
        }
    }

    private void runStatic(TaskList all, long t0) throws IOException, InterruptedException {
        Partition.Block b = Partition.block(all.size(), mpi.size(), mpi.rank());
        List<Task> mine = DoneTasks.remaining(all.block(b), done);
        StringWriter lines = new StringWriter();
        ResultCollector local = new ResultCollector(config.reduce(), mine, lines, null);
        executor().run(mine, local);

        long[] counts = mpi.allReduce(new long[] {local.ok(), local.failed(), local.retries()}, ReduceOp.SUM);
        JsonNode reduced = reduceAcrossRanks(local.partial());
        byte[][] results = mpi.gather(lines.toString().getBytes(StandardCharsets.UTF_8));
        if (mpi.rank() != 0) return;

        // Rank 0 re-reads the gathered lines for the results file, the log and the failed-task list;
        // the counts and the reduction are the collectives' (the check below keeps them honest).
        ResultCollector merged = new ResultCollector(ReduceOp.NONE, resultsFile(), out);
        for (byte[] r : results) {
            for (String line : new String(r, StandardCharsets.UTF_8).split("\n")) {
                if (!line.isEmpty()) merged.accept(TaskResult.parse(line));
            }
        }
        if (merged.ok() != counts[0] || merged.failed() != counts[1]) {
            throw new IllegalStateException("gathered " + merged.done() + " results, allreduce counted "
                    + (counts[0] + counts[1]));
        }
        PartSummary s = merged.summary(0, all.size(), millis(t0), name("static"), null);
        finish(new PartSummary(0, all.size(), counts[0], counts[1], counts[2], reduced, false, s.failedTasks(),
                s.failedTasksTruncated(), s.millis(), s.executor(), s.note(), null, done.count()), merged);
    }

    /**
     * sum/min/max of numbers: MPI_Allreduce; collect, results that are not numbers, and spec.reduction's
     * cells (groups, winners, exact means): MPI_Gather to rank 0, merged there by the Reducer.
     */
    private JsonNode reduceAcrossRanks(JsonNode partial) throws IOException {
        ReduceOp op = config.reduce().op();
        if (op == ReduceOp.NONE) return null;
        RankReduction.Layout layout = null;
        if (op != ReduceOp.COLLECT && config.reduce().plain()) {
            List<String> shapes = new ArrayList<>();
            for (byte[] s : mpi.allGather(String.valueOf(RankReduction.shape(partial)).getBytes(StandardCharsets.UTF_8))) {
                String v = new String(s, StandardCharsets.UTF_8);
                shapes.add("null".equals(v) ? null : v);
            }
            layout = RankReduction.agree(shapes);
        }
        if (layout != null) {
            long[] l = mpi.allReduce(RankReduction.longs(partial, layout, op), op);
            double[] d = mpi.allReduce(RankReduction.doubles(partial, layout, op), op);
            return RankReduction.rebuild(layout, l, d);
        }
        byte[][] partials = mpi.gather(partial == null ? new byte[0] : Json.string(partial).getBytes(StandardCharsets.UTF_8));
        if (partials == null) return null;
        Reducer reducer = new Reducer(config.reduce());
        JsonNode acc = null;
        for (byte[] p : partials) {
            if (p.length > 0) acc = reducer.merge(acc, Json.tree(new String(p, StandardCharsets.UTF_8)));
        }
        return acc;
    }

    /** Rank 0 in dynamic mode: hands out chunks until none are left, then tells each rank to stop. */
    private void dispatch(TaskList all, long t0) throws IOException {
        ResultCollector collector = new ResultCollector(config.reduce(), new TaskListView(all), resultsFile(), out);
        int workers = mpi.size() - 1;
        int next = 0;
        int stopped = 0;
        while (stopped < workers) {
            Collectives.Received m = mpi.receiveAny(TAG_REQUEST);
            String[] lines = new String(m.bytes(), StandardCharsets.UTF_8).split("\n");
            int want = Integer.parseInt(lines[0].substring("want ".length()).strip());
            for (int i = 1; i < lines.length; i++) {
                if (!lines[i].isEmpty()) collector.accept(TaskResult.parse(lines[i]));
            }
            // Guided self-scheduling: big chunks first, small ones at the end so uneven tasks balance.
            int remaining = (int) (all.size() - next);
            int chunk = Math.min(remaining, Math.max(1, Math.min(want, remaining / (2 * workers))));
            mpi.send(new long[] {next, chunk}, m.source(), TAG_WORK);
            if (chunk == 0) stopped++;
            next += chunk;
        }
        finish(collector.summary(0, all.size(), millis(t0), name("dynamic"), null, null, done.count()), collector);
    }

    /** The whole task list as a List, each task decoded when asked for (rank 0's results lookup). */
    private static final class TaskListView extends java.util.AbstractList<Task> {
        private final TaskList list;

        TaskListView(TaskList list) { this.list = list; }

        @Override
        public Task get(int index) { return list.get(index); }

        @Override
        public int size() { return (int) list.size(); }
    }

    /** Any other rank in dynamic mode: asks for work, runs it on its threads, sends results with the next request. */
    private void work(TaskList all) throws InterruptedException {
        TaskExecutor executor = executor();
        String finished = "";
        while (true) {
            mpi.send(("want " + threads + "\n" + finished).getBytes(StandardCharsets.UTF_8), 0, TAG_REQUEST);
            long[] w = mpi.receiveLongs(2, 0, TAG_WORK);
            if (w[1] == 0) return;
            StringWriter lines = new StringWriter();
            executor.run(DoneTasks.remaining(all.block(new Partition.Block(w[0], w[0] + w[1])), done),
                    new ResultCollector(ReduceOp.NONE, lines, null));
            finished = lines.toString();
        }
    }

    private void finish(PartSummary summary, ResultCollector collector) throws IOException {
        collector.close();
        out.println(PodContract.SUMMARY_LOG_PREFIX + summary.encode());
        out.flush();
    }

    private TaskExecutor executor() {
        return Executors.create(ExecutorKind.THREADS, config.kernel(), config.command(),
                new ExecOptions(threads, config.retries(), config.taskTimeoutSeconds()));
    }

    private Writer resultsFile() throws IOException {
        if (config.resultsFile() == null) return null;
        Path p = Path.of(config.resultsFile());
        if (p.getParent() != null) Files.createDirectories(p.getParent());
        return Files.newBufferedWriter(p, StandardCharsets.UTF_8);
    }

    private String name(String mode) {
        return "mpi " + mode + " x " + mpi.size() + " ranks (threads x " + threads + ")";
    }

    private static long millis(long t0) { return (System.nanoTime() - t0) / 1_000_000; }

    private static int parse(String v, int dflt) {
        try {
            return v == null ? dflt : Integer.parseInt(v.strip());
        } catch (NumberFormatException e) {
            return dflt;
        }
    }
}
