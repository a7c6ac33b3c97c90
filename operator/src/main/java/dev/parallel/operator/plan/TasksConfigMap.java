package dev.parallel.operator.plan;

import dev.parallel.api.tasks.SpecTasks;
import dev.parallel.api.v1alpha1.ParallelJob;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;

/** Pure: the ConfigMap that carries inline task items to the pods as the JSON-lines task file. */
public final class TasksConfigMap {
    private TasksConfigMap() {}

    public static ConfigMap build(ParallelJob pj, Plan plan) {
        return new ConfigMapBuilder()
                .withNewMetadata()
                    .withName(plan.tasksConfigMap())
                    .withNamespace(pj.getMetadata().getNamespace())
                    .withLabels(Names.labels(pj, "tasks"))
                    .withOwnerReferences(WorkerJob.ownerReference(pj))
                .endMetadata()
                .withImmutable(true) // spec.tasks is immutable too
                .addToData(plan.tasksKey(), SpecTasks.itemsAsJsonLines(pj.getSpec().tasks))
                .build();
    }
}
