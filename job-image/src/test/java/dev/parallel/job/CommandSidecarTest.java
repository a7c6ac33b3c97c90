package dev.parallel.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parallel.api.contract.Json;
import dev.parallel.api.contract.PartSummary;
import dev.parallel.api.contract.PodContract;
import dev.parallel.api.contract.WorkerConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Both halves of command-in-a-user-image, on this machine: the sidecar and the sh runner share a directory. */
class CommandSidecarTest {
    @TempDir
    Path dir;

    @Test
    void runnerAndSidecarGiveTheSameResultsAsTheInProcessCommandKernel() throws Exception {
        Path tasks = dir.resolve("tasks.jsonl");
        Files.writeString(tasks, """
                {"id": "a", "x": 3}
                {"id": "it's quoted", "x": 4, "word": "a b $HOME `x`"}
                {"id": "fails", "x": -1}
                {"id": "d", "x": 12}
                """);
        String command = "if [ $TASK_PARAM_X -lt 0 ]; then echo negative >&2; exit 7; fi; "
                + "echo \"id=$TASK_ID word=$TASK_PARAM_WORD\"; echo $((TASK_PARAM_X * TASK_PARAM_X))";
        Map<String, String> env = Map.of(PodContract.COMMAND, command, PodContract.TASKS_FILE, tasks.toString(),
                PodContract.PARTS, "1", PodContract.PART_INDEX, "0", PodContract.THREADS, "2", PodContract.RETRIES, "1",
                PodContract.REDUCE, "sum", PodContract.RESULTS_FILE, dir.resolve("results.jsonl").toString(),
                PodContract.SUMMARY_FILE, dir.resolve("unused").toString());
        WorkerConfig c = PodContract.fromEnv(env);
        Path run = dir.resolve("run");
        var sidecar = CompletableFuture.supplyAsync(() -> {
            try {
                return CommandSidecar.run(c, run, new PrintStream(new ByteArrayOutputStream()));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", dev.parallel.api.contract.CommandInImage.RUNNER);
        pb.environment().putAll(env);
        pb.environment().put("PJ_RUN_DIR", run.toString());
        pb.environment().put("PJ_TERMINATION_LOG", dir.resolve("termination-log").toString());
        Process runner = pb.inheritIO().start();
        assertThat(runner.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(runner.exitValue()).isEqualTo(1); // one task failed
        assertThat(sidecar.get(10, TimeUnit.SECONDS)).isEqualTo(1);

        PartSummary s = PartSummary.decode(Files.readString(dir.resolve("termination-log")));
        assertThat(s.ok()).isEqualTo(3);
        assertThat(s.failed()).isEqualTo(1);
        assertThat(s.partial().asLong()).isEqualTo(9 + 16 + 144);
        assertThat(s.failedTasks()).singleElement().satisfies(f -> {
            assertThat(f.id()).isEqualTo("fails");
            assertThat(f.reason()).isEqualTo("exit code 7: negative");
        });
        var lines = Files.readAllLines(dir.resolve("results.jsonl")).stream()
                .map(l -> { try { return Json.mapper().readTree(l); } catch (Exception e) { throw new IllegalStateException(e); } })
                .toList();
        assertThat(lines).hasSize(4);
        assertThat(lines).filteredOn(n -> n.get("id").asText().equals("fails")).singleElement()
                .satisfies(n -> assertThat(n.get("attempts").asInt()).isEqualTo(2));
        // The same tasks through the in-process command kernel give the same values.
        var local = ExecutorsTest.run(dev.parallel.api.v1alpha1.ExecutorKind.THREADS, null, command,
                dev.parallel.api.tasks.TaskList.ofJsonLines(Files.newBufferedReader(tasks), null).all(),
                new dev.parallel.job.exec.ExecOptions(2, 1, 0));
        for (var r : local) {
            var remote = lines.stream().filter(n -> n.get("index").asLong() == r.index()).findFirst().orElseThrow();
            assertThat(remote.get("ok").asBoolean()).isEqualTo(r.ok());
            if (r.ok()) assertThat(remote.get("value")).isEqualTo(r.value());
        }
    }

    /** Streamed: the recorded tasks never reach the runner, the others are recorded once each. */
    @Test
    void withStreamedResultsTheRecordedTasksAreNotHandedToTheRunner() throws Exception {
        Path tasks = dir.resolve("tasks.jsonl");
        Files.writeString(tasks, "{\"x\": 1}\n{\"x\": 2}\n{\"x\": 3}\n{\"x\": 4}\n");
        // Each run leaves a mark: the executions can be counted.
        String command = "touch " + dir + "/ran-$TASK_INDEX; echo $((TASK_PARAM_X * 10))";
        Map<String, String> env = Map.of(PodContract.COMMAND, command, PodContract.TASKS_FILE, tasks.toString(),
                PodContract.PARTS, "1", PodContract.PART_INDEX, "0", PodContract.THREADS, "2", PodContract.REDUCE, "sum",
                PodContract.RESULTS_FILE, dir.resolve("results.jsonl").toString(), PodContract.SUMMARY_FILE, dir.resolve("unused").toString());
        WorkerConfig c = PodContract.fromEnv(env);
        dev.parallel.api.contract.DoneSet done = dev.parallel.api.contract.DoneSet.empty(0, 4);
        done.add(1);
        Files.createDirectories(dir.resolve("done"));
        Files.writeString(dir.resolve("done").resolve(dev.parallel.api.contract.ResultsContract.doneKey(0)), done.encode());
        Files.writeString(dir.resolve("token"), "t");
        try (var api = new dev.parallel.job.results.FakeApiServer()) {
            var stream = new dev.parallel.job.results.StreamConfig(new dev.parallel.job.results.PodIdentity("ns", "c-0-abcde",
                    "u", "c", "j", 0), api.uri(), null, dir.resolve("token"), 100, dir.resolve("done"), java.time.Duration.ofSeconds(5));
            Path run = dir.resolve("run");
            var sidecar = CompletableFuture.supplyAsync(() -> {
                try {
                    return CommandSidecar.run(c, stream, run, new PrintStream(new ByteArrayOutputStream()));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", dev.parallel.api.contract.CommandInImage.RUNNER);
            pb.environment().putAll(env);
            pb.environment().put("PJ_RUN_DIR", run.toString());
            pb.environment().put("PJ_TERMINATION_LOG", dir.resolve("termination-log").toString());
            Process runner = pb.inheritIO().start();
            assertThat(runner.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(runner.exitValue()).isZero();
            assertThat(sidecar.get(10, TimeUnit.SECONDS)).isZero();
            PartSummary s = PartSummary.decode(Files.readString(dir.resolve("termination-log")));
            assertThat(s.skipped()).isEqualTo(1);
            assertThat(s.ok()).isEqualTo(3);
            assertThat(s.partial().asLong()).isEqualTo(10 + 30 + 40);
            assertThat(Files.exists(dir.resolve("ran-1"))).as("task 1 was recorded: not run").isFalse();
            assertThat(Files.exists(dir.resolve("ran-0")) && Files.exists(dir.resolve("ran-2")) && Files.exists(dir.resolve("ran-3"))).isTrue();
            java.util.List<Long> recorded = new java.util.ArrayList<>();
            for (var b : api.batches()) {
                for (String l : b.path("spec").path("records").asText("").split("\n")) {
                    if (!l.isEmpty()) recorded.add(Json.mapper().readTree(l).get("index").asLong());
                }
            }
            assertThat(recorded).containsExactlyInAnyOrder(0L, 2L, 3L);
        }
    }

    /** A sweep in a user's image: the env files carry the matrix params, the sidecar's partial names the winner. */
    @Test
    void aSweepInTheUsersImageReducesToTheWinningCombination() throws Exception {
        String command = "echo \"{\\\"score\\\": $(( TASK_PARAM_A * 10 + ${#TASK_PARAM_B} ))}\"";
        Map<String, String> env = Map.of(PodContract.COMMAND, command,
                PodContract.MATRIX, "{\"axes\":[{\"param\":\"a\",\"values\":[1,3,2]},{\"param\":\"b\",\"values\":[\"x\",\"it's\"]}]}",
                PodContract.PARTS, "1", PodContract.PART_INDEX, "0", PodContract.THREADS, "2",
                PodContract.REDUCE, "argmax", PodContract.REDUCE_BY, "score",
                PodContract.RESULTS_FILE, dir.resolve("results.jsonl").toString(), PodContract.SUMMARY_FILE, dir.resolve("unused").toString());
        WorkerConfig c = PodContract.fromEnv(env);
        Path run = dir.resolve("run");
        var sidecar = CompletableFuture.supplyAsync(() -> {
            try {
                return CommandSidecar.run(c, run, new PrintStream(new ByteArrayOutputStream()));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", dev.parallel.api.contract.CommandInImage.RUNNER);
        pb.environment().putAll(env);
        pb.environment().put("PJ_RUN_DIR", run.toString());
        pb.environment().put("PJ_TERMINATION_LOG", dir.resolve("termination-log").toString());
        Process runner = pb.inheritIO().start();
        assertThat(runner.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(runner.exitValue()).isZero();
        assertThat(sidecar.get(10, TimeUnit.SECONDS)).isZero();
        PartSummary s = PartSummary.decode(Files.readString(dir.resolve("termination-log")));
        assertThat(s.ok()).isEqualTo(6);
        // a=3 with b="it's" (4 characters): 34, the highest score.
        assertThat(s.partial().toString()).isEqualTo("{\"value\":34,\"index\":3,\"id\":\"a=3,b=it's\","
                + "\"params\":{\"a\":3,\"b\":\"it's\"}}");
    }

    /**
     * A user's MPI program (the launcher's env has PJ_MPI_NP): each task's env file also names its variables in
     * Open MPI's forwarding list, after the user's own, so mpirun hands them to every rank; elsewhere it does not.
     */
    @Test
    void inTheLauncherOfAnMpiProgramTheTaskVariablesAreForwardedToTheRanks() throws Exception {
        var task = dev.parallel.api.tasks.TaskList.ofJsonLines(new java.io.BufferedReader(new java.io.StringReader(
                "{\"id\": \"it's\", \"n\": 3, \"lr\": \"0.1\"}\n")), null).all().get(0);
        assertThat(CommandSidecar.envFile(task, Map.of())).isEqualTo(CommandSidecar.envFile(task));
        String file = CommandSidecar.envFile(task, Map.of(dev.parallel.api.contract.MpiProgram.NP_ENV, "4",
                "OMPI_MCA_mca_base_env_list", "APP"));
        Path env = dir.resolve("task.env");
        Files.writeString(env, file);
        Process sh = new ProcessBuilder("/bin/sh", "-c", ". " + env + "; echo \"$OMPI_MCA_mca_base_env_list|$TASK_ID|$TASK_PARAM_N\"")
                .redirectErrorStream(true).start();
        assertThat(new String(sh.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip())
                .isEqualTo("APP;TASK_ID;TASK_INDEX;TASK_PARAM_N;TASK_PARAM_LR|it's|3");
        assertThat(sh.waitFor()).isZero();
    }
}
