package dev.parallel.operator.kueue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parallel.api.contract.Json;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Pure: what a Workload's status says, as the operator acts on it. ADMITTED: quota reserved, Admitted and
 * not Evicted (the pods may run, on the assigned flavors); EVICTED: Kueue took the admission back but the
 * reservation is still held until the operator has stopped the pods and cleared it; FINISHED: quota
 * released; PENDING: anything else (waiting for quota or admission checks, inactive, just created), with
 * Kueue's own reason and message (e.g. "couldn't assign flavors to pod set workers: insufficient unused
 * quota for cpu in flavor default, 1 more needed").
 */
public record Admission(State state, String reason, String message, String workload, String queue, String clusterQueue,
                        Map<String, Set<String>> flavors, Map<String, Update> updates, boolean active) {

    public enum State { PENDING, ADMITTED, EVICTED, FINISHED }

    /** An admission check's additions to a pod set (Kueue's podSetUpdates). */
    public record Update(Map<String, String> nodeSelector, List<Toleration> tolerations) {}

    public boolean admitted() { return state == State.ADMITTED; }

    /** The Workload as just created, before Kueue wrote any status. */
    public static Admission created(String workload, String queue, boolean active) {
        return new Admission(State.PENDING, "Created", "waiting for Kueue to consider the Workload", workload, queue,
                null, Map.of(), Map.of(), active);
    }

    public static Admission of(GenericKubernetesResource wl) {
        JsonNode w = Json.mapper().valueToTree(wl);
        String name = w.path("metadata").path("name").asText();
        String queue = w.path("spec").path("queueName").asText(null);
        boolean active = w.path("spec").path("active").asBoolean(true);
        JsonNode status = w.path("status");
        JsonNode admission = status.path("admission");
        boolean reserved = isTrue(status, "QuotaReserved") && admission.isObject();
        String cq = admission.path("clusterQueue").asText(null);
        JsonNode finished = condition(status, "Finished");
        JsonNode evicted = condition(status, "Evicted");
        JsonNode admittedCond = condition(status, "Admitted");
        JsonNode quota = condition(status, "QuotaReserved");
        if (finished != null && "True".equals(finished.path("status").asText())) {
            return new Admission(State.FINISHED, "Finished", "the Workload is finished: " + text(finished), name, queue, cq,
                    Map.of(), Map.of(), active);
        }
        if (evicted != null && "True".equals(evicted.path("status").asText()) && (reserved || admission.isObject())) {
            return new Admission(State.EVICTED, evicted.path("reason").asText("Evicted"), text(evicted), name, queue, cq,
                    Map.of(), Map.of(), active);
        }
        if (reserved && isTrue(status, "Admitted") && (evicted == null || !"True".equals(evicted.path("status").asText()))) {
            return new Admission(State.ADMITTED, "Admitted", "admitted by ClusterQueue " + cq, name, queue, cq,
                    flavors(admission), updates(status), active);
        }
        if (!active) {
            return new Admission(State.PENDING, "Inactive", "the Workload is inactive (spec.active: false)", name, queue, cq,
                    Map.of(), Map.of(), false);
        }
        // Reserved but not yet admitted: admission checks decide; else Kueue says why there is no quota.
        JsonNode why = reserved ? admittedCond : quota;
        if (why == null || why.path("message").asText("").isEmpty()) {
            return new Admission(State.PENDING, "Pending", "waiting for Kueue to consider the Workload", name, queue, cq,
                    Map.of(), Map.of(), true);
        }
        return new Admission(State.PENDING, why.path("reason").asText("Pending"), text(why), name, queue, cq, Map.of(), Map.of(), true);
    }

    private static String text(JsonNode condition) {
        String m = condition.path("message").asText("");
        return m.isEmpty() ? condition.path("reason").asText("") : m;
    }

    static JsonNode condition(JsonNode status, String type) {
        for (JsonNode c : status.path("conditions")) {
            if (type.equals(c.path("type").asText())) return c;
        }
        return null;
    }

    private static boolean isTrue(JsonNode status, String type) {
        JsonNode c = condition(status, type);
        return c != null && "True".equals(c.path("status").asText());
    }

    /** Pod set name to the ResourceFlavors Kueue assigned it (one per resource, often the same). */
    private static Map<String, Set<String>> flavors(JsonNode admission) {
        Map<String, Set<String>> out = new LinkedHashMap<>();
        for (JsonNode a : admission.path("podSetAssignments")) {
            Set<String> f = new LinkedHashSet<>();
            a.path("flavors").forEach(v -> f.add(v.asText()));
            out.put(a.path("name").asText(), f);
        }
        return out;
    }

    private static Map<String, Update> updates(JsonNode status) {
        Map<String, Update> out = new LinkedHashMap<>();
        for (JsonNode check : status.path("admissionChecks")) {
            for (JsonNode u : check.path("podSetUpdates")) {
                String ps = u.path("name").asText();
                Update prev = out.getOrDefault(ps, new Update(Map.of(), List.of()));
                Map<String, String> ns = new LinkedHashMap<>(prev.nodeSelector());
                u.path("nodeSelector").fields().forEachRemaining(e -> ns.put(e.getKey(), e.getValue().asText()));
                List<Toleration> tol = new ArrayList<>(prev.tolerations());
                u.path("tolerations").forEach(t -> tol.add(Json.mapper().convertValue(t, Toleration.class)));
                out.put(ps, new Update(ns, tol));
            }
        }
        return out;
    }
}
