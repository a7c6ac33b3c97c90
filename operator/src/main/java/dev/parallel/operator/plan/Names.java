package dev.parallel.operator.plan;

import dev.parallel.api.v1alpha1.ParallelJob;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Names and labels of everything the operator creates: deterministic functions of the ParallelJob,
 * so a restarted operator or a second replica finds instead of duplicating.
 */
public final class Names {
    public static final String LABEL_JOB_NAME = "parallel.dev/job-name";
    public static final String LABEL_NAME = "app.kubernetes.io/name";
    public static final String LABEL_INSTANCE = "app.kubernetes.io/instance";
    public static final String LABEL_COMPONENT = "app.kubernetes.io/component";
    public static final String LABEL_MANAGED_BY = "app.kubernetes.io/managed-by";
    public static final String MANAGED_BY = "parallel-job-operator";
    /** Set by the Job controller on each pod of an Indexed Job. */
    public static final String ANNOTATION_COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index";
    /** Longest base name: Job names end up in pod labels (63 chars) with suffixes. */
    private static final int MAX_BASE = 47;

    private Names() {}

    /** The Job's name: the ParallelJob's, shortened with a hash when too long for a label. */
    public static String job(ParallelJob pj) {
        String n = pj.getMetadata().getName();
        if (n.length() <= MAX_BASE) return n;
        return n.substring(0, MAX_BASE - 9).replaceAll("[-.]+$", "") + "-" + hash(n, 4);
    }

    public static String tasksConfigMap(ParallelJob pj) { return job(pj) + "-tasks"; }

    public static String resultsConfigMap(ParallelJob pj) { return job(pj) + "-results"; }

    /** executor: mpi: the worker pods' Indexed Job (pods are named and resolvable as {@code <this>-<index>}). */
    public static String mpiWorkers(ParallelJob pj) { return job(pj) + "-worker"; }

    /** executor: mpi: the headless Service that gives the worker pods their DNS names. */
    public static String mpiService(ParallelJob pj) { return job(pj) + "-mpi"; }

    /** executor: mpi: the per-ParallelJob SSH keys. */
    public static String mpiSecret(ParallelJob pj) { return job(pj) + "-ssh"; }

    /** executor: mpi: worker i's host name as the launcher's hostfile lists it. */
    public static String mpiHost(ParallelJob pj, int index) {
        return mpiWorkers(pj) + "-" + index + "." + mpiService(pj) + "." + pj.getMetadata().getNamespace() + ".svc";
    }

    public static Map<String, String> labels(ParallelJob pj, String component) {
        Map<String, String> l = new LinkedHashMap<>();
        l.put(LABEL_NAME, "parallel-job");
        l.put(LABEL_INSTANCE, job(pj));
        l.put(LABEL_COMPONENT, component);
        l.put(LABEL_MANAGED_BY, MANAGED_BY);
        l.put(LABEL_JOB_NAME, pj.getMetadata().getName().length() <= 63 ? pj.getMetadata().getName() : job(pj));
        return l;
    }

    /** With a queue (Kueue): the ParallelJob's one Workload, named as its Job (another kind, so no clash). */
    public static String workload(ParallelJob pj) { return job(pj); }

    /** The first {@code bytes} bytes of the SHA-256 of {@code s}, in hex: deterministic name suffixes. */
    public static String hash(String s, int bytes) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
