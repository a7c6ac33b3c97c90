package dev.parallel.job.kernels;

import java.util.Locale;

/**
 * Which loops the CPU kernels run: the Vector API's ({@link VectorLoops}) or plain Java. Both give the
 * same results (pi and primes exactly, matmul bit for bit: the same fused multiply-adds in the same
 * order). Kernels run {@link #AUTO}: this JVM's choice, the vector loops once compiled (VectorWarmup);
 * tests force VECTOR or SCALAR. Chosen once per JVM, at first use: vector when the JVM has
 * {@code jdk.incubator.vector} (the job image's JVMs all start with {@code --add-modules
 * jdk.incubator.vector}, Executors.KERNEL_JVM_ARGS) and the CPU has 512-bit vectors (AVX-512). With AVX2's 4 lanes the pi loop runs slower as vectors
 * than scalar, since AVX2 has no 64-bit lane multiply (measured: 0.094 s against 0.068 s for 20M
 * samples). The system property {@value #PROPERTY} ({@code vector} or {@code scalar}) forces a path.
 */
public enum KernelPath {
    /** This JVM's choice ({@link #chosen()}), whose vector loops run once compiled (VectorWarmup). */
    AUTO,
    VECTOR,
    SCALAR;

    public static final String PROPERTY = "pj.kernels";
    static final String MODULE = "jdk.incubator.vector";
    /** Lanes of 64 bits the vector loops need to beat the scalar ones (AVX-512). */
    static final int MIN_LONG_LANES = 8;

    private record Choice(KernelPath path, String why) {}

    private static final class Chosen { // initialised at first use, not when the enum loads
        static final Choice CHOICE = choose(System.getProperty(PROPERTY, ""));
    }

    /** The path this JVM's kernels take: VECTOR or SCALAR. */
    public static KernelPath chosen() { return Chosen.CHOICE.path; }

    /** The loops to run now: AUTO resolves to scalar until the vector loop is compiled. */
    KernelPath now(VectorWarmup.Loop loop) {
        if (this != AUTO) return this;
        return chosen() == VECTOR && VectorWarmup.ready(loop) ? VECTOR : SCALAR;
    }

    /**
     * Starts compiling the vector loops a kernel uses, in the background, before its first task (a pod's
     * part calls this first thing). Does nothing on the scalar path or for other kernels.
     */
    public static void prepare(String kernel) {
        VectorWarmup.Loop[] loops = switch (kernel == null ? "" : kernel) {
            case "pi" -> new VectorWarmup.Loop[] {VectorWarmup.Loop.PI};
            case "primes" -> new VectorWarmup.Loop[] {VectorWarmup.Loop.ZEROS};
            case "matmul" -> new VectorWarmup.Loop[] {VectorWarmup.Loop.FILL, VectorWarmup.Loop.PANEL};
            default -> new VectorWarmup.Loop[0];
        };
        if (loops.length > 0) VectorWarmup.request(loops);
    }

    /** One line saying which path and why, for the part's log. */
    public static String describe() {
        return "kernels: " + Chosen.CHOICE.path.name().toLowerCase(Locale.ROOT) + " (" + Chosen.CHOICE.why + ")";
    }

    /** Whether this JVM can run the vector loops at all (any CPU: narrow vectors are slower, not wrong). */
    public static boolean vectorAvailable() {
        return ModuleLayer.boot().findModule(MODULE).isPresent();
    }

    private static Choice choose(String forced) {
        if (!vectorAvailable()) {
            return new Choice(SCALAR, MODULE + " is not in this JVM: start it with --add-modules " + MODULE);
        }
        String shape = VectorLoops.shape();
        if (forced.equalsIgnoreCase("scalar")) return new Choice(SCALAR, "forced by -D" + PROPERTY + "=scalar");
        if (forced.equalsIgnoreCase("vector")) return new Choice(VECTOR, "forced by -D" + PROPERTY + "=vector; " + shape);
        if (VectorLoops.longLanes() < MIN_LONG_LANES) {
            return new Choice(SCALAR, "this CPU's vectors hold " + VectorLoops.longLanes() + " longs, fewer than AVX-512's "
                    + MIN_LONG_LANES + ": the scalar loops are faster");
        }
        return new Choice(VECTOR, shape);
    }
}
