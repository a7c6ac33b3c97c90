package dev.parallel.job.kernels;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parallel.api.contract.Json;
import dev.parallel.api.contract.PodContract;
import dev.parallel.api.contract.TaskResult;
import dev.parallel.api.tasks.Task;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.Locale;
import java.util.List;
import java.util.Map;

/**
 * Runs a shell command per task, as {@code ./run_job.sh $id &} does, with TASK_ID, TASK_INDEX and
 * TASK_PARAM_NAME in its environment. Exit 0 is success; the result is the last stdout line that
 * parses as JSON, else the exit code. Only the tail of stdout and stderr is kept (bounded memory).
 */
public final class CommandKernel implements TaskFunction {
    public static final int TAIL_CHARS = 64 * 1024;

    private final String command;

    public CommandKernel(String command) { this.command = command; }

    @Override
    public JsonNode apply(Task task) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", command);
        Map<String, String> env = pb.environment();
        env.put(PodContract.TASK_ID, task.id());
        env.put(PodContract.TASK_INDEX, Long.toString(task.index()));
        for (Iterator<Map.Entry<String, JsonNode>> it = task.params().fields(); it.hasNext(); ) {
            var e = it.next();
            String name = e.getKey().toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9_]", "_");
            env.put(PodContract.TASK_PARAM_PREFIX + name, e.getValue().isTextual() ? e.getValue().textValue()
                    : e.getValue().toString());
        }
        // A user's MPI program: its ranks see the task's variables too (ssh carries no environment).
        String ranksSee = dev.parallel.api.contract.MpiProgram.envList(env, env.keySet().stream()
                .filter(k -> k.equals(PodContract.TASK_ID) || k.equals(PodContract.TASK_INDEX)
                        || k.startsWith(PodContract.TASK_PARAM_PREFIX)).sorted().toList());
        if (ranksSee != null) env.put(dev.parallel.api.contract.MpiProgram.ENV_LIST, ranksSee);
        Process p = pb.start();
        p.getOutputStream().close();
        Tail out = Tail.start(p.getInputStream());
        Tail err = Tail.start(p.getErrorStream());
        int code;
        try {
            code = p.waitFor();
            out.join();
            err.join();
        } catch (InterruptedException e) {
            // Timeout or shutdown: take the whole process tree down, not just the shell.
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw e;
        }
        if (code != 0) {
            String last = err.lastLine() != null ? err.lastLine() : out.lastLine();
            throw new TaskFailure("exit code " + code + (last == null ? "" : ": " + TaskResult.truncate(last, 200)));
        }
        return resultOf(String.join("\n", out.lines), code);
    }

    /** The contract's rule: the last stdout line that parses as JSON, else the exit code. */
    public static JsonNode resultOf(String stdout, int code) {
        List<String> lines = stdout.lines().toList();
        for (int i = lines.size() - 1; i >= 0; i--) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) continue;
            try {
                return Json.mapper().readTree(line);
            } catch (IOException notJson) {
                // keep looking further up
            }
        }
        return Json.integral(code);
    }

    public static String lastNonBlankLine(String text) {
        List<String> lines = text.lines().filter(l -> !l.isBlank()).toList();
        return lines.isEmpty() ? null : lines.get(lines.size() - 1);
    }

    /** Keeps the last {@link #TAIL_CHARS} characters of a stream, as lines. */
    private static final class Tail extends Thread {
        final Deque<String> lines = new ArrayDeque<>();
        private final InputStream in;
        private int chars;

        private Tail(InputStream in) {
            this.in = in;
            setDaemon(true);
        }

        static Tail start(InputStream in) {
            Tail t = new Tail(in);
            t.start();
            return t;
        }

        @Override
        public void run() {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (line.length() > TAIL_CHARS) line = line.substring(line.length() - TAIL_CHARS);
                    lines.addLast(line);
                    chars += line.length();
                    while (chars > TAIL_CHARS && lines.size() > 1) chars -= lines.removeFirst().length();
                }
            } catch (IOException ignored) {
                // the process went away; what we have is the tail
            }
        }

        String lastLine() {
            for (Iterator<String> it = lines.descendingIterator(); it.hasNext(); ) {
                String l = it.next();
                if (!l.isBlank()) return l;
            }
            return null;
        }
    }
}
