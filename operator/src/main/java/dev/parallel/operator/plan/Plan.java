package dev.parallel.operator.plan;

import dev.parallel.api.v1alpha1.ExecutorKind;
import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.api.v1alpha1.ParallelJobSpec;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import java.util.Map;

/**
 * Computed once per reconcile and handed to every builder: how a ParallelJob is split ({@code tasks}
 * over {@code parts} pods, at most {@code parallelism} at once), the task file ({@code tasksConfigMap}
 * and its key, when there is one), whether it is MPI, and the names, namespace and owner of its children.
 */
public record Plan(ParallelJob pj, long tasks, int parts, int parallelism, String tasksConfigMap, String tasksKey,
                   boolean mpi, String jobName, String namespace, OwnerReference owner) {

    /** The one test for executor: mpi (spec.mpi goes with it: the validator and the CRD's CEL say so). */
    public static boolean mpi(ParallelJob pj) { return pj.getSpec().executorOrDefault() == ExecutorKind.MPI; }

    public boolean hasTaskFile() { return tasksConfigMap != null; }

    public ParallelJobSpec spec() { return pj.getSpec(); }

    /** executor: mpi with spec.command: the user's own MPI program, run per task by the launcher under mpirun. */
    public boolean mpiProgram() { return mpi && pj.getSpec().command != null; }

    /** Whether the tasks run in the user's image (command + image) rather than in the job image. */
    public boolean inUserImage() { return pj.getSpec().image != null; }

    public Map<String, String> labels(String component) { return Names.labels(pj, component); }

    /** Name, namespace, our labels and annotations and the controller owner reference: every child's metadata. */
    public ObjectMeta metadata(String name, String component) {
        return new ObjectMetaBuilder().withName(name).withNamespace(namespace).withLabels(labels(component))
                .withAnnotations(Names.annotations(pj)).withOwnerReferences(owner).build();
    }

    /** The ParallelJob as the controller owner of what the operator creates (the garbage collector's link). */
    public static OwnerReference ownerOf(ParallelJob pj) {
        return new OwnerReferenceBuilder()
                .withApiVersion(pj.getApiVersion())
                .withKind(pj.getKind())
                .withName(pj.getMetadata().getName())
                .withUid(pj.getMetadata().getUid())
                .withController(true)
                .withBlockOwnerDeletion(true)
                .build();
    }
}
