package dev.parallel.job.mpi;

import dev.parallel.api.contract.PartSummary;
import dev.parallel.api.contract.PodContract;
import dev.parallel.api.contract.TaskResult;
import dev.parallel.api.contract.DoneSet;
import dev.parallel.api.contract.WorkerConfig;
import dev.parallel.api.tasks.TaskList;
import dev.parallel.job.PartRunner;
import dev.parallel.job.results.ApiWriter;
import dev.parallel.job.results.DoneTasks;
import dev.parallel.job.results.ResultStream;
import dev.parallel.job.results.StreamConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The launcher pod: waits until every worker's sshd answers, writes the hostfile, runs mpirun with one
 * rank per slot ({@link MpiRank} in each), forwards rank 0's output to its own log (where the operator
 * gathers per-task results) and turns rank 0's summary into this pod's termination message, exactly
 * like a worker pod of an Indexed Job. Exit codes follow WorkerJob: 0 all tasks succeeded, 1 tasks
 * failed (final), 2 mpirun failed (the pod is retried per spec), 3 workers never became reachable.
 */
public final class MpiLauncher {
    public static final int EXIT_TASKS_FAILED = 1;
    public static final int EXIT_MPI_FAILED = 2;
    public static final int EXIT_WORKERS_UNREACHABLE = 3;
    /** Debian's Open MPI keeps libmpi_java.so here (the image adds the unversioned link). */
    static final String DEFAULT_LIBRARY_PATH = "/usr/lib/x86_64-linux-gnu/openmpi/lib";

    /**
     * The part's done set, handed to the ranks (which skip those tasks of their static block or dynamic chunks) when
     * its encoding fits this many characters; a larger one is not passed (the ranks run every task, the operator
     * counts each task once).
     */
    public static final String DONE_SET_ENV = "PJ_DONE_SET";
    public static final int MAX_DONE_SET_ENV_CHARS = 64 * 1024;

    private Map<String, String> env;
    private final PrintStream out;
    private final PrintStream err;
    private final StreamConfig stream;
    private final boolean streamFromEnv;

    public MpiLauncher(Map<String, String> env, PrintStream out, PrintStream err) {
        this(env, out, err, null, true);
    }

    /** @param stream where rank 0's results stream (tests: an in-process API server); null: none */
    public MpiLauncher(Map<String, String> env, PrintStream out, PrintStream err, StreamConfig stream) {
        this(env, out, err, stream, false);
    }

    private MpiLauncher(Map<String, String> env, PrintStream out, PrintStream err, StreamConfig stream, boolean fromEnv) {
        this.env = env;
        this.out = out;
        this.err = err;
        this.stream = stream;
        this.streamFromEnv = fromEnv;
    }

    public int run() throws IOException, InterruptedException {
        WorkerConfig config = PodContract.fromEnv(env); // a contract problem fails here, before any rank starts
        StreamConfig sc = streamFromEnv ? StreamConfig.fromEnv(env, config.partIndex()) : stream;
        TaskList all = sc == null ? null : config.taskList();
        if (sc != null) passDoneSet(DoneTasks.read(sc.doneDir(), config.partIndex(), 0, all.size(), out));
        ResultStream rs = sc == null ? null : ResultStream.open(sc, out);
        try {
            return run(config, all, rs);
        } finally {
            if (rs != null) rs.close();
        }
    }

    /** Puts the done set into the ranks' environment when it fits, and says what the ranks will do. */
    private void passDoneSet(DoneSet done) {
        if (done.count() == 0) return;
        String enc = done.encode();
        if (enc.length() > MAX_DONE_SET_ENV_CHARS) {
            out.println("done set: " + done.count() + " tasks recorded, but its " + enc.length() + " characters are over "
                    + MAX_DONE_SET_ENV_CHARS + ": the ranks run every task, the operator counts each once");
            return;
        }
        Map<String, String> e = new java.util.HashMap<>(env);
        e.put(DONE_SET_ENV, enc);
        env = e;
        out.println("skipping " + done.count() + " tasks already recorded");
    }

