package dev.parallel.operator.kueue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parallel.api.contract.Json;
import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.api.v1alpha1.Phase;
import dev.parallel.operator.OperatorSettings;
import dev.parallel.operator.events.EventReason;
import dev.parallel.operator.events.PendingEvents;
import dev.parallel.operator.observe.Observed;
import dev.parallel.operator.plan.Names;
import dev.parallel.operator.plan.Plan;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * The queue step of the reconcile, for a ParallelJob labelled kueue.x-k8s.io/queue-name: creates its one
 * Workload, keeps spec.active = !spec.suspend, and says whether the pods may run ({@link Gate#run}) and
 * where ({@link Gate#placement}). The operator owns its Jobs' suspend (Kueue never touches them): they stay
 * suspended until admission. After an eviction, once the Jobs are suspended and their pods gone, it clears
 * the reservation as Kueue's jobframework does for its own integrations ({@link #release}); when the
 * ParallelJob ends it marks the Workload Finished so the quota is released at once ({@link #finish}).
 */
public final class QueueGate {
    private static final Logger LOG = Logger.getLogger(QueueGate.class);

    /** This pass's verdict: what Kueue says, whether the pods may run, and where each pod set goes. */
    public record Gate(Admission admission, boolean run, Function<String, Placement> placements) {
        public Placement placement(String podSet) { return placements.apply(podSet); }

        /** Kueue evicted the Workload (or it was deactivated) and still holds its reservation. */
        public boolean evicted() { return admission.state() == Admission.State.EVICTED; }
    }

    private final KubernetesClient client;
    private final OperatorSettings settings;

    public QueueGate(KubernetesClient client, OperatorSettings settings) {
        this.client = client;
        this.settings = settings;
    }

    public Gate sync(Plan plan, GenericKubernetesResource seen, PendingEvents events) {
        String name = Names.workload(plan.pj());
        boolean active = !plan.spec().suspended();
        if (seen != null && !ownedBy(plan.pj(), seen)) {
            // A deleted namesake's Workload (GC not done yet): holding its quota under our name would be wrong.
            workloads(plan.namespace()).withName(name).withPropagationPolicy(DeletionPropagation.BACKGROUND).delete();
            return new Gate(new Admission(Admission.State.PENDING, "RemovingLeftovers", "a deleted ParallelJob of the same name left Workload "
                    + name + "; it is being deleted and this one queues when it is gone", name, Kueue.queueName(plan.pj()), null,
                    Map.of(), Map.of(), active), false, ps -> Placement.NONE);
        }
        if (seen == null) {
            // The cache may lag behind a Workload created a moment ago: GET before creating, announce only a new one.
            GenericKubernetesResource existing = workloads(plan.namespace()).withName(name).get();
            if (existing != null) return sync(plan, existing, events);
            createIfAbsent(WorkloadBuilder.build(plan, settings, priority(plan)));
            events.record(EventReason.WorkloadCreated, "created Workload " + name + " in LocalQueue " + Kueue.queueName(plan.pj())
                    + "; the pods start when Kueue admits it");
            return new Gate(Admission.created(name, Kueue.queueName(plan.pj()), active), false, ps -> Placement.NONE);
        }
        Admission a = Admission.of(seen);
        if (a.active() != active && a.state() != Admission.State.FINISHED) {
            workloads(plan.namespace()).withName(name)
                    .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"active\":" + active + "}}");
            events.record(active ? EventReason.Resumed : EventReason.Suspended, active
                    ? "spec.suspend is false: Workload " + name + " is active again and queues for admission"
                    : "spec.suspend is true: Workload " + name + " is deactivated, so Kueue releases its quota");
        }
        boolean run = a.admitted() && active;
        if (!run) return new Gate(a, false, ps -> Placement.NONE);
        Map<String, Placement> memo = new HashMap<>();
        return new Gate(a, true, ps -> memo.computeIfAbsent(ps, p -> Placement.of(a, p, flavorSpecs(a))));
    }

    /**
     * After an eviction: once every Job of the ParallelJob is suspended and none of its pods is still
     * Pending or Running, clears the reservation as jobframework does (admission removed, QuotaReserved
     * False, Admitted False, Requeued), so Kueue can admit the Workload again. Returns whether it did.
     */
    public boolean release(Plan plan, Gate gate, Observed seen, List<Job> jobs) {
        if (!gate.evicted()) return false;
        boolean suspended = jobs.stream().filter(seen::ownedByUs).allMatch(j -> Boolean.TRUE.equals(j.getSpec().getSuspend()));
        boolean podsGone = java.util.stream.Stream.concat(seen.partPods().stream(), seen.workerPods().stream())
                .noneMatch(QueueGate::active);
        if (!suspended || !podsGone) return false;
        GenericKubernetesResource wl = workloads(plan.namespace()).withName(Names.workload(plan.pj())).get();
        if (wl == null) return false;
        Admission now = Admission.of(wl);
        if (now.state() != Admission.State.EVICTED) return false;
        Map<String, Object> status = status(wl);
        status.remove("admission");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> conditions = (List<Map<String, Object>>) status.computeIfAbsent("conditions", k -> new ArrayList<>());
        Long gen = wl.getMetadata().getGeneration();
        // As jobframework: Requeued is True after a preemption or node failure, False after a deactivation.
        boolean requeued = "Preempted".equals(now.reason()) || "NodeFailures".equals(now.reason());
        setCondition(conditions, "Requeued", requeued, now.reason(), now.message(), gen);
        setCondition(conditions, "QuotaReserved", false, "Pending", now.message(), gen);
        setCondition(conditions, "Admitted", false, "NoReservation", "The workload has no reservation", gen);
        workloads(plan.namespace()).resource(wl).updateStatus();
        LOG.infof("%s/%s: pods stopped after eviction (%s); reservation cleared", plan.namespace(), plan.pj().getMetadata().getName(),
                now.reason());
        return true;
    }

    /** The ParallelJob ended: Finished=True on its Workload, so Kueue releases the quota without waiting for the GC. */
    public void finish(ParallelJob pj, GenericKubernetesResource seen, Phase phase, String message) {
        if (seen == null || !ownedBy(pj, seen) || Admission.of(seen).state() == Admission.State.FINISHED) return;
        var resource = workloads(pj.getMetadata().getNamespace()).withName(seen.getMetadata().getName());
        GenericKubernetesResource wl = resource.get();
        if (wl == null || Admission.of(wl).state() == Admission.State.FINISHED) return;
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> conditions = (List<Map<String, Object>>) status(wl).computeIfAbsent("conditions", k -> new ArrayList<>());
        setCondition(conditions, "Finished", true, phase == Phase.Succeeded ? "Succeeded" : "Failed",
                message == null || message.isBlank() ? "the ParallelJob " + phase : message, wl.getMetadata().getGeneration());
        workloads(pj.getMetadata().getNamespace()).resource(wl).updateStatus();
    }

    private static boolean active(Pod p) {
        String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
        return phase == null || "Pending".equals(phase) || "Running".equals(phase);
    }

    /** The ResourceFlavors the admission names (read by GET, only when a Job is to be placed). */
    private Map<String, JsonNode> flavorSpecs(Admission a) {
        Map<String, JsonNode> out = new HashMap<>();
        a.flavors().values().forEach(set -> set.forEach(f -> out.computeIfAbsent(f, n -> {
            GenericKubernetesResource rf = client.genericKubernetesResources(Kueue.RESOURCE_FLAVORS).withName(n).get();
            return rf == null ? null : Json.mapper().valueToTree(rf.getAdditionalProperties().get("spec"));
        })));
        out.values().removeIf(java.util.Objects::isNull);
        return out;
    }

    /**
     * The Workload's priority: the WorkloadPriorityClass of the label kueue.x-k8s.io/priority-class, else the
     * pod template's PriorityClass; Kueue orders and preempts by the value, which the creator fills in.
     */
    WorkloadBuilder.Priority priority(Plan plan) {
        String wpc = Kueue.priorityClass(plan.pj());
        if (wpc != null) {
            GenericKubernetesResource c = client.genericKubernetesResources(Kueue.WORKLOAD_PRIORITY_CLASSES).withName(wpc).get();
            if (c == null) {
                throw new IllegalStateException("label " + Kueue.PRIORITY_LABEL + ": WorkloadPriorityClass " + wpc
                        + " not found; create it or remove the label");
            }
            return new WorkloadBuilder.Priority(Kueue.GROUP, Kueue.WORKLOAD_PRIORITY_CLASS, wpc,
                    ((Number) c.getAdditionalProperties().getOrDefault("value", 0)).intValue());
        }
        String pc = WorkloadBuilder.podPriorityClass(plan, settings);
        if (pc == null) return null;
        var c = client.scheduling().v1().priorityClasses().withName(pc).get();
        if (c == null) throw new IllegalStateException("priorityClassName: PriorityClass " + pc + " not found");
        return new WorkloadBuilder.Priority("scheduling.k8s.io", "PriorityClass", pc, c.getValue());
    }

    static boolean ownedBy(ParallelJob pj, GenericKubernetesResource wl) {
        return wl.getMetadata().getOwnerReferences().stream().anyMatch(r -> pj.getMetadata().getUid().equals(r.getUid()));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> status(GenericKubernetesResource wl) {
        return (Map<String, Object>) wl.getAdditionalProperties().computeIfAbsent("status", k -> new LinkedHashMap<>());
    }

    /** A metav1.Condition; lastTransitionTime moves only when the status flips. */
    private static void setCondition(List<Map<String, Object>> conditions, String type, boolean status, String reason, String message,
                                     Long generation) {
        String st = status ? "True" : "False";
        Map<String, Object> old = conditions.stream().filter(c -> type.equals(c.get("type"))).findFirst().orElse(null);
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("type", type);
        c.put("status", st);
        c.put("reason", reason == null || reason.isEmpty() ? "Unknown" : reason);
        c.put("message", message == null ? "" : dev.parallel.api.contract.TaskResult.truncate(message, 32768));
        if (generation != null) c.put("observedGeneration", generation);
        c.put("lastTransitionTime", old != null && st.equals(old.get("status")) && old.get("lastTransitionTime") != null
                ? old.get("lastTransitionTime") : Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        if (old != null) conditions.set(conditions.indexOf(old), c);
        else conditions.add(c);
    }

    private GenericKubernetesResource createIfAbsent(GenericKubernetesResource desired) {
        var r = workloads(desired.getMetadata().getNamespace()).withName(desired.getMetadata().getName());
        GenericKubernetesResource existing = r.get();
        if (existing != null) return existing;
        try {
            return workloads(desired.getMetadata().getNamespace()).resource(desired).create();
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) return r.get(); // created by a racing replica
            throw e;
        }
    }

    private io.fabric8.kubernetes.client.dsl.MixedOperation<GenericKubernetesResource, io.fabric8.kubernetes.api.model.GenericKubernetesResourceList,
            io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource>> workloadsAll() {
        return client.genericKubernetesResources(Kueue.WORKLOADS);
    }

    private io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<GenericKubernetesResource, io.fabric8.kubernetes.api.model.GenericKubernetesResourceList,
            io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource>> workloads(String namespace) {
        return workloadsAll().inNamespace(namespace);
    }
}
