package dev.parallel.operator.deploy;

import dev.parallel.api.contract.TaskResult;
import dev.parallel.operator.observe.Observed;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import org.jboss.logging.Logger;

/**
 * Why a Job has no pods: the API server refused them (the namespace's Pod Security admission, a
 * ResourceQuota, a LimitRange). The Job's status does not say so; the Job controller's FailedCreate Warning
 * event on the Job carries the API server's own message. Reading it needs only {@code list} on events, where
 * a dry-run pod create (the other way to ask admission) would need {@code create} on pods.
 */
public final class PodCreation {
    private static final Logger LOG = Logger.getLogger(PodCreation.class);
    static final String FAILED_CREATE = "FailedCreate";

    private PodCreation() {}

    /** A Job that should have pods by now and has none: not suspended, not finished, no pod seen. */
    static boolean noPods(Job job, List<io.fabric8.kubernetes.api.model.Pod> pods) {
        if (job == null || Boolean.TRUE.equals(job.getSpec().getSuspend()) || !pods.isEmpty()) return false;
        var s = job.getStatus();
        if (s == null) return true;
        boolean finished = s.getConditions() != null && s.getConditions().stream()
                .anyMatch(c -> ("Complete".equals(c.getType()) || "Failed".equals(c.getType())) && "True".equals(c.getStatus()));
        return !finished && (s.getActive() == null || s.getActive() == 0);
    }

    /** Whether the workers Job (or the parts' Job) has no pods yet: worth looking again soon. */
    public static boolean awaitingPods(Observed seen) {
        return noPods(seen.mainJob(), seen.partPods());
    }

    /** The API server's message of the newest FailedCreate event on {@code job}, or null. */
    public static String refusal(KubernetesClient client, Job job) {
        try {
            var events = client.v1().events().inNamespace(job.getMetadata().getNamespace())
                    .withField("involvedObject.uid", job.getMetadata().getUid())
                    .withField("reason", FAILED_CREATE).list().getItems();
            return newest(events);
        } catch (KubernetesClientException e) { // no permission (an older chart): the status says PodsPending
            LOG.debugf("cannot list the events of Job %s: %s", job.getMetadata().getName(), e.getMessage());
            return null;
        }
    }

    /** Pure: the newest Warning FailedCreate's message, cut to what a condition should hold. */
    static String newest(List<Event> events) {
        return events.stream()
                .filter(e -> "Warning".equals(e.getType()) && FAILED_CREATE.equals(e.getReason()) && e.getMessage() != null)
                .max(Comparator.comparing(PodCreation::when))
                .map(e -> TaskResult.truncate(e.getMessage(), 1000)).orElse(null);
    }

    private static String when(Event e) {
        return Objects.requireNonNullElse(e.getLastTimestamp() != null ? e.getLastTimestamp()
                : e.getEventTime() != null ? e.getEventTime().getTime() : e.getFirstTimestamp(), "");
    }
}