    private int run(WorkerConfig config, TaskList all, ResultStream rs) throws IOException, InterruptedException {
        List<String> hosts = List.of(env.getOrDefault(PodContract.MPI_HOSTS, "").split(","))
                .stream().map(String::strip).filter(h -> !h.isEmpty()).toList();
        if (hosts.isEmpty()) return fail(EXIT_MPI_FAILED, PodContract.MPI_HOSTS + " names no worker");
        int slots = Integer.parseInt(env.getOrDefault(PodContract.MPI_SLOTS, "1").strip());
        int waitSeconds = Integer.parseInt(env.getOrDefault(PodContract.MPI_WAIT_SECONDS, "300").strip());

        List<String> unreachable = waitForWorkers(hosts, waitSeconds);
        if (!unreachable.isEmpty()) {
            return fail(EXIT_WORKERS_UNREACHABLE, "MPI workers not reachable on port " + PodContract.SSH_PORT
                    + " after " + waitSeconds + " s: " + String.join(", ", unreachable));
        }
        Path hostfile = Files.createTempFile("pj-hostfile", "");
        Files.write(hostfile, hosts.stream().map(h -> h + " slots=" + slots).toList());
        List<String> cmd = command(hostfile, hosts.size() * slots);
        out.println("mpirun: " + hosts.size() + " workers x " + slots + " slots = " + hosts.size() * slots + " ranks");
        out.flush();

        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(mcaDefaults());
        env.forEach((k, v) -> {
            if (k.startsWith("PJ_") || k.startsWith("OMPI_")) pb.environment().put(k, v);
        });
        Process mpirun = pb.start();
        Thread onSigterm = new Thread(() -> {
            if (rs != null) rs.withholdFailures(); // interrupted tasks are the next pod's to run
            stop(mpirun);
            if (rs != null) finishQuietly(rs, System.nanoTime() + TimeUnit.SECONDS.toNanos(PartRunner.SIGTERM_FLUSH_SECONDS));
        }, "pj-sigterm");
        Runtime.getRuntime().addShutdownHook(onSigterm);
        Deque<String> lastErrors = new ArrayDeque<>();
        Thread errPump = pump(mpirun.getErrorStream(), line -> {
            if (dev.parallel.job.exec.IncubatorWarning.is(line)) return; // every rank JVM's, see IncubatorWarning
            err.println(line);
            synchronized (lastErrors) {
                lastErrors.addLast(line);
                if (lastErrors.size() > 8) lastErrors.removeFirst();
            }
        });
        String summary = null;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(mpirun.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith(PodContract.SUMMARY_LOG_PREFIX)) {
                    summary = line.substring(PodContract.SUMMARY_LOG_PREFIX.length());
                } else {
                    out.println(line);
                    if (rs != null && line.startsWith(PodContract.RESULT_LOG_PREFIX)) stream(rs, config, all, line);
                }
            }
        }
        int code = mpirun.waitFor();
        errPump.join(2000);
        out.flush();
        try {
            Runtime.getRuntime().removeShutdownHook(onSigterm);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs: mpirun is being stopped
        }
        if (rs != null) {
            try {
                rs.finish(Long.MAX_VALUE);
            } catch (ApiWriter.WriteFailed e) {
                return fail(EXIT_MPI_FAILED, "results stream: cannot record this pod's results: " + e.getMessage()
                        + " (the Job retries the part; its next pod runs only the tasks not recorded)");
            }
        }
        if (summary != null && code == 0) {
            PartSummary s = PartSummary.decode(summary);
            writeSummary(s.encode());
            out.println("summary " + s.encode());
            return s.failed() == 0 ? 0 : EXIT_TASKS_FAILED;
        }
        String tail;
        synchronized (lastErrors) {
            tail = String.join(" | ", lastErrors);
        }
        return fail(EXIT_MPI_FAILED, "mpirun exited with " + code + (tail.isEmpty() ? "" : ": " + tail));
    }

    /** Rank 0's result line, streamed (with its task's parameters when the reduction needs them). */
    private void stream(ResultStream rs, WorkerConfig config, TaskList all, String line) {
        String json = line.substring(PodContract.RESULT_LOG_PREFIX.length());
        try {
            TaskResult r = TaskResult.parse(json);
            if (config.reduce().needsParams()) rs.record(r.withParams(all.get(r.index()).params()), null);
            else rs.record(r, json);
        } catch (IOException | RuntimeException e) {
            err.println("launcher: a result line that does not parse is not recorded: " + e.getMessage());
        }
    }

    private void finishQuietly(ResultStream rs, long deadline) {
        try {
            rs.finish(deadline);
        } catch (ApiWriter.WriteFailed e) {
            err.println("results stream: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Outside the image (tests, benchmarks): a folder with the unversioned libmpi_java.so link that
     * Debian's libopenmpi3 lacks; fails with what to install when Open MPI is missing.
     */
    public static Path javaLibraryPath() throws IOException {
        Path nativeLib = Path.of("/usr/lib/x86_64-linux-gnu/libmpi_java.so.40");
        boolean mpirun = List.of(System.getenv().getOrDefault("PATH", "").split(":")).stream()
                .anyMatch(d -> Files.isExecutable(Path.of(d, "mpirun")));
        if (!mpirun || !Files.exists(nativeLib)) {
            throw new IllegalStateException("Open MPI not installed: apt-get install openmpi-bin libopenmpi3");
        }
        Path dir = Files.createTempDirectory("pj-mpi-lib");
        Files.createSymbolicLink(dir.resolve("libmpi_java.so"), nativeLib);
        dir.toFile().deleteOnExit();
        dir.resolve("libmpi_java.so").toFile().deleteOnExit();
        return dir;
    }

    /** mpirun with the hostfile; every contract variable is forwarded to the ranks (ssh does not carry env). */
    List<String> command(Path hostfile, int ranks) {
        List<String> cmd = new ArrayList<>(List.of("mpirun", "--hostfile", hostfile.toString(), "-np",
                Integer.toString(ranks), "--oversubscribe", "--bind-to", "none"));
        env.keySet().stream().filter(k -> k.startsWith("PJ_")).sorted().forEach(k -> cmd.addAll(List.of("-x", k)));
        String java = ProcessHandle.current().info().command().orElse("java");
        cmd.add(java);
        cmd.addAll(dev.parallel.job.exec.Executors.childJvmArgs());
        cmd.addAll(List.of("-Djava.library.path=" + env.getOrDefault("PJ_MPI_JAVA_LIBRARY_PATH", DEFAULT_LIBRARY_PATH),
                "-cp", System.getProperty("java.class.path"), "dev.parallel.job.cli.Main", "mpi-rank"));
        return cmd;
    }

    /** Open MPI settings for pods, the same a user's MPI program gets (MpiProgram.mca). */
    static Map<String, String> mcaDefaults() {
        return dev.parallel.api.contract.MpiProgram.mca();
    }

    /** Waits until every host resolves and accepts TCP on the sshd port; returns those that never did. */
    private List<String> waitForWorkers(List<String> hosts, int waitSeconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(waitSeconds);
        List<String> pending = new ArrayList<>(hosts);
        if (waitSeconds <= 0) return List.of();
        long lastReport = 0;
        while (true) {
            pending.removeIf(MpiLauncher::reachable);
            if (pending.isEmpty()) return List.of();
            if (System.nanoTime() > deadline) return pending;
            if (System.nanoTime() - lastReport > TimeUnit.SECONDS.toNanos(10)) {
                out.println("waiting for MPI workers: " + String.join(", ", pending));
                out.flush();
                lastReport = System.nanoTime();
            }
            Thread.sleep(500);
        }
    }

    private static boolean reachable(String host) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, PodContract.SSH_PORT), 2000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private int fail(int code, String message) {
        err.println("launcher: " + message);
        try {
            writeSummary(TaskResult.truncate(message, 2000));
        } catch (IOException e) {
            err.println("cannot write summary: " + e.getMessage());
        }
        return code;
    }

    private void writeSummary(String text) throws IOException {
        PartRunner.writeSummary(env.getOrDefault(PodContract.SUMMARY_FILE, PodContract.DEFAULT_SUMMARY_FILE), text);
    }

    private static void stop(Process mpirun) {
        mpirun.destroy(); // SIGTERM: mpirun stops every rank
        try {
            if (!mpirun.waitFor(20, TimeUnit.SECONDS)) mpirun.destroyForcibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Thread pump(InputStream in, java.util.function.Consumer<String> sink) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) sink.accept(line);
            } catch (IOException ignored) {
                // the process ended
            }
        }, "mpirun-stderr");
        t.setDaemon(true);
        t.start();
        return t;
    }
}
