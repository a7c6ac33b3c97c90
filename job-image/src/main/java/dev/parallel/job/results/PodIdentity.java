package dev.parallel.job.results;

import dev.parallel.api.contract.ResultsContract;
import java.util.Map;

/** Who writes a pod's batches: the pod and the Job that owns them (downward API, {@link ResultsContract}). */
public record PodIdentity(String namespace, String pod, String podUid, String jobName, String jobUid, int part) {

    /** From the pod's environment; a missing variable is an error naming it. */
    public static PodIdentity fromEnv(Map<String, String> env, int part) {
        return new PodIdentity(need(env, ResultsContract.POD_NAMESPACE), need(env, ResultsContract.POD_NAME),
                need(env, ResultsContract.POD_UID), need(env, ResultsContract.JOB_NAME), need(env, ResultsContract.JOB_UID),
                part);
    }

    static String need(Map<String, String> env, String name) {
        String v = env.get(name);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException(name + " is not set: a pod with " + ResultsContract.STREAM + "="
                    + ResultsContract.STREAM_API + " needs it (docs/contract.md, Streamed results)");
        }
        return v.strip();
    }
}
