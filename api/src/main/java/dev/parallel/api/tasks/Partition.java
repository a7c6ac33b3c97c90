package dev.parallel.api.tasks;

/**
 * The split of N tasks into P parts, shared by the operator (which sizes the Job) and the job image
 * (which finds its own block). mpi4py's distribute_tasks semantics: part i gets a contiguous block,
 * the first N mod P parts one task more than the others.
 */
public final class Partition {
    private Partition() {}

    /** A half-open block [start, end) of task indices. */
    public record Block(long start, long end) {
        public long size() { return end - start; }
    }

    public static Block block(long tasks, int parts, int index) {
        if (tasks < 0) throw new IllegalArgumentException("tasks must be >= 0, got " + tasks);
        if (parts < 1) throw new IllegalArgumentException("parts must be >= 1, got " + parts);
        if (index < 0 || index >= parts) {
            throw new IllegalArgumentException("part index " + index + " outside 0.." + (parts - 1));
        }
        long base = tasks / parts;
        long extra = tasks % parts;
        long start = index * base + Math.min(index, extra);
        long size = base + (index < extra ? 1 : 0);
        return new Block(start, start + size);
    }

    /**
     * How many parts (pods) a job of {@code tasks} tasks is split into: {@code pods} when given, else
     * ceil(tasks / tasksPerPod), else {@code parallelism}; never more parts than tasks (no empty pods),
     * never fewer than one.
     */
    public static int parts(long tasks, Integer pods, Integer tasksPerPod, int parallelism) {
        long p;
        if (pods != null) p = pods;
        else if (tasksPerPod != null) p = (tasks + tasksPerPod - 1) / tasksPerPod;
        else p = parallelism;
        return (int) Math.max(1, Math.min(p, Math.max(tasks, 1)));
    }
}
