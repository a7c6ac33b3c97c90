package dev.parallel.job;

import dev.parallel.api.contract.CommandInImage;
import dev.parallel.api.contract.PartSummary;
import dev.parallel.api.contract.PodContract;
import dev.parallel.api.contract.TaskResult;
import dev.parallel.api.contract.WorkerConfig;
import dev.parallel.api.tasks.Task;
import dev.parallel.job.kernels.CommandKernel;
import dev.parallel.job.results.ApiWriter;
import dev.parallel.job.results.DoneTasks;
import dev.parallel.job.results.ResultStream;
import dev.parallel.job.results.StreamConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Command tasks in a user's image, which has a shell but no Java. This side runs as a native sidecar
 * from the job image: it writes one shell env file per task of the part into the shared run
 * directory, the user's container runs them with {@link CommandInImage#RUNNER} (a POSIX sh loop), and this side
 * turns each task's exit code and stdout into the same {@link TaskResult}s and {@link PartSummary}
 * the in-process executors give. The runner copies the summary into its termination message.
 */
public final class CommandSidecar {

    private CommandSidecar() {}

    public static int run(WorkerConfig c, Path runDir, PrintStream stdout) throws IOException, InterruptedException {
        return run(c, null, runDir, stdout);
    }

    /**
     * @param stream where results stream (null: only the summary): the tasks already recorded are not handed to the
     *               runner, every result is streamed as it is seen, and the last batch is written before the summary
     */
    public static int run(WorkerConfig c, StreamConfig stream, Path runDir, PrintStream stdout)
            throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        List<Task> block = c.partTasks();
        List<Task> tasks = stream == null ? block : DoneTasks.toRun(stream.doneDir(), c.partIndex(), block, stdout);
        Files.createDirectories(runDir.resolve("tasks"));
        Files.createDirectories(runDir.resolve("out"));
        for (int k = 0; k < tasks.size(); k++) Files.writeString(runDir.resolve("tasks/" + k + ".env"), envFile(tasks.get(k), System.getenv()));
        Files.writeString(runDir.resolve("tasks.count"), Integer.toString(tasks.size()));
        Files.writeString(runDir.resolve("ready"), "");
        stdout.printf("part %d/%d: %d command tasks handed to the task container%n", c.partIndex(), c.parts(), tasks.size());

