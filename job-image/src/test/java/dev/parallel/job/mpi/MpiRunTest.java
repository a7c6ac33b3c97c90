package dev.parallel.job.mpi;

import static org.assertj.core.api.Assertions.assertThat;
import dev.parallel.api.contract.PartSummary;
import dev.parallel.api.contract.PodContract;
import dev.parallel.job.PartRunner;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Real mpirun on this machine (4 ranks, oversubscribed on 2 cores): the launcher's summary and
 * per-task results equal the thread executor's, in static (allreduce/gather) and dynamic
 * (send/recv) modes. Needs Debian's openmpi-bin and libopenmpi3 (.ci/run installs them).
 */
class MpiRunTest {
    static Path lib;
    @TempDir
    static Path dir;

    static String missing;

    @org.junit.jupiter.api.BeforeEach
    void needsOpenMpi() {
        dev.parallel.api.testing.Preconditions.need("mpirun", missing == null, missing);
    }

    @BeforeAll
    static void findOpenMpi() throws Exception {
        try {
            lib = MpiLauncher.javaLibraryPath();
        } catch (IllegalStateException e) {
            missing = e.getMessage();
            return;
        }
        Files.writeString(dir.resolve("tasks.jsonl"), String.join("\n",
                "{\"id\":\"a\",\"from\":0,\"to\":300000}",
                "{\"id\":\"b\",\"from\":300000,\"to\":900000}",
                "{\"id\":\"bad\",\"from\":\"x\",\"to\":5}",
                "{\"id\":\"c\",\"from\":900000,\"to\":2000000}",
                "{\"id\":\"d\",\"from\":2000000,\"to\":2000100}") + "\n");
    }

