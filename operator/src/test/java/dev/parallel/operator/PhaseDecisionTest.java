package dev.parallel.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parallel.api.contract.PartSummary;
import dev.parallel.api.v1alpha1.Phase;
import dev.parallel.operator.gather.Gathered;
import dev.parallel.operator.plan.Plan;
import dev.parallel.operator.status.PhaseDecision;
import dev.parallel.operator.status.Totals;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The phase decision alone: one row per situation (Job, parts, pods), the phase and reason it gives. */
class PhaseDecisionTest {
    /** 4 tasks in 2 parts, one failed task allowed. */
    static final Plan PLAN = Fixtures.spec().kernel("pi").range(0, 4).set("pods", 2).set("maxFailedTasks", 1).plan();

    /** A fluent situation: the Job's state and what was gathered. */
    static final class Seen {
        Job job = new JobBuilder().withNewMetadata().withName("demo").endMetadata().withNewSpec().withSuspend(false).endSpec().build();
        final Map<Integer, PartSummary> finals = new HashMap<>();
        final Map<Integer, Long> running = new HashMap<>();
        Instant started;
        String unschedulable;
        PhaseDecision.Waiting waiting;

        static Seen seen() { return new Seen(); }

        Seen noJob() { job = null; return this; }

        Seen suspended() { job.getSpec().setSuspend(true); return this; }

        Seen jobFailed(String reason) {
            job = new JobBuilder(job).withNewStatus().addNewCondition().withType("Failed").withStatus("True").withReason(reason)
                    .withMessage("it failed").endCondition().endStatus().build();
            return this;
        }

        Seen part(int i, long failedTasks) {
            finals.put(i, new PartSummary(i, 2, 2 - failedTasks, failedTasks, 0, null, false,
                    failedTasks == 0 ? List.of() : List.of(new PartSummary.FailedTask("t" + i, "boom")), false, 1, "threads", null, null));
            return this;
        }

        Seen running(int part) { running.put(part, 2L); started = Instant.EPOCH; return this; }

        Seen unschedulable(String why) { unschedulable = why; return this; }

        Seen waiting(String reason) { waiting = new PhaseDecision.Waiting(reason, "held back"); return this; }

        PhaseDecision decide() {
            Gathered g = new Gathered(finals, running, false, started, unschedulable, false);
            return PhaseDecision.decide(PLAN, job, g, Totals.of(PLAN.spec(), g, "r"), waiting);
        }
    }

    static Stream<Arguments> situations() {
        return Stream.of(
                Arguments.of("nothing yet", Seen.seen(), Phase.Pending, "PodsPending"),
                Arguments.of("no Job yet", Seen.seen().noJob(), Phase.Pending, "Creating"),
                Arguments.of("held back", Seen.seen().noJob().waiting("WaitingForMpiWorkers"), Phase.Pending, "WaitingForMpiWorkers"),
                Arguments.of("pods refused", Seen.seen().waiting("PodsRejected"), Phase.Pending, "PodsRejected"),
                Arguments.of("pods refused, then some ran", Seen.seen().waiting("PodsRejected").running(0), Phase.Running, "PodsRunning"),
                Arguments.of("no node fits", Seen.seen().unschedulable("0/1 nodes"), Phase.Pending, "Unschedulable"),
                Arguments.of("a pod runs", Seen.seen().running(0), Phase.Running, "PodsRunning"),
                Arguments.of("a part finished", Seen.seen().part(0, 0), Phase.Running, "PodsRunning"),
                Arguments.of("all parts finished", Seen.seen().part(0, 0).part(1, 0), Phase.Succeeded, "AllTasksFinished"),
                Arguments.of("one failure allowed", Seen.seen().part(0, 1).part(1, 0), Phase.Succeeded, "AllTasksFinished"),
                Arguments.of("too many failures", Seen.seen().part(0, 1).part(1, 1), Phase.Failed, "TasksFailed"),
                Arguments.of("the Job failed", Seen.seen().jobFailed("DeadlineExceeded"), Phase.Failed, "DeadlineExceeded"),
                Arguments.of("finished before the Job failed", Seen.seen().part(0, 0).part(1, 0).jobFailed("X"), Phase.Succeeded,
                        "AllTasksFinished"),
                Arguments.of("suspended by a queue", Seen.seen().suspended(), Phase.Suspended, "SuspendedByQueue"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("situations")
    void decides(String what, Seen seen, Phase phase, String reason) {
        PhaseDecision d = seen.decide();
        assertThat(d.phase()).as(what).isEqualTo(phase);
        assertThat(d.reason()).as(what).isEqualTo(reason);
    }
}
