package dev.parallel.api.tasks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parallel.api.contract.Json;
import dev.parallel.api.v1alpha1.MatrixAxis;
import dev.parallel.api.v1alpha1.SpecValidator.Problem;
import dev.parallel.api.v1alpha1.TaskMatrix;
import io.fabric8.kubernetes.api.model.IntOrString;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;

/**
 * The tasks of a spec.tasks.matrix, each decoded from its index on demand: the pod, the local runner
 * and MPI ranks hold the matrix (a few values per axis), never the list of combinations.
 *
 * <p>The grid has one dimension per axis without zipWith (its zipped axes ride along at the same
 * coordinate); the first dimension varies slowest. Excluded combinations are kept as disjoint boxes (a
 * set of coordinates per dimension), so the number of excluded combinations before any grid position is
 * a sum over boxes, and task i is found by a binary search over grid positions: no enumeration.
 */
public final class MatrixTasks implements TaskList {
    /** Most disjoint boxes the exclude entries may split into; overlapping entries multiply them. */
    static final int MAX_BOXES = 10_000;
    private static final long RANGE_LIMIT = 1_000_000_000_000_000L;
    /** The matrix travels as PJ_MATRIX; Linux caps one environment string at 128 KiB. */
    static final int MAX_JSON_BYTES = 100_000;

    private final List<MatrixAxis> axes;
    private final int[] dimOf; // axis -> its dimension
    private final long[] dimSize;
    private final long[] stride;
    private final long combinations;
    private final List<Box> boxes; // disjoint: for counting
    private final List<Box> entries; // one per exclude entry (fewer): for membership
    private final long size;
    private final ObjectNode shared;

    private MatrixTasks(TaskMatrix m, ObjectNode shared) {
        this.axes = m.axes;
        this.shared = shared;
        Map<String, Integer> leaders = new HashMap<>();
        List<Long> sizes = new ArrayList<>();
        for (MatrixAxis a : axes) {
            if (a.zipWith == null) {
                leaders.put(a.param, sizes.size());
                sizes.add(a.size());
            }
        }
        dimOf = new int[axes.size()];
        for (int i = 0; i < axes.size(); i++) {
            MatrixAxis a = axes.get(i);
            dimOf[i] = leaders.get(a.zipWith == null ? a.param : a.zipWith);
        }
        dimSize = sizes.stream().mapToLong(Long::longValue).toArray();
        stride = new long[dimSize.length];
        long p = 1;
        for (int d = dimSize.length - 1; d >= 0; d--) {
            stride[d] = p;
            p *= dimSize[d];
        }
        combinations = p;
        List<Box> raw = new ArrayList<>();
        if (m.exclude != null) {
            for (Map<String, IntOrString> e : m.exclude) {
                Box b = box(e);
                if (!b.isEmpty(dimSize)) raw.add(b);
            }
        }
        entries = raw;
        boxes = disjoint(raw, dimSize);
        long excluded = 0;
        for (Box b : boxes) excluded += b.count(dimSize);
        size = combinations - excluded;
    }

    /** The matrix's tasks; a matrix the API server would reject throws, naming the field. */
    public static MatrixTasks of(TaskMatrix m, ObjectNode shared) {
        List<Problem> problems = checks(m);
        if (!problems.isEmpty()) throw new IllegalArgumentException(problems.get(0).toString());
        return new MatrixTasks(m, shared); // excludes that overlap in too many ways throw, naming the field
    }

    /** Number of combinations before exclude. */
    public long combinations() { return combinations; }

    @Override
    public long size() { return size; }

    @Override
    public Task get(long index) {
        if (index < 0 || index >= size) throw new IndexOutOfBoundsException(index);
        return task(index, position(index));
    }

    @Override
    public List<Task> block(Partition.Block block) {
        List<Task> out = new ArrayList<>((int) block.size());
        if (block.size() == 0) return out;
        long p = position(block.start());
        for (long i = block.start(); i < block.end(); p++) {
            if (!excluded(p)) out.add(task(i++, p));
        }
        return out;
    }

    /** The grid position of task {@code index}: the smallest p with index+1 included positions in [0, p]. */
    private long position(long index) {
        if (boxes.isEmpty()) return index;
        long lo = index, hi = combinations - 1;
        while (lo < hi) {
            long mid = lo + (hi - lo) / 2;
            if (mid + 1 - excludedBelow(mid + 1) >= index + 1) hi = mid;
            else lo = mid + 1;
        }
        return lo;
    }

