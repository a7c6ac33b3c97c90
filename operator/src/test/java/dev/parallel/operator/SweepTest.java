package dev.parallel.operator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parallel.api.contract.Json;
import dev.parallel.api.contract.PartSummary;
import dev.parallel.api.contract.PodContract;
import dev.parallel.api.contract.Reducer;
import dev.parallel.api.contract.Reduction;
import dev.parallel.api.contract.TaskResult;
import dev.parallel.api.tasks.Partition;
import dev.parallel.api.tasks.SpecTasks;
import dev.parallel.api.tasks.Task;
import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.api.v1alpha1.Phase;
import dev.parallel.operator.gather.Gatherer;
import dev.parallel.operator.gather.Gathered;
import dev.parallel.operator.plan.Plan;
import dev.parallel.operator.plan.Planner;
import dev.parallel.operator.plan.WorkerJob;
import dev.parallel.operator.status.StatusCalculator;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** A matrix ParallelJob through the operator's pure parts: plan, pod environment, status from part summaries. */
class SweepTest {
    static final String SWEEP = """
            command: echo
            tasks:
              matrix:
                axes:
                  - {param: lr, values: ["0.1", "0.01", "0.001"]}
                  - {param: batch, values: [32, 64, 128]}
                exclude: [{lr: "0.1", batch: 128}]
            pods: 3
            """;

    static double loss(Task t) {
        return Math.abs(Math.log10(Double.parseDouble(t.param("lr").asText())) + 2) + Math.abs(t.param("batch").asInt() - 64) / 100.0 + 0.183;
    }

    /** Each part's summary as its pod would write it: its block's results folded by the same contract. */
    static Map<Integer, PartSummary> parts(ParallelJob pj, Plan plan) throws Exception {
        var list = SpecTasks.taskList(pj.getSpec(), null);
        Reducer r = new Reducer(Reduction.of(pj.getSpec()));
        Map<Integer, PartSummary> out = new TreeMap<>();
        for (int p = 0; p < plan.parts(); p++) {
            List<Task> tasks = list.block(Partition.block(list.size(), plan.parts(), p));
            JsonNode partial = null;
            for (Task t : tasks) {
                partial = r.add(partial, TaskResult.success(t.index(), t.id(),
                        Json.mapper().createObjectNode().put("loss", Math.round(loss(t) * 1000) / 1000.0), 1, 0), t.params());
            }
            PartSummary s = new PartSummary(p, tasks.size(), tasks.size(), 0, 0, partial, false, List.of(), false, 1,
                    "threads", null, null);
            out.put(p, PartSummary.decode(s.encode())); // as read back from the termination message
        }
        return out;
    }

    static com.fasterxml.jackson.databind.node.ObjectNode json(Object o) { return Json.mapper().valueToTree(o); }

    @Test
    void theJobCarriesTheMatrixNotItsCombinations() throws Exception {
        ParallelJob pj = Fixtures.pj(SWEEP + "reduction: {op: argmin, by: loss}\n");
        Plan plan = Planner.plan(pj, null);
        assertThat(plan.tasks()).isEqualTo(8);
        assertThat(plan.hasTaskFile()).isFalse();
        var job = WorkerJob.build(plan, Fixtures.SETTINGS);
        Map<String, String> env = job.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
                .filter(e -> e.getValue() != null).collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
        assertThat(env).containsEntry(PodContract.REDUCE, "argmin").containsEntry(PodContract.REDUCE_BY, "loss")
                .doesNotContainKeys(PodContract.RANGE, PodContract.TASKS_FILE, PodContract.GROUP_BY);
        // 8 tasks in 3 parts (3, 3, 2): pod 2 decodes the last block, ids naming the combination.
        env.put(PodContract.PART_INDEX, "2");
        assertThat(PodContract.fromEnv(env).partTasks()).extracting(Task::id)
                .containsExactly("lr=0.001,batch=64", "lr=0.001,batch=128");
        assertThat(env.get(PodContract.MATRIX)).hasSizeLessThan(200);
    }

