package dev.parallel.operator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parallel.api.contract.Json;
import dev.parallel.operator.kueue.Kueue;
import dev.parallel.operator.kueue.WorkloadBuilder;
import dev.parallel.operator.plan.MpiWorkers;
import dev.parallel.operator.plan.Plan;
import dev.parallel.operator.plan.WorkerJob;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The queued ParallelJob's one Workload, built from the plan alone: pod sets as the real pods run. */
class WorkloadBuilderTest {
    record Case(String name, String spec, List<String> podSets, List<Integer> counts) {}

    static final List<Case> CASES = List.of(
            // parallelism bounded by the parts: 3 parts, up to 5 at once -> 3 pods at once
            new Case("fewer parts than parallelism", "kernel: pi\ntasks: {range: {start: 0, end: 3}}\npods: 3\nparallelism: 5\n",
                    List.of("workers"), List.of(3)),
            new Case("parallelism bounds the parts", "kernel: pi\ntasks: {range: {start: 0, end: 100}}\npods: 10\nparallelism: 4\n",
                    List.of("workers"), List.of(4)),
            new Case("default parallelism", "kernel: pi\ntasks: {range: {start: 0, end: 10}}\npods: 5\n",
                    List.of("workers"), List.of(2)),
            // executor: mpi: the launcher and every worker in one Workload, never half
            new Case("mpi", "kernel: pi\ntasks: {range: {start: 0, end: 10}}\nexecutor: mpi\nmpi: {workers: 3}\n",
                    List.of("launcher", "workers"), List.of(1, 3)));

    static Plan plan(String spec, String queue) {
        var pj = Fixtures.pj(spec);
        if (queue != null) pj.getMetadata().setLabels(new java.util.HashMap<>(java.util.Map.of(Kueue.QUEUE_LABEL, queue)));
        return Fixtures.plan(pj);
    }

    @Test
    void podSetsAreThePodsThatRunAtOnceWithTheRealJobsTemplates() {
        for (Case c : CASES) {
            Plan plan = plan(c.spec(), "team-a");
            JsonNode wl = Json.mapper().valueToTree(WorkloadBuilder.build(plan, Fixtures.SETTINGS, null));
            JsonNode podSets = wl.at("/spec/podSets");
            assertThat(podSets).as(c.name()).hasSize(c.podSets().size());
            for (int i = 0; i < c.podSets().size(); i++) {
                assertThat(podSets.get(i).get("name").asText()).as(c.name()).isEqualTo(c.podSets().get(i));
                assertThat(podSets.get(i).get("count").asInt()).as(c.name()).isEqualTo(c.counts().get(i));
            }
            // What Kueue counts is what the pods request: the templates are the Jobs' own.
            PodTemplateSpec main = WorkerJob.build(plan, Fixtures.SETTINGS).getSpec().getTemplate();
            assertThat(podSets.get(0).get("template")).as(c.name()).isEqualTo(Json.mapper().valueToTree(main));
            if (plan.mpi()) {
                PodTemplateSpec workers = MpiWorkers.job(plan, Fixtures.SETTINGS).getSpec().getTemplate();
                assertThat(podSets.get(1).get("template")).isEqualTo(Json.mapper().valueToTree(workers));
            }
            assertThat(wl.at("/spec/queueName").asText()).isEqualTo("team-a");
            assertThat(wl.at("/spec/active").asBoolean()).isTrue();
            assertThat(wl.at("/spec/priority").isMissingNode()).isTrue();
        }
    }

    @Test
    void metadataOwnerSuspendAndPriority() {
        Plan plan = plan("kernel: pi\ntasks: {range: {start: 0, end: 4}}\nsuspend: true\n", "lq");
        var wl = WorkloadBuilder.build(plan, Fixtures.SETTINGS,
                new WorkloadBuilder.Priority(Kueue.GROUP, "WorkloadPriorityClass", "high", 1000));
        assertThat(wl.getApiVersion()).isEqualTo("kueue.x-k8s.io/v1beta2");
        assertThat(wl.getKind()).isEqualTo("Workload");
        assertThat(wl.getMetadata().getName()).isEqualTo("demo");
        assertThat(wl.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
            assertThat(o.getController()).isTrue();
            assertThat(o.getKind()).isEqualTo("ParallelJob");
            assertThat(o.getUid()).isEqualTo("uid-1");
        });
        assertThat(wl.getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by", "parallel-job-operator");
        JsonNode spec = Json.mapper().valueToTree(wl).get("spec");
        // spec.suspend with a queue deactivates the Workload instead of touching the Jobs.
        assertThat(spec.get("active").asBoolean()).isFalse();
        assertThat(spec.get("priority").asInt()).isEqualTo(1000);
        assertThat(spec.at("/priorityClassRef/kind").asText()).isEqualTo("WorkloadPriorityClass");
        assertThat(spec.at("/priorityClassRef/name").asText()).isEqualTo("high");
        assertThat(spec.at("/priorityClassRef/group").asText()).isEqualTo("kueue.x-k8s.io");
    }

    @Test
    void theWorkloadNameIsBoundedLikeTheJobs() {
        var pj = Fixtures.pj("kernel: pi\ntasks: {range: {start: 0, end: 4}}\n");
        pj.getMetadata().setName("a".repeat(200));
        var wl = WorkloadBuilder.build(Fixtures.plan(pj), Fixtures.SETTINGS, null);
        assertThat(wl.getMetadata().getName()).hasSizeLessThanOrEqualTo(47).isEqualTo(dev.parallel.operator.plan.Names.job(pj));
    }
}
