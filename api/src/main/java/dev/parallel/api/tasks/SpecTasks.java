package dev.parallel.api.tasks;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parallel.api.contract.Json;
import dev.parallel.api.v1alpha1.ParallelJobSpec;
import dev.parallel.api.v1alpha1.TaskSource;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** The task list a spec describes, as both the operator and the local runner see it. */
public final class SpecTasks {
    private SpecTasks() {}

    public static ObjectNode sharedParams(ParallelJobSpec spec) {
        return spec.params == null ? Json.mapper().createObjectNode() : Json.mapper().valueToTree(spec.params);
    }

    /** Inline items as JSON objects (spec.tasks.items). */
    public static List<ObjectNode> items(TaskSource tasks) {
        List<ObjectNode> out = new ArrayList<>();
        for (var item : tasks.items) out.add(Json.mapper().valueToTree(item));
        return out;
    }

    /** Inline items as the JSON-lines file the pods read. */
    public static String itemsAsJsonLines(TaskSource tasks) {
        return items(tasks).stream().map(ObjectNode::toString).collect(Collectors.joining("\n", "", "\n"));
    }

    /**
     * The whole task list. {@code configMapText} is the content of the referenced ConfigMap key, only
     * needed for configMapRef sources.
     */
    public static TaskList taskList(ParallelJobSpec spec, String configMapText) throws IOException {
        var ref = spec.tasks.configMapRef;
        return taskList(spec, configMapText, ref == null ? "tasks ConfigMap" : "tasks ConfigMap " + ref.name + "/" + ref.keyOrDefault());
    }

    /** As above; {@code source} names where configMapText came from in errors (the local runner's tasks file). */
    public static TaskList taskList(ParallelJobSpec spec, String configMapText, String source) throws IOException {
        ObjectNode shared = sharedParams(spec);
        TaskSource t = spec.tasks;
        if (t.items != null) return TaskList.ofItems(items(t), shared);
        if (t.range != null) return TaskList.ofRange(t.range, shared);
        if (t.matrix != null) return TaskList.ofMatrix(t.matrix, shared);
        if (configMapText == null) throw new IOException("spec.tasks.configMapRef: the ConfigMap's content is needed");
        return TaskList.ofJsonLines(new StringReader(configMapText), shared, source);
    }
}
