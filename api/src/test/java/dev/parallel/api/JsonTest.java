package dev.parallel.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.parallel.api.contract.Json;
import dev.parallel.api.contract.PartSummary;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pod's streaming JSON reads and writes exactly what the data-binding mapper does. */
class JsonTest {
    static final List<String> DOCUMENTS = List.of(
            "{}", "[]", "0", "-1", "2147483647", "2147483648", "-9223372036854775808", "9223372036854775808",
            "123456789012345678901234567890", "1.5", "-0.0", "1e400", "4.9e-324", "0.1", "1E3", "3.141592653589793",
            "\"a \\\"quoted\\\" line\\nwith \\u00fcn\\u00efcode and \\t tabs\"", "true", "false", "null",
            "{\"from\": 0, \"to\": 40000000}", "{\"start\": 1, \"end\": 257, \"step\": 1, \"param\": \"seed\"}",
            "{\"a\": 1, \"a\": 2.5}", "{\"n\": {\"deep\": [1, [2, [3, {\"x\": null}]]], \"s\": \"\"}, \"b\": [true, false]}",
            "  {\"padded\": 1}  ");

    @Test
    void treesAreTheMappersNodeForNode() throws Exception {
        for (String doc : DOCUMENTS) {
            JsonNode ours = Json.tree(doc), theirs = Json.mapper().readTree(doc);
            assertThat(ours).as(doc).isEqualTo(theirs); // node equality compares types: IntNode(1) is not LongNode(1)
            assertThat(ours.getClass()).as(doc).isEqualTo(theirs.getClass());
            assertThat(Json.string(ours)).as(doc).isEqualTo(Json.mapper().writeValueAsString(theirs));
        }
    }

    @Test
    void builtTreesAreWrittenAsTheMapperWritesThem() throws Exception {
        var f = JsonNodeFactory.instance;
        List<JsonNode> nodes = List.of(f.numberNode(4206957.050714593), f.numberNode(2.5f), f.numberNode((short) 7),
                f.numberNode(new java.math.BigDecimal("1.10")), f.numberNode(new java.math.BigInteger("99999999999999999999")),
                f.objectNode().put("hits", 3).put("samples", 9_000_000_000L).set("nested", f.arrayNode().add("x").addNull()),
                Json.integral(5), Json.integral(1L << 40), f.missingNode());
        for (JsonNode n : nodes) assertThat(Json.string(n)).as("%s", n).isEqualTo(Json.mapper().writeValueAsString(n));
    }

    @Test
    void anythingAfterTheValueOrNothingAtAllIsAnError() {
        assertThatThrownBy(() -> Json.tree("{\"a\": 1} {\"b\": 2}")).isInstanceOf(JsonProcessingException.class)
                .hasMessageStartingWith("Trailing token (of type START_OBJECT) found after value");
        assertThatThrownBy(() -> Json.tree("{\"a\": 1}}")).isInstanceOf(JsonProcessingException.class);
        assertThatThrownBy(() -> Json.tree("")).isInstanceOf(JsonProcessingException.class);
        assertThatThrownBy(() -> Json.tree("{\"a\": }")).isInstanceOf(JsonProcessingException.class)
                .hasMessageContaining("Unexpected character ('}'");
    }

    @Test
    void summariesAreWrittenAsJacksonsRecordSerializationWritesThem() throws Exception {
        JsonNode partial = Json.tree("{\"hits\": 12, \"samples\": 1.5e9}");
        List<PartSummary> cases = List.of(
                new PartSummary(0, 32, 32, 0, 0, partial, false, List.of(), false, 1234, "threads", null, null),
                new PartSummary(3, 10, 7, 3, 2, Json.integral(7), false,
                        List.of(new PartSummary.FailedTask("t1", "TaskFailure: \"quoted\" \\ \u0001"), new PartSummary.FailedTask("t2", null)),
                        true, 5, null, PartSummary.REDUCE_FAILED + "x", "no GPU", 4),
                new PartSummary(1, 0, 0, 0, 0, null, true, null, false, 0, "cuda", null, null, 0),
                new PartSummary(2, 5, 5, 0, 0, JsonNodeFactory.instance.nullNode(), false, List.of(), false, 9, "processes", null, null));
        for (PartSummary s : cases) {
            assertThat(s.encode()).as("%s", s).isEqualTo(Json.mapper().writeValueAsString(s));
            assertThat(PartSummary.decode(s.encode())).isEqualTo(s);
        }
    }
}
