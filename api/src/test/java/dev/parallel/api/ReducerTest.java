package dev.parallel.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parallel.api.contract.Json;
import dev.parallel.api.contract.Reducer;
import dev.parallel.api.v1alpha1.ReduceOp;
import org.junit.jupiter.api.Test;

class ReducerTest {
    static JsonNode j(String s) throws Exception { return Json.mapper().readTree(s); }

    @Test
    void sumsObjectsFieldwiseAndAddsThePiEstimate() throws Exception {
        Reducer r = new Reducer(ReduceOp.SUM);
        JsonNode acc = r.addValue(null, j("{\"hits\":3,\"samples\":4}"));
        acc = r.addValue(acc, j("{\"hits\":4,\"samples\":4}"));
        assertThat(acc).isEqualTo(j("{\"hits\":7,\"samples\":8}"));
        assertThat(Reducer.finish(acc).get("estimate").asDouble()).isEqualTo(3.5);
        assertThat(Reducer.oneLine(Reducer.finish(acc))).isEqualTo("pi=3.500000");
    }

    @Test
    void partialsMergeLikeValues() throws Exception {
        Reducer sum = new Reducer(ReduceOp.SUM);
        assertThat(sum.merge(j("5"), j("7"))).isEqualTo(j("12"));
        assertThat(new Reducer(ReduceOp.MIN).merge(j("5"), j("7"))).isEqualTo(j("5"));
        assertThat(new Reducer(ReduceOp.MAX).merge(j("5.5"), j("7"))).isEqualTo(j("7.0"));
        assertThat(new Reducer(ReduceOp.COLLECT).merge(j("[1]"), j("[2,3]"))).isEqualTo(j("[1,2,3]"));
        assertThat(new Reducer(ReduceOp.NONE).merge(j("1"), j("2"))).isNull();
    }

    @Test
    void sumOfStringsIsAClearError() {
        assertThatThrownBy(() -> new Reducer(ReduceOp.SUM).addValue(j("\"a\""), j("\"b\"")))
                .hasMessageContaining("reduce sum needs numbers");
    }
}
