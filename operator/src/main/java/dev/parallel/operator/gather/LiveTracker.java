package dev.parallel.operator.gather;

import dev.parallel.api.v1alpha1.ParallelJobStatus;
import dev.parallel.api.v1alpha1.TaskResultBatch;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * In memory only: what each running pod last said it was running (the newest batch per pod: its in-flight count and
 * longest-running tasks). Live figures, gone with the pod; an operator restarted learns them again from the next
 * batches, within a flush interval. Bounded by the running pods of the ParallelJobs running now.
 */
public final class LiveTracker {
    /** What the newest batch of a pod said. */
    record PodLive(long seq, int inFlight, List<TaskResultBatch.RunningTask> running) {}

    /** Running tasks now and the slowest of them. */
    public record View(long runningTasks, List<ParallelJobStatus.RunningTask> slowest) {}

    /** Slowest running tasks listed in status. */
    static final int SLOWEST = 5;

    private final Map<String, Map<String, PodLive>> byJob = new ConcurrentHashMap<>();

    /** Remembers each pod's newest batch among {@code batches}. */
    public void saw(String pjUid, List<TaskResultBatch> batches) {
        Map<String, PodLive> pods = byJob.computeIfAbsent(pjUid, k -> new ConcurrentHashMap<>());
        for (TaskResultBatch b : batches) {
            String pod = BatchTrust.label(b, dev.parallel.api.contract.ResultsContract.LABEL_POD);
            if (pod == null || b.getSpec() == null || b.getSpec().seq == null) continue;
            PodLive now = new PodLive(b.getSpec().seq, b.getSpec().inFlight == null ? 0 : b.getSpec().inFlight,
                    b.getSpec().running == null ? List.of() : List.copyOf(b.getSpec().running));
            pods.merge(pod, now, (a, c) -> c.seq() >= a.seq() ? c : a);
        }
    }

    /** The running pods' figures; pods not running any more are forgotten. */
    public View view(String pjUid, Set<String> runningPods, Instant now) {
        Map<String, PodLive> pods = byJob.getOrDefault(pjUid, Map.of());
        pods.keySet().retainAll(runningPods);
        long running = 0;
        List<ParallelJobStatus.RunningTask> all = new ArrayList<>();
        for (var e : pods.entrySet()) {
            running += e.getValue().inFlight();
            for (var r : e.getValue().running()) {
                long secs = 0;
                try {
                    secs = Math.max(0, Duration.between(Instant.parse(r.startedAt), now).toSeconds());
                } catch (RuntimeException ignored) {
                    // a pod's malformed time: listed, at 0 s
                }
                all.add(new ParallelJobStatus.RunningTask(r.id, e.getKey(), secs));
            }
        }
        all.sort(Comparator.comparing((ParallelJobStatus.RunningTask r) -> -r.seconds).thenComparing(r -> r.id == null ? "" : r.id));
        return new View(running, List.copyOf(all.subList(0, Math.min(SLOWEST, all.size()))));
    }

    public void forget(String pjUid) { byJob.remove(pjUid); }
}
