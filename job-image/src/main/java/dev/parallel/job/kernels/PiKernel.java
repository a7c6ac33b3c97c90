package dev.parallel.job.kernels;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.parallel.api.contract.Json;
import dev.parallel.api.tasks.Task;

/**
 * Monte Carlo pi, integer-only so every executor and language gives the same hit count: sample i
 * takes values 2i and 2i+1 of the task's stream, shifted to 31-bit x and y; a hit when
 * x*x + y*y < 2^62. Parameters: samples, seed (default 0). Result: {hits, samples}.
 */
public final class PiKernel implements TaskFunction {
    private static final long R2 = 1L << 62;
    private final KernelPath path;

    public PiKernel() { this(KernelPath.AUTO); }

    /** With the given loops (tests force each path; both give the same hits). */
    public PiKernel(KernelPath path) { this.path = path; }

    @Override
    public JsonNode apply(Task task) throws Exception {
        long samples = Params.requireLong(task, "samples", 0);
        long seed = Params.optionalLong(task, "seed", 0);
        return result(hits(path, SplitMix64.streamState(seed, task.index()), 0, samples), samples);
    }

    /** The result every executor reports for a pi task. */
    public static JsonNode result(long hits, long samples) {
        var out = JsonNodeFactory.instance.objectNode();
        out.set("hits", Json.integral(hits));
        out.set("samples", Json.integral(samples));
        return out;
    }

    /** Samples between interrupt checks: an int-counted inner loop the JIT compiles tightly. */
    private static final int CHUNK = 1 << 20;

    /** Hits among samples [from, to) of the stream starting at {@code state}, on this JVM's path. */
    public static long hits(long state, long from, long to) throws InterruptedException {
        return hits(KernelPath.AUTO, state, from, to);
    }

    public static long hits(KernelPath path, long state, long from, long to) throws InterruptedException {
        long hits = 0;
        for (long chunk = from; chunk < to; chunk += CHUNK) {
            Params.checkInterrupted();
            int n = (int) Math.min(CHUNK, to - chunk);
            // Value k is mix(state + (k+1) * GOLDEN): sample i's pair starts at k = 2i, and each next
            // value adds GOLDEN (wrapping), so the loop adds instead of multiplying.
            long z = state + (2 * chunk + 1) * SplitMix64.GOLDEN;
            int j = 0;
            if (path.now(VectorWarmup.Loop.PI) == KernelPath.VECTOR) {
                long[] vector = VectorLoops.piHits(z, n);
                hits += vector[0];
                j = (int) vector[1];
                z += 2 * j * SplitMix64.GOLDEN;
            }
            for (; j < n; j++) {
                long x = SplitMix64.mix(z) >>> 33;
                long y = SplitMix64.mix(z + SplitMix64.GOLDEN) >>> 33;
                z += 2 * SplitMix64.GOLDEN;
                // x*x + y*y < 2^63 always (31-bit x, y): minus R2 is negative exactly on a hit; no branch.
                hits += (x * x + y * y - R2) >>> 63;
            }
        }
        return hits;
    }
}
