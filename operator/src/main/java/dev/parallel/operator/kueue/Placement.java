package dev.parallel.operator.kueue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parallel.api.contract.Json;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Pure: where an admitted pod set's pods go: the node labels and tolerations of the ResourceFlavors Kueue
 * assigned it (the assignment names the flavors; the flavors hold the labels), plus what admission checks
 * added. Applied to a suspended Job's pod template before it is resumed, on top of the template the
 * operator built, so a re-admission on other flavors replaces the previous placement.
 */
public record Placement(Map<String, String> nodeSelector, List<Toleration> tolerations) {
    public static final Placement NONE = new Placement(Map.of(), List.of());

    /** @param flavorSpecs ResourceFlavor name to its spec (nodeLabels, tolerations) */
    public static Placement of(Admission admission, String podSet, Map<String, JsonNode> flavorSpecs) {
        Map<String, String> ns = new LinkedHashMap<>();
        List<Toleration> tol = new ArrayList<>();
        for (String f : admission.flavors().getOrDefault(podSet, java.util.Set.of())) {
            JsonNode spec = flavorSpecs.get(f);
            if (spec == null) continue;
            spec.path("nodeLabels").fields().forEachRemaining(e -> ns.put(e.getKey(), e.getValue().asText()));
            spec.path("tolerations").forEach(t -> tol.add(Json.mapper().convertValue(t, Toleration.class)));
        }
        Admission.Update u = admission.updates().get(podSet);
        if (u != null) {
            ns.putAll(u.nodeSelector());
            tol.addAll(u.tolerations());
        }
        return new Placement(ns, tol.stream().distinct().toList());
    }

    /** {@code target}'s nodeSelector and tolerations become {@code base}'s plus this placement's. */
    public void applyTo(PodSpec target, PodSpec base) {
        Map<String, String> ns = new LinkedHashMap<>(base.getNodeSelector() == null ? Map.of() : base.getNodeSelector());
        ns.putAll(nodeSelector);
        List<Toleration> tol = new ArrayList<>(base.getTolerations() == null ? List.of() : base.getTolerations());
        tolerations.stream().filter(t -> !tol.contains(t)).forEach(tol::add);
        target.setNodeSelector(ns.isEmpty() ? null : ns);
        target.setTolerations(tol);
    }
}
