package dev.parallel.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parallel.api.contract.Json;
import dev.parallel.api.contract.Reducer;
import dev.parallel.api.contract.Reduction;
import dev.parallel.api.contract.TaskResult;
import dev.parallel.api.tasks.MatrixTasks;
import dev.parallel.api.tasks.Partition;
import dev.parallel.api.tasks.Task;
import dev.parallel.api.v1alpha1.MatrixAxis;
import dev.parallel.api.v1alpha1.ReduceOp;
import dev.parallel.api.v1alpha1.TaskMatrix;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The reductions of spec.reduction: per field, per group, and the ops mean, count, argmin, argmax. */
class GroupedReducerTest {
    static JsonNode j(String s) throws Exception { return Json.mapper().readTree(s); }

    /** lr x batch, loss = a made-up function of both; the tasks' results as a command would print them. */
    static final MatrixTasks GRID = MatrixTasks.of(new TaskMatrix(List.of(MatrixAxis.values("lr", "0.1", "0.01", "0.001"),
            MatrixAxis.values("batch", 32, 64)), null), null);

    static double loss(Task t) {
        double lr = Double.parseDouble(t.param("lr").asText());
        int batch = t.param("batch").asInt();
        return Math.round((Math.abs(Math.log10(lr) + 2) + Math.abs(batch - 64) / 100.0 + 0.183) * 1000) / 1000.0;
    }

    static TaskResult result(Task t) {
        return TaskResult.success(t.index(), t.id(), Json.mapper().createObjectNode().put("loss", loss(t)), 1, 0);
    }

    /** Reduces the grid split into {@code parts} parts, each folded in a shuffled order, then merged. */
    static JsonNode reduce(Reduction red, int parts, long seed) {
        Reducer r = new Reducer(red);
        Random rnd = new Random(seed);
        JsonNode acc = null;
        for (int p = 0; p < parts; p++) {
            List<Task> tasks = new ArrayList<>(GRID.block(Partition.block(GRID.size(), parts, p)));
            Collections.shuffle(tasks, rnd);
            JsonNode partial = null;
            for (Task t : tasks) partial = r.add(partial, result(t), t.params());
            // As the termination message carries it.
            partial = partial == null ? null : Json.mapper().valueToTree(partial);
            acc = r.merge(acc, partial);
        }
        return r.finished(acc);
    }

    @Test
    void argminNamesTheWinningCombinationWhateverTheSplit() throws Exception {
        Reduction red = new Reduction(ReduceOp.ARGMIN, "loss", null);
        JsonNode w = reduce(red, 1, 1);
        assertThat(w).isEqualTo(j("{\"id\":\"lr=0.01,batch=64\",\"params\":{\"lr\":\"0.01\",\"batch\":64},\"loss\":0.183,\"index\":3}"));
        for (int parts = 2; parts <= 6; parts++) assertThat(reduce(red, parts, parts)).isEqualTo(w);
        assertThat(new Reducer(red).summary(w)).isEqualTo("best: lr=0.01 batch=64, loss=0.183");
        JsonNode worst = reduce(new Reduction(ReduceOp.ARGMAX, "loss", null), 3, 7);
        assertThat(worst.get("id").asText()).isEqualTo("lr=0.1,batch=32");
    }

    @Test
    void tiesGoToTheLowerIndex() throws Exception {
        Reducer r = new Reducer(new Reduction(ReduceOp.ARGMIN, null, null));
        JsonNode a = r.add(null, TaskResult.success(5, "five", j("2"), 1, 0), null);
        JsonNode b = r.add(null, TaskResult.success(3, "three", j("2"), 1, 0), null);
        assertThat(r.finished(r.merge(a, b)).get("id").asText()).isEqualTo("three");
        assertThat(r.finished(r.merge(b, a)).get("id").asText()).isEqualTo("three");
    }

