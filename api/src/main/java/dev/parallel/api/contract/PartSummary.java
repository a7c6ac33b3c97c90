package dev.parallel.api.contract;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What one part (pod) reports when it ends, in its termination message: counts, the partial
 * reduction, and failed tasks. {@link #encode()} always fits {@link #MAX_BYTES} (Kubernetes' cap on
 * termination messages): the failed-task list and then the partial value are dropped first, with a
 * flag saying so; counts are never dropped. {@code gpuUnavailable}: executor cuda found no usable GPU, and
 * why; {@code executor} then says what ran instead (threads, with gpu.fallback: cpu) or is null (fail).
 * {@code skipped}: tasks of the block this pod did not run because they were already recorded (streamed results:
 * an earlier pod of the part finished them); {@code ok + failed + skipped} is then the block's size.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PartSummary(
        int part,
        long tasks,
        long ok,
        long failed,
        long retries,
        JsonNode partial,
        boolean partialDropped,
        List<FailedTask> failedTasks,
        boolean failedTasksTruncated,
        long millis,
        String executor,
        String note,
        String gpuUnavailable,
        @JsonInclude(JsonInclude.Include.NON_DEFAULT) long skipped) {

    /** A summary of a pod that ran its whole block ({@code skipped} 0). */
    public PartSummary(int part, long tasks, long ok, long failed, long retries, JsonNode partial, boolean partialDropped,
                       List<FailedTask> failedTasks, boolean failedTasksTruncated, long millis, String executor, String note,
                       String gpuUnavailable) {
        this(part, tasks, ok, failed, retries, partial, partialDropped, failedTasks, failedTasksTruncated, millis, executor,
                note, gpuUnavailable, 0);
    }

    public static final int MAX_BYTES = 4096;
    /** Starts the part of {@code note} that says a task's result could not be reduced, and why. */
    public static final String REDUCE_FAILED = "reduce failed: ";

    /** A failed task in a summary. */
    public record FailedTask(String id, String reason) {}

    public String encode() {
        PartSummary s = this;
        String json = write(s);
        List<FailedTask> list = failedTasks == null ? List.of() : new ArrayList<>(failedTasks);
        while (bytes(json) > MAX_BYTES && !list.isEmpty()) {
            list.remove(list.size() - 1);
            s = s.with(list, true, s.partial, s.partialDropped);
            json = write(s);
        }
        if (bytes(json) > MAX_BYTES) {
            s = s.with(List.of(), true, null, true);
            json = write(s);
        }
        if (bytes(json) > MAX_BYTES) { // only a huge note can get here
            s = new PartSummary(part, tasks, ok, failed, retries, null, true, List.of(), true, millis,
                    executor, null, TaskResult.truncate(gpuUnavailable, 500), skipped);
            json = write(s);
        }
        return json;
    }

    public static PartSummary decode(String json) throws JsonProcessingException {
        return Json.mapper().readValue(json, PartSummary.class);
    }

    private PartSummary with(List<FailedTask> failed, boolean truncated, JsonNode partial, boolean dropped) {
        return new PartSummary(part, tasks, ok, this.failed, retries, partial, dropped, List.copyOf(failed),
                truncated, millis, executor, note, gpuUnavailable, skipped);
    }

    /**
     * The summary as Jackson's record serialization writes it (declaration order, nulls and a zero {@code skipped}
     * left out), through the streaming generator: a pod need not build the data-binding mapper (see {@link Json}).
     */
    private static String write(PartSummary s) {
        return Json.text(g -> {
            g.writeStartObject();
            g.writeNumberField("part", s.part);
            g.writeNumberField("tasks", s.tasks);
            g.writeNumberField("ok", s.ok);
            g.writeNumberField("failed", s.failed);
            g.writeNumberField("retries", s.retries);
            if (s.partial != null) {
                g.writeFieldName("partial");
                Json.write(g, s.partial);
            }
            g.writeBooleanField("partialDropped", s.partialDropped);
            if (s.failedTasks != null) {
                g.writeArrayFieldStart("failedTasks");
                for (FailedTask f : s.failedTasks) {
                    g.writeStartObject();
                    g.writeStringField("id", f.id());
                    g.writeStringField("reason", f.reason());
                    g.writeEndObject();
                }
                g.writeEndArray();
            }
            g.writeBooleanField("failedTasksTruncated", s.failedTasksTruncated);
            g.writeNumberField("millis", s.millis);
            if (s.executor != null) g.writeStringField("executor", s.executor);
            if (s.note != null) g.writeStringField("note", s.note);
            if (s.gpuUnavailable != null) g.writeStringField("gpuUnavailable", s.gpuUnavailable);
            if (s.skipped != 0) g.writeNumberField("skipped", s.skipped);
            g.writeEndObject();
        });
    }

    private static int bytes(String s) { return s.getBytes(StandardCharsets.UTF_8).length; }
}
