package dev.parallel.operator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parallel.api.contract.Json;
import dev.parallel.operator.kueue.Admission;
import dev.parallel.operator.kueue.Placement;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Reading a Workload's status as Kueue v0.17 writes it (shapes seen on a real Kueue), and where admitted pods go. */
class AdmissionTest {
    static final String NO_QUOTA = "couldn't assign flavors to pod set workers: insufficient unused quota for cpu in flavor default, 1 more needed";

    static GenericKubernetesResource wl(String specJson, String statusJson) {
        try {
            String json = "{\"apiVersion\":\"kueue.x-k8s.io/v1beta2\",\"kind\":\"Workload\",\"metadata\":{\"name\":\"demo\",\"namespace\":\"ns1\"},"
                    + "\"spec\":" + specJson + (statusJson == null ? "" : ",\"status\":" + statusJson) + "}";
            return Json.mapper().readValue(json, GenericKubernetesResource.class);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String cond(String type, String status, String reason, String message) {
        return "{\"type\":\"" + type + "\",\"status\":\"" + status + "\",\"reason\":\"" + reason + "\",\"message\":\"" + message
                + "\",\"lastTransitionTime\":\"2026-01-01T00:00:00Z\"}";
    }

    static final String SPEC = "{\"queueName\":\"lq\",\"active\":true,\"podSets\":[]}";
    static final String ADMISSION = "\"admission\":{\"clusterQueue\":\"cq\",\"podSetAssignments\":[{\"name\":\"workers\","
            + "\"flavors\":{\"cpu\":\"spot\",\"memory\":\"spot\"},\"count\":2}]}";

    record Case(String name, GenericKubernetesResource wl, Admission.State state, String reason, String message) {}

    static final List<Case> CASES = List.of(
            new Case("just created", wl(SPEC, null), Admission.State.PENDING, "Pending", "waiting for Kueue to consider the Workload"),
            new Case("no quota", wl(SPEC, "{\"conditions\":[" + cond("QuotaReserved", "False", "Pending", NO_QUOTA) + "]}"),
                    Admission.State.PENDING, "Pending", NO_QUOTA),
            new Case("no LocalQueue", wl(SPEC, "{\"conditions\":[" + cond("QuotaReserved", "False", "Inadmissible", "LocalQueue lq doesn't exist") + "]}"),
                    Admission.State.PENDING, "Inadmissible", "LocalQueue lq doesn't exist"),
            new Case("reserved, checks pending", wl(SPEC, "{" + ADMISSION + ",\"conditions\":[" + cond("QuotaReserved", "True", "QuotaReserved", "Quota reserved in ClusterQueue cq")
                    + "," + cond("Admitted", "False", "UnsatisfiedChecks", "The workload has not all checks ready") + "]}"),
                    Admission.State.PENDING, "UnsatisfiedChecks", "The workload has not all checks ready"),
            new Case("admitted", wl(SPEC, "{" + ADMISSION + ",\"conditions\":[" + cond("QuotaReserved", "True", "QuotaReserved", "Quota reserved in ClusterQueue cq")
                    + "," + cond("Admitted", "True", "Admitted", "The workload is admitted") + "]}"),
                    Admission.State.ADMITTED, "Admitted", "admitted by ClusterQueue cq"),
            new Case("preempted, reservation held", wl(SPEC, "{" + ADMISSION + ",\"conditions\":[" + cond("QuotaReserved", "True", "QuotaReserved", "x")
                    + "," + cond("Admitted", "True", "Admitted", "x") + "," + cond("Evicted", "True", "Preempted", "Preempted to accommodate a workload (UID: 1) due to prioritization in the ClusterQueue") + "]}"),
                    Admission.State.EVICTED, "Preempted", "Preempted to accommodate a workload (UID: 1) due to prioritization in the ClusterQueue"),
            new Case("evicted and cleared: queued again", wl(SPEC, "{\"conditions\":[" + cond("QuotaReserved", "False", "Pending", NO_QUOTA)
                    + "," + cond("Evicted", "True", "Preempted", "Preempted") + "]}"),
                    Admission.State.PENDING, "Pending", NO_QUOTA),
            new Case("inactive", wl("{\"queueName\":\"lq\",\"active\":false,\"podSets\":[]}", "{\"conditions\":[]}"),
                    Admission.State.PENDING, "Inactive", "the Workload is inactive (spec.active: false)"),
            new Case("finished", wl(SPEC, "{" + ADMISSION + ",\"conditions\":[" + cond("QuotaReserved", "True", "QuotaReserved", "x")
                    + "," + cond("Finished", "True", "Succeeded", "4 of 4 tasks succeeded") + "]}"),
                    Admission.State.FINISHED, "Finished", "the Workload is finished: 4 of 4 tasks succeeded"));

    @Test
    void readsTheStateWithKueuesOwnReasonAndMessage() {
        for (Case c : CASES) {
            Admission a = Admission.of(c.wl());
            assertThat(a.state()).as(c.name()).isEqualTo(c.state());
            assertThat(a.reason()).as(c.name()).isEqualTo(c.reason());
            assertThat(a.message()).as(c.name()).isEqualTo(c.message());
            assertThat(a.admitted()).as(c.name()).isEqualTo(c.state() == Admission.State.ADMITTED);
            assertThat(a.workload()).isEqualTo("demo");
            assertThat(a.queue()).isEqualTo("lq");
        }
    }

    @Test
    void placementIsTheAssignedFlavorsNodeLabelsAndTolerationsPlusAdmissionCheckUpdates() throws Exception {
        var admitted = Admission.of(wl(SPEC, "{" + ADMISSION + ",\"conditions\":[" + cond("QuotaReserved", "True", "QuotaReserved", "x")
                + "," + cond("Admitted", "True", "Admitted", "x") + "],\"admissionChecks\":[{\"name\":\"prov\",\"state\":\"Ready\","
                + "\"podSetUpdates\":[{\"name\":\"workers\",\"nodeSelector\":{\"zone\":\"a\"}}]}]}"));
        assertThat(admitted.flavors()).containsOnlyKeys("workers");
        assertThat(admitted.flavors().get("workers")).containsExactly("spot");
        Map<String, JsonNode> flavors = Map.of("spot", Json.mapper().readTree(
                "{\"nodeLabels\":{\"pool\":\"spot\"},\"tolerations\":[{\"key\":\"spot\",\"operator\":\"Exists\",\"effect\":\"NoSchedule\"}]}"));
        Placement p = Placement.of(admitted, "workers", flavors);
        assertThat(p.nodeSelector()).containsExactlyInAnyOrderEntriesOf(Map.of("pool", "spot", "zone", "a"));
        assertThat(p.tolerations()).singleElement().satisfies(t -> assertThat(t.getKey()).isEqualTo("spot"));
        assertThat(Placement.of(admitted, "launcher", flavors)).isEqualTo(Placement.NONE);

        // Applied on top of the template as built: the user's own selector stays, an old placement does not.
        PodSpec base = new PodSpecBuilder().withNodeSelector(Map.of("disk", "ssd")).build();
        PodSpec target = new PodSpecBuilder().withNodeSelector(Map.of("disk", "ssd", "pool", "old"))
                .withTolerations(new TolerationBuilder().withKey("old").withOperator("Exists").build()).build();
        p.applyTo(target, base);
        assertThat(target.getNodeSelector()).containsExactlyInAnyOrderEntriesOf(Map.of("disk", "ssd", "pool", "spot", "zone", "a"));
        assertThat(target.getTolerations()).extracting(t -> t.getKey()).containsExactly("spot");
    }
}
