package dev.parallel.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parallel.api.contract.Json;
import dev.parallel.api.contract.TaskResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code parallel-job run x.yaml -o results.jsonl} writes the one record format (TaskResult), as pods do. */
class LocalRunnerFormatTest {
    @TempDir
    Path dir;

    @Test
    void theLocalRunnersResultsFileHoldsOneTaskResultPerTaskInThePodsFormat() throws Exception {
        Path out = dir.resolve("results.jsonl");
        var quiet = new java.io.PrintStream(java.io.OutputStream.nullOutputStream());
        try (var runner = new LocalRunner(quiet, false)) {
            runner.run(Manifests.read(Path.of("../k8s-examples/sweep.yaml")), null, 2, null, out);
        }
        List<String> lines = Files.readAllLines(out);
        assertThat(lines).hasSize(45);
        List<Long> indices = new ArrayList<>();
        for (String l : lines) {
            JsonNode n = Json.mapper().readTree(l);
            assertThat(Set.of("index", "id", "ok", "value", "error", "attempts", "millis")).containsAll(() -> n.fieldNames());
            TaskResult r = Json.mapper().readValue(l, TaskResult.class);
            assertThat(r.params()).as("params only travel in streamed records").isNull();
            assertThat(Json.mapper().writeValueAsString(r)).as("the record's own serialisation").isEqualTo(l);
            indices.add(r.index());
        }
        assertThat(indices).containsExactlyInAnyOrderElementsOf(java.util.stream.LongStream.range(0, 45).boxed().toList());
    }
}
