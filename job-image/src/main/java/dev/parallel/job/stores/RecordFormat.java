package dev.parallel.job.stores;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parallel.api.contract.Json;
import java.util.Locale;

/**
 * How `parallel-job results` prints a task's record (a {@code TaskResult} JSON line): {@code jsonl} as stored, or
 * {@code csv} with the columns of {@link #CSV_HEADER} (value and params as compact JSON; RFC 4180 quoting).
 */
public enum RecordFormat {
    jsonl, csv;

    public static final String CSV_HEADER = "index,id,ok,attempts,millis,value,error";

    public static RecordFormat of(String s) {
        try {
            return valueOf(s.toLowerCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("-o " + s + ": use jsonl or csv");
        }
    }

    /** The header line, or null. */
    public String header() { return this == csv ? CSV_HEADER : null; }

    /**
     * The output line for one stored line, or null when it is skipped: blank, or {@code failedOnly} and the task
     * succeeded. An undecodable line is an error naming it (a store holds only what the operator wrote).
     */
    public String line(String stored, boolean failedOnly) {
        if (stored.isBlank()) return null;
        JsonNode r;
        try {
            r = Json.mapper().readTree(stored);
        } catch (Exception e) {
            throw new IllegalStateException("not a task record: " + (stored.length() > 200 ? stored.substring(0, 200) + "..." : stored));
        }
        boolean ok = r.path("ok").asBoolean(false);
        if (failedOnly && ok) return null;
        if (this == jsonl) return stored.strip();
        return String.join(",", r.path("index").asText(), quote(text(r.get("id"))), Boolean.toString(ok),
                r.path("attempts").asText(), r.path("millis").asText(), quote(json(r.get("value"))), quote(text(r.get("error"))));
    }

    private static String text(JsonNode n) { return n == null || n.isNull() ? "" : n.asText(); }

    private static String json(JsonNode n) { return n == null || n.isNull() ? "" : n.toString(); }

    static String quote(String s) {
        if (s.isEmpty() || s.chars().noneMatch(c -> c == ',' || c == '"' || c == '\n' || c == '\r')) return s;
        return '"' + s.replace("\"", "\"\"") + '"';
    }
}
