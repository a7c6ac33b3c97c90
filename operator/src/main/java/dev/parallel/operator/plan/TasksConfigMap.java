package dev.parallel.operator.plan;

import dev.parallel.api.tasks.SpecTasks;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;

/** Pure: the ConfigMap that carries inline task items to the pods as the JSON-lines task file. */
public final class TasksConfigMap {
    private TasksConfigMap() {}

    public static ConfigMap build(Plan plan) {
        return new ConfigMapBuilder()
                .withMetadata(plan.metadata(plan.tasksConfigMap(), "tasks"))
                .withImmutable(true) // spec.tasks is immutable too
                .addToData(plan.tasksKey(), SpecTasks.itemsAsJsonLines(plan.spec().tasks))
                .build();
    }
}
