package dev.parallel.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parallel.operator.gather.Gathered;
import dev.parallel.operator.gather.PartObserver;
import dev.parallel.operator.plan.MpiWorkers;
import dev.parallel.operator.plan.Planner;
import dev.parallel.operator.plan.WorkerJob;
import dev.parallel.operator.status.StatusCalculator;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** spec.gpu: what the pods ask the scheduler for, and what users see when no node has it. */
class GpuSchedulingTest {
    static final String GPU = """
            gpu:
              count: 2
              resourceName: example.com/gpu
              nodeSelector: {gpu.present: "true"}
              tolerations: [{key: gpu, operator: Exists, effect: NoSchedule}]
              runtimeClassName: nvidia
            nodeSelector: {zone: a}
            resources: {limits: {cpu: "1", memory: 1Gi}}
            """;

    static void assertAsksForGpus(PodSpec pod, String container) {
        var c = pod.getContainers().stream().filter(x -> x.getName().equals(container)).findFirst().orElseThrow();
        assertThat(c.getResources().getLimits()).containsEntry("example.com/gpu", new Quantity("2"))
                .containsEntry("cpu", new Quantity("1"));
        assertThat(pod.getNodeSelector()).containsExactlyInAnyOrderEntriesOf(Map.of("zone", "a", "gpu.present", "true"));
        assertThat(pod.getTolerations()).extracting("key").containsExactly("gpu");
        assertThat(pod.getRuntimeClassName()).isEqualTo("nvidia");
    }

    @Test
    void taskPodsAskForTheGpusOnGpuNodes() throws Exception {
        var pj = Fixtures.pj("kernel: pi\ntasks: {range: {start: 0, end: 4}}\n" + GPU);
        var job = WorkerJob.build(pj, Planner.plan(pj, null), Fixtures.SETTINGS);
        assertAsksForGpus(job.getSpec().getTemplate().getSpec(), "worker");
        assertThat(pj.getSpec().resources.getLimits()).as("the spec is not modified").doesNotContainKey("example.com/gpu");
    }

    @Test
    void withMpiTheWorkersAskForTheGpusNotTheLauncher() throws Exception {
        var pj = Fixtures.pj("kernel: pi\ntasks: {range: {start: 0, end: 4}}\nexecutor: mpi\nmpi: {workers: 2}\n" + GPU);
        var plan = Planner.plan(pj, null);
        assertAsksForGpus(MpiWorkers.job(pj, plan, Fixtures.SETTINGS).getSpec().getTemplate().getSpec(), "mpi-worker");
        var launcher = WorkerJob.build(pj, plan, Fixtures.SETTINGS).getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(launcher.getResources().getLimits()).doesNotContainKey("example.com/gpu");
    }

    @Test
    void defaultResourceIsNvidiaGpu() throws Exception {
        var pj = Fixtures.pj("kernel: pi\ntasks: {range: {start: 0, end: 4}}\ngpu: {count: 1}\n");
        var c = WorkerJob.build(pj, Planner.plan(pj, null), Fixtures.SETTINGS).getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(c.getResources().getLimits()).containsEntry("nvidia.com/gpu", new Quantity("1"));
    }

    @Test
    void anUnschedulablePodMakesThePendingConditionSayWhy() throws Exception {
        var pj = Fixtures.pj("kernel: pi\ntasks: {range: {start: 0, end: 4}}\ngpu: {count: 1}\n");
        var pod = new PodBuilder().withNewMetadata().withName("demo-0-x").endMetadata().withNewStatus().withPhase("Pending")
                .addNewCondition().withType("PodScheduled").withStatus("False").withReason("Unschedulable")
                .withMessage("0/1 nodes are available: 1 Insufficient nvidia.com/gpu.").endCondition().endStatus().build();
        String why = PartObserver.unschedulable(List.of(pod));
        assertThat(why).contains("Insufficient nvidia.com/gpu");
        var plan = Planner.plan(pj, null);
        var job = WorkerJob.build(pj, plan, Fixtures.SETTINGS);
        var s = StatusCalculator.compute(pj, plan, job, new Gathered(Map.of(), Map.of(), false, null, why), null,
                Instant.EPOCH, "r");
        var running = s.conditions.stream().filter(c -> "Running".equals(c.getType())).findFirst().orElseThrow();
        assertThat(running.getReason()).isEqualTo("Unschedulable");
        assertThat(running.getMessage()).contains("Insufficient nvidia.com/gpu");
    }
}
