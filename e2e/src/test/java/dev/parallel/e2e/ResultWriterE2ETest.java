package dev.parallel.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.parallel.testkit.ParallelJobExtension;
import dev.parallel.testkit.TestNamespace;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Who may write streamed results, on a real cluster: a running ParallelJob's writer identity (ServiceAccount,
 * create-only Role, RoleBinding, owned by it), its pods running as it with the token in the writing container only,
 * and crafted requests from inside a pod that runs as that account with a pod-bound projected token (the job
 * image's JDK runs resources/result-writer/Probe.java): each lie about who it is refused by the chart's admission
 * policy with its rule's message, its own correct batch created, every read refused by RBAC.
 */
@ExtendWith(ParallelJobExtension.class)
class ResultWriterE2ETest {
    static final String NAME = "e2e-writer";
    static final String OTHER = "e2e-writer-other";
    static String NS;

    @BeforeAll
    static void namespace(TestNamespace ns) { NS = ns.name(); }

    static Map<String, String> probe(String image, String jobUid) throws Exception {
        var c = Cluster.client();
        String source;
        try (InputStream in = ResultWriterE2ETest.class.getResourceAsStream("/result-writer/Probe.java")) {
            source = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        c.configMaps().inNamespace(NS).resource(new ConfigMapBuilder().withNewMetadata().withName("writer-probe").endMetadata()
                .addToData("Probe.java", source).build()).serverSideApply();
        // Named as the Job controller names pod 0 of the Job: the policy checks the name's shape (anyone who may create
        // pods as the writer account can pose as one: pods/create is the trust boundary, docs/contract.md).
        String podName = NAME + "-0-probe";
        Pod pod = new PodBuilder()
                .withNewMetadata().withName(podName).endMetadata()
                .withNewSpec()
                    .withRestartPolicy("Never")
                    .withServiceAccountName(NAME + "-result-writer")
                    .withAutomountServiceAccountToken(false)
                    .withNewSecurityContext().withRunAsNonRoot(true).withRunAsUser(10000L).withRunAsGroup(10000L)
                        .withFsGroup(10000L).withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile().endSecurityContext()
                    .addNewContainer().withName("probe").withImage(image).withCommand("java", "/probe/Probe.java")
                        .addNewEnv().withName("PJ_POD_NAME").withNewValueFrom().withNewFieldRef().withFieldPath("metadata.name")
                            .endFieldRef().endValueFrom().endEnv()
                        .addNewEnv().withName("PJ_POD_UID").withNewValueFrom().withNewFieldRef().withFieldPath("metadata.uid")
                            .endFieldRef().endValueFrom().endEnv()
                        .addNewEnv().withName("PJ_POD_NAMESPACE").withValue(NS).endEnv()
                        .addNewEnv().withName("PJ_JOB_NAME").withValue(NAME).endEnv()
                        .addNewEnv().withName("PJ_JOB_UID").withValue(jobUid).endEnv()
                        .addNewEnv().withName("OTHER_JOB").withValue(OTHER).endEnv()
                        .withNewResources().addToRequests("cpu", new io.fabric8.kubernetes.api.model.Quantity("100m"))
                            .addToLimits("memory", new io.fabric8.kubernetes.api.model.Quantity("512Mi")).endResources()
                        .withNewSecurityContext().withAllowPrivilegeEscalation(false).withNewCapabilities().withDrop("ALL")
                            .endCapabilities().endSecurityContext()
                        .addNewVolumeMount().withName("probe").withMountPath("/probe").endVolumeMount()
                        .addNewVolumeMount().withName("token").withMountPath("/var/run/secrets/parallel.dev/serviceaccount")
                            .withReadOnly(true).endVolumeMount()
                    .endContainer()
                    .addNewVolume().withName("probe").withNewConfigMap().withName("writer-probe").endConfigMap().endVolume()
                    .addNewVolume().withName("token").withNewProjected()
                        .addNewSource().withNewServiceAccountToken().withPath("token").withExpirationSeconds(3600L)
                            .endServiceAccountToken().endSource()
                        .addNewSource().withNewConfigMap().withName("kube-root-ca.crt").addNewItem().withKey("ca.crt")
                            .withPath("ca.crt").endItem().endConfigMap().endSource()
                    .endProjected().endVolume()
                .endSpec()
                .build();
        c.pods().inNamespace(NS).resource(pod).create();
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1)).until(() -> {
            var p = c.pods().inNamespace(NS).withName(podName).get();
            return p != null && p.getStatus() != null && List.of("Succeeded", "Failed").contains(p.getStatus().getPhase());
        });
        String log = c.pods().inNamespace(NS).withName(podName).getLog();
        assertThat(c.pods().inNamespace(NS).withName(podName).get().getStatus().getPhase()).as(log).isEqualTo("Succeeded");
        Map<String, String> cases = new LinkedHashMap<>();
        log.lines().filter(l -> l.startsWith("CASE ")).forEach(l -> {
            String[] f = l.split(" ", 3);
            cases.put(f[1], f[2]);
        });
        return cases;
    }

    @Test
    void aPodMayRecordOnlyForItsOwnJobPartAndPodAndReadNothing() throws Exception {
        var c = Cluster.client();
        Cluster.fresh(NS, NAME);
        Cluster.fresh(NS, OTHER);
        Cluster.apply(NS, """
                apiVersion: parallel.dev/v1alpha1
                kind: ParallelJob
                metadata: {name: e2e-writer}
                spec: {kernel: sleep, params: {millis: 90000}, tasks: {range: {start: 0, end: 2}}, pods: 2}
                ---
                apiVersion: parallel.dev/v1alpha1
                kind: ParallelJob
                metadata: {name: e2e-writer-other}
                spec: {kernel: sleep, params: {millis: 10}, tasks: {range: {start: 0, end: 2}}, pods: 1, suspend: true}
                """);
        await().atMost(Duration.ofMinutes(2)).until(() -> Cluster.runningPods(NS, NAME).size() == 2);
        var pj = Cluster.get(NS, NAME);
        String writer = NAME + "-result-writer";

        // The identity: owned by the ParallelJob, no automounted token, create on batches and nothing else.
        ServiceAccount sa = c.serviceAccounts().inNamespace(NS).withName(writer).get();
        assertThat(sa.getAutomountServiceAccountToken()).isFalse();
        Role role = c.rbac().roles().inNamespace(NS).withName(writer).get();
        RoleBinding binding = c.rbac().roleBindings().inNamespace(NS).withName(writer).get();
        for (var o : List.of(sa, role, binding)) {
            assertThat(o.getMetadata().getOwnerReferences()).singleElement()
                    .satisfies(r -> assertThat(r.getUid()).isEqualTo(pj.getMetadata().getUid()));
        }
        assertThat(role.getRules()).singleElement().satisfies(r -> {
            assertThat(r.getResources()).containsExactly("taskresultbatches");
            assertThat(r.getVerbs()).containsExactly("create");
        });
        assertThat(binding.getSubjects()).singleElement().satisfies(s -> assertThat(s.getName()).isEqualTo(writer));

        // Its pods (restricted Pod Security: they run) use it, with the token only in the worker container.
        Pod worker = Cluster.runningPods(NS, NAME).get(0);
        assertThat(worker.getSpec().getServiceAccountName()).isEqualTo(writer);
        assertThat(worker.getSpec().getContainers().get(0).getVolumeMounts())
                .anyMatch(m -> m.getMountPath().equals("/var/run/secrets/parallel.dev/serviceaccount"))
                .noneMatch(m -> m.getMountPath().equals("/var/run/secrets/kubernetes.io/serviceaccount"));

        String jobUid = c.batch().v1().jobs().inNamespace(NS).withName(NAME).get().getMetadata().getUid();
        var cases = probe(worker.getSpec().getContainers().get(0).getImage(), jobUid);
        cases.forEach((k, v) -> System.out.println("[writer probe] " + k + ": " + v.substring(0, Math.min(v.length(), 400))));
        assertThat(cases.keySet()).containsExactly("own", "another-parallel-job", "another-part", "another-pod", "wrong-pod-uid",
                "wrong-owner", "get-batch", "list-batches", "list-pods", "get-secret", "list-configmaps");
        assertThat(cases.get("own")).startsWith("201 ");
        Map<String, String> refused = Map.of(
                "another-parallel-job", "rule job-pod: the calling pod \\\"" + NAME + "-0-probe\\\" is not pod 0 of Job \\\"" + OTHER,
                "another-part", "rule job-pod: the calling pod \\\"" + NAME + "-0-probe\\\" is not pod 1 of Job \\\"" + NAME,
                "another-pod", "rule pod-label: label parallel.dev/pod must equal the calling pod name",
                "wrong-pod-uid", "rule pod-uid-label",
                "wrong-owner", "rule owner: ownerReferences must be exactly one, the Job");
        refused.forEach((k, msg) -> assertThat(cases.get(k)).as(k).startsWith("403 ").contains("ValidatingAdmissionPolicy").contains(msg));
        for (String read : List.of("get-batch", "list-batches", "list-pods", "get-secret", "list-configmaps")) {
            assertThat(cases.get(read)).as(read).startsWith("403 ").contains("\"reason\":\"Forbidden\"")
                    .contains("system:serviceaccount:" + NS + ":" + writer);
        }
        // Exactly the one batch exists: the refused ones were not stored.
        assertThat(c.resources(dev.parallel.api.v1alpha1.TaskResultBatch.class).inNamespace(NS)
                .withLabel("parallel.dev/pod", NAME + "-0-probe").list().getItems())
                .extracting(b -> b.getMetadata().getName()).containsExactly(NAME + "-0-probe.000001");

        // Deleted with the ParallelJob: nothing of the identity is left.
        c.pods().inNamespace(NS).withName(NAME + "-0-probe").delete();
        Cluster.deleteAndWait(NS, NAME);
        Cluster.deleteAndWait(NS, OTHER);
        await().atMost(Duration.ofMinutes(1)).until(() -> c.serviceAccounts().inNamespace(NS).withName(writer).get() == null
                && c.rbac().roles().inNamespace(NS).withName(writer).get() == null
                && c.rbac().roleBindings().inNamespace(NS).withName(writer).get() == null);
    }
}
