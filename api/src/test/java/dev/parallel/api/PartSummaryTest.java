package dev.parallel.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.parallel.api.contract.Json;
import dev.parallel.api.contract.PartSummary;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PartSummaryTest {
    @Test
    void manyFailuresAreTruncatedButCountsSurvive() throws Exception {
        List<PartSummary.FailedTask> failed = new ArrayList<>();
        for (int i = 0; i < 5000; i++) failed.add(new PartSummary.FailedTask("task-" + i, "x".repeat(200)));
        var s = new PartSummary(3, 10000, 5000, 5000, 7, Json.mapper().readTree("{\"hits\":5,\"samples\":9}"), false,
                failed, false, 1234, "threads", null, null);
        String enc = s.encode();
        assertThat(enc.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(PartSummary.MAX_BYTES);
        PartSummary back = PartSummary.decode(enc);
        assertThat(back.failed()).isEqualTo(5000);
        assertThat(back.ok()).isEqualTo(5000);
        assertThat(back.retries()).isEqualTo(7);
        assertThat(back.failedTasksTruncated()).isTrue();
        assertThat(back.failedTasks()).isNotEmpty().hasSizeLessThan(5000);
        assertThat(back.partial().get("hits").asLong()).isEqualTo(5);
    }

    @Test
    void hugePartialIsDroppedAndFlagged() throws Exception {
        ArrayNode big = Json.mapper().createArrayNode();
        for (int i = 0; i < 2000; i++) big.add(i * 1000.5);
        var s = new PartSummary(0, 2000, 2000, 0, 0, big, false, List.of(), false, 5, "threads", null, null);
        String enc = s.encode();
        assertThat(enc.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(PartSummary.MAX_BYTES);
        PartSummary back = PartSummary.decode(enc);
        assertThat(back.partialDropped()).isTrue();
        assertThat(back.partial()).isNull();
        assertThat(back.ok()).isEqualTo(2000);
    }

    @Test
    void smallSummaryRoundTripsUnchanged() throws Exception {
        var s = new PartSummary(1, 3, 2, 1, 0, Json.mapper().readTree("42"), false,
                List.of(new PartSummary.FailedTask("b", "exit code 3")), false, 9, "threads", null,
                "no NVIDIA driver: libcuda.so.1 cannot be loaded");
        assertThat(PartSummary.decode(s.encode())).isEqualTo(s);
    }
}