    private long excludedBelow(long p) {
        long n = 0;
        if (p >= combinations) {
            for (Box b : boxes) n += b.count(dimSize);
            return n;
        }
        long[] d = digits(p);
        for (Box b : boxes) n += b.countBelow(d, dimSize);
        return n;
    }

    private boolean excluded(long p) {
        if (entries.isEmpty()) return false;
        long[] d = digits(p);
        for (Box b : entries) if (b.contains(d)) return true;
        return false;
    }

    private long[] digits(long p) {
        long[] d = new long[dimSize.length];
        for (int k = 0; k < d.length; k++) d[k] = (p / stride[k]) % dimSize[k];
        return d;
    }

    private Task task(long index, long p) {
        long[] d = digits(p);
        ObjectNode params = Json.mapper().createObjectNode();
        if (shared != null) params.setAll(shared);
        StringBuilder id = new StringBuilder();
        for (int i = 0; i < axes.size(); i++) {
            MatrixAxis a = axes.get(i);
            JsonNode v = value(a, d[dimOf[i]]);
            params.set(a.param, v);
            if (i > 0) id.append(',');
            id.append(a.param).append('=').append(v.asText());
        }
        return new Task(index, id.toString(), params);
    }

    /** The axis's value at coordinate c: integers stay numbers, strings stay strings. */
    static JsonNode value(MatrixAxis a, long c) {
        if (a.range != null) return Json.integral(a.range.start + c * a.range.stepOrDefault());
        IntOrString v = a.values.get((int) c);
        return v.getIntVal() != null ? JsonNodeFactory.instance.numberNode(v.getIntVal())
                : JsonNodeFactory.instance.textNode(v.getStrVal());
    }

    private static String text(IntOrString v) {
        return v == null ? "null" : v.getIntVal() != null ? Integer.toString(v.getIntVal()) : v.getStrVal();
    }

    /** The coordinates of axis {@code a} whose value is written {@code v} (as the exclude entry writes it). */
    static long[] coordinates(MatrixAxis a, IntOrString v) {
        String want = text(v);
        if (a.range != null) {
            long x;
            try {
                x = Long.parseLong(want.strip());
            } catch (NumberFormatException e) {
                return new long[0];
            }
            long step = a.range.stepOrDefault();
            if (x < a.range.start || x >= a.range.end || Math.floorMod(x - a.range.start, step) != 0) return new long[0];
            return new long[] {(x - a.range.start) / step};
        }
        return LongStream.range(0, a.values.size()).filter(c -> want.equals(text(a.values.get((int) c)))).toArray();
    }

    private Box box(Map<String, IntOrString> entry) {
        CoordSet[] sets = new CoordSet[dimSize.length];
        Arrays.fill(sets, CoordSet.ALL);
        for (int i = 0; i < axes.size(); i++) {
            MatrixAxis a = axes.get(i);
            if (entry.containsKey(a.param)) {
                sets[dimOf[i]] = sets[dimOf[i]].intersect(new CoordSet(false, coordinates(a, entry.get(a.param))));
            }
        }
        return Box.of(sets, dimSize);
    }

    /** The union of the boxes as disjoint boxes: each new box minus every box kept so far. */
    private static List<Box> disjoint(List<Box> in, long[] n) {
        List<Box> out = new ArrayList<>();
        for (Box x : in) {
            List<Box> pieces = List.of(x);
            for (Box kept : out) {
                List<Box> next = new ArrayList<>();
                for (Box p : pieces) next.addAll(p.minus(kept, n));
                pieces = next;
                if (pieces.isEmpty()) break;
            }
            out.addAll(pieces);
            if (out.size() > MAX_BOXES) {
                throw new IllegalArgumentException("spec.tasks.matrix.exclude: the entries overlap in too many ways "
                        + "(more than " + MAX_BOXES + " disjoint pieces); use fewer entries or fewer params per entry");
            }
        }
        return out;
    }

    /** The problems the API server's schema and CEL rules report, for the local runner and the operator. */
    public static List<Problem> problems(TaskMatrix m) {
        List<Problem> p = checks(m);
        if (m.exclude != null && p.isEmpty()) {
            try {
                new MatrixTasks(m, null); // entries that overlap in too many ways
            } catch (IllegalArgumentException e) {
                p.add(new Problem("spec.tasks.matrix.exclude", e.getMessage().substring(e.getMessage().indexOf(": ") + 2)));
            }
        }
        return p;
    }

