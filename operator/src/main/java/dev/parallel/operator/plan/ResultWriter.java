package dev.parallel.operator.plan;

import dev.parallel.api.contract.ResultsContract;
import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.operator.OperatorSettings;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import java.util.List;

/**
 * Pure: who a ParallelJob's pods write their streamed results as (docs/contract.md, "Streamed results"). Per
 * ParallelJob a ServiceAccount without an automounted token, a Role that may only create TaskResultBatches and a
 * RoleBinding of the two (to spec.serviceAccountName instead when the user names one), all owned by the
 * ParallelJob. The pod that writes (worker, pj-tasks sidecar, MPI launcher) gets a short-lived pod-bound token,
 * the cluster CA, its part's done set and the downward-API environment; nothing else does. The chart's
 * ValidatingAdmissionPolicy then ties every batch to the calling pod, its part and its Job.
 */
public final class ResultWriter {
    public static final String COMPONENT = "result-writer";
    /** The projected token + CA volume, and the results ConfigMap mounted for its done sets (PodTemplateRules reserves both). */
    static final String TOKEN_VOLUME = "pj-results-token";
    static final String DONE_VOLUME = "pj-results-done";
    /** What the flush interval is scaled for: a whole Job stays under this many writes per second. */
    static final double JOB_WRITES_PER_SECOND = 5;
    /** The longest flush interval: progress lags at most this (plus the operator's reschedule). */
    static final long MAX_FLUSH_MILLIS = 5000;

    private ResultWriter() {}

    /** Streaming is on for this ParallelJob: operator-wide (chart results.stream) and not turned off in its spec. */
    public static boolean streams(Plan plan, OperatorSettings settings) {
        var r = plan.spec().results;
        return settings.resultsStream() && (r == null || r.streamOrDefault());
    }

    /**
     * The account the writing pods run as: spec.serviceAccountName, else the template's, else ours. A user's
     * account keeps its own permissions and gains create on TaskResultBatches in this namespace.
     */
    public static String podServiceAccount(Plan plan) {
        var s = plan.spec();
        if (s.serviceAccountName != null && !s.serviceAccountName.isEmpty()) return s.serviceAccountName;
        var t = s.template == null ? null : s.template.getSpec();
        if (t != null && t.getServiceAccountName() != null && !t.getServiceAccountName().isEmpty()) return t.getServiceAccountName();
        return Names.resultWriter(plan.pj());
    }

    /** Whether the pods run as our own account (else the user's, which we neither create nor own). */
    public static boolean ownAccount(Plan plan) { return podServiceAccount(plan).equals(Names.resultWriter(plan.pj())); }

    /** Our account: no automounted token (the pods get only the short-lived projected one, in one container). */
    public static ServiceAccount serviceAccount(Plan plan) {
        return new ServiceAccountBuilder()
                .withMetadata(plan.metadata(Names.resultWriter(plan.pj()), COMPONENT))
                .withAutomountServiceAccountToken(false)
                .build();
    }

    /** create on taskresultbatches and nothing else: a pod cannot read, list, update or delete any batch. */
    public static Role role(Plan plan) {
        return new RoleBuilder()
                .withMetadata(plan.metadata(Names.resultWriter(plan.pj()), COMPONENT))
                .withRules(new PolicyRuleBuilder()
                        .withApiGroups(ParallelJob.GROUP)
                        .withResources(ResultsContract.BATCH_PLURAL)
                        .withVerbs("create")
                        .build())
                .build();
    }

    public static RoleBinding roleBinding(Plan plan) {
        return new RoleBindingBuilder()
                .withMetadata(plan.metadata(Names.resultWriter(plan.pj()), COMPONENT))
                .withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("Role")
                    .withName(Names.resultWriter(plan.pj())).endRoleRef()
                .addNewSubject().withKind("ServiceAccount").withName(podServiceAccount(plan))
                    .withNamespace(plan.namespace()).endSubject()
                .build();
    }

    /** The objects to create before the Job, in order (the account only when it is ours). */
    public static List<io.fabric8.kubernetes.api.model.HasMetadata> objects(Plan plan) {
        return ownAccount(plan) ? List.of(serviceAccount(plan), role(plan), roleBinding(plan)) : List.of(role(plan), roleBinding(plan));
    }

    /**
     * The pod-bound token (default audience: a custom one got 401 where the API server has no --api-audiences;
     * an hour, rotated by the kubelet, re-read by the writer) with the cluster CA, and the results ConfigMap
     * (optional: a missing done set means nothing is done yet).
     */
    static List<Volume> volumes(Plan plan) {
        return List.of(
                new VolumeBuilder().withName(TOKEN_VOLUME).withNewProjected()
                        .addNewSource().withNewServiceAccountToken().withPath("token")
                            .withExpirationSeconds(ResultsContract.TOKEN_EXPIRATION_SECONDS).endServiceAccountToken().endSource()
                        .addNewSource().withNewConfigMap().withName("kube-root-ca.crt")
                            .addNewItem().withKey("ca.crt").withPath("ca.crt").endItem().endConfigMap().endSource()
                        .endProjected().build(),
                new VolumeBuilder().withName(DONE_VOLUME).withNewConfigMap().withName(Names.resultsConfigMap(plan.pj()))
                        .withOptional(true).endConfigMap().build());
    }

    /** Mounted in the writing container only. */
    static List<VolumeMount> mounts() {
        return List.of(
                new VolumeMountBuilder().withName(TOKEN_VOLUME).withMountPath(ResultsContract.TOKEN_DIR).withReadOnly(true).build(),
                new VolumeMountBuilder().withName(DONE_VOLUME).withMountPath(ResultsContract.DONE_DIR).withReadOnly(true).build());
    }

    /** The writer's environment: stream through the API server, how often, and who it is (downward API). */
    static List<EnvVar> env(Plan plan) {
        return List.of(
                value(ResultsContract.STREAM, ResultsContract.STREAM_API),
                value(ResultsContract.FLUSH_MILLIS, Long.toString(
                        ResultsContract.flushMillis(plan.parallelism(), JOB_WRITES_PER_SECOND, MAX_FLUSH_MILLIS))),
                field(ResultsContract.POD_NAME, "metadata.name"),
                field(ResultsContract.POD_UID, "metadata.uid"),
                field(ResultsContract.POD_NAMESPACE, "metadata.namespace"),
                field(ResultsContract.JOB_NAME, "metadata.labels['" + ResultsContract.JOB_NAME_LABEL + "']"),
                field(ResultsContract.JOB_UID, "metadata.labels['" + ResultsContract.JOB_UID_LABEL + "']"));
    }

    private static EnvVar value(String name, String value) {
        return new EnvVarBuilder().withName(name).withValue(value).build();
    }

    private static EnvVar field(String name, String path) {
        return new EnvVarBuilder().withName(name).withNewValueFrom().withNewFieldRef().withFieldPath(path).endFieldRef()
                .endValueFrom().build();
    }
}
