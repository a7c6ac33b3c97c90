package dev.parallel.operator.status;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Standard conditions; lastTransitionTime moves only when a condition's status flips. */
final class Conditions {
    static final String TRUE = "True";
    private final List<Condition> previous;
    private final List<Condition> out = new ArrayList<>();
    private final String now;
    private final Long generation;

    Conditions(List<Condition> previous, Instant now, Long generation) {
        this.previous = previous == null ? List.of() : previous;
        this.now = now.toString();
        this.generation = generation;
    }

    void set(String type, boolean status, String reason, String message) {
        add(type, status, reason, dev.parallel.api.contract.TaskResult.truncate(message, 1000));
    }

    /** As {@link #set}, the message as it is (a failure's whole explanation). */
    void add(String type, boolean status, String reason, String message) {
        String st = status ? TRUE : "False";
        String since = previous.stream().filter(c -> type.equals(c.getType()) && st.equals(c.getStatus()))
                .map(Condition::getLastTransitionTime).findFirst().orElse(now);
        out.add(new ConditionBuilder().withType(type).withStatus(st).withReason(reason).withMessage(message)
                .withObservedGeneration(generation).withLastTransitionTime(since).build());
    }

    List<Condition> list() { return out; }
}
