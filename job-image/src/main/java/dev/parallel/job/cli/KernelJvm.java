package dev.parallel.job.cli;

import dev.parallel.job.exec.Executors;
import dev.parallel.job.exec.IncubatorWarning;
import dev.parallel.job.kernels.KernelPath;
import java.io.IOException;
import java.lang.module.ModuleFinder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code java -jar parallel-job.jar run|bench} typed without the kernel JVM flags would run the scalar
 * kernels (no jdk.incubator.vector): such a JVM runs the command in a child JVM that has them
 * (Executors.KERNEL_JVM_ARGS, plus the options it was given), once. The pod's entrypoint has the flags
 * already; pods never pay this second start.
 */
final class KernelJvm {
    private KernelJvm() {}

    static boolean needed(String[] args) {
        return args.length > 0 && (args[0].equals("run") || args[0].equals("bench"))
                && !KernelPath.vectorAvailable() && System.getProperty(KernelPath.PROPERTY) == null
                && ModuleFinder.ofSystem().find("jdk.incubator.vector").isPresent();
    }

    static int run(String[] args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.addAll(Executors.KERNEL_JVM_ARGS);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(List.of(args));
        Process child = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.INHERIT)
                .redirectOutput(ProcessBuilder.Redirect.INHERIT).start();
        Thread err = IncubatorWarning.forward(child.getErrorStream(), System.err, "pj-kernel-jvm-stderr");
        Runtime.getRuntime().addShutdownHook(new Thread(child::destroy)); // Ctrl-C stops the child too
        int code = child.waitFor();
        err.join();
        return code;
    }
}
