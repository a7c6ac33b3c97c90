package dev.parallel.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.parallel.api.contract.Json;
import dev.parallel.api.contract.TaskResult;
import java.util.List;
import org.junit.jupiter.api.Test;

/** TaskResult.json() writes exactly what Jackson's record serialization writes, and reads back equal. */
class TaskResultJsonTest {
    @Test
    void theStreamingWriterMatchesJacksonsRecordSerialization() throws Exception {
        var f = JsonNodeFactory.instance;
        JsonNode obj = Json.mapper().readTree("{\"hits\": 12, \"samples\": 1.5e9, \"nested\": [1, \"two\", null, {\"x\": true}]}");
        List<TaskResult> cases = List.of(
                TaskResult.success(0, "0", f.numberNode(4206957.050714593), 1, 174),
                TaskResult.success(9_000_000_000L, "seed=7,lr=0.1", obj, 3, 0),
                TaskResult.success(2, null, f.textNode("a \"quoted\" line\nwith ünïcode and \t tabs"), 1, 5),
                TaskResult.success(3, "3", f.nullNode(), 1, 5),
                TaskResult.success(4, "4", f.numberNode(Long.MIN_VALUE), 1, 5),
                TaskResult.failure(5, "t5", "TaskFailure: parameter 'n' must be <= 4096, got \"lots\" \\ \u0001", 2, 12),
                TaskResult.failure(6, "6", null, 1, 0),
                TaskResult.success(7, "7", f.arrayNode().add(1).add(2.5), 1, 9).withParams(obj),
                TaskResult.failure(8, "8", "x", 1, 1).withParams(f.objectNode().put("loss", 0.25)));
        for (TaskResult r : cases) {
            assertThat(r.json()).as("%s", r).isEqualTo(Json.mapper().writeValueAsString(r));
            assertThat(Json.mapper().readValue(r.json(), TaskResult.class)).isEqualTo(r);
            assertThat(TaskResult.parse(r.json())).isEqualTo(r);
        }
    }

    @Test
    void parseReadsWhatJacksonBindsFromLinesItDidNotWrite() throws Exception {
        for (String line : java.util.List.of(
                "{\"index\":3,\"ok\":true,\"value\":{\"hits\":5},\"attempts\":1,\"millis\":2,\"extra\":[1,2]}",
                "{\"id\":7,\"index\":\"9\",\"ok\":false,\"error\":null,\"attempts\":2}",
                "{\"index\":1,\"value\":null,\"params\":{\"lr\":0.1}}", "{}")) {
            assertThat(TaskResult.parse(line)).as(line).isEqualTo(Json.mapper().readValue(line, TaskResult.class));
        }
    }
}
