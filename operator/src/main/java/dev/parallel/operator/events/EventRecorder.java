package dev.parallel.operator.events;

import dev.parallel.api.v1alpha1.ParallelJob;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import org.jboss.logging.Logger;

/** Records core/v1 Events on a ParallelJob (kubectl describe pj shows them). Never fails a reconcile. */
public final class EventRecorder {
    private static final Logger LOG = Logger.getLogger(EventRecorder.class);
    private final KubernetesClient client;
    /** How many ParallelJobs the dedupe memory keeps: deleted ones age out instead of piling up. */
    static final int REMEMBERED = 10_000;
    /** The last phase announced per ParallelJob (uid), and the one-off events already recorded (uid/key): a
     * reconcile that still sees the old status in its cache must not announce the same thing twice. */
    private final java.util.Map<String, String> announced = lru();
    private final java.util.Map<String, String> onceDone = lru();

    public EventRecorder(KubernetesClient client) { this.client = client; }

    /** Records a phase transition once per ParallelJob and phase. */
    public void transition(ParallelJob pj, String phase, EventReason reason, String message) {
        String uid = pj.getMetadata().getUid();
        if (uid != null && phase.equals(announced.put(uid, phase))) return;
        record(pj, reason, message);
    }

    /** Records an event once per ParallelJob and key (e.g. a condition that turned True). */
    public void once(ParallelJob pj, String key, EventReason reason, String message) {
        String uid = pj.getMetadata().getUid();
        if (uid != null && onceDone.put(uid + "/" + key, key) != null) return;
        record(pj, reason, message);
    }

    private static java.util.Map<String, String> lru() {
        return java.util.Collections.synchronizedMap(new java.util.LinkedHashMap<>(256, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(java.util.Map.Entry<String, String> eldest) { return size() > REMEMBERED; }
        });
    }

    public void record(ParallelJob pj, EventReason reason, String message) {
        String now = Instant.now().toString();
        var ns = pj.getMetadata().getNamespace();
        var event = new EventBuilder()
                .withNewMetadata()
                    .withGenerateName(pj.getMetadata().getName() + ".")
                    .withNamespace(ns)
                .endMetadata()
                .withInvolvedObject(new ObjectReferenceBuilder()
                        .withApiVersion(pj.getApiVersion()).withKind(pj.getKind())
                        .withName(pj.getMetadata().getName()).withNamespace(ns)
                        .withUid(pj.getMetadata().getUid())
                        .withResourceVersion(pj.getMetadata().getResourceVersion()).build())
                .withReason(reason.name())
                .withType(reason.type)
                .withMessage(dev.parallel.api.contract.TaskResult.truncate(message, 1000))
                .withFirstTimestamp(now).withLastTimestamp(now).withCount(1)
                .withNewSource().withComponent("parallel-job-operator").endSource()
                .withReportingComponent("parallel.dev/operator")
                .build();
        try {
            client.v1().events().inNamespace(ns).resource(event).create();
        } catch (KubernetesClientException e) {
            LOG.warnf("could not record event %s on %s/%s: %s", reason, ns, pj.getMetadata().getName(), e.getMessage());
        }
        LOG.infof("%s/%s: %s: %s", ns, pj.getMetadata().getName(), reason, message);
    }
}