        Path results = Path.of(c.resultsFile());
        if (results.getParent() != null) Files.createDirectories(results.getParent());
        ResultStream rs = stream == null ? null : ResultStream.open(stream, stdout);
        Thread onSigterm = rs == null ? null : new Thread(() -> {
            // The user's container is stopped first: record what it finished before this sidecar goes.
            rs.withholdFailures();
            try {
                rs.finish(System.nanoTime() + TimeUnit.SECONDS.toNanos(PartRunner.SIGTERM_FLUSH_SECONDS));
            } catch (ApiWriter.WriteFailed e) {
                stdout.println("results stream: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "pj-sigterm");
        if (onSigterm != null) Runtime.getRuntime().addShutdownHook(onSigterm);
        try (Writer w = Files.newBufferedWriter(results, StandardCharsets.UTF_8)) {
            ResultCollector collector = new ResultCollector(c.reduce(), block, w, stdout);
            if (rs != null) collector.streamingTo(rs);
            boolean[] seen = new boolean[tasks.size()];
            boolean[] started = new boolean[tasks.size()];
            int remaining = tasks.size();
            while (remaining > 0) {
                boolean done = Files.exists(runDir.resolve("done"));
                for (int k = 0; k < tasks.size(); k++) {
                    if (seen[k]) continue;
                    if (rs != null && !started[k] && Files.exists(runDir.resolve("claim/" + k))) { // the runner took it
                        started[k] = true;
                        rs.started(tasks.get(k));
                    }
                    Path exit = runDir.resolve("out/" + k + ".exit");
                    if (Files.exists(exit)) {
                        seen[k] = true;
                        remaining--;
                        collector.accept(result(tasks.get(k), runDir, k, Files.readString(exit).strip()));
                    } else if (done) { // the runner ended without it (killed mid-part)
                        seen[k] = true;
                        remaining--;
                        collector.accept(TaskResult.failure(tasks.get(k).index(), tasks.get(k).id(),
                                "did not run: the task container ended first", 0, 0));
                    }
                }
                if (remaining > 0) Thread.sleep(50);
            }
            if (rs != null) {
                try {
                    rs.finish(Long.MAX_VALUE);
                } catch (ApiWriter.WriteFailed e) {
                    String msg = "results stream: cannot record this pod's results: " + e.getMessage() + "; exit "
                            + PartRunner.EXIT_STREAM_FAILED + " (the Job retries the part; its next pod runs only the tasks not recorded)";
                    stdout.println(msg);
                    Files.writeString(runDir.resolve("summary.json"), msg);
                    Files.writeString(runDir.resolve("exit"), Integer.toString(PartRunner.EXIT_STREAM_FAILED));
                    Files.writeString(runDir.resolve("summary.done"), "");
                    return PartRunner.EXIT_STREAM_FAILED;
                }
            }
            PartSummary s = collector.summary(c.partIndex(), block.size(), (System.nanoTime() - t0) / 1_000_000,
                    "command-in-image", null, null, block.size() - tasks.size());
            String encoded = s.encode();
            Files.writeString(runDir.resolve("summary.json"), encoded);
            Files.writeString(runDir.resolve("exit"), s.failed() == 0 ? "0" : "1");
            Files.writeString(runDir.resolve("summary.done"), "");
            stdout.println("summary " + encoded);
            return s.failed() == 0 ? 0 : 1;
        } finally {
            if (rs != null) {
                rs.close();
                try {
                    Runtime.getRuntime().removeShutdownHook(onSigterm);
                } catch (IllegalStateException shuttingDown) {
                    // the hook runs
                }
            }
        }
    }

    static TaskResult result(Task t, Path runDir, int k, String exitLine) throws IOException {
        String[] f = exitLine.split(" ");
        int attempts = Integer.parseInt(f[0]);
        int code = Integer.parseInt(f[1]);
        String out = tail(runDir.resolve("out/" + k + ".stdout"));
        if (code != 0) {
            String err = tail(runDir.resolve("out/" + k + ".stderr"));
            String last = CommandKernel.lastNonBlankLine(err.isBlank() ? out : err);
            return TaskResult.failure(t.index(), t.id(), "exit code " + code
                    + (last == null ? "" : ": " + TaskResult.truncate(last, 200)), attempts, 0);
        }
        return TaskResult.success(t.index(), t.id(), CommandKernel.resultOf(out, code), attempts, 0);
    }

    private static String tail(Path p) throws IOException {
        if (!Files.exists(p)) return "";
        long size = Files.size(p);
        try (var ch = Files.newByteChannel(p)) {
            ch.position(Math.max(0, size - CommandKernel.TAIL_CHARS));
            var buf = java.nio.ByteBuffer.allocate((int) Math.min(size, CommandKernel.TAIL_CHARS));
            while (buf.hasRemaining() && ch.read(buf) > 0) { }
            return new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
        }
    }

    /**
     * The task's variables as shell assignments, single-quoted (safe for any value); in the launcher of a user's
     * MPI program ({@code env} from this pod) also the list Open MPI forwards to every rank.
     */
    static String envFile(Task t, Map<String, String> env) {
        String s = envFile(t);
        java.util.List<String> names = s.lines().map(l -> l.substring("export ".length(), l.indexOf('='))).toList();
        String ranksSee = dev.parallel.api.contract.MpiProgram.envList(env, names);
        return ranksSee == null ? s : s + "export " + dev.parallel.api.contract.MpiProgram.ENV_LIST + "=" + quote(ranksSee) + "\n";
    }

    static String envFile(Task t) {
        StringBuilder sb = new StringBuilder();
        sb.append("export ").append(PodContract.TASK_ID).append('=').append(quote(t.id())).append('\n');
        sb.append("export ").append(PodContract.TASK_INDEX).append('=').append(t.index()).append('\n');
        for (Iterator<Map.Entry<String, com.fasterxml.jackson.databind.JsonNode>> it = t.params().fields(); it.hasNext(); ) {
            var e = it.next();
            String name = PodContract.TASK_PARAM_PREFIX + e.getKey().toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9_]", "_");
            String v = e.getValue().isTextual() ? e.getValue().textValue() : e.getValue().toString();
            sb.append("export ").append(name).append('=').append(quote(v)).append('\n');
        }
        return sb.toString();
    }

    static String quote(String s) { return "'" + s.replace("'", "'\\''") + "'"; }
}