    @Test
    void groupByGivesOneRowPerGroupInAStableOrder() throws Exception {
        JsonNode g = reduce(new Reduction(ReduceOp.MEAN, "loss", List.of("batch")), 4, 3);
        assertThat(g.get("groups").asInt()).isEqualTo(2);
        assertThat(Reducer.rows(g)).extracting(JsonNode::toString).containsExactly(
                // (1.503 + 0.503 + 1.503) / 3 and (1.183 + 0.183 + 1.183) / 3, to 16 digits.
                "{\"group\":{\"batch\":32},\"mean\":1.169666666666667,\"count\":3}",
                "{\"group\":{\"batch\":64},\"mean\":0.8496666666666667,\"count\":3}");
        assertThat(reduce(new Reduction(ReduceOp.MEAN, "loss", List.of("batch")), 1, 9)).isEqualTo(g);
        JsonNode best = reduce(new Reduction(ReduceOp.ARGMIN, "loss", List.of("lr")), 3, 5);
        assertThat(Reducer.rows(best)).extracting(x -> x.get("group").get("lr").asText()).containsExactly("0.001", "0.01", "0.1");
        assertThat(best.get("argmin").get("id").asText()).isEqualTo("lr=0.01,batch=64");
        assertThat(new Reducer(new Reduction(ReduceOp.ARGMIN, "loss", List.of("lr"))).summary(best))
                .isEqualTo("3 groups by lr; best: lr=0.01 batch=64, loss=0.183");
    }

    @Test
    void meanIsTheExactSumOverTheExactCount() throws Exception {
        Reducer r = new Reducer(new Reduction(ReduceOp.MEAN, null, null));
        JsonNode acc = null;
        // 0.1 + 0.2 + 0.3 in doubles is 0.6000000000000001; the exact decimal sum is 0.6.
        for (String v : List.of("0.1", "0.2", "0.3")) acc = r.add(acc, TaskResult.success(0, "t", j(v), 1, 0), null);
        assertThat(acc).isEqualTo(j("{\"sum\":\"0.6\",\"count\":3}"));
        assertThat(r.finished(acc).doubleValue()).isEqualTo(0.2);
        assertThat(r.summary(r.finished(acc))).isEqualTo("mean=0.2");
        // Integers stay exact beyond 2^53.
        Reducer big = new Reducer(new Reduction(ReduceOp.MEAN, null, null));
        JsonNode b = big.add(null, TaskResult.success(0, "a", j("9007199254740993"), 1, 0), null);
        b = big.merge(b, big.add(null, TaskResult.success(1, "b", j("9007199254740993"), 1, 0), null));
        assertThat(b.get("sum").asText()).isEqualTo("18014398509481986");
    }

    @Test
    void countAndSumAndCollectReadTheField() throws Exception {
        assertThat(reduce(new Reduction(ReduceOp.COUNT, null, null), 3, 1).asLong()).isEqualTo(6);
        assertThat(reduce(new Reduction(ReduceOp.SUM, "loss", null), 2, 1).asDouble()).isCloseTo(6.058, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(reduce(new Reduction(ReduceOp.MIN, "loss", null), 2, 1).asDouble()).isEqualTo(0.183);
        assertThat(reduce(new Reduction(ReduceOp.COLLECT, "loss", List.of("batch")), 2, 1).get("rows").get(1).get("collect").size()).isEqualTo(3);
        JsonNode counts = reduce(new Reduction(ReduceOp.COUNT, null, List.of("lr", "batch")), 2, 1);
        assertThat(counts.get("groups").asInt()).isEqualTo(6);
        assertThat(Reducer.rows(counts).get(0).toString()).isEqualTo("{\"group\":{\"lr\":\"0.001\",\"batch\":32},\"count\":1}");
    }

    @Test
    void aMissingFieldOrANonNumberIsAnErrorNamingTheTaskAndTheField() throws Exception {
        Reducer r = new Reducer(new Reduction(ReduceOp.ARGMIN, "loss", null));
        assertThatThrownBy(() -> r.add(null, TaskResult.success(0, "lr=0.1", j("{\"acc\":1}"), 1, 0), null))
                .hasMessageContaining("task lr=0.1").hasMessageContaining("no field 'loss' (spec.reduction.by)");
        assertThatThrownBy(() -> r.add(null, TaskResult.success(0, "x", j("{\"loss\":\"high\"}"), 1, 0), null))
                .hasMessageContaining("needs a number in field 'loss'");
    }

    @Test
    void plainReductionsAreUnchanged() throws Exception {
        Reducer r = new Reducer(Reduction.of(ReduceOp.SUM));
        ObjectNode none = null;
        JsonNode acc = r.add(null, TaskResult.success(0, "0", j("{\"hits\":3,\"samples\":4}"), 1, 0), none);
        assertThat(r.finished(acc).get("estimate").asDouble()).isEqualTo(3.0);
        assertThat(r.summary(r.finished(acc))).isEqualTo("pi=3.000000");
    }
}
