package dev.parallel.api.contract;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * One task's outcome, the one record format of every path: a line of the results file, of the pod's log
 * (prefixed with {@link PodContract#RESULT_LOG_PREFIX}), of a streamed batch ({@link ResultsContract}) and of the
 * results store. {@code value} is the kernel's result when ok, {@code error} the reason otherwise;
 * {@code attempts} counts tries including retries, {@code millis} how long it ran. {@code params}, the
 * task's parameters, only where the reduction needs them (groupBy, argmin, argmax) and the record is streamed:
 * the operator then reduces records without the task list.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TaskResult(long index, String id, boolean ok, JsonNode value, String error, int attempts, long millis,
                         JsonNode params) {
    public TaskResult(long index, String id, boolean ok, JsonNode value, String error, int attempts, long millis) {
        this(index, id, ok, value, error, attempts, millis, null);
    }

    public TaskResult withParams(JsonNode p) { return new TaskResult(index, id, ok, value, error, attempts, millis, p); }

    /** Longest error text kept; a task cannot flood the summary or the status. */
    public static final int MAX_ERROR_CHARS = 300;

    public static TaskResult success(long index, String id, JsonNode value, int attempts, long millis) {
        return new TaskResult(index, id, true, value, null, attempts, millis);
    }

    public static TaskResult failure(long index, String id, String error, int attempts, long millis) {
        return new TaskResult(index, id, false, null, truncate(error, MAX_ERROR_CHARS), attempts, millis);
    }

    /**
     * This record as one line of JSON, exactly as Jackson's record serialization writes it (fields in declaration order,
     * nulls left out), but through the streaming generator: a fresh JVM's first bean serialization cost a pod's first
     * result ~50 ms of introspection (measured with -Dpj.trace=startup).
     */
    public String json() {
        return Json.text(g -> {
            g.writeStartObject();
            g.writeNumberField("index", index);
            if (id != null) g.writeStringField("id", id);
            g.writeBooleanField("ok", ok);
            if (value != null) {
                g.writeFieldName("value");
                Json.write(g, value);
            }
            if (error != null) g.writeStringField("error", error);
            g.writeNumberField("attempts", attempts);
            g.writeNumberField("millis", millis);
            if (params != null) {
                g.writeFieldName("params");
                Json.write(g, params);
            }
            g.writeEndObject();
        });
    }

    /**
     * One record as {@link #json()} writes it, read as Jackson binds it (absent fields default, unknown ones are
     * ignored), with the streaming parser: a rank or launcher JVM need not build the data-binding mapper.
     */
    public static TaskResult parse(String json) throws com.fasterxml.jackson.core.JsonProcessingException {
        JsonNode n = Json.tree(json);
        if (!n.isObject()) {
            throw new com.fasterxml.jackson.core.JsonParseException(null, "a task result is a JSON object, not " + n.getNodeType());
        }
        return new TaskResult(n.path("index").asLong(), text(n.get("id")), n.path("ok").asBoolean(), n.get("value"),
                text(n.get("error")), n.path("attempts").asInt(), n.path("millis").asLong(), n.get("params"));
    }

    private static String text(JsonNode v) { return v == null || v.isNull() ? null : v.asText(); }

    public static String truncate(String s, int max) {
        if (s == null || s.length() <= max) return s;
        return s.substring(0, max - 3) + "...";
    }
}
