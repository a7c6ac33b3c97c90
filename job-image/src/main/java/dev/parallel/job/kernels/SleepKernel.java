package dev.parallel.job.kernels;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parallel.api.contract.Json;
import dev.parallel.api.tasks.Task;

/** Waits {@code millis} (an I/O-bound stand-in: threads overlap it even on one core). Result: millis. */
public final class SleepKernel implements TaskFunction {
    @Override
    public JsonNode apply(Task task) throws Exception {
        long millis = Params.requireLong(task, "millis", 0);
        if (millis > 0) Thread.sleep(millis);
        return Json.integral(millis);
    }
}
