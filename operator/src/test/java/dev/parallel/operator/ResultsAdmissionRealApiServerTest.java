package dev.parallel.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.parallel.api.contract.ResultsContract;
import dev.parallel.api.testing.Preconditions;
import dev.parallel.api.v1alpha1.TaskResultBatch;
import dev.parallel.operator.plan.Plan;
import dev.parallel.operator.plan.ResultWriter;
import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.FileInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The chart's TaskResultBatch admission policy and the writer's RBAC on a REAL kube-apiserver (kube-api-test;
 * helm renders the chart). A pod-bound token cannot be minted without a kubelet, so the callers are
 * impersonated: the writer account with the extra values a pod-bound token carries
 * ({@code Impersonate-Extra-authentication.kubernetes.io%2Fpod-name}), without them, and the operator's own
 * account. Every rule of the policy refuses its case with its message; the right batch is created.
 */
class ResultsAdmissionRealApiServerTest {
    static final String NS = "ns1";
    static final String WRITER = "system:serviceaccount:ns1:demo-result-writer";
    static final String OPERATOR = "system:serviceaccount:ops:pj-parallel-job-operator";
    static final String POD = "demo-0-abcde";
    static final String UID = "0b7c4f0e-0000-4000-8000-000000000000";
    static final AtomicLong SEQ = new AtomicLong();

    static KubeAPIServer server;
    static KubernetesClient admin;
    static String missing;

    @BeforeEach
    void needs() {
        Preconditions.need("kube-apiserver", missing == null, missing);
        Preconditions.need("helm", HelmChartTest.helmFound, "helm is not on PATH: `make test` puts the one hack/build-binaries.sh builds there");
    }

