package dev.parallel.job.exec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parallel.api.contract.Json;
import dev.parallel.api.contract.PodContract;
import dev.parallel.api.contract.TaskResult;
import dev.parallel.api.tasks.Task;
import dev.parallel.api.v1alpha1.Kernel;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Like ProcessPoolExecutor: N child JVMs ({@link WorkerProcess}) take tasks over stdin and answer
 * over stdout. A crash, OOM kill or System.exit in a task kills only its worker: it is replaced and
 * the task is retried or reported failed. A task over its timeout gets its worker killed.
 */
public final class ProcessExecutor implements TaskExecutor {
    private static final long STARTUP_TIMEOUT_SECONDS = 60;
    private static final long NO_TIMEOUT_POLL_SECONDS = 3600L * 24 * 365;

    private final Kernel kernel;
    private final String command;
    private final ExecOptions options;
    private final List<String> jvmArgs;
    private volatile boolean cancelled;
    private final List<Child> children = new ArrayList<>();
    /** Started workers not driving a task now: a run takes them first, and gives them back at its end. */
    private final java.util.concurrent.BlockingQueue<Child> idle = new java.util.concurrent.LinkedBlockingQueue<>();

    public ProcessExecutor(Kernel kernel, String command, ExecOptions options, List<String> jvmArgs) {
        this.kernel = kernel;
        this.command = command;
        this.options = options;
        this.jvmArgs = jvmArgs;
    }

    @Override
    public void run(List<Task> tasks, Consumer<TaskResult> sink, TaskStarts starts) throws InterruptedException {
        AtomicInteger next = new AtomicInteger();
        int n = Math.min(options.workers(), Math.max(1, tasks.size()));
        List<Thread> drivers = new ArrayList<>();
        for (int w = 0; w < n; w++) {
            Thread t = new Thread(() -> drive(tasks, next, sink, starts), "pj-process-driver-" + w);
            t.setDaemon(true);
            drivers.add(t);
            t.start();
        }
        for (Thread t : drivers) t.join();
    }

