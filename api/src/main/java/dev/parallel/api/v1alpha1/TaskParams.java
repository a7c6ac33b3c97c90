package dev.parallel.api.v1alpha1;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import io.fabric8.crd.generator.annotation.PreserveUnknownFields;
import java.io.IOException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A free-form map of task parameters (numbers, strings, any JSON). Its schema is an object that
 * preserves unknown fields. The build adds {@code type: object} to its schema (api/pom.xml): without it
 * CEL rules cannot see the field that holds it.
 */
@PreserveUnknownFields
@JsonSerialize(using = TaskParams.Writer.class)
@JsonDeserialize(using = TaskParams.Reader.class)
public final class TaskParams {
    private final Map<String, Object> values;

    public TaskParams(Map<String, Object> values) { this.values = new LinkedHashMap<>(values); }

    public Map<String, Object> asMap() { return Collections.unmodifiableMap(values); }

    @Override
    public boolean equals(Object o) { return o instanceof TaskParams p && p.values.equals(values); }

    @Override
    public int hashCode() { return values.hashCode(); }

    static final class Writer extends JsonSerializer<TaskParams> {
        @Override
        public void serialize(TaskParams p, JsonGenerator gen, SerializerProvider s) throws IOException {
            gen.writeObject(p.values);
        }
    }

    static final class Reader extends JsonDeserializer<TaskParams> {
        @Override
        public TaskParams deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
            if (!p.isExpectedStartObjectToken()) {
                return (TaskParams) ctx.handleUnexpectedToken(TaskParams.class, p);
            }
            return new TaskParams(p.readValueAs(new TypeReference<Map<String, Object>>() {}));
        }
    }
}
