package dev.parallel.operator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import dev.parallel.api.testing.Preconditions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The chart as users install it (real helm: hack/build-binaries.sh builds it; `make test` puts it on
 * PATH): lint clean, renders for each documented option, and grants exactly the permissions below.
 */
class HelmChartTest {
    static final String CHART = "../helm/parallel-job-operator";
    /** Every permission the operator has: group/resource: verbs. Anything else is a review finding. */
    static final List<String> EXPECTED = List.of(
            "/configmaps: create,delete,get,list,update,watch",
            "/events: create,list,patch",
            "/pods/log: get",
            "/pods: get,list,watch",
            "/secrets: create,delete",
            "/secrets: get",
            "/serviceaccounts: create,delete,get",
            "/services: create,delete",
            "batch/jobs: create,delete,get,list,patch,watch",
            "events.k8s.io/events: create,patch",
            "networking.k8s.io/networkpolicies: create",
            "parallel.dev/paralleljobs/status: get,patch,update",
            "parallel.dev/paralleljobs: get,list,watch",
            "parallel.dev/taskresultbatches: create,delete,deletecollection,get,list,watch",
            "rbac.authorization.k8s.io/rolebindings: create,delete,get",
            "rbac.authorization.k8s.io/roles: create,delete,get");

    /** results.stream: false takes away exactly the writer identity's permissions (batches are still folded and removed). */
    static final List<String> WITHOUT_STREAM = EXPECTED.stream().filter(p -> !p.startsWith("rbac."))
            .map(p -> p.startsWith("/serviceaccounts") ? "/serviceaccounts: get" : p).toList();

    record Run(int code, String out, String err) {}

