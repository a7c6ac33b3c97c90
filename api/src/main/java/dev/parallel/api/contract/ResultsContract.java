package dev.parallel.api.contract;

import java.util.Locale;

/**
 * How pods record task results while they run (documented in docs/contract.md, "Streamed results"), defined
 * once for the job image (writer) and the operator (reader, and the pods' environment, mounts and the
 * admission policy).
 *
 * <p>A pod with {@link #STREAM} set batches its finished tasks' records ({@link TaskResult} JSON lines) and
 * creates a {@code TaskResultBatch} named {@link #batchName} through the API server every flush interval or
 * when a batch reaches its size, as its own pod-bound service-account token (re-read from {@link #TOKEN_FILE}
 * on every write). Every batch carries the {@link #LABEL_JOB}, {@link #LABEL_PART}, {@link #LABEL_POD} and
 * {@link #LABEL_POD_UID} labels and the Job as its owner; the admission policy refuses any that does not
 * match the calling pod. At start a pod skips the tasks already recorded: its part's done set, a key
 * {@link #doneKey} of the results ConfigMap mounted at {@link #DONE_DIR} (the operator writes it as it folds
 * batches; the pod needs no read permission).
 */
public final class ResultsContract {
    private ResultsContract() {}

    /** The batch resource (group parallel.dev). */
    public static final String BATCH_PLURAL = "taskresultbatches";
    public static final String BATCH_KIND = "TaskResultBatch";

    /** A batch is flushed when its records reach this size (the notes measured 256-512 KiB as the sweet spot). */
    public static final int TARGET_BATCH_BYTES = 256 * 1024;
    /** No batch's records may be larger (etcd refuses objects over about 1.5 MiB); the CRD says so too. */
    public static final int MAX_BATCH_BYTES = 1024 * 1024;
    /** Longest-running tasks a pod reports per batch. */
    public static final int MAX_RUNNING_REPORTED = 8;

    // Labels of a batch (the admission policy checks each against the caller).
    /** The Kubernetes Job (batch/v1) whose pod wrote it: a DNS label, so it fits a label value. */
    public static final String LABEL_JOB = "parallel.dev/job";
    /** The pod's completion index. */
    public static final String LABEL_PART = "parallel.dev/part";
    /** The writing pod's name (Job pod names are at most 63 characters). */
    public static final String LABEL_POD = "parallel.dev/pod";
    public static final String LABEL_POD_UID = "parallel.dev/pod-uid";

    // The pod's environment (set by the operator with the downward API).
    /** Present: stream results through the API server ({@value #STREAM_API}); absent: only the summary at the end. */
    public static final String STREAM = "PJ_RESULTS_STREAM";
    public static final String STREAM_API = "api";
    /** How often a pod writes a batch at most, in milliseconds (the operator scales it with the number of pods). */
    public static final String FLUSH_MILLIS = "PJ_RESULTS_FLUSH_MILLIS";
    public static final String POD_NAME = "PJ_POD_NAME";
    public static final String POD_UID = "PJ_POD_UID";
    public static final String POD_NAMESPACE = "PJ_POD_NAMESPACE";
    /** The Job's name and UID: the batch's owner reference. */
    public static final String JOB_NAME = "PJ_JOB_NAME";
    public static final String JOB_UID = "PJ_JOB_UID";
    /** Downward-API sources of the two above (labels the Job controller sets on its pods). */
    public static final String JOB_NAME_LABEL = "batch.kubernetes.io/job-name";
    public static final String JOB_UID_LABEL = "batch.kubernetes.io/controller-uid";

    /** The pod-bound, short-lived token (a projected volume) and the cluster's CA. */
    public static final String TOKEN_DIR = "/var/run/secrets/parallel.dev/serviceaccount";
    public static final String TOKEN_FILE = TOKEN_DIR + "/token";
    public static final String CA_FILE = TOKEN_DIR + "/ca.crt";
    public static final long TOKEN_EXPIRATION_SECONDS = 3600;

    /** Where the results ConfigMap is mounted; the pod reads {@code DONE_DIR/doneKey(part)} at start. */
    public static final String DONE_DIR = "/pj/done";

    /** Default flush interval when the operator says nothing. */
    public static final long DEFAULT_FLUSH_MILLIS = 2000;

    /** {@code <pod>.<seq, 6 digits>}: the admission policy requires the {@code <pod>.} prefix. */
    public static String batchName(String pod, long seq) {
        return pod + "." + String.format(Locale.ROOT, "%06d", seq);
    }

    /** The results ConfigMap's key holding part {@code part}'s done set ({@link DoneSet#encode}). */
    public static String doneKey(int part) {
        return String.format(Locale.ROOT, "done-%05d", part);
    }

    /**
     * The flush interval for a Job of {@code pods} pods at once: each pod writes at most once per interval, so
     * the whole Job stays under about {@code writesPerSecond} writes per second (never below 1 s, never above
     * {@code maxMillis}, the progress lag a user accepts).
     */
    public static long flushMillis(int pods, double writesPerSecond, long maxMillis) {
        long m = (long) Math.ceil(1000.0 * Math.max(1, pods) / writesPerSecond);
        return Math.max(1000, Math.min(maxMillis, m));
    }
}
