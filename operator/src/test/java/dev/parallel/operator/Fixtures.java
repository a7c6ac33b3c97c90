package dev.parallel.operator;

import dev.parallel.api.contract.Json;
import dev.parallel.api.contract.PartSummary;
import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.operator.plan.Names;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/** Test builders: ParallelJobs from YAML, and pods as the Job controller and kubelet would leave them. */
final class Fixtures {
    private Fixtures() {}

    static final OperatorSettings SETTINGS = new TestSettings(false, 600);

    /** As {@link #SETTINGS}, with Kueue support on (chart value kueue.enabled). */
    static final OperatorSettings KUEUE = new TestSettings(true, 600);

    /** The operator's settings in tests: the chart's defaults, except the two a test varies. */
    record TestSettings(boolean kueueEnabled, int missingReferenceTimeoutSeconds, boolean streaming) implements OperatorSettings {
        TestSettings(boolean kueueEnabled, int missingReferenceTimeoutSeconds) { this(kueueEnabled, missingReferenceTimeoutSeconds, true); }

        public String jobImage() { return "docker.io/parallel-dev/job:test"; }
        public String jobImagePullPolicy() { return "IfNotPresent"; }
        public String defaultCpu() { return "500m"; }
        public String defaultMemory() { return "512Mi"; }
        public int maxResultsBytes() { return 700_000; }
        public long jobPodUser() { return 1000; }
        public boolean networkPolicies() { return true; }
        public int resultsProgressIntervalSeconds() { return 5; }
        public String resultsStore() { return "cluster"; }
        public java.util.Optional<String> resultsS3Bucket() { return java.util.Optional.empty(); }
        public java.util.Optional<String> resultsS3Prefix() { return java.util.Optional.empty(); }
        public java.util.Optional<String> resultsS3Endpoint() { return java.util.Optional.empty(); }
        public String resultsS3Region() { return "us-east-1"; }
        public java.util.Optional<String> resultsS3SecretName() { return java.util.Optional.empty(); }
        public boolean resultsStream() { return streaming; }
    }

    /** The chart's results.store and results.s3.* values (null: unset), the rest as {@link #SETTINGS}. */
    record ResultsSettings(String resultsStore, String bucket, String prefix, String endpoint, String resultsS3Region,
                           String secretName) implements OperatorSettings {
        public String jobImage() { return SETTINGS.jobImage(); }
        public String jobImagePullPolicy() { return SETTINGS.jobImagePullPolicy(); }
        public String defaultCpu() { return SETTINGS.defaultCpu(); }
        public String defaultMemory() { return SETTINGS.defaultMemory(); }
        public int maxResultsBytes() { return SETTINGS.maxResultsBytes(); }
        public long jobPodUser() { return SETTINGS.jobPodUser(); }
        public boolean kueueEnabled() { return false; }
        public int missingReferenceTimeoutSeconds() { return 600; }
        public boolean networkPolicies() { return true; }
        public java.util.Optional<String> resultsS3Bucket() { return java.util.Optional.ofNullable(bucket); }
        public java.util.Optional<String> resultsS3Prefix() { return java.util.Optional.ofNullable(prefix); }
        public java.util.Optional<String> resultsS3Endpoint() { return java.util.Optional.ofNullable(endpoint); }
        public java.util.Optional<String> resultsS3SecretName() { return java.util.Optional.ofNullable(secretName); }
        public boolean resultsStream() { return true; }
        public int resultsProgressIntervalSeconds() { return 5; }
    }

    /** As {@link #SETTINGS}, with streamed results off operator-wide (chart value results.stream: false). */
    static final OperatorSettings NO_STREAM = new TestSettings(false, 600, false);

    static ParallelJob pj(String specYaml) {
        try {
            var yaml = new com.fasterxml.jackson.dataformat.yaml.YAMLMapper();
            ParallelJob pj = new ParallelJob();
            pj.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName("demo").withNamespace("ns1")
                    .withUid("uid-1").withGeneration(1L).build());
            pj.setSpec(yaml.readValue(specYaml, dev.parallel.api.v1alpha1.ParallelJobSpec.class));
            return pj;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Creates the ParallelJob {@code name} in ns1 from spec YAML (the server assigns its uid). */
    static ParallelJob create(io.fabric8.kubernetes.client.KubernetesClient client, String name, String spec) {
        ParallelJob pj = pj(spec);
        pj.getMetadata().setName(name);
        pj.getMetadata().setUid(null);
        pj.getMetadata().setNamespace("ns1");
        return client.resources(ParallelJob.class).inNamespace("ns1").resource(pj).create();
    }

    static dev.parallel.operator.plan.Plan plan(ParallelJob pj) {
        try {
            return dev.parallel.operator.plan.Planner.plan(pj, null);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A fluent ParallelJob spec: {@code spec().kernel("pi").range(0, 100).set("parallelism", 3).pj()}. */
    static Spec spec() { return new Spec(); }

    /** Collects spec fields as YAML lines (values in YAML flow syntax), then parses them as the API server would. */
    static final class Spec {
        private final StringBuilder yaml = new StringBuilder();

        Spec set(String field, Object yamlValue) {
            yaml.append(field).append(": ").append(yamlValue).append('\n');
            return this;
        }

        Spec kernel(String kernel) { return set("kernel", kernel); }

        Spec command(String command) { return set("command", command); }

        Spec range(int start, int end) { return set("tasks", "{range: {start: " + start + ", end: " + end + "}}"); }

        Spec range(int start, int end, String param) {
            return set("tasks", "{range: {start: " + start + ", end: " + end + ", param: " + param + "}}");
        }

        ParallelJob pj() { return Fixtures.pj(yaml.toString()); }

        dev.parallel.operator.plan.Plan plan() { return Fixtures.plan(pj()); }
    }

    /** A pod of index {@code part} in {@code phase}, terminated with {@code message} (null: still running). */
    static Pod pod(String name, int part, String phase, String message, int exitCode, String created) {
        var status = new ContainerStatusBuilder().withName("worker");
        if (message != null || !"Running".equals(phase)) {
            status.withNewState().withNewTerminated().withExitCode(exitCode).withMessage(message)
                    .withReason(exitCode == 0 ? "Completed" : "Error").endTerminated().endState();
        }
        return new PodBuilder()
                .withNewMetadata().withName(name).withNamespace("ns1").withCreationTimestamp(created)
                    .withLabels(Map.of(Names.LABEL_JOB_NAME, "demo", Names.LABEL_MANAGED_BY, Names.MANAGED_BY))
                    .withAnnotations(Map.of(Names.ANNOTATION_COMPLETION_INDEX, Integer.toString(part)))
                .endMetadata()
                .withNewStatus().withPhase(phase).withStartTime(created).withContainerStatuses(status.build()).endStatus()
                .build();
    }

    static String summary(int part, long tasks, long ok, long failed, String partialJson) {
        try {
            return new PartSummary(part, tasks, ok, failed, 0, partialJson == null ? null : Json.mapper().readTree(partialJson),
                    false, failed == 0 ? List.of() : List.of(new PartSummary.FailedTask("t" + part, "boom")), false, 10,
                    "threads", null, null).encode();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
