package dev.parallel.operator.events;

import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.operator.plan.Names;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Instant;
import org.jboss.logging.Logger;

/**
 * Records core/v1 Events on a ParallelJob (kubectl describe pj shows them). Never fails a reconcile.
 * De-duplicated on the server, as the Kubernetes event series does: an event's name is a hash of the
 * ParallelJob's uid and what it says, so the same event again (a restarted operator, a second replica,
 * a reconcile that still saw the old status) finds it and counts it instead of adding another.
 */
public final class EventRecorder {
    private static final Logger LOG = Logger.getLogger(EventRecorder.class);
    /** Event names are DNS subdomains (253 chars): the ParallelJob's name, cut, then '.' and the hash. */
    private static final int MAX_PREFIX = 200;
    private final KubernetesClient client;

    public EventRecorder(KubernetesClient client) { this.client = client; }

    /** Records an event at most once per ParallelJob and key (a phase reached, a condition that turned True). */
    public void once(ParallelJob pj, String key, EventReason reason, String message) {
        Event e = event(pj, "once/" + key, reason, message);
        if (create(pj, e) == Outcome.EXISTS) LOG.debugf("event %s already recorded: %s", e.getMetadata().getName(), reason);
    }

    /** Records an event; the same reason and message on the same ParallelJob again increments its count. */
    public void record(ParallelJob pj, EventReason reason, String message) {
        Event e = event(pj, "series/" + reason.name() + "/" + message, reason, message);
        if (create(pj, e) == Outcome.EXISTS) countAgain(pj, e);
    }

    private enum Outcome { CREATED, EXISTS, FAILED }

    private Outcome create(ParallelJob pj, Event e) {
        try {
            client.v1().events().inNamespace(e.getMetadata().getNamespace()).resource(e).create();
            LOG.infof("%s/%s: %s: %s", e.getMetadata().getNamespace(), pj.getMetadata().getName(), e.getReason(), e.getMessage());
            return Outcome.CREATED;
        } catch (KubernetesClientException x) {
            if (x.getCode() == 409) return Outcome.EXISTS;
            LOG.warnf("could not record event %s on %s/%s: %s", e.getReason(), e.getMetadata().getNamespace(),
                    pj.getMetadata().getName(), x.getMessage());
            return Outcome.FAILED;
        }
    }

    /** The series' next occurrence: lastTimestamp moves, count + 1 (a JSON patch that tests the count it read). */
    private void countAgain(ParallelJob pj, Event e) {
        var resource = client.v1().events().inNamespace(e.getMetadata().getNamespace()).withName(e.getMetadata().getName());
        try {
            Event seen = resource.patch(PatchContext.of(PatchType.JSON_MERGE),
                    "{\"lastTimestamp\":\"" + e.getLastTimestamp() + "\"}");
            int n = seen.getCount() == null ? 1 : seen.getCount();
            resource.patch(PatchContext.of(PatchType.JSON), "[{\"op\":\"test\",\"path\":\"/count\",\"value\":" + n + "},"
                    + "{\"op\":\"replace\",\"path\":\"/count\",\"value\":" + (n + 1) + "}]");
            LOG.infof("%s/%s: %s (x%d): %s", e.getMetadata().getNamespace(), pj.getMetadata().getName(), e.getReason(), n + 1,
                    e.getMessage());
        } catch (KubernetesClientException x) { // a racing writer counted it, or it expired: one count less
            LOG.debugf("could not count event %s again: %s", e.getMetadata().getName(), x.getMessage());
        }
    }

    /** The event as created (public for the name-length table tests). */
    public static Event event(ParallelJob pj, String key, EventReason reason, String message) {
        String now = Instant.now().toString();
        var ns = pj.getMetadata().getNamespace();
        String name = pj.getMetadata().getName();
        return new EventBuilder()
                .withNewMetadata()
                    .withName((name.length() > MAX_PREFIX ? name.substring(0, MAX_PREFIX).replaceAll("[-.]+$", "") : name)
                            + "." + Names.hash(pj.getMetadata().getUid() + "/" + key, 8))
                    .withNamespace(ns)
                .endMetadata()
                .withInvolvedObject(new ObjectReferenceBuilder()
                        .withApiVersion(pj.getApiVersion()).withKind(pj.getKind())
                        .withName(name).withNamespace(ns)
                        .withUid(pj.getMetadata().getUid())
                        .withResourceVersion(pj.getMetadata().getResourceVersion()).build())
                .withReason(reason.name())
                .withType(reason.type)
                .withMessage(dev.parallel.api.contract.TaskResult.truncate(message, 1000))
                .withFirstTimestamp(now).withLastTimestamp(now).withCount(1)
                .withNewSource().withComponent("parallel-job-operator").endSource()
                .withReportingComponent("parallel.dev/operator")
                .build();
    }
}
