package dev.parallel.job.kernels;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parallel.api.tasks.Task;

/** Typed access to task parameters, with errors that name the task and the field. */
public final class Params {
    private Params() {}

    public static long requireLong(Task task, String name, long min) throws TaskFailure {
        JsonNode v = task.param(name);
        if (v == null || v.isNull()) {
            throw new TaskFailure("task " + task.id() + ": missing parameter '" + name + "'");
        }
        long value;
        if (v.isIntegralNumber() && v.canConvertToLong()) {
            value = v.longValue();
        } else if (v.isTextual()) {
            try {
                value = Long.parseLong(v.textValue().strip());
            } catch (NumberFormatException e) {
                throw new TaskFailure("task " + task.id() + ": parameter '" + name + "' must be an integer, got \""
                        + v.textValue() + "\"");
            }
        } else {
            throw new TaskFailure("task " + task.id() + ": parameter '" + name + "' must be an integer, got " + v);
        }
        if (value < min) {
            throw new TaskFailure("task " + task.id() + ": parameter '" + name + "' must be >= " + min + ", got " + value);
        }
        return value;
    }

    public static long optionalLong(Task task, String name, long dflt) throws TaskFailure {
        JsonNode v = task.param(name);
        return v == null || v.isNull() ? dflt : requireLong(task, name, Long.MIN_VALUE);
    }

    public static void checkInterrupted() throws InterruptedException {
        if (Thread.interrupted()) throw new InterruptedException("task interrupted");
    }
}
