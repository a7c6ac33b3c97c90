package dev.parallel.job.exec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parallel.api.contract.Json;
import dev.parallel.api.contract.PodContract;
import dev.parallel.api.tasks.Task;
import dev.parallel.api.v1alpha1.Kernel;
import dev.parallel.job.kernels.Kernels;
import dev.parallel.job.kernels.TaskFailure;
import dev.parallel.job.kernels.TaskFunction;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * The child side of {@link ProcessExecutor}: reads one task per stdin line, answers one line on stdout
 * behind {@link #ANSWER_PREFIX} (anything else a task prints is ignored), exits at EOF.
 */
public final class WorkerProcess {
    static final String ANSWER_PREFIX = "@pj-answer ";
    static final String READY = "{\"ready\":true}";

    private WorkerProcess() {}

    public static void main(String[] args) throws Exception {
        String k = System.getenv(PodContract.KERNEL);
        dev.parallel.job.kernels.KernelPath.prepare(k);
        TaskFunction fn = Kernels.of(k == null ? null : Kernel.of(k), System.getenv(PodContract.COMMAND));
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false,
                StandardCharsets.UTF_8);
        System.setOut(System.err); // stray prints from task code must not corrupt the protocol
        out.println(ANSWER_PREFIX + READY); // task timeouts start after JVM start-up, not before
        out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            JsonNode msg = Json.tree(line);
            Task task = new Task(msg.get("index").asLong(), msg.get("id").asText(), (ObjectNode) msg.get("params"));
            ObjectNode answer = Json.object();
            try {
                answer.put("ok", true).set("value", fn.apply(task));
            } catch (TaskFailure e) {
                answer.put("ok", false).put("error", e.getMessage());
            } catch (Exception | OutOfMemoryError | StackOverflowError e) {
                answer.put("ok", false).put("error", Attempts.describe(e));
            }
            out.println(ANSWER_PREFIX + Json.string(answer));
            out.flush();
        }
    }
}
