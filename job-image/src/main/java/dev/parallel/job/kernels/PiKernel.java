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

    @Override
    public JsonNode apply(Task task) throws Exception {
        long samples = Params.requireLong(task, "samples", 0);
        long seed = Params.optionalLong(task, "seed", 0);
        return result(hits(SplitMix64.streamState(seed, task.index()), 0, samples), samples);
    }

    /** The result every executor reports for a pi task. */
    public static JsonNode result(long hits, long samples) {
        var out = JsonNodeFactory.instance.objectNode();
        out.set("hits", Json.integral(hits));
        out.set("samples", Json.integral(samples));
        return out;
    }

    /** Hits among samples [from, to) of the stream starting at {@code state}. */
    public static long hits(long state, long from, long to) throws InterruptedException {
        long hits = 0;
        for (long chunk = from; chunk < to; chunk += 1 << 20) {
            Params.checkInterrupted();
            long end = Math.min(to, chunk + (1 << 20));
            for (long i = chunk; i < end; i++) {
                long x = SplitMix64.value(state, 2 * i) >>> 33;
                long y = SplitMix64.value(state, 2 * i + 1) >>> 33;
                if (x * x + y * y < R2) hits++;
            }
        }
        return hits;
    }
}