    @Test
    void argminPutsTheWinnersParamsAndValueInStatus() throws Exception {
        ParallelJob pj = Fixtures.pj(SWEEP + "reduction: {op: argmin, by: loss}\n");
        Plan plan = Planner.plan(pj, null);
        var job = new JobBuilder().withNewMetadata().withName("demo").endMetadata().withNewSpec().endSpec().withNewStatus().endStatus().build();
        var s = StatusCalculator.compute(pj, plan, job, new Gathered(parts(pj, plan), Map.of(), false, Instant.EPOCH),
                null, Instant.EPOCH, "demo-results");
        assertThat(s.phase).isEqualTo(Phase.Succeeded);
        assertThat(json(s.result).toString())
                .isEqualTo("{\"id\":\"lr=0.01,batch=64\",\"params\":{\"lr\":\"0.01\",\"batch\":64},\"loss\":0.183,\"index\":3}");
        assertThat(s.resultSummary).isEqualTo("best: lr=0.01 batch=64, loss=0.183");
    }

    @Test
    void groupByKeepsTheRowsOutOfStatusAndSaysWhenTheyDoNotFit() throws Exception {
        ParallelJob pj = Fixtures.pj(SWEEP + "reduction: {op: argmin, by: loss, groupBy: [batch]}\n");
        Plan plan = Planner.plan(pj, null);
        Map<Integer, PartSummary> parts = parts(pj, plan);
        Gatherer.Rows rows = Gatherer.rows(Reduction.of(pj.getSpec()), parts.values(), 10_000);
        assertThat(rows.truncated()).isFalse();
        assertThat(rows.text().lines()).hasSize(3).first().asString()
                .startsWith("{\"group\":{\"batch\":32},\"argmin\":{\"id\":\"lr=0.01,batch=32\"");
        Gatherer.Rows cut = Gatherer.rows(Reduction.of(pj.getSpec()), parts.values(), rows.text().length() - 10);
        assertThat(cut.truncated()).isTrue();
        assertThat(cut.text().lines()).hasSize(2);

        var job = new JobBuilder().withNewMetadata().withName("demo").endMetadata().withNewSpec().endSpec().withNewStatus().endStatus().build();
        var s = StatusCalculator.compute(pj, plan, job, new Gathered(parts, Map.of(), false, Instant.EPOCH, null, true),
                null, Instant.EPOCH, "demo-results");
        JsonNode result = json(s.result);
        assertThat(result.has("rows")).isFalse();
        assertThat(result.get("groups").asInt()).isEqualTo(3);
        assertThat(result.get("rowsKey").asText()).isEqualTo("demo-results/reduced.jsonl");
        assertThat(result.get("argmin").get("id").asText()).isEqualTo("lr=0.01,batch=64");
        assertThat(s.resultSummary).isEqualTo("3 groups by batch; best: lr=0.01 batch=64, loss=0.183");
        assertThat(s.conditions).anyMatch(c -> "ResultsTruncated".equals(c.getType()) && "True".equals(c.getStatus())
                && c.getMessage().contains("reduced.jsonl"));
    }

    @Test
    void aResultThePodCouldNotReduceIsACondition() throws Exception {
        ParallelJob pj = Fixtures.pj(SWEEP + "reduction: {op: argmin, by: loss}\n");
        Plan plan = Planner.plan(pj, null);
        Map<Integer, PartSummary> parts = new TreeMap<>(parts(pj, plan));
        PartSummary p0 = parts.get(0);
        parts.put(0, new PartSummary(0, p0.tasks(), p0.ok(), 0, 0, p0.partial(), false, List.of(), false, 1, "threads",
                "reduce failed: task lr=0.1,batch=32: its result {} has no field 'loss' (spec.reduction.by)", null));
        var job = new JobBuilder().withNewMetadata().withName("demo").endMetadata().withNewSpec().endSpec().withNewStatus().endStatus().build();
        var s = StatusCalculator.compute(pj, plan, job, new Gathered(parts, Map.of(), false, Instant.EPOCH), null, Instant.EPOCH, "r");
        assertThat(s.conditions).anyMatch(c -> "ResultsTruncated".equals(c.getType()) && "ReduceFailed".equals(c.getReason())
                && c.getMessage().equals("part 0: reduce failed: task lr=0.1,batch=32: its result {} has no field 'loss' (spec.reduction.by)"));
        // A partial of another shape (say, a hand-edited summary) is a condition too, not a crash.
        parts.put(1, new PartSummary(1, 3, 3, 0, 0, Json.mapper().readTree("{\"groups\":7}"), false, List.of(), false, 1,
                "threads", null, null));
        s = StatusCalculator.compute(pj, plan, job, new Gathered(parts, Map.of(), false, Instant.EPOCH), null, Instant.EPOCH, "r");
        assertThat(s.conditions).anyMatch(c -> "ReduceFailed".equals(c.getReason()) && c.getMessage().contains("does not fit the reduction (argmin by loss)"));
    }
}
