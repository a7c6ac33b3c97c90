package dev.parallel.job.mpi;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parallel.api.contract.Json;
import dev.parallel.api.contract.Reducer;
import dev.parallel.api.v1alpha1.ReduceOp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The allreduce layout gives what Reducer.merge gives, including ranks that had no tasks. */
class RankReductionTest {
    static JsonNode json(String s) throws Exception { return s == null ? null : Json.mapper().readTree(s); }

    /** Simulates MPI_Allreduce over the ranks' vectors. */
    static JsonNode allReduce(List<String> partials, ReduceOp op) throws Exception {
        List<JsonNode> nodes = new ArrayList<>();
        for (String p : partials) nodes.add(json(p));
        var layout = RankReduction.agree(nodes.stream().map(RankReduction::shape).toList());
        if (layout == null) return null;
        long[] l = null;
        double[] d = null;
        for (JsonNode n : nodes) {
            long[] ln = RankReduction.longs(n, layout, op);
            double[] dn = RankReduction.doubles(n, layout, op);
            if (l == null) { l = ln; d = dn; continue; }
            for (int i = 0; i < l.length; i++) {
                l[i] = switch (op) { case MIN -> Math.min(l[i], ln[i]); case MAX -> Math.max(l[i], ln[i]); default -> l[i] + ln[i]; };
            }
            for (int i = 0; i < d.length; i++) {
                d[i] = switch (op) { case MIN -> Math.min(d[i], dn[i]); case MAX -> Math.max(d[i], dn[i]); default -> d[i] + dn[i]; };
            }
        }
        return RankReduction.rebuild(layout, l, d);
    }

    static JsonNode merged(List<String> partials, ReduceOp op) throws Exception {
        Reducer r = new Reducer(op);
        JsonNode acc = null;
        for (String p : partials) acc = r.merge(acc, json(p));
        return acc;
    }

    @Test
    void matchesReducerMergeForNumbersAndObjects() throws Exception {
        var cases = List.of(
                Arrays.asList("{\"hits\":3,\"samples\":4}", null, "{\"hits\":5,\"samples\":8}"),
                Arrays.asList("7", "11", null, "-2"),
                Arrays.asList("1.5", "2.25"),
                Arrays.asList("{\"a\":1}", "{\"b\":2.5}", "{\"a\":4,\"b\":0.5}"));
        for (ReduceOp op : List.of(ReduceOp.SUM, ReduceOp.MIN, ReduceOp.MAX)) {
            for (var c : cases) {
                assertThat(allReduce(c, op)).as(op + " " + c).isEqualTo(merged(c, op));
            }
        }
    }

    @Test
    void nothingToReduceAndShapesThatDoNotCombine() throws Exception {
        assertThat(allReduce(Arrays.asList(null, null), ReduceOp.SUM)).isNull();
        assertThat(RankReduction.agree(List.of("n:i", "o:a=i"))).as("number vs object: gather instead").isNull();
        assertThat(RankReduction.shape(json("{\"a\":\"text\"}"))).isNull();
        assertThat(RankReduction.shape(json("[1,2]"))).isNull();
    }
}
