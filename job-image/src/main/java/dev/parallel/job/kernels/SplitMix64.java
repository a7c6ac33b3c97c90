package dev.parallel.job.kernels;

/**
 * The random stream every kernel (and the CUDA and reference implementations) shares: task t's stream
 * starts at {@code seed ^ (t * GOLDEN)} and its k-th value is the SplitMix64 finaliser of
 * {@code state + (k + 1) * GOLDEN}. Stateless, so any value is reachable in O(1) (GPU threads use this).
 */
public final class SplitMix64 {
    public static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private SplitMix64() {}

    public static long streamState(long seed, long taskIndex) { return seed ^ (taskIndex * GOLDEN); }

    public static long value(long state, long k) { return mix(state + (k + 1) * GOLDEN); }

    public static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The value mapped to a double in [0, 1) with 53 random bits. */
    public static double unitDouble(long v) { return (v >>> 11) * 0x1.0p-53; }
}
