package dev.parallel.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parallel.api.contract.Json;
import dev.parallel.api.contract.PodContract;
import dev.parallel.api.contract.Reduction;
import dev.parallel.api.contract.WorkerConfig;
import dev.parallel.api.tasks.MatrixTasks;
import dev.parallel.api.tasks.Partition;
import dev.parallel.api.tasks.Task;
import dev.parallel.api.v1alpha1.ExecutorKind;
import dev.parallel.api.v1alpha1.MatrixAxis;
import dev.parallel.api.v1alpha1.ReduceOp;
import dev.parallel.api.v1alpha1.SpecValidator.Problem;
import dev.parallel.api.v1alpha1.TaskMatrix;
import io.fabric8.kubernetes.api.model.IntOrString;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MatrixTasksTest {
    static TaskMatrix matrix(MatrixAxis... axes) { return new TaskMatrix(List.of(axes), null); }

    static Map<String, IntOrString> ex(Object... kv) {
        Map<String, IntOrString> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1] instanceof Integer n ? new IntOrString(n) : new IntOrString((String) kv[i + 1]));
        }
        return m;
    }

    static List<String> ids(MatrixTasks t) { return t.all().stream().map(Task::id).toList(); }

    @Test
    void firstAxisVariesSlowestLastFastestWithTypedValuesAndReadableIds() {
        var t = MatrixTasks.of(matrix(MatrixAxis.values("lr", "0.1", "0.01"), MatrixAxis.values("batch", 32, 64),
                MatrixAxis.range("seed", 0, 5, 2)), null);
        assertThat(t.size()).isEqualTo(12);
        assertThat(ids(t)).startsWith("lr=0.1,batch=32,seed=0", "lr=0.1,batch=32,seed=2", "lr=0.1,batch=32,seed=4",
                "lr=0.1,batch=64,seed=0").endsWith("lr=0.01,batch=64,seed=4");
        Task six = t.get(6);
        assertThat(six.index()).isEqualTo(6);
        assertThat(six.params().toString()).isEqualTo("{\"lr\":\"0.01\",\"batch\":32,\"seed\":0}");
        assertThat(six.param("batch").isInt()).isTrue();
        assertThat(six.param("lr").isTextual()).isTrue();
    }

    @Test
    void sharedParamsAreMergedAndTheMatrixWins() {
        ObjectNode shared = Json.mapper().createObjectNode().put("samples", 1000).put("batch", 1);
        var t = MatrixTasks.of(matrix(MatrixAxis.values("batch", 8, 16)), shared);
        assertThat(t.get(1).params().toString()).isEqualTo("{\"samples\":1000,\"batch\":16}");
        assertThat(t.get(1).id()).isEqualTo("batch=16");
    }

    @Test
    void zippedAxesAdvanceTogetherAndCountOnce() {
        var t = MatrixTasks.of(matrix(MatrixAxis.values("lr", "0.1", "0.01", "0.001"), MatrixAxis.values("opt", "a", "b"),
                MatrixAxis.values("warmup", 10, 20, 30).zipWith("lr")), null);
        assertThat(t.size()).isEqualTo(6);
        assertThat(ids(t)).containsExactly("lr=0.1,opt=a,warmup=10", "lr=0.1,opt=b,warmup=10", "lr=0.01,opt=a,warmup=20",
                "lr=0.01,opt=b,warmup=20", "lr=0.001,opt=a,warmup=30", "lr=0.001,opt=b,warmup=30");
    }

    @Test
    void excludeDropsEveryCombinationMatchingThePartialMap() {
        var m = matrix(MatrixAxis.values("lr", "0.1", "0.01"), MatrixAxis.values("batch", 32, 64, 128));
        m.exclude = List.of(ex("lr", "0.1", "batch", 128), ex("batch", 32));
        var t = MatrixTasks.of(m, null);
        assertThat(ids(t)).containsExactly("lr=0.1,batch=64", "lr=0.01,batch=64", "lr=0.01,batch=128");
        assertThat(t.get(2).id()).isEqualTo("lr=0.01,batch=128");
        assertThat(t.get(2).index()).isEqualTo(2);
        // A string written for an integer value matches it (the schema takes integers or strings).
        m.exclude = List.of(ex("batch", "64"));
        assertThat(MatrixTasks.of(m, null).size()).isEqualTo(4);
    }

    /** Random matrices with overlapping excludes: size, get(i) and every block agree with brute-force enumeration. */
    @Test
    void decodingAgreesWithBruteForceEnumeration() {
        Random rnd = new Random(42);
        for (int round = 0; round < 200; round++) {
            int n = 1 + rnd.nextInt(4);
            List<MatrixAxis> axes = new ArrayList<>();
            for (int k = 0; k < n; k++) {
                int len = 1 + rnd.nextInt(4);
                if (rnd.nextBoolean()) {
                    axes.add(MatrixAxis.range("r" + k, -3, -3 + 2L * len, 2));
                } else {
                    Object[] vals = new Object[len];
                    for (int v = 0; v < len; v++) vals[v] = rnd.nextBoolean() ? (Object) v : "s" + v;
                    axes.add(MatrixAxis.values("v" + k, vals));
                }
            }
            if (n >= 2 && rnd.nextBoolean()) { // zip the last axis with the first, same length
                MatrixAxis first = axes.get(0);
                axes.set(n - 1, MatrixAxis.range("z", 100, 100 + first.size(), 1).zipWith(first.param));
            }
            List<List<Object[]>> grid = brute(axes);
            List<Map<String, IntOrString>> exclude = new ArrayList<>();
            for (int e = rnd.nextInt(5); e > 0; e--) { // entries taken from real combinations, so they match
                Object[] combo = grid.get(rnd.nextInt(grid.size())).get(0);
                Map<String, IntOrString> entry = new LinkedHashMap<>();
                for (int k = 0; k < axes.size(); k++) {
                    if (rnd.nextInt(3) == 0 || entry.isEmpty() && k == axes.size() - 1) {
                        entry.put(axes.get(k).param, combo[k] instanceof Integer i ? new IntOrString(i)
                                : combo[k] instanceof Long l ? new IntOrString(l.intValue()) : new IntOrString((String) combo[k]));
                    }
                }
                exclude.add(entry);
            }
            TaskMatrix m = new TaskMatrix(axes, exclude);
            List<String> expected = new ArrayList<>();
            for (var combo : grid) {
                Object[] c = combo.get(0);
                boolean drop = exclude.stream().anyMatch(e -> e.entrySet().stream().allMatch(kv -> {
                    int k = indexOf(axes, kv.getKey());
                    return String.valueOf(c[k]).equals(kv.getValue().getIntVal() != null
                            ? kv.getValue().getIntVal().toString() : kv.getValue().getStrVal());
                }));
                if (!drop) expected.add(id(axes, c));
            }
            var t = MatrixTasks.of(m, null);
            assertThat(t.combinations()).isEqualTo(grid.size());
            assertThat(t.size()).as("round %d: %s", round, exclude).isEqualTo(expected.size());
            for (int i = 0; i < expected.size(); i++) assertThat(t.get(i).id()).isEqualTo(expected.get(i));
            for (int parts = 1; parts <= 4; parts++) {
                List<String> joined = new ArrayList<>();
                for (int p = 0; p < parts; p++) {
                    t.block(Partition.block(t.size(), parts, p)).forEach(x -> joined.add(x.id()));
                }
                assertThat(joined).isEqualTo(expected);
            }
        }
    }

    private static int indexOf(List<MatrixAxis> axes, String param) {
        for (int k = 0; k < axes.size(); k++) if (axes.get(k).param.equals(param)) return k;
        throw new AssertionError(param);
    }

    private static String id(List<MatrixAxis> axes, Object[] c) {
        StringBuilder b = new StringBuilder();
        for (int k = 0; k < axes.size(); k++) b.append(k > 0 ? "," : "").append(axes.get(k).param).append('=').append(c[k]);
        return b.toString();
    }

    /** Nested loops over the leaders; a zipped axis takes its leader's position. */
    private static List<List<Object[]>> brute(List<MatrixAxis> axes) {
        List<Object[]> combos = new ArrayList<>();
        combos.add(new Object[axes.size()]);
        List<Integer> pos = new ArrayList<>();
        for (int k = 0; k < axes.size(); k++) {
            MatrixAxis a = axes.get(k);
            if (a.zipWith != null) continue;
            List<Object[]> next = new ArrayList<>();
            for (Object[] c : combos) {
                for (int i = 0; i < a.size(); i++) {
                    Object[] d = c.clone();
                    d[k] = valueAt(a, i);
                    for (int z = 0; z < axes.size(); z++) {
                        if (a.param.equals(axes.get(z).zipWith)) d[z] = valueAt(axes.get(z), i);
                    }
                    next.add(d);
                }
            }
            combos = next;
        }
        List<List<Object[]>> out = new ArrayList<>();
        for (Object[] c : combos) out.add(List.<Object[]>of(c));
        return out;
    }

    private static Object valueAt(MatrixAxis a, int i) {
        if (a.range != null) return a.range.start + (long) i * a.range.stepOrDefault();
        IntOrString v = a.values.get(i);
        return v.getIntVal() != null ? v.getIntVal() : v.getStrVal();
    }

    @Test
    void aHundredMillionCombinationsAreTheLimitAndDecodeInstantly() {
        var atLimit = matrix(MatrixAxis.range("a", 0, 10_000, 1), MatrixAxis.range("b", 0, 10_000, 1));
        atLimit.exclude = List.of(ex("a", 0), ex("b", 9_999));
        var t = MatrixTasks.of(atLimit, null);
        assertThat(t.combinations()).isEqualTo(TaskMatrix.MAX_COMBINATIONS);
        assertThat(t.size()).isEqualTo(100_000_000L - 10_000 - 10_000 + 1);
        assertThat(t.get(0).id()).isEqualTo("a=1,b=0");
        assertThat(t.get(t.size() - 1).id()).isEqualTo("a=9999,b=9998");
        assertThat(t.block(Partition.block(t.size(), 1000, 999))).hasSize((int) (t.size() / 1000));

        var over = matrix(MatrixAxis.range("a", 0, 10_000, 1), MatrixAxis.range("b", 0, 10_001, 1));
        assertThat(MatrixTasks.problems(over)).extracting(Problem::field).containsExactly("spec.tasks.matrix");
        assertThat(MatrixTasks.problems(over).get(0).message()).contains("100010000 combinations, at most 100,000,000");
        assertThatThrownBy(() -> MatrixTasks.of(over, null)).hasMessageContaining("spec.tasks.matrix: 100010000 combinations");
        // Zipped axes count once, so this is within the limit.
        var zipped = matrix(MatrixAxis.range("a", 0, 10_000, 1), MatrixAxis.range("b", 0, 10_000, 1),
                MatrixAxis.range("c", 0, 10_000, 1).zipWith("b"));
        assertThat(MatrixTasks.problems(zipped)).isEmpty();
        // Huge axes do not overflow: the product is checked in doubles.
        var huge = matrix(MatrixAxis.range("a", 0, 1_000_000_000_000_000L, 1), MatrixAxis.range("b", 0, 1_000_000_000_000_000L, 1));
        assertThat(MatrixTasks.problems(huge)).extracting(Problem::field).containsExactly("spec.tasks.matrix");
        var beyond = matrix(MatrixAxis.range("a", 0, Long.MAX_VALUE / 2, 1));
        assertThat(MatrixTasks.problems(beyond)).extracting(Problem::field).containsExactly("spec.tasks.matrix.axes[0].range");
    }

    @Test
    void badMatricesAreReportedByField() {
        assertThat(fields(new TaskMatrix(List.of(), null))).containsExactly("spec.tasks.matrix.axes");
        assertThat(fields(matrix(MatrixAxis.values("a", 1), MatrixAxis.values("a", 2)))).containsExactly("spec.tasks.matrix.axes[1].param");
        var empty = MatrixAxis.values("a");
        assertThat(fields(matrix(empty))).containsExactly("spec.tasks.matrix.axes[0].values");
        var both = MatrixAxis.values("a", 1);
        both.range = new dev.parallel.api.v1alpha1.AxisRange(0, 3, 1);
        assertThat(fields(matrix(both))).containsExactly("spec.tasks.matrix.axes[0]");
        assertThat(fields(matrix(MatrixAxis.range("a", 3, 3, 1)))).containsExactly("spec.tasks.matrix.axes[0].range.end");
        assertThat(fields(matrix(MatrixAxis.values("a", 1, 2), MatrixAxis.values("b", 1).zipWith("a"))))
                .containsExactly("spec.tasks.matrix.axes[1].zipWith");
        assertThat(fields(matrix(MatrixAxis.values("a", 1), MatrixAxis.values("b", 1).zipWith("nope"))))
                .containsExactly("spec.tasks.matrix.axes[1].zipWith");
        var m = matrix(MatrixAxis.values("a", 1, 2));
        m.exclude = List.of(ex("b", 1), ex("a", 3), Map.of());
        assertThat(fields(m)).containsExactly("spec.tasks.matrix.exclude[0].b", "spec.tasks.matrix.exclude[1].a",
                "spec.tasks.matrix.exclude[2]");
        assertThat(MatrixTasks.problems(m).get(1).message()).contains("'3' is not a value of axis a");
    }

    @Test
    void aMatrixTooLargeForThePodsEnvironmentIsRejected() {
        // 8 zipped axes of 1,000 values: only 1,000 combinations, but about 150 KB of JSON.
        List<MatrixAxis> axes = new ArrayList<>();
        for (int k = 0; k < 8; k++) {
            Object[] v = new Object[1000];
            for (int i = 0; i < v.length; i++) v[i] = "value-" + k + "-" + i;
            axes.add(k == 0 ? MatrixAxis.values("a0", v) : MatrixAxis.values("a" + k, v).zipWith("a0"));
        }
        assertThat(MatrixTasks.problems(new TaskMatrix(axes, null))).singleElement().satisfies(p -> {
            assertThat(p.field()).isEqualTo("spec.tasks.matrix");
            assertThat(p.message()).contains("bytes as JSON, at most 100000").contains("environment variable");
        });
    }

    private static List<String> fields(TaskMatrix m) { return MatrixTasks.problems(m).stream().map(Problem::field).toList(); }

    /** The pod gets the matrix through its environment and decodes the same tasks as the operator planned. */
    @Test
    void thePodDecodesTheSameTasksFromItsEnvironment() throws Exception {
        var m = matrix(MatrixAxis.values("lr", "0.1", "0.01"), MatrixAxis.values("batch", 32, 64));
        m.exclude = List.of(ex("lr", "0.1", "batch", 64));
        WorkerConfig c = new WorkerConfig(null, "echo", null, null, null, m, 2, 1, ExecutorKind.THREADS, 1, 0, 0,
                new Reduction(ReduceOp.ARGMIN, "loss", List.of("batch")), null, null, null);
        Map<String, String> env = new LinkedHashMap<>(PodContract.toEnv(c));
        assertThat(env.get(PodContract.MATRIX)).isEqualTo("{\"axes\":[{\"param\":\"lr\",\"values\":[\"0.1\",\"0.01\"]},"
                + "{\"param\":\"batch\",\"values\":[32,64]}],\"exclude\":[{\"lr\":\"0.1\",\"batch\":64}]}");
        env.put(PodContract.PART_INDEX, "1");
        WorkerConfig back = PodContract.fromEnv(env);
        assertThat(back.reduce()).isEqualTo(c.reduce());
        assertThat(back.partTasks()).extracting(Task::id).containsExactly("lr=0.01,batch=64");
        assertThat(back.partTasks().get(0).index()).isEqualTo(2);
    }
}
