package dev.parallel.api.contract;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;

/**
 * The contract's JSON: compact, order-stable. A pod's own path (its contract, tasks, results, summary) reads and
 * writes trees with Jackson's streaming parser and generator ({@link #tree}, {@link #write}); the data-binding
 * {@link #mapper()} is built at its first use, which a pod running a built-in kernel never makes: in a fresh JVM,
 * building it cost ~100 ms before the first task and binding the summary ~40 ms after the last (-Dpj.trace=startup).
 */
public final class Json {
    /** Jackson's streaming factory, without a data-binding codec. */
    private static final JsonFactory FACTORY = new JsonFactory();

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private static final class Mapper { // initialised at first use
        static final ObjectMapper INSTANCE = JsonMapper.builder()
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .build();
    }

    private Json() {}

    /** The one data-binding mapper (beans, records, CRDs): tolerant of unknown summary fields. */
    public static ObjectMapper mapper() { return Mapper.INSTANCE; }

    /** An integer as the node JSON parsing gives back (int when it fits), so values compare equal after a round trip. */
    public static JsonNode integral(long v) {
        return v == (int) v ? NODES.numberNode((int) v) : NODES.numberNode(v);
    }

    public static ObjectNode object() { return NODES.objectNode(); }

    /**
     * One JSON value, as {@code mapper().readTree} gives it (the same node types: int, long, big integer, double;
     * a repeated field keeps its last value), with anything after it an error ("Trailing token ...").
     */
    public static JsonNode tree(String json) throws JsonProcessingException {
        try (JsonParser p = FACTORY.createParser(json)) {
            JsonToken t = p.nextToken();
            if (t == null) throw new JsonParseException(p, "No content to map due to end-of-input");
            JsonNode node = read(p, t);
            JsonToken after = p.nextToken();
            if (after != null) {
                throw new JsonParseException(p, "Trailing token (of type " + after + ") found after value",
                        p.currentTokenLocation()); // where the extra value starts
            }
            return node;
        } catch (JsonProcessingException e) {
            throw e;
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a String does not fail to read
        }
    }

    private static JsonNode read(JsonParser p, JsonToken t) throws IOException {
        switch (t) {
            case START_OBJECT -> {
                ObjectNode o = NODES.objectNode();
                for (JsonToken k = p.nextToken(); k != JsonToken.END_OBJECT; k = p.nextToken()) {
                    String name = p.currentName();
                    o.set(name, read(p, p.nextToken()));
                }
                return o;
            }
            case START_ARRAY -> {
                ArrayNode a = NODES.arrayNode();
                for (JsonToken v = p.nextToken(); v != JsonToken.END_ARRAY; v = p.nextToken()) a.add(read(p, v));
                return a;
            }
            case VALUE_STRING -> { return NODES.textNode(p.getText()); }
            case VALUE_NUMBER_INT -> {
                return switch (p.getNumberType()) {
                    case INT -> NODES.numberNode(p.getIntValue());
                    case LONG -> NODES.numberNode(p.getLongValue());
                    default -> NODES.numberNode(p.getBigIntegerValue());
                };
            }
            case VALUE_NUMBER_FLOAT -> { return NODES.numberNode(p.getDoubleValue()); }
            case VALUE_TRUE -> { return NODES.booleanNode(true); }
            case VALUE_FALSE -> { return NODES.booleanNode(false); }
            case VALUE_NULL -> { return NODES.nullNode(); }
            default -> throw new JsonParseException(p, "Unexpected token (" + t + ")");
        }
    }

    /** Writes {@code node} as {@code mapper()} would (a tree parsed from JSON or built from numbers, text, objects). */
    public static void write(JsonGenerator g, JsonNode node) throws IOException {
        switch (node.getNodeType()) {
            case OBJECT -> {
                g.writeStartObject();
                for (var e : node.properties()) {
                    g.writeFieldName(e.getKey());
                    write(g, e.getValue());
                }
                g.writeEndObject();
            }
            case ARRAY -> {
                g.writeStartArray();
                for (JsonNode v : node) write(g, v);
                g.writeEndArray();
            }
            case STRING -> g.writeString(node.textValue());
            case NUMBER -> {
                switch (node.numberType()) {
                    case INT -> g.writeNumber(node.intValue());
                    case LONG -> g.writeNumber(node.longValue());
                    case BIG_INTEGER -> g.writeNumber(node.bigIntegerValue());
                    case FLOAT -> g.writeNumber(node.floatValue());
                    case BIG_DECIMAL -> g.writeNumber(node.decimalValue());
                    default -> g.writeNumber(node.doubleValue());
                }
            }
            case BOOLEAN -> g.writeBoolean(node.booleanValue());
            case NULL, MISSING -> g.writeNull();
            default -> mapper().writeTree(g, node); // binary, POJO: not on a pod's path
        }
    }

    /** {@code node} as compact JSON text, as {@code mapper().writeValueAsString(node)} writes it. */
    public static String string(JsonNode node) { return text(g -> write(g, node)); }

    /** What a generator writes, into a string. */
    public interface Writing {
        void to(JsonGenerator g) throws IOException;
    }

    /** The compact JSON text {@code writing} generates. */
    public static String text(Writing writing) {
        StringWriter out = new StringWriter(128);
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            writing.to(g);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return out.toString();
    }
}
