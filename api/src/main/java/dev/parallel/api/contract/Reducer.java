package dev.parallel.api.contract;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parallel.api.v1alpha1.ReduceOp;
import java.util.Iterator;
import java.util.Map;

/**
 * Combines task results (and partial reductions of parts) into one value. Associative, so pods reduce
 * their own tasks and the operator reduces the parts' partials. Numbers combine numerically (exact
 * for integers), objects field by field (pi's {hits, samples}), collect concatenates into an array.
 */
public final class Reducer {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private final ReduceOp op;

    public Reducer(ReduceOp op) { this.op = op; }

    public ReduceOp op() { return op; }

    /** Folds a task's value into the accumulator (null = empty). */
    public JsonNode addValue(JsonNode acc, JsonNode value) {
        if (op == ReduceOp.NONE || value == null) return acc;
        if (op == ReduceOp.COLLECT) {
            ArrayNode arr = acc == null ? F.arrayNode() : (ArrayNode) acc;
            arr.add(value);
            return arr;
        }
        return combine(acc, value);
    }

    /** Merges two partial reductions (null = empty). */
    public JsonNode merge(JsonNode a, JsonNode b) {
        if (op == ReduceOp.NONE) return null;
        if (a == null) return b == null ? null : b.deepCopy();
        if (b == null) return a;
        if (op == ReduceOp.COLLECT) {
            ArrayNode arr = F.arrayNode();
            arr.addAll((ArrayNode) a);
            arr.addAll((ArrayNode) b);
            return arr;
        }
        return combine(a, b);
    }

    private JsonNode combine(JsonNode a, JsonNode b) {
        if (a == null) return b.deepCopy();
        if (a.isNumber() && b.isNumber()) return number(a, b);
        if (a.isObject() && b.isObject()) {
            ObjectNode out = ((ObjectNode) a).deepCopy();
            for (Iterator<Map.Entry<String, JsonNode>> it = b.fields(); it.hasNext(); ) {
                var e = it.next();
                JsonNode cur = out.get(e.getKey());
                out.set(e.getKey(), cur == null ? e.getValue() : combine(cur, e.getValue()));
            }
            return out;
        }
        throw new IllegalArgumentException("cannot " + op.value() + " " + a.getNodeType() + " with "
                + b.getNodeType() + ": reduce " + op.value() + " needs numbers or objects of numbers");
    }

    private JsonNode number(JsonNode a, JsonNode b) {
        boolean integral = a.isIntegralNumber() && b.isIntegralNumber();
        return switch (op) {
            case SUM -> integral ? Json.integral(Math.addExact(a.longValue(), b.longValue()))
                    : F.numberNode(a.doubleValue() + b.doubleValue());
            case MIN -> integral ? Json.integral(Math.min(a.longValue(), b.longValue()))
                    : F.numberNode(Math.min(a.doubleValue(), b.doubleValue()));
            case MAX -> integral ? Json.integral(Math.max(a.longValue(), b.longValue()))
                    : F.numberNode(Math.max(a.doubleValue(), b.doubleValue()));
            default -> throw new IllegalStateException(op.name());
        };
    }

    /** The final value shown to users: pi's {hits, samples} gains its estimate 4*hits/samples. */
    public static JsonNode finish(JsonNode reduced) {
        if (reduced instanceof ObjectNode o && o.has("hits") && o.has("samples") && o.get("samples").asLong() > 0) {
            ObjectNode out = o.deepCopy();
            out.put("estimate", 4.0 * o.get("hits").asLong() / o.get("samples").asLong());
            return out;
        }
        return reduced;
    }

    /** One line for kubectl's RESULT column, at most 60 characters. */
    public static String oneLine(JsonNode finished) {
        if (finished == null || finished.isNull()) return null;
        String s;
        if (finished.has("estimate")) {
            s = String.format(java.util.Locale.ROOT, "pi=%.6f", finished.get("estimate").asDouble());
        } else if (finished.isArray()) {
            s = finished.size() + " results";
        } else {
            s = finished.toString();
        }
        return TaskResult.truncate(s, 60);
    }
}