    /** Everything but the exclude entries' overlap, which only building the boxes finds. */
    private static List<Problem> checks(TaskMatrix m) {
        List<Problem> p = new ArrayList<>();
        String f = "spec.tasks.matrix";
        if (m.axes == null || m.axes.isEmpty()) {
            p.add(new Problem(f + ".axes", "give at least one axis ({param, values} or {param, range})"));
            return p;
        }
        if (m.axes.size() > TaskMatrix.MAX_AXES) p.add(new Problem(f + ".axes", "at most " + TaskMatrix.MAX_AXES + " axes"));
        Map<String, MatrixAxis> byParam = new HashMap<>();
        for (int i = 0; i < m.axes.size(); i++) {
            MatrixAxis a = m.axes.get(i);
            String af = f + ".axes[" + i + "]";
            if (a.param == null || !a.param.matches("^[A-Za-z_][A-Za-z0-9_]*$")) {
                p.add(new Problem(af + ".param", "is required: a parameter name (letters, digits, _)"));
                continue;
            }
            if (byParam.put(a.param, a) != null) p.add(new Problem(af + ".param", "'" + a.param + "' is on two axes; each param may appear on one axis only"));
            if ((a.values == null) == (a.range == null)) p.add(new Problem(af, "set exactly one of values (a list) or range ({start, end, step}) on each axis"));
            if (a.values != null && a.values.isEmpty()) p.add(new Problem(af + ".values", "must not be empty"));
            if (a.values != null && a.values.size() > MatrixAxis.MAX_VALUES) {
                p.add(new Problem(af + ".values", "at most " + MatrixAxis.MAX_VALUES + " values; use range for longer integer axes"));
            }
            if (a.range != null && a.range.end <= a.range.start) p.add(new Problem(af + ".range.end", "must be greater than range.start"));
            if (a.range != null && a.range.stepOrDefault() < 1) p.add(new Problem(af + ".range.step", "must be >= 1"));
            if (a.range != null && (a.range.start < -RANGE_LIMIT || a.range.end > RANGE_LIMIT || a.range.stepOrDefault() > RANGE_LIMIT)) {
                p.add(new Problem(af + ".range", "range.start, range.end and range.step must be within -10^15..10^15"));
            }
        }
        if (!p.isEmpty()) return p;
        for (int i = 0; i < m.axes.size(); i++) {
            MatrixAxis a = m.axes.get(i);
            if (a.zipWith == null) continue;
            MatrixAxis leader = byParam.get(a.zipWith);
            String af = f + ".axes[" + i + "].zipWith";
            if (leader == null || leader == a || leader.zipWith != null) {
                p.add(new Problem(af, "must name the param of another axis, one without zipWith; got '" + a.zipWith + "'"));
            } else if (leader.size() != a.size()) {
                p.add(new Problem(af, "axis " + a.param + " has " + a.size() + " values, axis " + leader.param + " has "
                        + leader.size() + ": zipped axes need the same length"));
            }
        }
        if (!p.isEmpty()) return p;
        double product = 1;
        for (MatrixAxis a : m.axes) if (a.zipWith == null) product *= a.size();
        if (product > TaskMatrix.MAX_COMBINATIONS) {
            p.add(new Problem(f, String.format("%.0f combinations, at most %,d (the product of the axes' lengths); use "
                    + "fewer values, or split the sweep into several ParallelJobs", product, TaskMatrix.MAX_COMBINATIONS)));
        }
        if (m.exclude != null) {
            if (m.exclude.size() > TaskMatrix.MAX_EXCLUDE) p.add(new Problem(f + ".exclude", "at most " + TaskMatrix.MAX_EXCLUDE + " entries"));
            for (int i = 0; i < m.exclude.size(); i++) {
                Map<String, IntOrString> e = m.exclude.get(i);
                String ef = f + ".exclude[" + i + "]";
                if (e == null || e.isEmpty()) {
                    p.add(new Problem(ef, "an empty entry would exclude every combination; give at least one param"));
                    continue;
                }
                for (var kv : e.entrySet()) {
                    MatrixAxis a = byParam.get(kv.getKey());
                    if (a == null) {
                        p.add(new Problem(ef + "." + kv.getKey(), "is not a param of any axis; name only params of " + f + ".axes"));
                    } else if (coordinates(a, kv.getValue()).length == 0) {
                        p.add(new Problem(ef + "." + kv.getKey(), "'" + text(kv.getValue()) + "' is not a value of axis "
                                + a.param + ", so the entry excludes nothing (write the value as the axis does)"));
                    }
                }
            }
        }
        if (p.isEmpty()) {
            int bytes = json(m).getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            if (bytes > MAX_JSON_BYTES) {
                p.add(new Problem(f, "is " + bytes + " bytes as JSON, at most " + MAX_JSON_BYTES + " (it reaches every pod "
                        + "in an environment variable); use range axes or fewer, shorter values"));
            }
        }
        return p;
    }

