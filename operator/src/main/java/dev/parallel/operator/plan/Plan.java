package dev.parallel.operator.plan;

/**
 * How a ParallelJob is split: {@code tasks} over {@code parts} pods (distribute_tasks blocks), at most
 * {@code parallelism} at once. {@code tasksFromConfigMap} names the ConfigMap key mounted as the task file.
 */
public record Plan(long tasks, int parts, int parallelism, String tasksConfigMap, String tasksKey) {
    public boolean hasTaskFile() { return tasksConfigMap != null; }
}
