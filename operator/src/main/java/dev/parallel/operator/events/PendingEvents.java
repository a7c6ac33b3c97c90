package dev.parallel.operator.events;

import dev.parallel.api.v1alpha1.ParallelJob;
import java.util.ArrayList;
import java.util.List;

/** The events a reconcile decided on, recorded only after its status write succeeded. */
public final class PendingEvents {
    private record Pending(String onceKey, EventReason reason, String message) {}

    private final List<Pending> pending = new ArrayList<>();

    /** An event for something the operator did (created, suspended, stopped): counted if it recurs. */
    public void record(EventReason reason, String message) { pending.add(new Pending(null, reason, message)); }

    /** An event at most once per ParallelJob and key (a phase reached, a condition that turned True). */
    public void once(String key, EventReason reason, String message) { pending.add(new Pending(key, reason, message)); }

    public void recordAll(EventRecorder recorder, ParallelJob pj) {
        for (Pending p : pending) {
            if (p.onceKey() == null) {
                recorder.record(pj, p.reason(), p.message());
            } else {
                recorder.once(pj, p.onceKey(), p.reason(), p.message());
            }
        }
        pending.clear();
    }
}
