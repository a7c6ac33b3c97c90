package dev.parallel.operator.plan;

import dev.parallel.api.tasks.Partition;
import dev.parallel.api.tasks.SpecTasks;
import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.api.v1alpha1.ParallelJobSpec;
import java.io.IOException;

/** Pure: spec (and, for configMapRef, the referenced tasks) to plan. */
public final class Planner {
    private Planner() {}

    /** @param configMapText the referenced ConfigMap key's content (configMapRef only) */
    public static Plan plan(ParallelJob pj, String configMapText) throws IOException {
        ParallelJobSpec s = pj.getSpec();
        long tasks = SpecTasks.taskList(s, configMapText).size();
        // executor: mpi: one launcher pod is the single part; the ranks split the tasks among themselves.
        boolean mpi = s.mpi != null;
        int parts = mpi ? 1 : Partition.parts(tasks, s.pods, s.tasksPerPod, s.parallelismOrDefault());
        int parallelism = mpi ? 1 : Math.min(parts, s.parallelismOrDefault());
        if (s.tasks.items != null) {
            return new Plan(tasks, parts, parallelism, Names.tasksConfigMap(pj), "tasks.jsonl");
        }
        if (s.tasks.configMapRef != null) {
            return new Plan(tasks, parts, parallelism, s.tasks.configMapRef.name, s.tasks.configMapRef.keyOrDefault());
        }
        return new Plan(tasks, parts, parallelism, null, null);
    }
}
