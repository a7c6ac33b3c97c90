package dev.parallel.operator.observe;

import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.api.v1alpha1.ParallelJobStatus;
import dev.parallel.operator.plan.MpiWorkers;
import dev.parallel.operator.plan.Names;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What exists, from the informer caches: the ParallelJob's Jobs (ours and a deleted namesake's) and the
 * pods of those Jobs, split into the parts' pods and the MPI workers' pods, and (with a queue) its Kueue
 * Workload, ours or a deleted namesake's.
 */
public record Observed(ParallelJob pj, List<Job> jobs, List<Pod> partPods, List<Pod> workerPods, GenericKubernetesResource workload) {

    public static Observed of(ParallelJob pj, List<Job> jobs, List<Pod> pods) { return of(pj, jobs, pods, List.of()); }

    /** Only pods of the Jobs seen: a deleted namesake's pods carry the same labels until the GC takes them. */
    public static Observed of(ParallelJob pj, List<Job> jobs, List<Pod> pods, List<GenericKubernetesResource> workloads) {
        Set<String> jobUids = jobs.stream().map(j -> j.getMetadata().getUid()).collect(Collectors.toSet());
        List<Pod> own = pods.stream()
                .filter(p -> p.getMetadata().getOwnerReferences().stream().anyMatch(o -> jobUids.contains(o.getUid())))
                .toList();
        List<Pod> workers = MpiWorkers.pods(own);
        // The parts are the pods of our Job (for executor: mpi, the launcher's, not the workers').
        String wl = Names.workload(pj);
        GenericKubernetesResource workload = workloads.stream().filter(w -> wl.equals(w.getMetadata().getName())).findFirst().orElse(null);
        return new Observed(pj, List.copyOf(jobs), own.stream().filter(p -> !workers.contains(p)).toList(), workers, workload);
    }

    public ParallelJobStatus previous() { return pj.getStatus(); }

    /** Finished in this generation: the status is final and the children may be gone (TTL). */
    public boolean finished() {
        ParallelJobStatus s = previous();
        return s != null && s.phase != null && s.phase.isTerminal()
                && Objects.equals(s.observedGeneration, pj.getMetadata().getGeneration());
    }

    /** The Job of this name, if the cache has one (ours or a namesake's). */
    public Job job(String name) {
        return jobs.stream().filter(j -> name.equals(j.getMetadata().getName())).findFirst().orElse(null);
    }

    /** The worker Job (for executor: mpi, the launcher). */
    public Job mainJob() { return job(Names.job(pj)); }

    public boolean ownedByUs(HasMetadata o) {
        return o.getMetadata().getOwnerReferences().stream().anyMatch(r -> pj.getMetadata().getUid().equals(r.getUid()));
    }
}
