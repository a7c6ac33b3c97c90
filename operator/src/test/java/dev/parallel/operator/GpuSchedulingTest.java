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
        var job = WorkerJob.build(Planner.plan(pj, null), Fixtures.SETTINGS);
        assertAsksForGpus(job.getSpec().getTemplate().getSpec(), "worker");
        assertThat(pj.getSpec().resources.getLimits()).as("the spec is not modified").doesNotContainKey("example.com/gpu");
    }

    @Test
    void withMpiTheWorkersAskForTheGpusNotTheLauncher() throws Exception {
        var pj = Fixtures.pj("kernel: pi\ntasks: {range: {start: 0, end: 4}}\nexecutor: mpi\nmpi: {workers: 2}\n" + GPU);
        var plan = Planner.plan(pj, null);
        assertAsksForGpus(MpiWorkers.job(plan, Fixtures.SETTINGS).getSpec().getTemplate().getSpec(), "mpi-worker");
        var launcher = WorkerJob.build(plan, Fixtures.SETTINGS).getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(launcher.getResources().getLimits()).doesNotContainKey("example.com/gpu");
    }

    @Test
    void defaultResourceIsNvidiaGpu() throws Exception {
        var pj = Fixtures.pj("kernel: pi\ntasks: {range: {start: 0, end: 4}}\ngpu: {count: 1}\n");
        var c = WorkerJob.build(Planner.plan(pj, null), Fixtures.SETTINGS).getSpec().getTemplate().getSpec().getContainers().get(0);
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
        var job = WorkerJob.build(plan, Fixtures.SETTINGS);
        var s = StatusCalculator.compute(pj, plan, job, new Gathered(Map.of(), Map.of(), false, null, why), null,
                Instant.EPOCH, "r");
        var running = s.conditions.stream().filter(c -> "Running".equals(c.getType())).findFirst().orElseThrow();
        assertThat(running.getReason()).isEqualTo("Unschedulable");
        assertThat(running.getMessage()).contains("Insufficient nvidia.com/gpu");
    }

    static final String CUDA = "kernel: pi\ntasks: {range: {start: 0, end: 4}}\nexecutor: cuda\npods: 2\n";

    static String env(io.fabric8.kubernetes.api.model.batch.v1.Job job, String name) {
        return job.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
                .filter(e -> e.getName().equals(name)).map(e -> e.getValue()).findFirst().orElse(null);
    }

    @Test
    void cudaPodsGetTheFallbackAndTheDriverCapabilities() throws Exception {
        var pj = Fixtures.pj(CUDA + "gpu: {count: 1, fallback: cpu}\n");
        var job = WorkerJob.build(Planner.plan(pj, null), Fixtures.SETTINGS);
        assertThat(env(job, "PJ_EXECUTOR")).isEqualTo("cuda");
        assertThat(env(job, "PJ_GPU_FALLBACK")).isEqualTo("cpu");
        assertThat(env(job, "NVIDIA_DRIVER_CAPABILITIES")).isEqualTo("compute,utility");
        var dflt = Fixtures.pj(CUDA + "gpu: {count: 1}\n");
        assertThat(env(WorkerJob.build(Planner.plan(dflt, null), Fixtures.SETTINGS), "PJ_GPU_FALLBACK")).isEqualTo("fail");
        var threads = Fixtures.pj("kernel: pi\ntasks: {range: {start: 0, end: 4}}\ngpu: {count: 1}\n");
        assertThat(env(WorkerJob.build(Planner.plan(threads, null), Fixtures.SETTINGS), "PJ_GPU_FALLBACK")).isNull();
    }

    /** Two finished parts that found no GPU, as the job image reports them. */
    static Gathered noGpuParts(boolean ranOnCpu) throws Exception {
        String why = "no NVIDIA driver in the container: libcuda.so.1 cannot be loaded";
        Map<Integer, dev.parallel.api.contract.PartSummary> finals = new java.util.TreeMap<>();
        for (int part = 0; part < 2; part++) {
            finals.put(part, new dev.parallel.api.contract.PartSummary(part, 2, ranOnCpu ? 2 : 0, ranOnCpu ? 0 : 2, 0,
                    ranOnCpu ? dev.parallel.api.contract.Json.mapper().readTree("{\"hits\": 3, \"samples\": 4}") : null,
                    false, ranOnCpu ? List.of() : List.of(new dev.parallel.api.contract.PartSummary.FailedTask("t" + part,
                            "no usable GPU: " + why)), false, 5, ranOnCpu ? "threads" : "none", null, why));
        }
        return new Gathered(finals, Map.of(), false, Instant.EPOCH);
    }

    @Test
    void cpuFallbackSucceedsAndSaysSoInACondition() throws Exception {
        var pj = Fixtures.pj(CUDA + "gpu: {count: 1, fallback: cpu}\n");
        var plan = Planner.plan(pj, null);
        var s = StatusCalculator.compute(pj, plan, WorkerJob.build(plan, Fixtures.SETTINGS), noGpuParts(true), null,
                Instant.EPOCH, "r");
        assertThat(s.phase).isEqualTo(dev.parallel.api.v1alpha1.Phase.Succeeded);
        var fallback = s.conditions.stream().filter(c -> "CpuFallback".equals(c.getType())).findFirst().orElseThrow();
        assertThat(fallback.getStatus()).isEqualTo("True");
        assertThat(fallback.getReason()).isEqualTo("GpuUnavailable");
        assertThat(fallback.getMessage()).contains("2 part(s) ran on CPU threads").contains("libcuda.so.1");
    }

    @Test
    void withoutFallbackTheJobFailsNamingTheMissingDriver() throws Exception {
        var pj = Fixtures.pj(CUDA + "gpu: {count: 1}\n");
        var plan = Planner.plan(pj, null);
        var s = StatusCalculator.compute(pj, plan, WorkerJob.build(plan, Fixtures.SETTINGS), noGpuParts(false), null,
                Instant.EPOCH, "r");
        assertThat(s.phase).isEqualTo(dev.parallel.api.v1alpha1.Phase.Failed);
        var failed = s.conditions.stream().filter(c -> "Failed".equals(c.getType())).findFirst().orElseThrow();
        assertThat(failed.getReason()).isEqualTo("GpuUnavailable");
        assertThat(failed.getMessage()).contains("libcuda.so.1").contains("gpu.fallback: cpu");
        assertThat(s.conditions).noneMatch(c -> "CpuFallback".equals(c.getType()));
    }

    @Test
    void partsThatRanOnTheGpuRaiseNoCondition() throws Exception {
        var pj = Fixtures.pj(CUDA + "gpu: {count: 1, fallback: cpu}\n");
        var plan = Planner.plan(pj, null);
        Map<Integer, dev.parallel.api.contract.PartSummary> finals = Map.of(0, new dev.parallel.api.contract.PartSummary(
                0, 4, 4, 0, 0, null, false, List.of(), false, 5, "cuda", null, null));
        var s = StatusCalculator.compute(pj, plan, WorkerJob.build(plan, Fixtures.SETTINGS),
                new Gathered(finals, Map.of(), false, Instant.EPOCH), null, Instant.EPOCH, "r");
        assertThat(s.conditions).noneMatch(c -> "CpuFallback".equals(c.getType()));
    }
}
