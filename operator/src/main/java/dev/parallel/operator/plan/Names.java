package dev.parallel.operator.plan;

import dev.parallel.api.v1alpha1.ParallelJob;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Names and labels of everything the operator creates: deterministic functions of the ParallelJob,
 * so a restarted operator or a second replica finds instead of duplicating.
 */
public final class Names {
    /** The ParallelJob's name as a label value: the name itself when it fits (63 chars), else {@link #job}. */
    public static final String LABEL_JOB_NAME = "parallel.dev/job-name";
    /** The ParallelJob's full name (up to 253 chars, more than a label value holds): maps pods back to it. */
    public static final String ANNOTATION_JOB_NAME = "parallel.dev/job-name";
    public static final String LABEL_NAME = "app.kubernetes.io/name";
    public static final String LABEL_INSTANCE = "app.kubernetes.io/instance";
    public static final String LABEL_COMPONENT = "app.kubernetes.io/component";
    public static final String LABEL_MANAGED_BY = "app.kubernetes.io/managed-by";
    public static final String MANAGED_BY = "parallel-job-operator";
    /** Set by the Job controller on each pod of an Indexed Job. */
    public static final String ANNOTATION_COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index";
    /**
     * Longest base name: the Job controller names each pod's host {@code <job>-<index>}, a DNS label (63 chars),
     * and the MPI workers' are {@code <base>-worker-<index>}; Job names are label values too (63 chars).
     */
    private static final int MAX_BASE = 47;
    /** A DNS-1123 label: what a pod's host name and subdomain must be (no dots, unlike a ParallelJob's name). */
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

    private Names() {}

    /**
     * The Job's name and every child's base: the ParallelJob's when it is a short DNS label, else its first
     * 38 characters with dots as dashes and a hash of the whole name (so "a.b" and "a-b" stay apart).
     */
    public static String job(ParallelJob pj) {
        String n = pj.getMetadata().getName();
        if (n.length() <= MAX_BASE && DNS_LABEL.matcher(n).matches()) return n;
        return n.substring(0, Math.min(n.length(), MAX_BASE - 9)).replace('.', '-').replaceAll("-+$", "") + "-" + hash(n, 4);
    }

    public static String tasksConfigMap(ParallelJob pj) { return job(pj) + "-tasks"; }

    public static String resultsConfigMap(ParallelJob pj) { return job(pj) + "-results"; }

    /** executor: mpi: the worker pods' Indexed Job (pods are named and resolvable as {@code <this>-<index>}). */
    public static String mpiWorkers(ParallelJob pj) { return job(pj) + "-worker"; }

    /**
     * executor: mpi: the headless Service that gives the worker pods their DNS names. A Service name is a
     * DNS-1035 label (a letter first), a ParallelJob's name may start with a digit.
     */
    public static String mpiService(ParallelJob pj) {
        String base = job(pj);
        return (Character.isLetter(base.charAt(0)) ? "" : "pj-") + base + "-mpi";
    }

    /** executor: mpi: the per-ParallelJob SSH keys. */
    public static String mpiSecret(ParallelJob pj) { return job(pj) + "-ssh"; }

    /**
     * Streamed results (ResultWriter): the ServiceAccount the pods write their TaskResultBatches as, and its Role
     * and RoleBinding (other kinds, so one name serves all three).
     */
    public static String resultWriter(ParallelJob pj) { return job(pj) + "-result-writer"; }

    /** The NetworkPolicy of the ParallelJob's pods (JobNetworkPolicy). */
    public static String networkPolicy(ParallelJob pj) { return job(pj) + "-ingress"; }

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

    /** On every child and pod: the ParallelJob's full name, which {@link #parallelJobOf} reads back. */
    public static Map<String, String> annotations(ParallelJob pj) {
        return Map.of(ANNOTATION_JOB_NAME, pj.getMetadata().getName());
    }

    /**
     * The name of the ParallelJob a pod belongs to: the annotation, else the label (pods of an operator before
     * the annotation; their label holds the full name whenever it fits), else null.
     */
    public static String parallelJobOf(io.fabric8.kubernetes.api.model.HasMetadata o) {
        var a = o.getMetadata().getAnnotations();
        if (a != null && a.get(ANNOTATION_JOB_NAME) != null) return a.get(ANNOTATION_JOB_NAME);
        var l = o.getMetadata().getLabels();
        return l == null ? null : l.get(LABEL_JOB_NAME);
    }

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
