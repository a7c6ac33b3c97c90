package dev.parallel.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parallel.api.contract.Json;
import dev.parallel.api.contract.TaskResult;
import dev.parallel.api.tasks.Task;
import dev.parallel.api.v1alpha1.ExecutorKind;
import dev.parallel.api.v1alpha1.Kernel;
import dev.parallel.api.v1alpha1.ReduceOp;
import dev.parallel.job.exec.ExecOptions;
import dev.parallel.job.exec.Executors;
import dev.parallel.job.exec.ProcessExecutor;
import dev.parallel.job.exec.TaskExecutor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

class ExecutorsTest {
    @Test
    void everyKernelJvmGetsTheKernelFlagsTheImageEntrypointIncluded() throws Exception {
        assertThat(Executors.childJvmArgs()).containsAll(Executors.KERNEL_JVM_ARGS)
                .contains("--add-modules=jdk.incubator.vector").containsAll(Executors.JIT_JVM_ARGS);
        // quiet before the other commands, or the JVM prints a line for each of them.
        assertThat(Executors.KERNEL_JVM_ARGS.indexOf("-XX:CompileCommand=quiet"))
                .isLessThan(Executors.KERNEL_JVM_ARGS.indexOf(Executors.JIT_JVM_ARGS.get(2)));
        // The pod's own JVM: both image builds write the list (`jvm-flags`) to the file their entrypoint reads.
        String images = java.nio.file.Files.readString(java.nio.file.Path.of("../hack/images.sh"));
        String jobJava = images.substring(images.indexOf("JOB_JAVA=("), images.indexOf(")", images.indexOf("JOB_JAVA=(")));
        assertThat(images).contains("KERNEL_ARGS=/app/kernel-jvm.args").contains("jvm-flags > \"$tmp$KERNEL_ARGS\"");
        assertThat(jobJava).as("hack/images.sh JOB_JAVA").contains(" @$KERNEL_ARGS");
        String docker = java.nio.file.Files.readString(java.nio.file.Path.of("Dockerfile"));
        String entrypoint = docker.lines().filter(l -> l.startsWith("ENTRYPOINT")).findFirst().orElseThrow();
        assertThat(docker).contains("parallel-job.jar jvm-flags > /app/kernel-jvm.args");
        assertThat(entrypoint).as("job-image/Dockerfile ENTRYPOINT").contains("\"@/app/kernel-jvm.args\"");
    }

    @Test
    void theKernelFlagsAreAnArgumentFileAJvmStartsWithSilently() throws Exception {
        // What the images do: `jvm-flags` into a file, `java @file`: the JVM takes every flag, prints nothing of them.
        java.nio.file.Path file = java.nio.file.Files.createTempFile("kernel-jvm", ".args");
        try {
            java.nio.file.Files.write(file, Executors.KERNEL_JVM_ARGS);
            String javaBin = java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process p = new ProcessBuilder(javaBin, "@" + file, "-XX:+PrintFlagsFinal", "-version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(p.waitFor()).as(out).isZero();
            assertThat(out).doesNotContain("CompileCommand:").containsPattern("LoopStripMiningIter\\s+= 1000 ")
                    .containsPattern("UseCountedLoopSafepoints\\s+= true ");
        } finally {
            java.nio.file.Files.delete(file);
        }
    }

    @Test
    void childStderrReachesThePodLogWithoutTheIncubatorWarning() throws Exception {
        String child = dev.parallel.job.exec.IncubatorWarning.LINE + "\nException in thread \"main\" boom\n"
                + "WARNING: something else\n";
        var out = new java.io.ByteArrayOutputStream();
        var ps = new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8);
        dev.parallel.job.exec.IncubatorWarning.forward(new java.io.ByteArrayInputStream(
                child.getBytes(java.nio.charset.StandardCharsets.UTF_8)), ps, "test").join();
        assertThat(out.toString(java.nio.charset.StandardCharsets.UTF_8).lines())
                .containsExactly("Exception in thread \"main\" boom", "WARNING: something else");
    }
    static List<Task> tasks(int n, java.util.function.IntFunction<String> json) throws Exception {
        List<Task> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(new Task(i, "t" + i, (ObjectNode) Json.mapper().readTree(json.apply(i))));
        return out;
    }