    private static String json(TaskMatrix m) {
        try {
            return Json.mapper().writeValueAsString(m);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A set of coordinates of one dimension: the listed ones, or all but the listed ones. */
    record CoordSet(boolean complement, long[] coords) {
        static final CoordSet ALL = new CoordSet(true, new long[0]);

        CoordSet {
            coords = LongStream.of(coords).sorted().distinct().toArray();
        }

        long count(long n) { return complement ? n - coords.length : coords.length; }

        boolean contains(long c) { return (Arrays.binarySearch(coords, c) >= 0) != complement; }

        /** How many members are below c. */
        long countBelow(long c) {
            int i = Arrays.binarySearch(coords, c);
            long listedBelow = i >= 0 ? i : -i - 1;
            return complement ? c - listedBelow : listedBelow;
        }

        CoordSet intersect(CoordSet o) {
            if (!complement && !o.complement) return new CoordSet(false, LongStream.of(coords).filter(c -> Arrays.binarySearch(o.coords, c) >= 0).toArray());
            if (!complement) return new CoordSet(false, LongStream.of(coords).filter(o::contains).toArray());
            if (!o.complement) return o.intersect(this);
            return new CoordSet(true, LongStream.concat(LongStream.of(coords), LongStream.of(o.coords)).toArray());
        }

        CoordSet complementOf() { return new CoordSet(!complement, coords); }

        /** Whether the two sets share a member of 0..n-1; no allocation (the common case is a quick "no"). */
        boolean overlaps(CoordSet o, long n) {
            if (!complement && !o.complement) return common(coords, o.coords) > 0;
            if (!complement) return coords.length > common(coords, o.coords);
            if (!o.complement) return o.coords.length > common(o.coords, coords);
            return n > coords.length + o.coords.length - common(coords, o.coords);
        }

        private static int common(long[] a, long[] b) {
            int n = 0;
            for (int i = 0, j = 0; i < a.length && j < b.length; ) {
                if (a[i] == b[j]) {
                    n++;
                    i++;
                    j++;
                } else if (a[i] < b[j]) {
                    i++;
                } else {
                    j++;
                }
            }
            return n;
        }
    }

    /** A product of coordinate sets: the combinations one exclude entry (or a piece of it) drops. */
    record Box(CoordSet[] sets, long[] suffix) {
        static Box of(CoordSet[] sets, long[] n) { return new Box(sets, suffixCounts(sets, n)); }

        private static long[] suffixCounts(CoordSet[] sets, long[] n) {
            long[] s = new long[sets.length + 1];
            s[sets.length] = 1;
            for (int k = sets.length - 1; k >= 0; k--) s[k] = s[k + 1] * sets[k].count(n[k]);
            return s;
        }

        long count(long[] n) { return suffix[0]; }

        boolean isEmpty(long[] n) { return suffix[0] == 0; }

        boolean contains(long[] d) {
            for (int k = 0; k < d.length; k++) if (!sets[k].contains(d[k])) return false;
            return true;
        }

        /** Members before grid position d (lexicographic, first dimension slowest). */
        long countBelow(long[] d, long[] n) {
            long total = 0;
            for (int k = 0; k < d.length; k++) {
                total += sets[k].countBelow(d[k]) * suffix[k + 1];
                if (!sets[k].contains(d[k])) break;
            }
            return total;
        }

        /** This box minus another, as disjoint boxes (at most one per dimension). */
        List<Box> minus(Box o, long[] n) {
            for (int k = 0; k < sets.length; k++) if (!sets[k].overlaps(o.sets[k], n[k])) return List.of(this);
            CoordSet[] common = new CoordSet[sets.length];
            for (int k = 0; k < sets.length; k++) {
                common[k] = sets[k].intersect(o.sets[k]);
                if (common[k].count(n[k]) == 0) return List.of(this); // no overlap
            }
            List<Box> out = new ArrayList<>();
            for (int k = 0; k < sets.length; k++) {
                CoordSet[] piece = new CoordSet[sets.length];
                for (int j = 0; j < k; j++) piece[j] = common[j];
                piece[k] = sets[k].intersect(o.sets[k].complementOf());
                for (int j = k + 1; j < sets.length; j++) piece[j] = sets[j];
                Box b = Box.of(piece, n);
                if (!b.isEmpty(n)) out.add(b);
            }
            return out;
        }
    }
}
