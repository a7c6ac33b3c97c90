package dev.parallel.job.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parallel.api.contract.Reducer;
import dev.parallel.api.v1alpha1.ExecutorKind;
import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.job.Bench;
import dev.parallel.job.LocalRunner;
import dev.parallel.job.Manifests;
import dev.parallel.job.PartRunner;
import dev.parallel.job.kernels.KernelPath;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The job image's command line: {@code worker} in pods, {@code run} on a laptop, {@code bench}. */
@Command(name = "parallel-job", mixinStandardHelpOptions = true, version = "parallel-job 0.1.0",
        subcommands = {Main.Run.class, Main.Worker.class, Main.Sidecar.class, Main.MpiLaunch.class, Main.MpiRankCmd.class,
                Main.BenchCmd.class, Main.JvmFlags.class, ResultsCommand.class},
        description = "Runs ParallelJob tasks: locally from a manifest, or as one part inside a pod.")
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() { spec.commandLine().usage(System.err); }

    public static void main(String[] args) throws Exception {
        // A pod's part: straight in. Building picocli's model of every command costs a fresh JVM
        // 0.15 s, 30% of a pod's start-up with the class archive (measured with -Xlog:class+load).
        if (args.length == 1 && args[0].equals("worker")) {
            dev.parallel.job.exec.StartupTrace.mark("main");
            String executor = System.getenv(dev.parallel.api.contract.PodContract.EXECUTOR);
            if (executor == null || executor.equals("threads") || executor.equals("sequential")) {
                KernelPath.prepare(System.getenv(dev.parallel.api.contract.PodContract.KERNEL)); // tasks run in this JVM
            }
            exit(new Worker().call());
        }
        if (KernelJvm.needed(args)) exit(KernelJvm.run(args));
        exit(new CommandLine(new Main()).execute(args));
    }

    /**
     * Ends the JVM with {@code code}, unless a signal is already stopping it: then the signal's own shutdown ends it
     * with 128 + signal (143 for the kubelet's SIGTERM). A non-zero System.exit after the hooks have run halts at
     * once, so it raced the signal's exit status.
     */
    static void exit(int code) throws InterruptedException {
        if (shuttingDown()) Thread.currentThread().join(); // waits for the halt
        System.exit(code);
    }

    private static boolean shuttingDown() {
        Thread probe = new Thread(() -> {});
        try {
            Runtime.getRuntime().addShutdownHook(probe);
            Runtime.getRuntime().removeShutdownHook(probe);
            return false;
        } catch (IllegalStateException e) {
            return true;
        }
    }

    @Command(name = "run", description = "Run every task of a ParallelJob manifest on this machine and print the reduced result.")
    static final class Run implements Callable<Integer> {
        @Parameters(index = "0", description = "the ParallelJob manifest (YAML), e.g. k8s-examples/pi.yaml")
        Path manifest;

        @Option(names = "--executor", description = "override spec.executor: threads, processes, sequential")
        String executor;

        @Option(names = "--threads", description = "override spec.threadsPerPod")
        Integer threads;

        @Option(names = "--tasks-file", description = "the JSON-lines content of spec.tasks.configMapRef")
        String tasksFile;

        @Option(names = {"-o", "--output"}, description = "write every task's result as JSON lines to this file")
        Path output;

        @Option(names = "--repeat", defaultValue = "1",
                description = "run the whole job this many times in this JVM, its pools kept warm (benchmarks: steady state)")
        int repeat;

        @Override
        public Integer call() throws Exception {
            ParallelJob job;
            try {
                job = Manifests.read(manifest);
            } catch (Manifests.InvalidManifest e) {
                e.problems.forEach(p -> System.err.println("error: " + p));
                return 2;
            }
            ExecutorKind kind;
            try {
                kind = executor == null ? null : ExecutorKind.of(executor);
            } catch (IllegalArgumentException e) {
                System.err.println("error: --executor: " + e.getMessage());
                return 2;
            }
            String name = job.getMetadata() == null ? manifest.toString() : job.getMetadata().getName();
            LocalRunner.Outcome outcome = null;
            try (var runner = new LocalRunner(System.err, System.console() != null)) {
                for (int r = 0; r < Math.max(1, repeat); r++) {
                    outcome = runner.run(job, kind, threads, tasksFile, output);
                    System.out.printf("%s: %d/%d tasks succeeded, %d failed in %.3f s%n", name, outcome.ok(),
                            outcome.tasks(), outcome.failed(), outcome.nanos() / 1e9);
                }
            } catch (java.io.IOException e) { // a tasks file that is missing or not JSON lines: say so, no stack trace
                System.err.println("error: " + (e instanceof java.nio.file.NoSuchFileException ? "no such file: " : "") + e.getMessage());
                return 2;
            }
            JsonNode r = outcome.result();
            if (r != null) {
                System.out.println("result: " + r);
                System.out.println("summary: " + outcome.summary());
            }
            return outcome.failed() == 0 ? 0 : 1;
        }
    }

    @Command(name = "jvm-flags", description = "Print the JVM options every kernel JVM starts with, one per line "
            + "(the image's entrypoint carries them; benchmarks start their JVMs with them).")
    static final class JvmFlags implements Callable<Integer> {
        @Override
        public Integer call() {
            dev.parallel.job.exec.Executors.KERNEL_JVM_ARGS.forEach(System.out::println);
            return 0;
        }
    }

    @Command(name = "worker", description = "Run this pod's part, as the operator's environment describes it (docs/contract.md).")
    static final class Worker implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            try {
                return PartRunner.fromEnvironment();
            } catch (IllegalArgumentException | java.io.IOException e) {
                // A contract problem fails the part with a reason the operator can show.
                String msg = "worker cannot start: " + e.getMessage();
                System.err.println(msg);
                try {
                    java.nio.file.Files.writeString(Path.of(System.getenv().getOrDefault(
                            dev.parallel.api.contract.PodContract.SUMMARY_FILE,
                            dev.parallel.api.contract.PodContract.DEFAULT_SUMMARY_FILE)), msg);
                } catch (Exception ignored) {
                    // nothing more we can do
                }
                return 3;
            }
        }
    }

    @Command(name = "sidecar", description = "Feed command tasks to a user's image and gather their results (docs/contract.md).")
    static final class Sidecar implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            var config = dev.parallel.api.contract.PodContract.fromEnv(System.getenv());
            Path run = Path.of(System.getenv().getOrDefault("PJ_RUN_DIR", dev.parallel.api.contract.CommandInImage.RUN_DIR));
            dev.parallel.job.CommandSidecar.run(config,
                    dev.parallel.job.results.StreamConfig.fromEnv(System.getenv(), config.partIndex()), run, System.out);
            // A native sidecar lives until the pod's main container ends; the kubelet then stops it.
            Thread.sleep(Long.MAX_VALUE);
            return 0;
        }
    }

    @Command(name = "mpi-launch", description = "The MPI launcher pod: wait for the workers, run mpirun, report rank 0's summary.")
    static final class MpiLaunch implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            return new dev.parallel.job.mpi.MpiLauncher(System.getenv(), System.out, System.err).run();
        }
    }

    @Command(name = "mpi-rank", description = "One MPI rank (started by mpirun from mpi-launch).")
    static final class MpiRankCmd implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            KernelPath.prepare(System.getenv(dev.parallel.api.contract.PodContract.KERNEL));
            return dev.parallel.job.mpi.MpiRank.main(new String[0]);
        }
    }

    @Command(name = "bench", description = "Measure tasks/s for sequential, threads and processes, and dispatch overhead.")
    static final class BenchCmd implements Callable<Integer> {
        @Option(names = "--runs", defaultValue = "5", description = "repetitions per measurement (median reported)")
        int runs;

        @Option(names = "--quick", description = "smaller inputs, for a smoke run")
        boolean quick;

        @Option(names = "--only", description = "one section: kernels, executors, streaming, mpi (default: all)")
        String only;

        @Override
        public Integer call() throws Exception {
            Bench b = new Bench(System.out, runs, quick);
            if ("mpi".equals(only)) b.mpi();
            else if ("executors".equals(only)) b.executors();
            else if ("streaming".equals(only)) b.streaming();
            else if ("kernels".equals(only)) b.kernels();
            else b.runAll();
            return 0;
        }
    }
}
