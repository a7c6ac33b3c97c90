package dev.parallel.job.kernels;

import dev.parallel.api.v1alpha1.Kernel;

/** Picks the function a part runs: a built-in kernel, or a command. */
public final class Kernels {
    private Kernels() {}

    public static TaskFunction of(Kernel kernel, String command) {
        if (command != null) return new CommandKernel(command);
        if (kernel == null) throw new IllegalArgumentException("neither kernel nor command given");
        return switch (kernel) {
            case PI -> new PiKernel();
            case PRIMES -> new PrimesKernel();
            case MATMUL -> new MatmulKernel();
            case SLEEP -> new SleepKernel();
        };
    }
}
