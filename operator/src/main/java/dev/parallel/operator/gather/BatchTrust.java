package dev.parallel.operator.gather;

import dev.parallel.api.contract.ResultsContract;
import dev.parallel.api.v1alpha1.TaskResultBatch;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Pure: which listed batches the operator folds. Trusted: owned by our Job (its UID, the only owner), written by a pod
 * of that Job (the pod-uid label is a pod seen now or remembered in the results ConfigMap), for a part of this run
 * whose number matches its label. A batch from a pod not known yet waits (the pod informer may lag); after
 * {@link #FOREIGN_AFTER} it, and every batch that fails another check, is foreign: deleted with a Warning event.
 * The admission policy refuses such batches from our pods; this is the operator's own check of what it trusts.
 */
public final class BatchTrust {
    /** How long a batch from an unknown pod may wait for the pod to show up. */
    public static final Duration FOREIGN_AFTER = Duration.ofMinutes(2);

    private BatchTrust() {}

    /** A foreign batch and why. */
    public record Foreign(String name, String why) {}

    /** {@code waitingParts}: parts with a batch that waits (none of them is declared final this pass). */
    public record Sorted(List<TaskResultBatch> trusted, List<Foreign> foreign, int waiting, Set<Integer> waitingParts) {}

    public static Sorted sort(List<TaskResultBatch> batches, String jobUid, Set<String> podUids, int parts, Instant now) {
        List<TaskResultBatch> trusted = new ArrayList<>();
        List<Foreign> foreign = new ArrayList<>();
        int waiting = 0;
        Set<Integer> waitingParts = new java.util.TreeSet<>();
        for (TaskResultBatch b : batches) {
            String why = check(b, jobUid, parts);
            String podUid = label(b, ResultsContract.LABEL_POD_UID);
            if (why == null && !podUids.contains(podUid)) {
                if (!older(b, now)) {
                    waiting++;
                    waitingParts.add(b.getSpec().part);
                    continue;
                }
                why = "pod UID " + podUid + " is not a pod of Job " + label(b, ResultsContract.LABEL_JOB);
            }
            if (why == null) trusted.add(b);
            else if (older(b, now) || !ownedBy(b, jobUid)) foreign.add(new Foreign(b.getMetadata().getName(), why));
            else waiting++;
        }
        return new Sorted(trusted, foreign, waiting, waitingParts);
    }

    /** Why the batch is not ours, or null. */
    static String check(TaskResultBatch b, String jobUid, int parts) {
        if (!ownedBy(b, jobUid)) return "not owned by the Job (UID " + jobUid + ") alone";
        if (b.getSpec() == null || b.getSpec().part == null) return "no spec.part";
        if (!String.valueOf(b.getSpec().part).equals(label(b, ResultsContract.LABEL_PART))) {
            return "spec.part " + b.getSpec().part + " differs from its label " + ResultsContract.LABEL_PART;
        }
        if (b.getSpec().part >= parts) return "part " + b.getSpec().part + " is not a part of this run (" + parts + " parts)";
        return null;
    }

    static boolean ownedBy(TaskResultBatch b, String jobUid) {
        var refs = b.getMetadata().getOwnerReferences();
        return jobUid != null && refs != null && refs.size() == 1 && jobUid.equals(refs.get(0).getUid());
    }

    static String label(TaskResultBatch b, String key) {
        Map<String, String> l = b.getMetadata().getLabels();
        return l == null ? null : l.get(key);
    }

    private static boolean older(TaskResultBatch b, Instant now) {
        String t = b.getMetadata().getCreationTimestamp();
        return t == null || Instant.parse(t).plus(FOREIGN_AFTER).isBefore(now);
    }
}
