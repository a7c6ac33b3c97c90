package dev.parallel.api.tasks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parallel.api.contract.Json;
import dev.parallel.api.v1alpha1.TaskRange;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.List;

/**
 * The whole task list of a ParallelJob, addressable by index so a pod materialises only its own
 * block (a range of 10^6 tasks costs nothing until a part asks for its tasks).
 */
public interface TaskList {
    long size();

    Task get(long index);

    default List<Task> block(Partition.Block block) {
        List<Task> out = new ArrayList<>((int) block.size());
        for (long i = block.start(); i < block.end(); i++) out.add(get(i));
        return out;
    }

    default List<Task> all() { return block(new Partition.Block(0, size())); }

    /** Tasks given as parameter objects; an item's {@code id} names it, else its index does. */
    static TaskList ofItems(List<ObjectNode> items, ObjectNode shared) {
        return new TaskList() {
            @Override
            public long size() { return items.size(); }

            @Override
            public Task get(long index) {
                ObjectNode item = items.get((int) index);
                ObjectNode params = merged(shared, item);
                JsonNode id = params.remove("id");
                return new Task(index, id == null ? Long.toString(index) : id.asText(), params);
            }
        };
    }

    /** One task per value of the range, the value in parameter {@code range.param}. */
    static TaskList ofRange(TaskRange range, ObjectNode shared) {
        long size = range.size();
        return new TaskList() {
            @Override
            public long size() { return size; }

            @Override
            public Task get(long index) {
                if (index < 0 || index >= size) throw new IndexOutOfBoundsException(index);
                ObjectNode params = merged(shared, null);
                params.put(range.paramOrDefault(), range.start + index * range.stepOrDefault());
                return new Task(index, Long.toString(index), params);
            }
        };
    }

    /** One task per combination of the matrix's axes, decoded from its index (MatrixTasks). */
    static TaskList ofMatrix(dev.parallel.api.v1alpha1.TaskMatrix matrix, ObjectNode shared) {
        return MatrixTasks.of(matrix, shared);
    }

    /** Tasks as JSON lines (one object per line; blank lines and lines starting with # are skipped). */
    static TaskList ofJsonLines(Reader reader, ObjectNode shared) throws IOException {
        return ofJsonLines(reader, shared, "task file");
    }

    /** As above; {@code source} names the file in errors ("tasks ConfigMap ns/name key", "tasks file f.jsonl"). */
    static TaskList ofJsonLines(Reader reader, ObjectNode shared, String source) throws IOException {
        List<ObjectNode> items = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(reader)) {
            String line;
            int lineNo = 0;
            while ((line = in.readLine()) != null) {
                lineNo++;
                String t = line.strip();
                if (t.isEmpty() || t.startsWith("#")) continue;
                JsonNode node;
                try {
                    node = Json.tree(t);
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    var p = JsonLineProblem.of(e, line.length() - line.stripLeading().length());
                    throw new IOException(source + " line " + lineNo + ", column " + p.column() + ": " + p.what());
                }
                if (!(node instanceof ObjectNode obj)) {
                    throw new IOException(source + " line " + lineNo + ": each line must be a JSON object of parameters "
                            + "({\"name\": value, ...}), not " + (node.isArray() ? "an array" : "a " + node.getNodeType().name().toLowerCase()));
                }
                items.add(obj);
            }
        }
        return ofItems(items, shared);
    }

    private static ObjectNode merged(ObjectNode shared, ObjectNode own) {
        ObjectNode params = Json.object();
        if (shared != null) params.setAll(shared);
        if (own != null) params.setAll(own);
        return params;
    }
}
