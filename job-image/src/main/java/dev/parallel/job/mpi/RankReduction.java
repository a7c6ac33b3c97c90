package dev.parallel.job.mpi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parallel.api.contract.Json;
import dev.parallel.api.v1alpha1.ReduceOp;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Pure: turns a rank's partial reduction (a number, or an object of numbers such as pi's
 * {hits, samples}) into fixed-length vectors that MPI_Allreduce combines element-wise, and back.
 * Ranks first agree on the layout (the union of their shapes), since a rank with no tasks has none.
 */
final class RankReduction {
    private RankReduction() {}

    /** One element of the vector: an object field (or the scalar when {@code name} is null), integral or not. */
    record Field(String name, boolean integral) {}

    /** The layout every rank uses; integral fields travel as longs (exact), the others as doubles. */
    record Layout(boolean scalar, List<Field> fields) {
        List<Field> integral() { return fields.stream().filter(Field::integral).toList(); }

        List<Field> real() { return fields.stream().filter(f -> !f.integral()).toList(); }
    }

    /** A rank's shape, to be exchanged: "" (no partial), "n:i", "n:d", or "o:" + name=i|d,...; null if not numeric. */
    static String shape(JsonNode partial) {
        if (partial == null || partial.isNull()) return "";
        if (partial.isNumber()) return "n:" + (partial.isIntegralNumber() ? "i" : "d");
        if (!partial.isObject()) return null;
        StringBuilder b = new StringBuilder("o:");
        Map<String, JsonNode> sorted = new TreeMap<>();
        partial.fields().forEachRemaining(e -> sorted.put(e.getKey(), e.getValue()));
        for (var e : sorted.entrySet()) {
            if (!e.getValue().isNumber() || e.getKey().contains(",") || e.getKey().contains("=")) return null;
            if (b.length() > 2) b.append(',');
            b.append(e.getKey()).append('=').append(e.getValue().isIntegralNumber() ? 'i' : 'd');
        }
        return b.toString();
    }

    /** The union of all ranks' shapes, or null when they cannot be combined element-wise (then: gather). */
    static Layout agree(List<String> shapes) {
        Boolean scalar = null;
        Map<String, Boolean> fields = new TreeMap<>();
        for (String s : shapes) {
            if (s == null) return null;
            if (s.isEmpty()) continue;
            boolean isScalar = s.startsWith("n:");
            if (scalar != null && scalar != isScalar) return null;
            scalar = isScalar;
            if (isScalar) {
                fields.merge("", s.endsWith("i"), Boolean::logicalAnd);
            } else if (s.length() > 2) {
                for (String f : s.substring(2).split(",")) {
                    int eq = f.lastIndexOf('=');
                    fields.merge(f.substring(0, eq), f.endsWith("i"), Boolean::logicalAnd);
                }
            }
        }
        if (scalar == null) return new Layout(false, List.of()); // no rank has a partial
        List<Field> out = new ArrayList<>();
        boolean sc = scalar;
        fields.forEach((name, integral) -> out.add(new Field(sc ? null : name, integral)));
        return new Layout(sc, out);
    }

    static long[] longs(JsonNode partial, Layout layout, ReduceOp op) {
        List<Field> fs = layout.integral();
        long[] v = new long[fs.size()];
        for (int i = 0; i < v.length; i++) {
            JsonNode n = value(partial, fs.get(i));
            v[i] = n != null ? n.longValue() : switch (op) {
                case MIN -> Long.MAX_VALUE;
                case MAX -> Long.MIN_VALUE;
                default -> 0L;
            };
        }
        return v;
    }

    static double[] doubles(JsonNode partial, Layout layout, ReduceOp op) {
        List<Field> fs = layout.real();
        double[] v = new double[fs.size()];
        for (int i = 0; i < v.length; i++) {
            JsonNode n = value(partial, fs.get(i));
            v[i] = n != null ? n.doubleValue() : switch (op) {
                case MIN -> Double.POSITIVE_INFINITY;
                case MAX -> Double.NEGATIVE_INFINITY;
                default -> 0.0;
            };
        }
        return v;
    }

    /** The reduced value from the reduced vectors; null when no rank had a partial. */
    static JsonNode rebuild(Layout layout, long[] longs, double[] doubles) {
        if (layout.fields().isEmpty()) return null;
        JsonNodeFactory f = JsonNodeFactory.instance;
        if (layout.scalar()) {
            return layout.fields().get(0).integral() ? Json.integral(longs[0]) : f.numberNode(doubles[0]);
        }
        ObjectNode o = f.objectNode();
        Iterator<Field> li = layout.integral().iterator();
        for (int i = 0; li.hasNext(); i++) o.set(li.next().name(), Json.integral(longs[i]));
        Iterator<Field> di = layout.real().iterator();
        for (int i = 0; di.hasNext(); i++) o.put(di.next().name(), doubles[i]);
        return o;
    }

    private static JsonNode value(JsonNode partial, Field f) {
        if (partial == null || partial.isNull()) return null;
        return f.name() == null ? partial : partial.get(f.name());
    }
}
