package dev.parallel.job.kernels;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parallel.api.contract.Json;
import dev.parallel.api.tasks.Task;

/**
 * Counts primes p with from <= p < to by a segmented sieve of Eratosthenes (exact). Work grows with
 * the width and, through the base primes, with the magnitude of the range: tasks are uneven.
 */
public final class PrimesKernel implements TaskFunction {
    private static final int SEGMENT = 1 << 16;

    @Override
    public JsonNode apply(Task task) throws Exception {
        long from = Params.requireLong(task, "from", 0);
        long to = Params.requireLong(task, "to", 0);
        if (to < from) throw new TaskFailure("task " + task.id() + ": parameter 'to' (" + to + ") must be >= 'from' (" + from + ")");
        if (to > (1L << 40)) throw new TaskFailure("task " + task.id() + ": parameter 'to' must be <= 2^40");
        return Json.integral(count(from, to));
    }

    public static long count(long from, long to) throws InterruptedException {
        long lo = Math.max(from, 2);
        if (to <= lo) return 0;
        int limit = (int) Math.sqrt((double) to) + 1;
        int[] base = basePrimes(limit);
        boolean[] composite = new boolean[SEGMENT];
        long count = 0;
        for (long segLo = lo; segLo < to; segLo += SEGMENT) {
            Params.checkInterrupted();
            long segHi = Math.min(to, segLo + SEGMENT);
            int len = (int) (segHi - segLo);
            java.util.Arrays.fill(composite, 0, len, false);
            for (int p : base) {
                long pp = (long) p * p;
                if (pp >= segHi) break;
                long start = Math.max(pp, ((segLo + p - 1) / p) * p);
                // Offsets within the segment: an int-counted loop the JIT compiles without range checks.
                for (int j = (int) (start - segLo); j < len; j += p) composite[j] = true;
            }
            for (int i = 0; i < len; i++) if (!composite[i]) count++;
        }
        return count;
    }

    private static int[] basePrimes(int limit) {
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
