package dev.parallel.operator;

import io.smallrye.config.ConfigMapping;
import java.util.Optional;
import io.smallrye.config.WithDefault;

/** Operator-wide defaults for the ParallelJobs it runs (Helm values feed these). */
@ConfigMapping(prefix = "parallel-job")
public interface OperatorSettings {
    /** The job image every kernel pod runs; fully qualified (CRI does not resolve short names). */
    @WithDefault("docker.io/parallel-dev/job:0.1.0")
    String jobImage();

    @WithDefault("IfNotPresent")
    String jobImagePullPolicy();

    /** CPU and memory for a job pod that does not say. */
    @WithDefault("500m")
    String defaultCpu();

    @WithDefault("512Mi")
    String defaultMemory();

    /** Upper bound of the results ConfigMap (etcd caps objects at ~1.5 MiB). */
    @WithDefault("716800")
    int maxResultsBytes();

    /**
     * UID (and GID, fsGroup) the job pods run as: non-root (restricted Pod Security) and >= 10000, above the
     * host's own users. The job image's /etc/passwd has this user (ssh and mpirun need it).
     */
    @WithDefault("10000")
    long jobPodUser();

    /**
     * Kueue support (chart value kueue.enabled): ParallelJobs labelled kueue.x-k8s.io/queue-name wait for
     * their Workload's admission. Off, the operator neither watches nor may touch Workloads.
     */
    @WithDefault("false")
    boolean kueueEnabled();

    /**
     * How long a ParallelJob waits, from its creation, for an object it references that does not exist yet (the
     * tasks ConfigMap of spec.tasks.configMapRef, or its key) before it fails. Pending with a reason meanwhile.
     */
    @WithDefault("600")
    int missingReferenceTimeoutSeconds();

    /** Whether each ParallelJob gets a NetworkPolicy for its pods (JobNetworkPolicy; chart: networkPolicies.enabled). */
    @WithDefault("true")
    boolean networkPolicies();

    /**
     * Where the records of a ParallelJob without spec.results.store go (chart value results.store): cluster (the
     * results ConfigMap, bounded) or s3 (the bucket of the results.s3.* values below).
     */
    @WithDefault("cluster")
    String resultsStore();

    /** The chart's S3 bucket (results.s3.bucket): the default store s3 and a spec.results that names none. */
    Optional<String> resultsS3Bucket();

    /** Key prefix in that bucket (results.s3.prefix); records go under {@code <prefix>/<namespace>/<name>/<uid>/}. */
    Optional<String> resultsS3Prefix();

    /** The S3 endpoint (results.s3.endpoint), e.g. http://seaweedfs.storage:8333; absent: AWS. Also the default of a spec's. */
    Optional<String> resultsS3Endpoint();

    /** The bucket's region (results.s3.region); also the default of a spec that names none. */
    @WithDefault("us-east-1")
    String resultsS3Region();

    /**
     * The Secret with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (results.s3.secretName), looked up in the
     * ParallelJob's own namespace like spec.results.secretRef (the users who may read a run's results read it too).
     */
    Optional<String> resultsS3SecretName();

    /**
     * The operator-wide switch of streamed results (chart value results.stream): on, a ParallelJob whose
     * spec.results.stream is not false gets a writer identity (ResultWriter) and its pods record each task as it
     * finishes; off, pods report only when their part ends, whatever the spec says.
     */
    @WithDefault("true")
    boolean resultsStream();

    /**
     * While a ParallelJob whose pods stream their results runs, how often (seconds) the operator folds them into
     * progress and status at least (chart value results.progressIntervalSeconds): the progress lag beside the pods'
     * flush interval.
     */
    @WithDefault("5")
    int resultsProgressIntervalSeconds();
}
