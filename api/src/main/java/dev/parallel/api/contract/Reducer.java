package dev.parallel.api.contract;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parallel.api.v1alpha1.ReduceOp;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Combines task results (and partial reductions of parts) into one value. Associative, so pods reduce
 * their own tasks and the operator reduces the parts' partials. Numbers combine numerically (exact
 * for integers), objects field by field (pi's {hits, samples}), collect concatenates into an array.
 *
 * <p>A {@link Reduction} with a field ({@code by}), groups, or the ops mean, count, argmin and argmax
 * reduces into cells: a number (sum, min, max, count), {sum, count} with the sum an exact decimal
 * (mean), an array (collect), or the best task so far {value, index, id, params} (argmin, argmax; ties go
 * to the lower index, so the winner does not depend on how the tasks were split). Grouped, the partial is
 * {"groups": {"[v1,v2]": cell}} keyed by the group's parameter values. Only succeeded tasks are folded in.
 */
public final class Reducer {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    /** The rows' key in the results ConfigMap and in status.result. */
    public static final String ROWS_KEY = "reduced.jsonl";

    private final ReduceOp op;
    private final Reduction reduction;

    public Reducer(ReduceOp op) { this(Reduction.of(op)); }

    public Reducer(Reduction reduction) {
        this.reduction = reduction;
        this.op = reduction.op();
    }

    public ReduceOp op() { return op; }

    public Reduction reduction() { return reduction; }

    /**
     * Folds a succeeded task's result into the accumulator; {@code params} (the task's parameters) is only
     * read when {@link Reduction#needsParams()}.
     */
    public JsonNode add(JsonNode acc, TaskResult r, ObjectNode params) {
        if (reduction.plain()) return addValue(acc, r.value());
        if (op == ReduceOp.NONE) return acc;
        JsonNode x = field(r);
        if (!reduction.grouped()) return cellMerge(acc, cell(r, params, x));
        ObjectNode out = acc == null ? F.objectNode() : (ObjectNode) acc;
        ObjectNode groups = out.has("groups") ? (ObjectNode) out.get("groups") : out.putObject("groups");
        String key = groupKey(params).toString();
        groups.set(key, cellMerge(groups.get(key), cell(r, params, x)));
        return out;
    }

    private JsonNode field(TaskResult r) {
        JsonNode v = r.value();
        if (reduction.by() == null) return v;
        JsonNode x = v != null && v.isObject() ? v.get(reduction.by()) : null;
        if (x == null || x.isNull()) {
            throw new IllegalArgumentException("task " + r.id() + ": its result " + TaskResult.truncate(String.valueOf(v), 80)
                    + " has no field '" + reduction.by() + "' (spec.reduction.by)");
        }
        return x;
    }

    private ArrayNode groupKey(ObjectNode params) {
        ArrayNode key = F.arrayNode();
        for (String g : reduction.groupBy()) {
            JsonNode v = params == null ? null : params.get(g);
            key.add(v == null ? F.nullNode() : v);
        }
        return key;
    }

    /** One task's cell. */
    private JsonNode cell(TaskResult r, ObjectNode params, JsonNode x) {
        return switch (op) {
            case SUM, MIN, MAX -> x.deepCopy();
            case COUNT -> F.numberNode(1);
            case MEAN -> {
                ObjectNode c = F.objectNode();
                c.put("sum", decimal(number(x, r)).toString());
                c.put("count", 1);
                yield c;
            }
            case COLLECT -> F.arrayNode().add(x);
            case ARGMIN, ARGMAX -> {
                ObjectNode c = F.objectNode();
                c.set("value", number(x, r));
                c.set("index", Json.integral(r.index()));
                c.put("id", r.id());
                if (params != null) c.set("params", params.deepCopy());
                yield c;
            }
            default -> null;
        };
    }

    private JsonNode number(JsonNode x, TaskResult r) {
        if (x == null || !x.isNumber()) {
            throw new IllegalArgumentException("task " + r.id() + ": reduce " + op.value() + " needs a number"
                    + (reduction.by() == null ? "" : " in field '" + reduction.by() + "'") + ", got "
                    + TaskResult.truncate(String.valueOf(x), 80));
        }
        return x;
    }

    /** A number as written: integers exactly, others from their shortest decimal form (what the task printed). */
    private static BigDecimal decimal(JsonNode x) {
        if (x.isIntegralNumber()) return new BigDecimal(x.bigIntegerValue());
        if (x.isBigDecimal()) return x.decimalValue();
        return new BigDecimal(x.asText());
    }

    private JsonNode cellMerge(JsonNode a, JsonNode b) {
        if (a == null) return b;
        if (b == null) return a;
        return switch (op) {
            case SUM, MIN, MAX -> combine(a, b);
            case COUNT -> Json.integral(Math.addExact(a.longValue(), b.longValue()));
            case MEAN -> {
                ObjectNode c = F.objectNode();
                c.put("sum", new BigDecimal(a.get("sum").asText()).add(new BigDecimal(b.get("sum").asText())).toString());
                c.set("count", Json.integral(Math.addExact(a.get("count").longValue(), b.get("count").longValue())));
                yield c;
            }
            case COLLECT -> ((ArrayNode) a).addAll((ArrayNode) b); // a is the accumulator's own
            case ARGMIN, ARGMAX -> better(a, b);
            default -> null;
        };
    }

    private JsonNode better(JsonNode a, JsonNode b) {
        int c = compareNumbers(a.get("value"), b.get("value"));
        if (op == ReduceOp.ARGMAX) c = -c;
        if (c == 0) c = Long.compare(a.get("index").longValue(), b.get("index").longValue());
        return c <= 0 ? a : b;
    }

    static int compareNumbers(JsonNode a, JsonNode b) {
        if (a.isIntegralNumber() && b.isIntegralNumber()) return a.bigIntegerValue().compareTo(b.bigIntegerValue());
        return Double.compare(a.doubleValue(), b.doubleValue());
    }

    /** "argmin by loss per lr", for messages. */
    private String describe() {
        return op.value() + (reduction.by() == null ? "" : " by " + reduction.by())
                + (reduction.grouped() ? " per " + String.join(",", reduction.groupBy()) : "");
    }

    /** The final value: as {@link #finish(JsonNode)} for plain reductions; cells made readable; groups as rows. */
    public JsonNode finished(JsonNode acc) {
        if (reduction.plain()) return finish(acc);
        try {
            return finishedCells(acc);
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("the reduction " + TaskResult.truncate(String.valueOf(acc), 80)
                    + " does not fit the reduction (" + describe() + ")", e);
        }
    }

    private JsonNode finishedCells(JsonNode acc) {
        if (acc == null || op == ReduceOp.NONE) return null;
        if (!reduction.grouped()) return finishCell(acc);
        List<ArrayNode> keys = new ArrayList<>();
        ObjectNode groups = (ObjectNode) acc.get("groups");
        groups.fieldNames().forEachRemaining(k -> {
            try {
                keys.add((ArrayNode) Json.mapper().readTree(k));
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException("malformed group key " + k, e);
            }
        });
        keys.sort(KEY_ORDER);
        ObjectNode out = F.objectNode();
        out.set("groupBy", Json.mapper().valueToTree(reduction.groupBy()));
        out.put("groups", keys.size());
        ArrayNode rows = out.putArray("rows");
        JsonNode best = null;
        for (ArrayNode k : keys) {
            JsonNode cell = groups.get(k.toString());
            ObjectNode row = rows.addObject();
            ObjectNode group = row.putObject("group");
            for (int i = 0; i < reduction.groupBy().size(); i++) group.set(reduction.groupBy().get(i), k.get(i));
            row.set(op.value(), finishCell(cell));
            if (op == ReduceOp.MEAN) row.set("count", cell.get("count"));
            if (op == ReduceOp.ARGMIN || op == ReduceOp.ARGMAX) best = best == null ? cell : better(best, cell);
        }
        if (best != null) out.set(op.value(), finishCell(best));
        return out;
    }

    private JsonNode finishCell(JsonNode cell) {
        return switch (op) {
            case MEAN -> F.numberNode(new BigDecimal(cell.get("sum").asText())
                    .divide(BigDecimal.valueOf(cell.get("count").longValue()), MathContext.DECIMAL64).doubleValue());
            case ARGMIN, ARGMAX -> {
                ObjectNode w = F.objectNode();
                w.set("id", cell.get("id"));
                if (cell.has("params")) w.set("params", cell.get("params"));
                w.set(reduction.by() == null ? "value" : reduction.by(), cell.get("value"));
                w.set("index", cell.get("index"));
                yield w;
            }
            default -> cell;
        };
    }

    /** Group keys in a stable order: element by element, nulls, then numbers by value, then text. */
    private static final Comparator<ArrayNode> KEY_ORDER = (a, b) -> {
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            int c = compareScalars(a.get(i), b.get(i));
            if (c != 0) return c;
        }
        return Integer.compare(a.size(), b.size());
    };

    private static int compareScalars(JsonNode a, JsonNode b) {
        int ra = a.isNull() ? 0 : a.isNumber() ? 1 : 2, rb = b.isNull() ? 0 : b.isNumber() ? 1 : 2;
        if (ra != rb) return Integer.compare(ra, rb);
        if (ra == 1) return compareNumbers(a, b);
        return a.asText().compareTo(b.asText());
    }

    /** The grouped rows of a finished value (one JSON object per group), empty when not grouped. */
    public static List<JsonNode> rows(JsonNode finished) {
        List<JsonNode> out = new ArrayList<>();
        if (finished != null && finished.has("rows") && finished.get("rows").isArray()) finished.get("rows").forEach(out::add);
        return out;
    }

    /** One line for kubectl's RESULT column, at most 60 characters. */
    public String summary(JsonNode finished) {
        if (reduction.plain()) return oneLine(finished);
        if (finished == null || finished.isNull()) return null;
        String s;
        if (reduction.grouped()) {
            s = finished.get("groups").asInt() + " groups by " + String.join(",", reduction.groupBy());
            if (finished.has(op.value())) s += "; " + winner(finished.get(op.value()));
        } else if (op == ReduceOp.ARGMIN || op == ReduceOp.ARGMAX) {
            s = winner(finished);
        } else {
            s = op.value() + (reduction.by() == null ? "" : " " + reduction.by()) + "=" + finished;
        }
        return TaskResult.truncate(s, 60);
    }

    /** "best: lr=0.01 batch=64, loss=0.183" (a matrix task's id lists its params). */
    private String winner(JsonNode w) {
        String field = reduction.by() == null ? "value" : reduction.by();
        return "best: " + w.get("id").asText().replace(',', ' ') + ", " + field + "=" + w.get(field);
    }

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
        if (!reduction.plain()) {
            try {
                return mergeCells(a == null ? null : a.deepCopy(), b);
            } catch (IllegalArgumentException e) {
                throw e;
            } catch (RuntimeException e) { // a partial of another shape (a hand-edited or foreign summary)
                throw new IllegalArgumentException("a part's partial " + TaskResult.truncate(String.valueOf(b), 80)
                        + " does not fit the reduction (" + describe() + ")", e);
            }
        }
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

    private JsonNode mergeCells(JsonNode a, JsonNode b) {
        if (a == null) return b == null ? null : b.deepCopy();
        if (b == null) return a;
        if (!reduction.grouped()) return cellMerge(a, b.deepCopy());
        ObjectNode groups = (ObjectNode) a.get("groups");
        b.get("groups").fields().forEachRemaining(e -> groups.set(e.getKey(), cellMerge(groups.get(e.getKey()), e.getValue().deepCopy())));
        return a;
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
