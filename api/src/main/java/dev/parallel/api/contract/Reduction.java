package dev.parallel.api.contract;

import dev.parallel.api.v1alpha1.ParallelJobSpec;
import dev.parallel.api.v1alpha1.ReduceOp;
import java.util.List;

/**
 * What a ParallelJob reduces: an op, optionally over one field of each result ({@code by}) and per
 * group of parameters ({@code groupBy}); spec.reduce is this with only the op.
 */
public record Reduction(ReduceOp op, String by, List<String> groupBy) {
    public Reduction {
        groupBy = groupBy == null ? List.of() : List.copyOf(new java.util.LinkedHashSet<>(groupBy));
    }

    public static Reduction of(ReduceOp op) { return new Reduction(op, null, List.of()); }

    /** spec.reduction when set, else spec.reduce (or its default). */
    public static Reduction of(ParallelJobSpec spec) {
        if (spec.reduction != null && spec.reduction.op != null) {
            return new Reduction(spec.reduction.op, spec.reduction.by, spec.reduction.groupBy);
        }
        return of(spec.reduceOrDefault());
    }

    /** Today's reductions of whole results (sum/min/max/collect/none), whose partials MPI can allreduce. */
    public boolean plain() {
        return by == null && groupBy.isEmpty()
                && (op == ReduceOp.SUM || op == ReduceOp.MIN || op == ReduceOp.MAX || op == ReduceOp.COLLECT || op == ReduceOp.NONE);
    }

    /** Whether folding a result needs its task's parameters (the winner's, or the group's). */
    public boolean needsParams() { return !groupBy.isEmpty() || op == ReduceOp.ARGMIN || op == ReduceOp.ARGMAX; }

    public boolean grouped() { return !groupBy.isEmpty(); }
}
