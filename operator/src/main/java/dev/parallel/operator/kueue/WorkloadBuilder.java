package dev.parallel.operator.kueue;

import dev.parallel.api.contract.Json;
import dev.parallel.operator.OperatorSettings;
import dev.parallel.operator.plan.MpiWorkers;
import dev.parallel.operator.plan.Names;
import dev.parallel.operator.plan.Plan;
import dev.parallel.operator.plan.WorkerJob;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Pure: the one Kueue Workload of a queued ParallelJob. Its pod sets are the pods that run at once, with
 * the templates of the real Jobs (so Kueue counts what the pods request): the parts' Job ({@code workers},
 * {@code parallelism} pods), or for executor: mpi the launcher (1) and the MPI workers (N) in one Workload,
 * admitted as a whole. Kueue creates no Workload for our Jobs: they are children of a ParallelJob, which
 * Kueue's configuration lists under integrations.externalFrameworks.
 */
public final class WorkloadBuilder {
    public static final String WORKERS = "workers";
    public static final String LAUNCHER = "launcher";

    /** The Workload's priority: the class it names (WorkloadPriorityClass or PriorityClass) and its value. */
    public record Priority(String group, String kind, String name, int value) {}

    private WorkloadBuilder() {}

    public static GenericKubernetesResource build(Plan plan, OperatorSettings settings, Priority priority) {
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("queueName", Kueue.queueName(plan.pj()));
        // spec.suspend with a queue deactivates the Workload: Kueue evicts it, the operator stops the pods.
        spec.put("active", !plan.spec().suspended());
        List<Object> podSets = new ArrayList<>();
        if (plan.mpi()) {
            podSets.add(podSet(LAUNCHER, 1, WorkerJob.build(plan, settings).getSpec().getTemplate()));
            podSets.add(podSet(WORKERS, plan.spec().mpi.workers, MpiWorkers.job(plan, settings).getSpec().getTemplate()));
        } else {
            podSets.add(podSet(WORKERS, plan.parallelism(), WorkerJob.build(plan, settings).getSpec().getTemplate()));
        }
        spec.put("podSets", podSets);
        if (priority != null) {
            spec.put("priorityClassRef", Map.of("group", priority.group(), "kind", priority.kind(), "name", priority.name()));
            // Kueue orders and preempts by spec.priority; the workload's creator resolves it (as jobframework does).
            spec.put("priority", priority.value());
        }
        GenericKubernetesResource wl = new GenericKubernetesResource();
        wl.setApiVersion(Kueue.API_VERSION);
        wl.setKind(Kueue.WORKLOAD);
        wl.setMetadata(plan.metadata(Names.workload(plan.pj()), "workload"));
        wl.setAdditionalProperty("spec", spec);
        return wl;
    }

    /** The pod template's priorityClassName, if the user's template sets one (a PriorityClass then orders the Workload). */
    public static String podPriorityClass(Plan plan, OperatorSettings settings) {
        return WorkerJob.build(plan, settings).getSpec().getTemplate().getSpec().getPriorityClassName();
    }

    private static Map<String, Object> podSet(String name, int count, PodTemplateSpec template) {
        Map<String, Object> ps = new LinkedHashMap<>();
        ps.put("name", name);
        ps.put("count", count);
        ps.put("template", Json.mapper().convertValue(template, Map.class));
        return ps;
    }
}