    /**
     * Starts every worker now, in parallel, so the next run finds them warm (a long-lived pool, as
     * ProcessPoolExecutor's after its first map). Workers outlive a run; they exit on {@link #close()}
     * or with this JVM (their stdin closes).
     */
    public void prestart() throws IOException, InterruptedException {
        List<Thread> starters = new ArrayList<>();
        List<IOException> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int w = idle.size(); w < options.workers(); w++) {
            Thread t = new Thread(() -> {
                try {
                    idle.add(spawn());
                } catch (IOException e) {
                    failures.add(e);
                }
            }, "pj-process-start-" + w);
            starters.add(t);
            t.start();
        }
        for (Thread t : starters) t.join();
        if (!failures.isEmpty()) throw failures.get(0);
    }

    /** One driver thread per worker process: pull a task, send it, wait for the answer. */
    private void drive(List<Task> tasks, AtomicInteger next, Consumer<TaskResult> sink, TaskStarts starts) {
        Child child = idle.poll();
        try {
            int i;
            while ((i = next.getAndIncrement()) < tasks.size()) {
                Task task = tasks.get(i);
                long t0 = System.nanoTime();
                String error = null;
                int attempt = 0;
                TaskResult result = null;
                while (attempt <= options.retries() && result == null) {
                    attempt++;
                    if (cancelled) {
                        error = "cancelled: the pod is terminating";
                        break;
                    }
                    starts.started(task);
                    try {
                        if (child == null || !child.process.isAlive()) child = spawn();
                        JsonNode answer = child.call(task, options.timeoutSeconds());
                        if (answer == null) {
                            error = "timed out after " + options.timeoutSeconds() + " s (worker process killed)";
                            child.kill();
                            child = null;
                        } else if (answer.path("ok").asBoolean()) {
                            result = TaskResult.success(task.index(), task.id(), answer.get("value"), attempt,
                                    Attempts.millisSince(t0));
                        } else {
                            error = answer.path("error").asText();
                        }
                    } catch (WorkerDied e) {
                        child = null;
                        if (cancelled) { // we killed it: the pod is stopping
                            error = "cancelled: the pod is terminating";
                            break;
                        }
                        error = e.getMessage();
                    } catch (IOException e) {
                        error = "worker process I/O failed: " + e.getMessage();
                        if (child != null) child.kill();
                        child = null;
                    } catch (InterruptedException e) {
                        error = "cancelled: the pod is terminating";
                        break;
                    }
                }
                sink.accept(result != null ? result
                        : TaskResult.failure(task.index(), task.id(), error, attempt, Attempts.millisSince(t0)));
            }
        } finally {
            if (child != null && child.process.isAlive() && !cancelled) idle.add(child);
            else if (child != null) child.close();
        }
    }

    private Child spawn() throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(WorkerProcess.class.getName());
        ProcessBuilder pb = new ProcessBuilder(cmd);
        if (kernel != null) pb.environment().put(PodContract.KERNEL, kernel.value());
        if (command != null) pb.environment().put(PodContract.COMMAND, command);
        Child c = new Child(pb.start());
        synchronized (children) {
            children.add(c);
        }
        if (cancelled) c.kill();
        try {
            String ready = c.answers.poll(STARTUP_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            if (!WorkerProcess.READY.equals(ready)) {
                c.kill();
                throw new IOException("worker process did not start within " + STARTUP_TIMEOUT_SECONDS + " s");
            }
        } catch (InterruptedException e) {
            c.kill();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting a worker process");
        }
        return c;
    }

    @Override
    public void cancel() {
        cancelled = true;
        synchronized (children) {
            children.forEach(Child::kill);
        }
    }

    @Override
    public String name() { return "processes"; }

    /** Lets the idle workers exit (EOF on their stdin); a later run starts new ones. */
    @Override
    public void close() {
        List<Child> leaving = new ArrayList<>();
        idle.drainTo(leaving);
        leaving.forEach(Child::close);
        synchronized (children) {
            children.removeAll(leaving);
        }
    }

    private static final class WorkerDied extends Exception {
        WorkerDied(String m) { super(m); }
    }

    /** A worker process and a reader thread feeding its answers into a queue (so waits can time out). */
    private static final class Child {
        final Process process;
        final BufferedWriter in;
        final BlockingQueue<String> answers = new LinkedBlockingQueue<>();
        static final String EOF = "\u0000eof";

        Child(Process process) {
            this.process = process;
            this.in = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
            Thread reader = new Thread(() -> {
                try (BufferedReader out = new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = out.readLine()) != null) {
                        if (line.startsWith(WorkerProcess.ANSWER_PREFIX)) {
                            answers.add(line.substring(WorkerProcess.ANSWER_PREFIX.length()));
                        }
                    }
                } catch (IOException ignored) {
                    // the process is gone
                }
                answers.add(EOF);
            }, "pj-process-reader");
            reader.setDaemon(true);
            reader.start();
            // The worker's stderr goes to the pod's log, less the JVM's incubator warning.
            IncubatorWarning.forward(process.getErrorStream(), System.err, "pj-process-stderr");
        }

        /** Sends the task and waits; null on timeout. */
        JsonNode call(Task task, int timeoutSeconds) throws IOException, InterruptedException, WorkerDied {
            ObjectNode msg = Json.object();
            msg.put("index", task.index()).put("id", task.id()).set("params", task.params());
            try {
                in.write(Json.string(msg));
                in.write('\n');
                in.flush();
            } catch (IOException e) {
                throw died();
            }
            String line = answers.poll(timeoutSeconds > 0 ? timeoutSeconds : NO_TIMEOUT_POLL_SECONDS, TimeUnit.SECONDS);
            if (line == null) return null;
            if (line.equals(EOF)) throw died();
            return Json.tree(line);
        }

        private WorkerDied died() throws InterruptedException {
            process.waitFor(5, TimeUnit.SECONDS);
            String how = process.isAlive() ? "closed its pipe" : "exited with code " + process.exitValue()
                    + (process.exitValue() == 137 || process.exitValue() == 9 ? " (killed: SIGKILL or out of memory)" : "");
            kill();
            return new WorkerDied("worker process " + how);
        }

        void kill() {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }

        void close() {
            try {
                in.close(); // EOF on stdin: the worker exits
                if (!process.waitFor(2, TimeUnit.SECONDS)) kill();
            } catch (IOException | InterruptedException e) {
                kill();
            }
        }
    }
}
