package dev.parallel.operator.gather;

import dev.parallel.api.contract.Json;
import dev.parallel.api.contract.TaskResult;
import dev.parallel.api.v1alpha1.TaskResultBatch;
import java.util.ArrayList;
import java.util.List;
import org.jboss.logging.Logger;

/** A batch's records, one {@link TaskResult} per JSON line; a line that does not parse is skipped and logged. */
final class BatchRecords {
    private static final Logger LOG = Logger.getLogger(BatchRecords.class);

    private BatchRecords() {}

    static List<TaskResult> parse(TaskResultBatch b) {
        List<TaskResult> out = new ArrayList<>();
        String text = b.getSpec() == null ? null : b.getSpec().records;
        if (text == null || text.isEmpty()) return out;
        for (String line : text.split("\n")) {
            if (line.isBlank()) continue;
            try {
                out.add(Json.mapper().readValue(line, TaskResult.class));
            } catch (Exception e) {
                LOG.warnf("batch %s: a record that is not a task result is skipped: %s", b.getMetadata().getName(),
                        TaskResult.truncate(line, 120));
            }
        }
        return out;
    }

    /** Bytes of a batch's records (the pass's budget counts them). */
    static long bytes(TaskResultBatch b) {
        return b.getSpec() == null || b.getSpec().records == null ? 0 : b.getSpec().records.length();
    }
}
