package dev.parallel.api.v1alpha1;

import java.util.ArrayList;
import java.util.List;

/**
 * The spec rules, for places the API server's schema and CEL rules do not reach: the local runner
 * (which reads manifests from files) and the operator (defence in depth for objects stored before a
 * CRD upgrade). The CRD carries the same rules, so kubectl apply rejects these at once.
 */
public final class SpecValidator {
    /** A problem with one field; {@code field} is the path users write, e.g. spec.tasks.range.end. */
    public record Problem(String field, String message) {
        @Override
        public String toString() { return field + ": " + message; }
    }

    private SpecValidator() {}

    public static List<Problem> validate(ParallelJob job) {
        List<Problem> p = new ArrayList<>();
        if (job == null) {
            p.add(new Problem("(document)", "empty manifest; expected a ParallelJob"));
            return p;
        }
        if (job.getKind() != null && !"ParallelJob".equals(job.getKind())) {
            p.add(new Problem("kind", "must be ParallelJob, got " + job.getKind()));
        }
        ParallelJobSpec s = job.getSpec();
        if (s == null) {
            p.add(new Problem("spec", "is required"));
            return p;
        }
        TaskSource t = s.tasks;
        if (t == null) {
            p.add(new Problem("spec.tasks", "is required: set one of items, range, matrix or configMapRef"));
        } else {
            int sources = (t.items != null ? 1 : 0) + (t.range != null ? 1 : 0) + (t.matrix != null ? 1 : 0)
                    + (t.configMapRef != null ? 1 : 0);
            if (sources != 1) p.add(new Problem("spec.tasks", "set exactly one of items, range, matrix or configMapRef"));
            if (t.matrix != null) p.addAll(dev.parallel.api.tasks.MatrixTasks.problems(t.matrix));
            if (t.items != null && t.items.isEmpty()) p.add(new Problem("spec.tasks.items", "must not be empty"));
            if (t.items != null && t.items.size() > TaskSource.MAX_ITEMS) {
                p.add(new Problem("spec.tasks.items", "at most " + TaskSource.MAX_ITEMS
                        + " inline items; use spec.tasks.range or spec.tasks.configMapRef for more"));
            }
            if (t.range != null) {
                if (t.range.end <= t.range.start) {
                    p.add(new Problem("spec.tasks.range.end", "must be greater than spec.tasks.range.start"));
                }
                if (t.range.step != null && t.range.step < 1) p.add(new Problem("spec.tasks.range.step", "must be >= 1"));
            }
            if (t.configMapRef != null && (t.configMapRef.name == null || t.configMapRef.name.isBlank())) {
                p.add(new Problem("spec.tasks.configMapRef.name", "is required"));
            }
        }
        if (s.reduce != null && s.reduction != null) {
            p.add(new Problem("spec.reduction", "set at most one of spec.reduce (an op, e.g. sum) or spec.reduction ({op, by, groupBy})"));
        }
        if (s.reduction != null) {
            if (s.reduction.op == null) p.add(new Problem("spec.reduction.op", "is required: sum, min, max, mean, count, collect, argmin or argmax"));
            if (s.reduction.groupBy != null && t != null && t.matrix != null && t.matrix.axes != null) {
                for (String g : s.reduction.groupBy) {
                    if (t.matrix.axes.stream().noneMatch(a -> g.equals(a.param))) {
                        p.add(new Problem("spec.reduction.groupBy", "'" + g + "' is not a param of spec.tasks.matrix.axes"));
                    }
                }
            }
        }
        if ((s.kernel == null) == (s.command == null)) {
            p.add(new Problem("spec.kernel", "set exactly one of spec.kernel (a built-in kernel) or spec.command"));
        }
        if (s.image != null && s.command == null) {
            p.add(new Problem("spec.image", "needs spec.command: built-in kernels run in the operator's job image"));
        }
        if (s.pods != null && s.tasksPerPod != null) {
            p.add(new Problem("spec.pods", "set at most one of spec.pods or spec.tasksPerPod"));
        }
        boolean mpi = s.executor == ExecutorKind.MPI;
        if (mpi != (s.mpi != null)) {
            p.add(new Problem("spec.mpi", "spec.mpi goes with spec.executor: mpi (set both, or neither)"));
        }
        if (s.mpi != null) {
            if (s.pods != null || s.tasksPerPod != null || s.parallelism != null) {
                p.add(new Problem("spec.mpi", ParallelJobSpec.MPI_SPLIT));
            }
            if (s.command != null && (s.mpi.mode != null || s.threadsPerPod != null)) {
                p.add(new Problem("spec.command", ParallelJobSpec.MPI_PROGRAM));
            }
            if (s.mpi.workers == null || s.mpi.workers < 1) p.add(new Problem("spec.mpi.workers", "is required, >= 1"));
            positive(p, "spec.mpi.slotsPerWorker", s.mpi.slotsPerWorker);
        }
        if (s.executor == ExecutorKind.CUDA) {
            if (s.gpu == null) p.add(new Problem("spec.gpu", ParallelJobSpec.CUDA_NEEDS_GPU));
            if (s.kernel != Kernel.PI && s.kernel != Kernel.PRIMES && s.kernel != Kernel.MATMUL) p.add(new Problem("spec.kernel", ParallelJobSpec.CUDA_KERNELS));
        }
        // The CRD cannot check quantities (a CEL isQuantity over an unbounded map exceeds the cost budget).
        if (s.resources != null) {
            quantities(p, "spec.resources.requests", s.resources.getRequests());
            quantities(p, "spec.resources.limits", s.resources.getLimits());
        }
        positive(p, "spec.parallelism", s.parallelism);
        positive(p, "spec.pods", s.pods);
        positive(p, "spec.tasksPerPod", s.tasksPerPod);
        positive(p, "spec.threadsPerPod", s.threadsPerPod);
        positive(p, "spec.taskTimeoutSeconds", s.taskTimeoutSeconds);
        if (s.retriesPerTask != null && s.retriesPerTask < 0) p.add(new Problem("spec.retriesPerTask", "must be >= 0"));
        if (s.maxFailedTasks != null && s.maxFailedTasks < 0) p.add(new Problem("spec.maxFailedTasks", "must be >= 0"));
        return p;
    }

    private static void positive(List<Problem> p, String field, Integer v) {
        if (v != null && v < 1) p.add(new Problem(field, "must be >= 1, got " + v));
    }

    /** Kubernetes' quantity syntax (apimachinery's resource.Quantity): a number and an optional suffix. */
    private static final java.util.regex.Pattern QUANTITY =
            java.util.regex.Pattern.compile("^[+-]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+|[KMGTPE]i|[numkMGTPE])?$");

    private static void quantities(List<Problem> p, String field, java.util.Map<String, io.fabric8.kubernetes.api.model.Quantity> m) {
        if (m == null) return;
        m.forEach((k, q) -> {
            String v = q == null ? "" : q.toString();
            if (!QUANTITY.matcher(v).matches()) {
                p.add(new Problem(field + "." + k, "must be a quantity such as 500m, 2 or 1Gi, got \"" + v + "\""));
            }
        });
    }
}