    static List<TaskResult> run(ExecutorKind kind, Kernel k, String cmd, List<Task> tasks, ExecOptions o) throws Exception {
        List<TaskResult> results = Collections.synchronizedList(new ArrayList<>());
        try (TaskExecutor ex = Executors.create(kind, k, cmd, o)) {
            ex.run(tasks, results::add);
        }
        results.sort(Comparator.comparingLong(TaskResult::index));
        return results;
    }

    @Test
    void aPrestartedProcessPoolKeepsItsWorkersAcrossRuns() throws Exception {
        // Each command runs as a child of its worker JVM: $PPID names the worker.
        var ex = (ProcessExecutor) Executors.create(ExecutorKind.PROCESSES, null, "sleep 0.2; echo \"{\\\"worker\\\": $PPID}\"",
                new ExecOptions(2, 0, 0));
        ex.prestart();
        java.util.Set<Long> first = new java.util.concurrent.ConcurrentSkipListSet<>(), second = new java.util.concurrent.ConcurrentSkipListSet<>();
        ex.run(tasks(8, i -> "{}"), r -> first.add(r.value().get("worker").asLong()));
        ex.run(tasks(8, i -> "{}"), r -> second.add(r.value().get("worker").asLong()));
        ex.cancel();
        assertThat(first).hasSize(2);
        assertThat(second).isEqualTo(first);
    }

    @Test
    void closingAProcessPoolLetsItsIdleWorkersExit() throws Exception {
        java.util.Set<ProcessHandle> before = java.util.Set.copyOf(workers());
        var ex = (ProcessExecutor) Executors.create(ExecutorKind.PROCESSES, Kernel.PI, null, new ExecOptions(2, 0, 0));
        ex.prestart();
        List<ProcessHandle> mine = workers().stream().filter(p -> !before.contains(p)).toList();
        assertThat(mine).hasSize(2);
        ex.run(tasks(4, i -> "{\"samples\": 1000}"), r -> {});
        ex.close(); // returns once they have exited (or were killed after 2 s)
        assertThat(mine).noneMatch(ProcessHandle::isAlive);
    }

    /** This JVM's worker processes. */
    static List<ProcessHandle> workers() {
        return ProcessHandle.current().children()
                .filter(p -> cmdline(p.pid()).contains("dev.parallel.job.exec.WorkerProcess")).toList();
    }

    @Test
    void workerJvmsCompileKernelLoopsAsTheParentDoes() throws Exception {
        // The workers pick the serial collector, which alone would drop strip-mined loop safepoints
        // and slow pi by ~10% against threads (docs/benchmarks.md).
        var ex = (ProcessExecutor) Executors.create(ExecutorKind.PROCESSES, Kernel.PI, null, new ExecOptions(1, 0, 0));
        ex.prestart();
        try {
            List<String> args = cmdline(workers().get(0).pid());
            assertThat(args).contains("-XX:+UseSerialGC").containsAll(Executors.KERNEL_JVM_ARGS);
        } finally {
            ex.cancel();
        }
    }

    /** A process's arguments as the kernel holds them (ProcessHandle.Info may leave them out). */
    static List<String> cmdline(long pid) {
        try {
            return List.of(java.nio.file.Files.readString(java.nio.file.Path.of("/proc", Long.toString(pid), "cmdline")).split("\0"));
        } catch (java.io.IOException e) {
            return List.of();
        }
    }

    @Test
    void allExecutorsGiveIdenticalResults() throws Exception {
        List<Task> pi = tasks(6, i -> "{\"samples\": 200000, \"seed\": 9}");
        List<Task> primes = tasks(5, i -> "{\"from\": " + i * 400000 + ", \"to\": " + (i + 1) * 400000 + "}");
        for (var c : List.of(new Object[] {Kernel.PI, pi}, new Object[] {Kernel.PRIMES, primes})) {
            Kernel k = (Kernel) c[0];
            @SuppressWarnings("unchecked") List<Task> t = (List<Task>) c[1];
            var seq = run(ExecutorKind.SEQUENTIAL, k, null, t, new ExecOptions(1, 0, 0));
            var thr = run(ExecutorKind.THREADS, k, null, t, new ExecOptions(3, 0, 0));
            var proc = run(ExecutorKind.PROCESSES, k, null, t, new ExecOptions(2, 0, 0));
            assertThat(seq).allMatch(TaskResult::ok).hasSize(t.size());
            assertThat(thr).extracting(TaskResult::value).containsExactlyElementsOf(seq.stream().map(TaskResult::value).toList());
            assertThat(proc).extracting(TaskResult::value).containsExactlyElementsOf(seq.stream().map(TaskResult::value).toList());
        }
    }

