package dev.parallel.operator.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Why a Job has no pods, from its events: the newest Warning FailedCreate's message, only while it has none. */
class PodCreationTest {
    static Event event(String type, String reason, String last, String message) {
        return new EventBuilder().withType(type).withReason(reason).withLastTimestamp(last).withMessage(message).build();
    }

    @Test
    void theNewestFailedCreateWarningSaysWhy() {
        assertThat(PodCreation.newest(List.of(
                event("Warning", "FailedCreate", "2026-01-01T00:00:01Z", "old"),
                event("Warning", "FailedCreate", "2026-01-01T00:00:09Z", "pods \"x\" is forbidden: violates PodSecurity"),
                event("Normal", "SuccessfulCreate", "2026-01-01T00:00:10Z", "created pod"),
                event("Warning", "BackoffLimitExceeded", "2026-01-01T00:00:11Z", "not about creation"))))
                .isEqualTo("pods \"x\" is forbidden: violates PodSecurity");
        assertThat(PodCreation.newest(List.of(event("Normal", "SuccessfulCreate", "2026-01-01T00:00:10Z", "created")))).isNull();
        assertThat(PodCreation.newest(List.of(event("Warning", "FailedCreate", null, "x".repeat(5000))))).hasSizeLessThan(1100);
    }

    @Test
    void onlyAJobThatShouldHavePodsAndHasNone() {
        Job running = new JobBuilder().withNewSpec().withSuspend(false).endSpec().build();
        assertThat(PodCreation.noPods(running, List.of())).isTrue();
        assertThat(PodCreation.noPods(running, List.of(new PodBuilder().build()))).isFalse();
        Job suspended = new JobBuilder().withNewSpec().withSuspend(true).endSpec().build();
        assertThat(PodCreation.noPods(suspended, List.of())).isFalse();
        Job done = new JobBuilder(running).withNewStatus().addNewCondition().withType("Complete").withStatus("True").endCondition()
                .endStatus().build();
        assertThat(PodCreation.noPods(done, List.of())).isFalse();
        Job active = new JobBuilder(running).withNewStatus().withActive(1).endStatus().build();
        assertThat(PodCreation.noPods(active, List.of())).isFalse();
        assertThat(PodCreation.noPods(null, List.of())).isFalse();
    }
}
