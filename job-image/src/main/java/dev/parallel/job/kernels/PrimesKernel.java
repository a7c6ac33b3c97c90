package dev.parallel.job.kernels;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parallel.api.contract.Json;
import dev.parallel.api.tasks.Task;

/**
 * Counts primes p with from <= p < to by a segmented sieve of Eratosthenes (exact). Work grows with
 * the width and, through the base primes, with the magnitude of the range: tasks are uneven.
 * Crossing off is the time (the count is 3% of it): the multiples of 2, 3, 5 and 7 come with a copy
 * of a 210-periodic pattern (half of all crossings-off), the other primes' in a loop unrolled by 4.
 */
public final class PrimesKernel implements TaskFunction {
    private static final int SEGMENT = 1 << 16;
    /** 2 * 3 * 5 * 7: the wheel the pattern repeats with. */
    private static final int WHEEL = 210;
    private static final int[] WHEEL_PRIMES = {2, 3, 5, 7};
    /** PATTERN[i] = 1 where i is a multiple of 2, 3, 5 or 7; long enough for any segment's offset. */
    private static final byte[] PATTERN = new byte[SEGMENT + WHEEL];

    static {
        for (int p : WHEEL_PRIMES) for (int i = 0; i < PATTERN.length; i += p) PATTERN[i] = 1;
    }
    private final KernelPath path;

    public PrimesKernel() { this(KernelPath.AUTO); }

    /** With the given loops (tests force each path; both count exactly). */
    public PrimesKernel(KernelPath path) { this.path = path; }

    @Override
    public JsonNode apply(Task task) throws Exception {
        long[] range = range(task);
        return Json.integral(count(path, range[0], range[1]));
    }

    /** The task's {from, to}, checked (the CUDA kernel takes the same). */
    public static long[] range(Task task) throws TaskFailure {
        long from = Params.requireLong(task, "from", 0);
        long to = Params.requireLong(task, "to", 0);
        if (to < from) throw new TaskFailure("task " + task.id() + ": parameter 'to' (" + to + ") must be >= 'from' (" + from + ")");
        if (to > (1L << 40)) throw new TaskFailure("task " + task.id() + ": parameter 'to' must be <= 2^40");
        return new long[] {from, to};
    }

    public static long count(long from, long to) throws InterruptedException {
        return count(KernelPath.AUTO, from, to);
    }

    public static long count(KernelPath path, long from, long to) throws InterruptedException {
        long lo = Math.max(from, 2);
        if (to <= lo) return 0;
        int[] base = basePrimes(to);
        byte[] composite = new byte[SEGMENT]; // bytes, not booleans: the vector count compares bytes
        long count = 0;
        for (long segLo = lo; segLo < to; segLo += SEGMENT) {
            Params.checkInterrupted();
            int len = (int) (Math.min(to, segLo + SEGMENT) - segLo);
            count += segment(path, base, composite, segLo, len);
        }
        return count;
    }

    /**
     * The primes in [segLo, segLo + len). A method per segment, not one loop nest per task: a fresh JVM
     * compiles it by its calls, where the nest was compiled on-stack from its first segment's profile (the
     * wheel primes in range, the scalar count) and trapped back to the interpreter at every branch that
     * segment had not taken (4 recompiles per task in a cold run).
     */
    private static int segment(KernelPath path, int[] base, byte[] composite, long segLo, int len) {
        // What crossing off 2, 3, 5 and 7 from their squares leaves: every multiple but the primes.
        System.arraycopy(PATTERN, (int) (segLo % WHEEL), composite, 0, len);
        for (int p : WHEEL_PRIMES) if (p >= segLo && p < segLo + len) composite[(int) (p - segLo)] = 0;
        crossOff(base, composite, segLo, len);
        return uncrossed(path, composite, len);
    }

    /** Marks the multiples of the base primes from 11 on, from their squares, in the segment. */
    private static void crossOff(int[] base, byte[] composite, long segLo, int len) {
        long segHi = segLo + len;
        for (int p : base) {
            if (p < 11) continue;
            long pp = (long) p * p;
            if (pp >= segHi) break;
            long start = Math.max(pp, ((segLo + p - 1) / p) * p);
            // Offsets within the segment, int-counted; unrolled by hand: C2 leaves a variable-stride
            // loop as it is, and the short ones of large p pay its loop overhead (measured: 0.035 s ->
            // 0.026 s for [0, 2e7)).
            int j = (int) (start - segLo);
            for (int p4 = 4 * p; j < len - 3 * p; j += p4) {
                composite[j] = 1;
                composite[j + p] = 1;
                composite[j + 2 * p] = 1;
                composite[j + 3 * p] = 1;
            }
            for (; j < len; j += p) composite[j] = 1;
        }
    }

    /** How many of composite[0, len) are not crossed off: the segment's primes. */
    private static int uncrossed(KernelPath path, byte[] composite, int len) {
        if (path.now(VectorWarmup.Loop.ZEROS) == KernelPath.VECTOR) return VectorLoops.zeros(composite, len);
        int crossed = 0; // a sum, not a branch: C2 vectorises it
        for (int i = 0; i < len; i++) crossed += composite[i];
        return len - crossed;
    }

    /** The primes up to sqrt(to) + 1, ascending: all a sieve below {@code to} crosses off with. */
    public static int[] basePrimes(long to) {
        int limit = (int) Math.sqrt((double) to) + 1;
        boolean[] c = new boolean[limit + 1];
        int n = 0;
        int[] out = new int[Math.max(16, (int) (1.3 * limit / Math.max(1, Math.log(limit))) + 16)];
        for (int i = 2; i <= limit; i++) {
            if (c[i]) continue;
            out[n++] = i;
            for (long m = (long) i * i; m <= limit; m += i) c[(int) m] = true;
        }
        return java.util.Arrays.copyOf(out, n);
    }
}
