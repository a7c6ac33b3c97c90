package dev.parallel.job.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.parallel.api.contract.Json;
import dev.parallel.api.tasks.Task;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class SleepKernelTest {
    static Task task(long index, String params) throws Exception {
        return new Task(index, Long.toString(index), (com.fasterxml.jackson.databind.node.ObjectNode) Json.mapper().readTree(params));
    }

    @ParameterizedTest
    @ValueSource(ints = {30, 100, 1000, 4096})
    void resultBytesMakesAResultOfThatSize(int bytes) throws Exception {
        var v = new SleepKernel().apply(task(123, "{\"millis\": 0, \"resultBytes\": " + bytes + "}"));
        assertThat(Json.mapper().writeValueAsString(v)).hasSize(bytes);
        assertThat(v.get("millis").asLong()).isZero();
        assertThat(v.get("pad").asText()).startsWith("123.123.");
    }

    @Test
    void withoutItTheResultIsTheMillis() throws Exception {
        assertThat(new SleepKernel().apply(task(1, "{\"millis\": 2}")).asLong()).isEqualTo(2);
        // smaller than the JSON around it: the least there is
        assertThat(Json.mapper().writeValueAsString(new SleepKernel().apply(task(1, "{\"millis\": 0, \"resultBytes\": 5}"))))
                .isEqualTo("{\"millis\":0,\"pad\":\"\"}");
        assertThatThrownBy(() -> new SleepKernel().apply(task(1, "{\"millis\": 0, \"resultBytes\": 999999999}")))
                .hasMessageContaining("parameter 'resultBytes' must be 0..524288");
    }
}