    /** helm with a real timeout; output goes to files, so neither stream can fill up and block it. */
    static Run helm(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("helm"));
        cmd.addAll(List.of(args));
        var out = java.nio.file.Files.createTempFile("helm", ".out");
        var err = java.nio.file.Files.createTempFile("helm", ".err");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("helm did not finish in 60 s: " + cmd);
        }
        try {
            return new Run(p.exitValue(), java.nio.file.Files.readString(out), java.nio.file.Files.readString(err));
        } finally {
            java.nio.file.Files.delete(out);
            java.nio.file.Files.delete(err);
        }
    }

    static boolean helmFound;

    @BeforeAll
    static void findHelm() {
        try {
            helmFound = helm("version", "--short").code() == 0;
        } catch (Exception e) {
            helmFound = false;
        }
    }

    @BeforeEach
    void needsHelm() {
        Preconditions.need("helm", helmFound, "helm is not on PATH: `make test` puts the one hack/build-binaries.sh builds there");
    }

    static List<JsonNode> render(String... sets) throws Exception {
        List<String> args = new ArrayList<>(List.of("template", "pj", CHART, "-n", "ops"));
        for (String s : sets) args.addAll(List.of("--set", s));
        Run r = helm(args.toArray(String[]::new));
        assertThat(r.code()).as(r.err()).isZero();
        List<JsonNode> docs = new ArrayList<>();
        try (var parser = new YAMLMapper().getFactory().createParser(r.out())) {
            var it = new YAMLMapper().readValues(parser, JsonNode.class);
            while (it.hasNext()) {
                JsonNode d = it.next();
                if (d != null && d.has("kind")) docs.add(d);
            }
        }
        return docs;
    }

    static List<String> permissions(JsonNode role) {
        TreeSet<String> out = new TreeSet<>();
        for (JsonNode rule : role.get("rules")) {
            TreeSet<String> verbs = new TreeSet<>();
            rule.get("verbs").forEach(v -> verbs.add(v.asText()));
            for (JsonNode g : rule.get("apiGroups")) {
                for (JsonNode res : rule.get("resources")) {
                    out.add(g.asText() + "/" + res.asText() + ": " + String.join(",", verbs));
                }
            }
        }
        return List.copyOf(out);
    }

    @Test
    void lintIsClean() throws Exception {
        Run r = helm("lint", CHART, "--strict");
        assertThat(r.code()).as(r.out() + r.err()).isZero();
    }

    @Test
    void defaultInstallGrantsExactlyTheExpectedClusterPermissions() throws Exception {
        var docs = render();
        var roles = docs.stream().filter(d -> d.get("kind").asText().equals("ClusterRole")).toList();
        assertThat(roles).hasSize(1);
        assertThat(permissions(roles.get(0))).containsExactlyElementsOf(EXPECTED);
        assertThat(roles.get(0).toString()).doesNotContain("\"*\"").doesNotContain("pods/exec");
        var lease = docs.stream().filter(d -> d.get("kind").asText().equals("Role")).toList();
        assertThat(lease).singleElement().satisfies(r -> {
            assertThat(r.at("/metadata/namespace").asText()).isEqualTo("ops");
            assertThat(permissions(r)).containsExactly("coordination.k8s.io/leases: create,get,patch,update");
        });
        var deployment = docs.stream().filter(d -> d.get("kind").asText().equals("Deployment")).findFirst().orElseThrow();
        var pod = deployment.at("/spec/template/spec");
        assertThat(pod.at("/securityContext/runAsNonRoot").asBoolean()).isTrue();
        assertThat(pod.at("/securityContext/seccompProfile/type").asText()).isEqualTo("RuntimeDefault");
        var c = pod.at("/containers/0");
        assertThat(c.at("/securityContext/allowPrivilegeEscalation").asBoolean(true)).isFalse();
        assertThat(c.at("/securityContext/capabilities/drop/0").asText()).isEqualTo("ALL");
        assertThat(c.at("/livenessProbe/httpGet/path").asText()).isEqualTo("/q/health/live");
        assertThat(c.at("/readinessProbe/httpGet/path").asText()).isEqualTo("/q/health/ready");
    }

    @Test
    void theS3ResultsDefaultNeedsABucketAndASecretAndReachesTheOperator() throws Exception {
        Run missing = helm("template", "pj", CHART, "--set", "results.store=s3", "--set", "results.s3.secretName=creds");
        assertThat(missing.code()).isNotZero();
        assertThat(missing.err()).contains("results.store is s3: set results.s3.bucket");
        var env = render("results.store=s3", "results.s3.bucket=runs", "results.s3.secretName=creds",
                "results.s3.endpoint=http://seaweedfs.storage:8333", "results.s3.prefix=team-a").stream()
                .filter(d -> d.get("kind").asText().equals("Deployment")).findFirst().orElseThrow()
                .at("/spec/template/spec/containers/0/env").toString();
        assertThat(env).contains("{\"name\":\"PARALLEL_JOB_RESULTS_STORE\",\"value\":\"s3\"}",
                "{\"name\":\"PARALLEL_JOB_RESULTS_S3_BUCKET\",\"value\":\"runs\"}",
                "{\"name\":\"PARALLEL_JOB_RESULTS_S3_SECRET_NAME\",\"value\":\"creds\"}",
                "{\"name\":\"PARALLEL_JOB_RESULTS_S3_ENDPOINT\",\"value\":\"http://seaweedfs.storage:8333\"}",
                "{\"name\":\"PARALLEL_JOB_RESULTS_S3_PREFIX\",\"value\":\"team-a\"}");
    }

    @Test
    void watchingNamespacesUsesRolesNotAClusterRole() throws Exception {
        var docs = render("watchNamespaces={team-a,team-b}");
        assertThat(docs).noneMatch(d -> d.get("kind").asText().startsWith("Cluster"));
        var roles = docs.stream().filter(d -> d.get("kind").asText().equals("Role")
                && !d.at("/metadata/name").asText().endsWith("-leader-election")).toList();
        assertThat(roles).extracting(r -> r.at("/metadata/namespace").asText()).containsExactly("team-a", "team-b");
        roles.forEach(r -> assertThat(permissions(r)).containsExactlyElementsOf(EXPECTED));
        var env = docs.stream().filter(d -> d.get("kind").asText().equals("Deployment")).findFirst().orElseThrow()
                .at("/spec/template/spec/containers/0/env").toString();
        assertThat(env).contains("\"team-a,team-b\"");
    }

    /** kueue.enabled adds exactly what the Workload step uses; off, nothing on Kueue's objects (the default test). */
    static final List<String> KUEUE_EXTRA = List.of(
            "batch/jobs/status: patch",
            "kueue.x-k8s.io/workloads/status: patch,update",
            "kueue.x-k8s.io/workloads: create,delete,get,list,patch,watch");
    static final List<String> KUEUE_CLUSTER = List.of(
            "kueue.x-k8s.io/resourceflavors: get",
            "kueue.x-k8s.io/workloadpriorityclasses: get",
            "scheduling.k8s.io/priorityclasses: get");

    @Test
    void kueueSupportAddsExactlyTheWorkloadPermissionsAndTheSetting() throws Exception {
        for (String ns : List.of("", "watchNamespaces={team-a}")) {
            var docs = ns.isEmpty() ? render("kueue.enabled=true") : render("kueue.enabled=true", ns);
            var main = docs.stream().filter(d -> d.get("kind").asText().endsWith("Role") && !d.get("kind").asText().endsWith("Binding")
                    && d.at("/metadata/name").asText().equals("pj-parallel-job-operator")).toList();
            List<String> expected = new ArrayList<>(EXPECTED);
            expected.addAll(KUEUE_EXTRA);
            assertThat(main).isNotEmpty().allSatisfy(r -> assertThat(permissions(r)).containsExactlyInAnyOrderElementsOf(expected));
            var cluster = docs.stream().filter(d -> d.get("kind").asText().equals("ClusterRole")
                    && d.at("/metadata/name").asText().endsWith("-kueue")).toList();
            assertThat(cluster).singleElement().satisfies(r -> assertThat(permissions(r)).containsExactlyElementsOf(KUEUE_CLUSTER));
            assertThat(docs).anyMatch(d -> d.get("kind").asText().equals("ClusterRoleBinding")
                    && d.at("/metadata/name").asText().endsWith("-kueue"));
            var env = docs.stream().filter(d -> d.get("kind").asText().equals("Deployment")).findFirst().orElseThrow()
                    .at("/spec/template/spec/containers/0/env").toString();
            assertThat(env).contains("{\"name\":\"PARALLEL_JOB_KUEUE_ENABLED\",\"value\":\"true\"}");
        }
        var off = render();
        assertThat(off).noneMatch(d -> d.toString().contains("kueue.x-k8s.io"));
        assertThat(off.stream().filter(d -> d.get("kind").asText().equals("Deployment")).findFirst().orElseThrow()
                .at("/spec/template/spec/containers/0/env").toString()).contains("{\"name\":\"PARALLEL_JOB_KUEUE_ENABLED\",\"value\":\"false\"}");
    }

    /** The results admission policy: on by default, exempting exactly the operator's account; gone with streaming off. */
    @Test
    void streamedResultsBringTheAdmissionPolicyAndTurnOffCleanly() throws Exception {
        var docs = render();
        var policy = docs.stream().filter(d -> d.get("kind").asText().equals("ValidatingAdmissionPolicy")).toList();
        assertThat(policy).singleElement().satisfies(p -> {
            assertThat(p.at("/spec/matchConditions/0/expression").asText())
                    .contains("!= 'system:serviceaccount:ops:pj-parallel-job-operator'");
            assertThat(p.at("/spec/failurePolicy").asText()).isEqualTo("Fail");
            List<String> rules = new ArrayList<>();
            p.at("/spec/validations").forEach(v -> rules.add((v.has("message") ? v.get("message") : v.get("messageExpression"))
                    .asText().replaceAll("^'?rule ([a-z-]+):.*$", "$1").replaceAll("(?s)^'?rule ([a-z-]+):.*", "$1")));
            assertThat(rules).containsExactly("pod-token", "pod-label", "pod-uid-label", "name", "part-label", "job-pod",
                    "spec-part", "owner");
        });
        var binding = docs.stream().filter(d -> d.get("kind").asText().equals("ValidatingAdmissionPolicyBinding")).toList();
        assertThat(binding).singleElement().satisfies(b -> {
            assertThat(b.at("/spec/policyName").asText()).isEqualTo(policy.get(0).at("/metadata/name").asText());
            assertThat(b.at("/spec/validationActions").toString()).isEqualTo("[\"Deny\"]");
            assertThat(b.at("/spec/matchResources").isMissingNode()).as("every namespace").isTrue();
        });
        var scoped = render("watchNamespaces={team-a,team-b}").stream()
                .filter(d -> d.get("kind").asText().equals("ValidatingAdmissionPolicyBinding")).findFirst().orElseThrow();
        assertThat(scoped.at("/spec/matchResources/namespaceSelector/matchExpressions/0/values").toString())
                .isEqualTo("[\"team-a\",\"team-b\"]");
        assertThat(docs.stream().filter(d -> d.get("kind").asText().equals("Deployment")).findFirst().orElseThrow()
                .at("/spec/template/spec/containers/0/env").toString()).contains("{\"name\":\"PARALLEL_JOB_RESULTS_STREAM\",\"value\":\"true\"}");

        var off = render("results.stream=false");
        assertThat(off).noneMatch(d -> d.get("kind").asText().startsWith("ValidatingAdmissionPolicy"));
        var role = off.stream().filter(d -> d.get("kind").asText().equals("ClusterRole")).findFirst().orElseThrow();
        assertThat(permissions(role)).containsExactlyElementsOf(WITHOUT_STREAM);
        assertThat(off.stream().filter(d -> d.get("kind").asText().equals("Deployment")).findFirst().orElseThrow()
                .at("/spec/template/spec/containers/0/env").toString()).contains("{\"name\":\"PARALLEL_JOB_RESULTS_STREAM\",\"value\":\"false\"}");
    }

    @Test
    void everyDocumentedOptionRenders() throws Exception {
        assertThat(render("metrics.serviceMonitor.enabled=true"))
                .anyMatch(d -> d.get("kind").asText().equals("ServiceMonitor"));
        assertThat(render("metrics.enabled=false")).noneMatch(d -> d.get("kind").asText().equals("Service"));
        render("replicas=2", "logging.level=DEBUG", "logging.json=true", "image.tag=dev", "nodeSelector.disk=ssd",
                "jobDefaults.image=registry.example/job:1", "jobDefaults.maxResultsBytes=100000");
    }

    /** Pod users >= 10000 by default, overridable; the operator's NetworkPolicy admits only its HTTP port. */
    @Test
    void defaultUsersAreHighAndNetworkPoliciesAreOnAndCanBeTurnedOff() throws Exception {
        var docs = render();
        var deployment = docs.stream().filter(d -> d.get("kind").asText().equals("Deployment")).findFirst().orElseThrow();
        var pod = deployment.at("/spec/template/spec");
        assertThat(pod.at("/securityContext/runAsUser").asLong()).isEqualTo(10000);
        assertThat(pod.at("/securityContext/runAsGroup").asLong()).isEqualTo(10000);
        String env = pod.at("/containers/0/env").toString();
        assertThat(env).contains("{\"name\":\"PARALLEL_JOB_JOB_POD_USER\",\"value\":\"10000\"}")
                .contains("{\"name\":\"PARALLEL_JOB_NETWORK_POLICIES\",\"value\":\"true\"}")
                .contains("{\"name\":\"PARALLEL_JOB_MISSING_REFERENCE_TIMEOUT_SECONDS\",\"value\":\"600\"}");
        var policies = docs.stream().filter(d -> d.get("kind").asText().equals("NetworkPolicy")).toList();
        assertThat(policies).singleElement().satisfies(np -> {
            assertThat(np.at("/metadata/namespace").asText()).isEqualTo("ops");
            assertThat(np.at("/spec/podSelector/matchLabels")).isEqualTo(deployment.at("/spec/selector/matchLabels"));
            assertThat(np.at("/spec/policyTypes").toString()).isEqualTo("[\"Ingress\"]");
            assertThat(np.at("/spec/ingress").size()).isEqualTo(1);
            assertThat(np.at("/spec/ingress/0/from").isMissingNode()).as("from anywhere: Prometheus, the kubelet").isTrue();
            assertThat(np.at("/spec/ingress/0/ports").toString()).isEqualTo("[{\"port\":8080,\"protocol\":\"TCP\"}]");
            assertThat(pod.at("/containers/0/ports").toString()).contains("\"containerPort\":8080");
        });
        var off = render("networkPolicies.enabled=false", "podSecurityContext.runAsUser=20000", "jobDefaults.podUser=30000");
        assertThat(off).noneMatch(d -> d.get("kind").asText().equals("NetworkPolicy"));
        var role = off.stream().filter(d -> d.get("kind").asText().equals("ClusterRole")).findFirst().orElseThrow();
        assertThat(permissions(role)).noneMatch(p -> p.startsWith("networking.k8s.io"));
        var offPod = off.stream().filter(d -> d.get("kind").asText().equals("Deployment")).findFirst().orElseThrow().at("/spec/template/spec");
        assertThat(offPod.at("/securityContext/runAsUser").asLong()).isEqualTo(20000);
        assertThat(offPod.at("/containers/0/env").toString()).contains("{\"name\":\"PARALLEL_JOB_JOB_POD_USER\",\"value\":\"30000\"}")
                .contains("{\"name\":\"PARALLEL_JOB_NETWORK_POLICIES\",\"value\":\"false\"}");
    }

    @Test
    void valuesSchemaRejectsUnknownKeysAndWrongTypes() throws Exception {
        Run r = helm("template", "pj", CHART, "--set", "replica=2");
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains("replica").contains("additional properties");
        r = helm("template", "pj", CHART, "--set", "logging.level=LOUD");
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains("/logging/level").contains("must be one of");
    }
}
