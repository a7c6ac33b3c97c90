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
        boolean mpi = Plan.mpi(pj);
        int parts = mpi ? 1 : Partition.parts(tasks, s.pods, s.tasksPerPod, s.parallelismOrDefault());
        int parallelism = mpi ? 1 : Math.min(parts, s.parallelismOrDefault());
        String cm = s.tasks.items != null ? Names.tasksConfigMap(pj) : s.tasks.configMapRef != null ? s.tasks.configMapRef.name : null;
        String key = s.tasks.items != null ? "tasks.jsonl" : s.tasks.configMapRef != null ? s.tasks.configMapRef.keyOrDefault() : null;
        return new Plan(pj, tasks, parts, parallelism, cm, key, mpi, Names.job(pj), pj.getMetadata().getNamespace(),
                Plan.ownerOf(pj));
    }
}
