package dev.parallel.job.kernels;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parallel.api.contract.Json;
import dev.parallel.api.tasks.Task;

/**
 * Waits {@code millis} (an I/O-bound stand-in: threads overlap it even on one core). Result: millis; with
 * {@code resultBytes: N} (results-store tests: many tasks of a given output size) instead
 * {@code {"millis":M,"pad":"..."}}, N bytes of JSON (or the least above it), the pad made of the task's index so a
 * record's content can be checked against its task.
 */
public final class SleepKernel implements TaskFunction {
    /** A pad beyond this is a mistake, not a test: a record must fit in a streamed batch (1 MiB). */
    static final long MAX_RESULT_BYTES = 512 * 1024;

    @Override
    public JsonNode apply(Task task) throws Exception {
        long millis = Params.requireLong(task, "millis", 0);
        long bytes = Params.optionalLong(task, "resultBytes", 0);
        if (bytes < 0 || bytes > MAX_RESULT_BYTES) {
            throw new TaskFailure("task " + task.id() + ": parameter 'resultBytes' must be 0.." + MAX_RESULT_BYTES + ", got " + bytes);
        }
        if (millis > 0) Thread.sleep(millis);
        if (bytes == 0) return Json.integral(millis);
        return padded(task.index(), millis, (int) bytes);
    }

    static ObjectNode padded(long index, long millis, int bytes) {
        ObjectNode v = Json.object();
        v.put("millis", millis);
        int overhead = ("{\"millis\":" + millis + ",\"pad\":\"\"}").length();
        String unit = index + ".";
        StringBuilder pad = new StringBuilder(Math.max(0, bytes - overhead));
        while (pad.length() < bytes - overhead) pad.append(unit);
        pad.setLength(Math.max(0, bytes - overhead));
        v.put("pad", pad.toString());
        return v;
    }
}
