package dev.parallel.operator.gather;

import dev.parallel.api.contract.PartSummary;
import dev.parallel.api.tasks.Partition;
import dev.parallel.operator.plan.Names;
import dev.parallel.operator.plan.Plan;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Pure: which parts finished for good, read from the pods and the Job. A part is final when a pod of
 * its index succeeded, or when the Job lists the index as failed (no more retries); then the newest
 * such pod's termination message is its summary. Failed pods of an index that will be retried are
 * ignored, so a retried part is counted once.
 */
public final class PartObserver {
    private PartObserver() {}

    /** A finished part and the pod it came from (whose log holds the per-task results). */
    public record Finished(int part, PartSummary summary, String podName) {}

    public static Map<Integer, Finished> newlyFinished(Plan plan, Job job, List<Pod> pods, Set<Integer> known) {
        Set<Integer> failedIndexes = indexes(job == null || job.getStatus() == null ? null
                : job.getStatus().getFailedIndexes());
        Map<Integer, Finished> out = new HashMap<>();
        pods.stream()
                .sorted(Comparator.comparing((Pod p) -> p.getMetadata().getCreationTimestamp(),
                        Comparator.nullsFirst(Comparator.naturalOrder())))
                .forEach(p -> {
                    Integer idx = index(p);
                    if (idx == null || idx >= plan.parts() || known.contains(idx)) return;
                    String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
                    boolean succeeded = "Succeeded".equals(phase);
                    boolean finalFailure = "Failed".equals(phase) && failedIndexes.contains(idx);
                    Finished prev = out.get(idx);
                    if (prev != null && prev.summary().failed() == 0) return; // a success is never replaced
                    if (succeeded || finalFailure) {
                        out.put(idx, new Finished(idx, summary(plan, idx, p), p.getMetadata().getName()));
                    }
                });
        return out;
    }

    /** Tasks of the parts whose pods run now. */
    public static Map<Integer, Long> running(Plan plan, List<Pod> pods, Set<Integer> finals) {
        Map<Integer, Long> out = new HashMap<>();
        for (Pod p : pods) {
            Integer idx = index(p);
            if (idx == null || idx >= plan.parts() || finals.contains(idx)) continue;
            if (p.getStatus() != null && "Running".equals(p.getStatus().getPhase())) {
                out.put(idx, Partition.block(plan.tasks(), plan.parts(), idx).size());
            }
        }
        return out;
    }

    public static Instant firstStart(List<Pod> pods) {
        return pods.stream().map(p -> p.getStatus() == null ? null : p.getStatus().getStartTime())
                .filter(s -> s != null && !s.isEmpty()).map(Instant::parse).min(Comparator.naturalOrder()).orElse(null);
    }

    /** The scheduler's message for the first pod it cannot place, e.g. "0/1 nodes are available: 1 Insufficient nvidia.com/gpu." */
    public static String unschedulable(List<Pod> pods) {
        for (Pod p : pods) {
            if (p.getStatus() == null || p.getStatus().getConditions() == null) continue;
            for (var c : p.getStatus().getConditions()) {
                if ("PodScheduled".equals(c.getType()) && "False".equals(c.getStatus()) && "Unschedulable".equals(c.getReason())) {
                    return p.getMetadata().getName() + ": " + c.getMessage();
                }
            }
        }
        return null;
    }

    static Integer index(Pod p) {
        String v = p.getMetadata().getAnnotations() == null ? null
                : p.getMetadata().getAnnotations().get(Names.ANNOTATION_COMPLETION_INDEX);
        if (v == null) return null;
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The pod's summary from its termination message, or one that says why there is none. */
    static PartSummary summary(Plan plan, int idx, Pod p) {
        ContainerStateTerminated t = terminated(p);
        String message = t == null ? null : t.getMessage();
        if (message != null && message.startsWith("{")) {
            try {
                return PartSummary.decode(message);
            } catch (Exception ignored) {
                // fall through: a truncated or foreign message
            }
        }
        long tasks = Partition.block(plan.tasks(), plan.parts(), idx).size();
        String reason = t == null ? "pod failed without a terminated container"
                : (t.getReason() != null ? t.getReason() : "Error") + " (exit code " + t.getExitCode() + ")"
                + (message != null && !message.isBlank() ? ": " + message.strip() : "");
        reason = dev.parallel.api.contract.TaskResult.truncate(reason, 300);
        return new PartSummary(idx, tasks, 0, tasks, 0, null, false,
                List.of(new PartSummary.FailedTask("part-" + idx, reason)), tasks > 1, 0, null, reason, null);
    }

    private static ContainerStateTerminated terminated(Pod p) {
        if (p.getStatus() == null || p.getStatus().getContainerStatuses() == null) return null;
        for (ContainerStatus cs : p.getStatus().getContainerStatuses()) {
            if (cs.getState() != null && cs.getState().getTerminated() != null) return cs.getState().getTerminated();
        }
        return null;
    }

    /** Parses the Job API's index lists, e.g. "1,3-5". */
    public static Set<Integer> indexes(String list) {
        Set<Integer> out = new TreeSet<>();
        if (list == null || list.isBlank()) return out;
        for (String part : list.split(",")) {
            String[] r = part.strip().split("-");
            int a = Integer.parseInt(r[0]);
            int b = r.length > 1 ? Integer.parseInt(r[1]) : a;
            for (int i = a; i <= b; i++) out.add(i);
        }
        return out;
    }
}
