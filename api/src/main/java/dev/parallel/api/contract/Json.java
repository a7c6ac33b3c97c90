package dev.parallel.api.contract;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/** The one JSON mapper of the contract: compact, order-stable, tolerant of unknown summary fields. */
public final class Json {
    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private Json() {}

    /** An integer as the node JSON parsing gives back (int when it fits), so values compare equal after a round trip. */
    public static com.fasterxml.jackson.databind.JsonNode integral(long v) {
        var f = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance;
        return v == (int) v ? f.numberNode((int) v) : f.numberNode(v);
    }
}