    @Test
    void aCrashingWorkerProcessFailsOnlyItsTaskAndIsReplaced() throws Exception {
        // Task 2 kills its worker JVM (the shell's parent) with SIGKILL; the others must still succeed.
        String cmd = "if [ \"$TASK_INDEX\" = 2 ]; then kill -9 $PPID; sleep 5; fi; echo $TASK_PARAM_X";
        var r = run(ExecutorKind.PROCESSES, null, cmd, tasks(6, i -> "{\"x\": " + i + "}"), new ExecOptions(2, 0, 0));
        assertThat(r).hasSize(6);
        assertThat(r.get(2).ok()).isFalse();
        assertThat(r.get(2).error()).contains("worker process exited with code 137");
        assertThat(r).filteredOn(TaskResult::ok).extracting(x -> x.value().asInt()).containsExactly(0, 1, 3, 4, 5);
    }

    @ParameterizedTest
    @EnumSource(value = ExecutorKind.class, names = "CUDA", mode = EnumSource.Mode.EXCLUDE) // CUDA: CudaLaunchTest
    void aHangingTaskTimesOutAndTheOthersRun(ExecutorKind kind) throws Exception {
        String cmd = "if [ \"$TASK_INDEX\" = 1 ]; then sleep 60; fi; echo '{\"v\": '$TASK_INDEX'}'";
        long t0 = System.nanoTime();
        var r = run(kind, null, cmd, tasks(3, i -> "{}"), new ExecOptions(2, 0, 5));
        assertThat((System.nanoTime() - t0) / 1e9).isLessThan(30);
        assertThat(r.get(1).ok()).isFalse();
        assertThat(r.get(1).error()).startsWith("timed out after 5 s");
        assertThat(r).as(r.toString()).filteredOn(TaskResult::ok).hasSize(2);
        assertThat(r.get(0).value().get("v").asInt()).isEqualTo(0);
        assertThat(r.get(2).value().get("v").asInt()).isEqualTo(2);
    }

    @ParameterizedTest
    @EnumSource(value = ExecutorKind.class, names = "CUDA", mode = EnumSource.Mode.EXCLUDE) // CUDA: CudaLaunchTest
    void failingCommandsAreRetriedThenReported(ExecutorKind kind) throws Exception {
        // Fails on the first attempt only (a marker file per task), and task 0 always fails.
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("pj-retry");
        String cmd = "if [ \"$TASK_INDEX\" = 0 ]; then echo boom >&2; exit 3; fi; f=" + dir
                + "/$TASK_ID; if [ ! -e $f ]; then touch $f; exit 1; fi; echo ok-$TASK_ID; echo 7";
        var r = run(kind, null, cmd, tasks(3, i -> "{}"), new ExecOptions(2, 1, 0));
        assertThat(r.get(0).ok()).isFalse();
        assertThat(r.get(0).error()).isEqualTo("exit code 3: boom");
        assertThat(r.get(0).attempts()).isEqualTo(2);
        assertThat(r.get(1).ok()).isTrue();
        assertThat(r.get(1).attempts()).isEqualTo(2);
        assertThat(r.get(1).value().asInt()).isEqualTo(7); // the last JSON line, not "ok-t1"
    }

    @Test
    void cancelReportsEveryTaskExactlyOnce() throws Exception {
        TaskExecutor ex = Executors.create(ExecutorKind.THREADS, Kernel.SLEEP, null, new ExecOptions(2, 0, 0));
        ResultCollector c = new ResultCollector(ReduceOp.SUM, null, null);
        Thread canceller = new Thread(() -> {
            try {
                Thread.sleep(300);
            } catch (InterruptedException ignored) {
            }
            ex.cancel();
        });
        canceller.start();
        ex.run(tasks(50, i -> "{\"millis\": 100}"), c);
        assertThat(c.done()).isEqualTo(50);
        assertThat(c.failed()).isGreaterThan(30);
        assertThat(c.summary(0, 50, 0, "threads", null).failedTasks().get(0).reason()).startsWith("cancelled");
    }
}
