package dev.parallel.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.parallel.api.contract.PodContract;
import dev.parallel.api.contract.Reduction;
import dev.parallel.api.contract.WorkerConfig;
import dev.parallel.api.tasks.Task;
import dev.parallel.api.v1alpha1.ExecutorKind;
import dev.parallel.api.v1alpha1.ReduceOp;
import dev.parallel.api.v1alpha1.TaskRange;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** PJ_RANGE as the operator writes it and the pod reads it back (read from its JSON tree, not bound as a bean). */
class RangeContractTest {
    static Map<String, String> env(TaskRange r) {
        WorkerConfig c = new WorkerConfig(dev.parallel.api.v1alpha1.Kernel.of("sleep"), null, null, null, r, null, 2, 1,
                ExecutorKind.THREADS, 1, 0, 0, new Reduction(ReduceOp.SUM, null, null), null, null, null);
        return new LinkedHashMap<>(PodContract.toEnv(c));
    }

    @Test
    void aRangeRoundTripsThroughThePodsEnvironment() throws Exception {
        Map<String, String> env = env(new TaskRange(10, 31, 3, "samples"));
        TaskRange back = PodContract.fromEnv(env).range();
        assertThat(List.of(back.start, back.end, back.step, back.param)).containsExactly(10L, 31L, 3L, "samples");
        // Part 1 of 2 of the values 10, 13, ..., 28 (31 excluded): 7 tasks, the last 3.
        env.put(PodContract.PART_INDEX, "1");
        List<Task> part = PodContract.fromEnv(env).partTasks();
        assertThat(part).extracting(t -> t.params().get("samples").asLong()).containsExactly(22L, 25L, 28L);
    }

    @Test
    void stepAndParamMayBeLeftOut() {
        Map<String, String> env = env(new TaskRange(0, 4, 1, "value"));
        env.put(PodContract.RANGE, "{\"start\": 0, \"end\": 4}");
        TaskRange back = PodContract.fromEnv(env).range();
        assertThat(back.step).isNull();
        assertThat(back.param).isNull();
        assertThat(back.size()).isEqualTo(4);
        assertThat(back.paramOrDefault()).isEqualTo("value");
    }

    @Test
    void aMalformedRangeNamesTheVariableAndTheShape() {
        for (String bad : new String[] {"[1, 2]", "{\"start\": 0}", "{\"start\": \"a\", \"end\": 3}", "{\"start\": 0, \"end\": 3, \"step\": \"x\"}",
                "{\"start\": 0, \"end\": 3, \"param\": 7}", "{not json"}) {
            Map<String, String> env = env(new TaskRange(0, 4, 1, "value"));
            env.put(PodContract.RANGE, bad);
            assertThatThrownBy(() -> PodContract.fromEnv(env)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("PJ_RANGE");
        }
    }
}