    @ParameterizedTest(name = "{0} {1} reduce={2}")
    @CsvSource({
        "static,  pi,     sum",
        "dynamic, pi,     sum",
        "static,  primes, sum",
        "dynamic, primes, sum",
        "static,  pi,     max",
        "static,  pi,     collect",
        "static,  primes-file, sum",
        "dynamic, primes-file, collect",
        "static,  matrix, argmax-hits",
        "dynamic, matrix, argmin-hits",
        "static,  matrix, mean-hits-by-samples",
        "dynamic, matrix, count-by-seed",
    })
    void mpiRanksGiveTheThreadExecutorsResult(String mode, String tasks, String reduce) throws Exception {
        Map<String, String> env = new HashMap<>();
        switch (tasks) {
            case "pi" -> {
                env.put(PodContract.KERNEL, "pi");
                env.put(PodContract.PARAMS, "{\"seed\":11}");
                env.put(PodContract.RANGE, "{\"start\":100000,\"end\":100023,\"param\":\"samples\"}");
            }
            case "primes" -> {
                env.put(PodContract.KERNEL, "primes");
                env.put(PodContract.PARAMS, "{\"to\":3000000}");
                env.put(PodContract.RANGE, "{\"start\":0,\"end\":2900000,\"step\":100000,\"param\":\"from\"}");
            }
            case "matrix" -> { // each rank decodes its own block of the sweep
                env.put(PodContract.KERNEL, "pi");
                env.put(PodContract.MATRIX, "{\"axes\":[{\"param\":\"seed\",\"range\":{\"start\":0,\"end\":7}},"
                        + "{\"param\":\"samples\",\"values\":[1000,3000,5000]}],\"exclude\":[{\"seed\":3,\"samples\":1000}]}");
            }
            default -> {
                env.put(PodContract.KERNEL, "primes");
                env.put(PodContract.TASKS_FILE, dir.resolve("tasks.jsonl").toString());
            }
        }
        // spec.reduction, written op-field-by-group: argmax-hits, mean-hits-by-samples, count-by-seed.
        String[] r = reduce.split("-");
        env.put(PodContract.REDUCE, r[0]);
        if (r.length > 1 && !"by".equals(r[1])) env.put(PodContract.REDUCE_BY, r[1]);
        if (reduce.contains("-by-")) env.put(PodContract.GROUP_BY, reduce.substring(reduce.indexOf("-by-") + 4));
        env.put(PodContract.THREADS, "1");
        PartSummary threads = reference(env);
        assertThat(threads.ok()).as("the reference run has successes to compare").isGreaterThan(0);
        assertThat(threads.partial()).as("the reference run has a reduction to compare").isNotNull();

        Path summary = dir.resolve("mpi-" + mode + "-" + tasks + "-" + reduce + ".summary");
        env.put(PodContract.SUMMARY_FILE, summary.toString());
        env.put(PodContract.RESULTS_FILE, dir.resolve("mpi-results.jsonl").toString());
        env.put(PodContract.MPI_HOSTS, "localhost");
        env.put(PodContract.MPI_SLOTS, "4");
        env.put(PodContract.MPI_MODE, mode);
        env.put(PodContract.MPI_WAIT_SECONDS, "0");
        env.put("PJ_MPI_JAVA_LIBRARY_PATH", lib.toString());
        env.put("OMPI_ALLOW_RUN_AS_ROOT", "1"); // CI runs as root; harmless otherwise
        env.put("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = new MpiLauncher(env, new PrintStream(out, true, StandardCharsets.UTF_8), System.err).run();
        String log = out.toString(StandardCharsets.UTF_8);

        PartSummary mpi = PartSummary.decode(Files.readString(summary));
        assertThat(code).as(log).isEqualTo(threads.failed() == 0 ? 0 : MpiLauncher.EXIT_TASKS_FAILED);
        assertThat(mpi.executor()).startsWith("mpi " + mode + " x 4 ranks");
        assertThat(mpi.tasks()).isEqualTo(threads.tasks());
        assertThat(mpi.ok()).isEqualTo(threads.ok());
        assertThat(mpi.failed()).isEqualTo(threads.failed());
        assertThat(mpi.failedTasks()).extracting(PartSummary.FailedTask::id)
                .containsExactlyInAnyOrderElementsOf(threads.failedTasks().stream().map(PartSummary.FailedTask::id).toList());
        if ("collect".equals(reduce)) { // collected values arrive in rank order, not task order
            assertThat(sorted(mpi.partial())).isEqualTo(sorted(threads.partial()));
        } else {
            assertThat(mpi.partial()).isEqualTo(threads.partial());
        }
        // Every task's result line reaches the launcher's log exactly once (rank 0 prints them all).
        assertThat(log.lines().filter(l -> l.startsWith(PodContract.RESULT_LOG_PREFIX)).count()).isEqualTo(threads.tasks());
        Set<String> ids = new TreeSet<>();
        log.lines().filter(l -> l.startsWith(PodContract.RESULT_LOG_PREFIX))
                .forEach(l -> ids.add(l.replaceAll(".*\"id\":\"([^\"]*)\".*", "$1")));
        assertThat(ids).hasSize((int) threads.tasks());
    }

    /** Streamed: the launcher hands the done set to the ranks, which skip those tasks; rank 0's lines are recorded. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"static", "dynamic"})
    void theRanksSkipTheRecordedTasksAndTheLauncherStreamsRankZerosResults(String mode) throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put(PodContract.KERNEL, "pi");
        env.put(PodContract.PARAMS, "{\"seed\":11}");
        env.put(PodContract.RANGE, "{\"start\":1000,\"end\":1023,\"param\":\"samples\"}");
        env.put(PodContract.REDUCE, "sum");
        env.put(PodContract.THREADS, "1");
        Path summary = dir.resolve("mpi-stream-" + mode + ".summary");
        env.put(PodContract.SUMMARY_FILE, summary.toString());
        env.put(PodContract.RESULTS_FILE, dir.resolve("mpi-stream-results.jsonl").toString());
        env.put(PodContract.MPI_HOSTS, "localhost");
        env.put(PodContract.MPI_SLOTS, "3");
        env.put(PodContract.MPI_MODE, mode);
        env.put(PodContract.MPI_WAIT_SECONDS, "0");
        env.put("PJ_MPI_JAVA_LIBRARY_PATH", lib.toString());
        env.put("OMPI_ALLOW_RUN_AS_ROOT", "1");
        env.put("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
        Path doneDir = dir.resolve("done-" + mode);
        Files.createDirectories(doneDir);
        dev.parallel.api.contract.DoneSet done = dev.parallel.api.contract.DoneSet.empty(0, 23);
        for (long i : new long[] {0, 5, 6, 22}) done.add(i);
        Files.writeString(doneDir.resolve(dev.parallel.api.contract.ResultsContract.doneKey(0)), done.encode());
        Files.writeString(dir.resolve("token"), "t");
        try (var api = new dev.parallel.job.results.FakeApiServer()) {
            var stream = new dev.parallel.job.results.StreamConfig(new dev.parallel.job.results.PodIdentity("ns", "m-0-abcde",
                    "u", "m", "j", 0), api.uri(), null, dir.resolve("token"), 200, doneDir, java.time.Duration.ofSeconds(5));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int code = new MpiLauncher(env, new PrintStream(out, true, StandardCharsets.UTF_8), System.err, stream).run();
            String log = out.toString(StandardCharsets.UTF_8);
            assertThat(code).as(log).isZero();
            assertThat(log).contains("skipping 4 tasks already recorded");
            PartSummary s = PartSummary.decode(Files.readString(summary));
            assertThat(s.tasks()).isEqualTo(23);
            assertThat(s.skipped()).isEqualTo(4);
            assertThat(s.ok()).isEqualTo(19);
            List<Long> recorded = new java.util.ArrayList<>();
            for (var b : api.batches()) {
                for (String l : b.path("spec").path("records").asText("").split("\n")) {
                    if (!l.isEmpty()) recorded.add(dev.parallel.api.contract.Json.mapper().readTree(l).get("index").asLong());
                }
            }
            List<Long> expected = java.util.stream.LongStream.range(0, 23).filter(i -> !done.contains(i)).boxed().toList();
            assertThat(recorded).containsExactlyInAnyOrderElementsOf(expected);
            var batches = api.batches();
            assertThat(batches.get(batches.size() - 1).path("spec").path("last").asBoolean()).isTrue();
        }
    }

    private static PartSummary reference(Map<String, String> env) throws Exception {
        Map<String, String> e = new HashMap<>(env);
        Path summary = Files.createTempFile(dir, "threads", ".summary");
        e.put(PodContract.SUMMARY_FILE, summary.toString());
        e.put(PodContract.RESULTS_FILE, dir.resolve("threads-results.jsonl").toString());
        e.put(PodContract.THREADS, "2");
        PartRunner.run(PodContract.fromEnv(e), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        return PartSummary.decode(Files.readString(summary));
    }

    private static List<String> sorted(com.fasterxml.jackson.databind.JsonNode array) {
        List<String> out = new java.util.ArrayList<>();
        array.forEach(n -> out.add(n.toString()));
        out.sort(null);
        return out;
    }
}