    @BeforeAll
    static void start() throws Exception {
        HelmChartTest.findHelm();
        Path dir = Path.of(System.getenv().getOrDefault("KUBE_API_TEST_DIR", System.getProperty("user.home") + "/.kubeapitest"), "k8s");
        boolean present;
        try (var s = Files.exists(dir) ? Files.list(dir) : java.util.stream.Stream.<Path>empty()) {
            present = s.anyMatch(p -> Files.isExecutable(p.resolve("kube-apiserver")));
        }
        if (!present) {
            missing = "no kube-apiserver under " + dir + ": run `make test-unit` (links the binaries "
                    + "hack/build-binaries.sh built) to run the real-API-server tests";
            return;
        }
        if (!HelmChartTest.helmFound) return;
        server = new KubeAPIServer(KubeAPIServerConfigBuilder.anAPIServerConfig().withOfflineMode(true)
                .withUpdateKubeConfig(false).build());
        server.start();
        admin = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(server.getKubeConfigYaml())).build();
        CustomResourceDefinition crd;
        try (var in = new FileInputStream("../crds/taskresultbatches.parallel.dev-v1.yml")) {
            crd = admin.apiextensions().v1().customResourceDefinitions().load(in).item();
        }
        admin.apiextensions().v1().customResourceDefinitions().resource(crd).create();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            var c = admin.apiextensions().v1().customResourceDefinitions().withName(crd.getMetadata().getName()).get();
            return c.getStatus() != null && c.getStatus().getConditions().stream()
                    .anyMatch(x -> "Established".equals(x.getType()) && "True".equals(x.getStatus()));
        });
        admin.namespaces().resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder().withNewMetadata().withName(NS)
                .endMetadata().build()).create();
        // The chart's policy and binding, as a default install renders them (release pj in namespace ops).
        for (var d : HelmChartTest.render()) {
            if (d.get("kind").asText().startsWith("ValidatingAdmissionPolicy")) admin.resource(d.toString()).create();
        }
        // The writer identity of ParallelJob demo, as the Deployer creates it (no garbage collector runs here).
        for (var o : ResultWriter.objects(Fixtures.plan(Fixtures.pj("kernel: pi\ntasks: {range: {start: 0, end: 4}}")))) {
            admin.resource(o).create();
        }
        // The policy applies once the API server has loaded and type-checked it.
        await().atMost(Duration.ofSeconds(30)).ignoreExceptionsMatching(e -> false).until(() -> {
            try {
                as(WRITER, null, null).resources(TaskResultBatch.class).inNamespace(NS).resource(batch(b -> {})).create();
                return false;
            } catch (KubernetesClientException e) {
                return e.getCode() == 403 && e.getMessage().contains("rule pod-token");
            }
        });
    }

    @AfterAll
    static void stop() {
        if (admin != null) admin.close();
        if (server != null) server.stop();
    }

    /** A client acting as {@code user}, with the pod a pod-bound token would name (null: a token bound to no pod). */
    static KubernetesClient as(String user, String pod, String uid, String... groups) {
        Config c = Config.fromKubeconfig(server.getKubeConfigYaml());
        c.setImpersonateUsername(user);
        if (groups.length > 0) c.setImpersonateGroups(groups);
        Map<String, List<String>> extra = new LinkedHashMap<>();
        // Extra names are percent-encoded in the header name ('/' is not a header character).
        extra.put("authentication.kubernetes.io%2Fcredential-id", List.of("JTI=test"));
        if (pod != null) extra.put("authentication.kubernetes.io%2Fpod-name", List.of(pod));
        if (uid != null) extra.put("authentication.kubernetes.io%2Fpod-uid", List.of(uid));
        c.setImpersonateExtras(extra);
        return new KubernetesClientBuilder().withConfig(c).build();
    }

    static OwnerReference job(String kind, String apiVersion, String name) {
        return new OwnerReferenceBuilder().withKind(kind).withApiVersion(apiVersion).withName(name)
                .withUid("11111111-0000-4000-8000-000000000000").build();
    }

    /** What pod {@link #POD} (part 0 of Job demo) writes, changed by {@code edit}. */
    static TaskResultBatch batch(Consumer<TaskResultBatch> edit) {
        var b = new TaskResultBatch();
        b.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
                .withName(ResultsContract.batchName(POD, SEQ.incrementAndGet()))
                .withLabels(new LinkedHashMap<>(Map.of(ResultsContract.LABEL_JOB, "demo", ResultsContract.LABEL_PART, "0",
                        ResultsContract.LABEL_POD, POD, ResultsContract.LABEL_POD_UID, UID)))
                .withOwnerReferences(new ArrayList<>(List.of(job("Job", "batch/v1", "demo"))))
                .build());
        var s = new TaskResultBatch.Spec();
        s.part = 0;
        s.seq = SEQ.get();
        s.count = 1;
        s.records = "{\"index\":0,\"id\":\"0\",\"ok\":true,\"value\":1,\"attempts\":1,\"millis\":3}\n";
        s.last = false;
        b.setSpec(s);
        edit.accept(b);
        return b;
    }

    static TaskResultBatch createAs(KubernetesClient c, TaskResultBatch b) {
        try (c) {
            return c.resources(TaskResultBatch.class).inNamespace(NS).resource(b).create();
        }
    }

    static void label(TaskResultBatch b, String key, String value) { b.getMetadata().getLabels().put(key, value); }

    @Test
    void itsOwnPodsBatchIsCreated() {
        var created = createAs(as(WRITER, POD, UID), batch(b -> {}));
        assertThat(created.getMetadata().getUid()).isNotBlank();
        assertThat(created.getMetadata().getLabels()).containsEntry(ResultsContract.LABEL_POD, POD);
    }

    /** Each row breaks one thing; the policy names the rule (only the first failing rule is reported). */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            another pod's name in the label     | pod-label     | rule pod-label: label parallel.dev/pod must equal the calling pod name "demo-0-abcde", got "demo-1-zzzzz"
            another pod's UID                   | pod-uid-label | rule pod-uid-label: label parallel.dev/pod-uid must equal the calling pod UID
            another pod's object name           | name          | rule name: the name must start with the calling pod name and a dot, "demo-0-abcde."
            a part that is not a number         | part-nan      | rule part-label: label parallel.dev/part must be the pod completion index
            another part                        | part          | rule job-pod: the calling pod "demo-0-abcde" is not pod 1 of Job "demo"
            another ParallelJob's Job           | job           | rule job-pod: the calling pod "demo-0-abcde" is not pod 0 of Job "other"
            spec.part is not the label's        | spec-part     | rule spec-part: spec.part must equal label parallel.dev/part 0, got 1
            owned by its pod, not the Job       | owner-kind    | rule owner: ownerReferences must be exactly one, the Job
            owned by another Job                | owner-name    | rule owner: ownerReferences must be exactly one, the Job
            owned by the Job and another        | owner-two     | rule owner: ownerReferences must be exactly one, the Job
            owned by nothing                    | owner-none    | rule owner: ownerReferences must be exactly one, the Job
            """)
    void everyRuleRefusesItsCase(String what, String change, String message) {
        var b = batch(x -> {});
        switch (change) {
            case "pod-label" -> label(b, ResultsContract.LABEL_POD, "demo-1-zzzzz");
            case "pod-uid-label" -> label(b, ResultsContract.LABEL_POD_UID, "22222222-0000-4000-8000-000000000000");
            case "name" -> b.getMetadata().setName("demo-1-zzzzz.000001");
            case "part-nan" -> label(b, ResultsContract.LABEL_PART, "x");
            case "part" -> {
                label(b, ResultsContract.LABEL_PART, "1");
                b.getSpec().part = 1;
            }
            case "job" -> {
                label(b, ResultsContract.LABEL_JOB, "other");
                b.getMetadata().setOwnerReferences(List.of(job("Job", "batch/v1", "other")));
            }
            case "spec-part" -> b.getSpec().part = 1;
            case "owner-kind" -> b.getMetadata().setOwnerReferences(List.of(job("Pod", "v1", POD)));
            case "owner-name" -> b.getMetadata().setOwnerReferences(List.of(job("Job", "batch/v1", "other")));
            case "owner-two" -> b.getMetadata().setOwnerReferences(List.of(job("Job", "batch/v1", "demo"), job("Pod", "v1", POD)));
            case "owner-none" -> b.getMetadata().setOwnerReferences(List.of());
            default -> throw new IllegalArgumentException(change);
        }
        assertThatThrownBy(() -> createAs(as(WRITER, POD, UID), b)).as(what)
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
                    assertThat(e.getCode()).isEqualTo(403);
                    assertThat(e.getMessage()).contains("ValidatingAdmissionPolicy").contains(message);
                });
    }

    /** A token bound to no pod (kubectl create token: only credential-id), or a legacy one (no extra at all). */
    @Test
    void aCallerThatIsNoPodIsRefused() {
        for (var c : List.of(as(WRITER, null, null), as(WRITER, POD, null))) {
            assertThatThrownBy(() -> createAs(c, batch(b -> {})))
                    .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
                        assertThat(e.getCode()).isEqualTo(403);
                        assertThat(e.getMessage()).contains("rule pod-token").contains("credentials name no pod");
                    });
        }
        Config legacy = Config.fromKubeconfig(server.getKubeConfigYaml());
        legacy.setImpersonateUsername(WRITER);
        try (var c = new KubernetesClientBuilder().withConfig(legacy).build()) {
            assertThatThrownBy(() -> c.resources(TaskResultBatch.class).inNamespace(NS).resource(batch(b -> {})).create())
                    .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getMessage()).contains("rule pod-token"));
        }
    }

    /** Job pod names cut the Job-name prefix at 58 characters (the Job controller's podGenerateNameWithIndex). */
    @Test
    void aLongJobNamesPodsAreRecognisedAsTheJobControllerNamesThem() {
        String longJob = "l".repeat(56);
        String pod = longJob.substring(0, 54) + "-12-abcde"; // 63 characters
        String uid = "33333333-0000-4000-8000-000000000000";
        var b = batch(x -> {
            x.getMetadata().setName(ResultsContract.batchName(pod, 1));
            label(x, ResultsContract.LABEL_JOB, longJob);
            label(x, ResultsContract.LABEL_PART, "12");
            label(x, ResultsContract.LABEL_POD, pod);
            label(x, ResultsContract.LABEL_POD_UID, uid);
            x.getSpec().part = 12;
            x.getMetadata().setOwnerReferences(List.of(job("Job", "batch/v1", longJob)));
        });
        assertThat(createAs(as(WRITER, pod, uid), b).getMetadata().getName()).isEqualTo(pod + ".000001");
        // A name the Job controller would not give pod 12 (the prefix one character short) is refused.
        String wrong = longJob.substring(0, 53) + "-12-abcdef";
        var w = batch(x -> {
            x.getMetadata().setName(ResultsContract.batchName(wrong, 1));
            label(x, ResultsContract.LABEL_JOB, longJob);
            label(x, ResultsContract.LABEL_PART, "12");
            label(x, ResultsContract.LABEL_POD, wrong);
            label(x, ResultsContract.LABEL_POD_UID, uid);
            x.getSpec().part = 12;
            x.getMetadata().setOwnerReferences(List.of(job("Job", "batch/v1", longJob)));
        });
        assertThatThrownBy(() -> createAs(as(WRITER, wrong, uid), w))
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getMessage()).contains("rule job-pod"));
    }

    /** The Role gives create and nothing else: the writer cannot read its own batches, nor pods or secrets, nor edit. */
    @Test
    void theWriterCanReadNothing() {
        var mine = createAs(as(WRITER, POD, UID), batch(b -> {}));
        try (var c = as(WRITER, POD, UID)) {
            List<Runnable> reads = List.of(
                    () -> c.resources(TaskResultBatch.class).inNamespace(NS).list(),
                    () -> c.resources(TaskResultBatch.class).inNamespace(NS).withName(mine.getMetadata().getName()).get(),
                    () -> c.resources(TaskResultBatch.class).inNamespace(NS).withName(mine.getMetadata().getName()).delete(),
                    () -> c.resources(TaskResultBatch.class).inNamespace(NS).resource(mine).update(),
                    () -> c.pods().inNamespace(NS).list(),
                    () -> c.secrets().inNamespace(NS).withName("anything").get(),
                    () -> c.configMaps().inNamespace(NS).list());
            for (Runnable r : reads) {
                assertThatThrownBy(r::run).isInstanceOfSatisfying(KubernetesClientException.class,
                        e -> assertThat(e.getCode()).isEqualTo(403));
            }
        }
        // Another account of the namespace, even as a pod, is not bound to the Role.
        assertThatThrownBy(() -> createAs(as("system:serviceaccount:ns1:default", POD, UID), batch(b -> {})))
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
                    assertThat(e.getCode()).isEqualTo(403);
                    assertThat(e.getMessage()).doesNotContain("ValidatingAdmissionPolicy");
                });
    }

    /** The operator's own account (no pod) is exempt, and so is a user (not a service account) such as an admin. */
    @Test
    void theOperatorAndAdminsAreNotBoundByThePolicy() {
        var odd = batch(b -> {
            b.getMetadata().setName("anything.000001");
            b.getMetadata().setOwnerReferences(List.of());
        });
        assertThat(createAs(as(OPERATOR, null, null, "system:masters"), odd).getMetadata().getName()).isEqualTo("anything.000001");
        var other = batch(b -> {
            b.getMetadata().setName("anything.000002");
            b.getMetadata().setOwnerReferences(List.of());
        });
        assertThat(admin.resources(TaskResultBatch.class).inNamespace(NS).resource(other).create()).isNotNull();
        // The same as any other service account is refused: the exemption is the operator's name, not the group.
        var third = batch(b -> b.getMetadata().setName("anything.000003"));
        assertThatThrownBy(() -> createAs(as("system:serviceaccount:ops:someone", null, null, "system:masters"), third))
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getMessage()).contains("rule pod-token"));
    }

    /** spec.serviceAccountName: the user's account is bound to the create-only Role, and the same rules hold. */
    @Test
    void aUsersAccountWritesUnderTheSameRules() {
        var pj = Fixtures.pj("kernel: pi\ntasks: {range: {start: 0, end: 4}}\nserviceAccountName: reader");
        pj.getMetadata().setName("demo2");
        Plan plan = Fixtures.plan(pj);
        for (var o : ResultWriter.objects(plan)) admin.resource(o).create();
        String pod = "demo2-0-abcde";
        var b = batch(x -> {
            x.getMetadata().setName(ResultsContract.batchName(pod, 1));
            label(x, ResultsContract.LABEL_JOB, "demo2");
            label(x, ResultsContract.LABEL_POD, pod);
            x.getMetadata().setOwnerReferences(List.of(job("Job", "batch/v1", "demo2")));
        });
        assertThat(createAs(as("system:serviceaccount:ns1:reader", pod, UID), b)).isNotNull();
        var forDemo = batch(x -> {
            x.getMetadata().setName(ResultsContract.batchName(pod, 2));
            label(x, ResultsContract.LABEL_POD, pod);
        });
        assertThatThrownBy(() -> createAs(as("system:serviceaccount:ns1:reader", pod, UID), forDemo))
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getMessage()).contains("rule job-pod"));
    }
}
