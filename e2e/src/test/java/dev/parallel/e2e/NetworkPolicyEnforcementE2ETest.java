package dev.parallel.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.api.v1alpha1.Phase;
import dev.parallel.testkit.ParallelJobExtension;
import dev.parallel.testkit.TestNamespace;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The NetworkPolicies enforced for real: the test cluster's CNI enforces none, so this installs
 * kube-network-policies v0.8.0 (hack/netpol.sh builds its image; the archive must be in PJ_IMAGE_ARCHIVES)
 * for this class only. A pod that is not one of the ParallelJob's cannot reach an MPI worker's ssh port, a
 * pod with its labels can, and the ParallelJob's own MPI run still finishes with the exact result.
 */
@ExtendWith(ParallelJobExtension.class)
class NetworkPolicyEnforcementE2ETest {
    static String NS;
    static final String MANIFEST = Cluster.ROOT.resolve("e2e/src/test/resources/kube-network-policies.yaml").toString();

    @BeforeAll
    static void enforcer(TestNamespace ns) {
        NS = ns.name();
        var r = Cluster.kubectl("apply", "-f", MANIFEST);
        assertThat(r.code()).as(r.err()).isZero();
        var rollout = Cluster.kubectl("rollout", "status", "-n", "kube-system", "daemonset/kube-network-policies", "--timeout=90s");
        assertThat(rollout.code()).as("kube-network-policies did not start (is hack/netpol.sh's archive in PJ_IMAGE_ARCHIVES?): %s %s",
                rollout.out(), rollout.err()).isZero();
    }

    @AfterAll
    static void removeEnforcer() {
        Cluster.kubectl("delete", "-f", MANIFEST, "--ignore-not-found", "--wait=true", "--timeout=60s");
    }

    /** A restricted busybox pod that exits 0 only if it reads sshd's banner from {@code ip}:2222 within 5 s. */
    static Pod probe(String name, Map<String, String> labels, String ip) {
        String script = "b=$(timeout 5 nc -w 4 " + ip + " 2222 </dev/null 2>/dev/null | head -c 7); echo \"got: $b\"; [ \"$b\" = SSH-2.0 ]";
        Pod p = new io.fabric8.kubernetes.api.model.PodBuilder()
                .withNewMetadata().withName(name).withNamespace(NS).withLabels(labels).endMetadata()
                .withNewSpec().withRestartPolicy("Never").withAutomountServiceAccountToken(false)
                    .withNewSecurityContext().withRunAsNonRoot(true).withRunAsUser(10000L)
                        .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile().endSecurityContext()
                    .addNewContainer().withName("probe").withImage("docker.io/parallel-dev/busybox:1.35").withImagePullPolicy("Never")
                        .withCommand("/bin/sh", "-c", script)
                        .withNewSecurityContext().withAllowPrivilegeEscalation(false)
                            .withNewCapabilities().withDrop("ALL").endCapabilities().endSecurityContext()
                    .endContainer()
                .endSpec().build();
        Cluster.client().pods().inNamespace(NS).resource(p).create();
        return await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                .until(() -> Cluster.client().pods().inNamespace(NS).withName(name).get(),
                        x -> x.getStatus() != null && ("Succeeded".equals(x.getStatus().getPhase()) || "Failed".equals(x.getStatus().getPhase())));
    }

    @Test
    void onlyTheParallelJobsOwnPodsReachItsMpiWorkersAndItsRunStillWorks() throws Exception {
        String name = "e2e-np-enforced";
        Cluster.fresh(NS, name);
        Cluster.apply(NS, MpiE2ETest.slowMpiJob(name, 0, 16)); // 16 x 1.5 s on 2 ranks: the workers run for about 12 s
        Pod worker = await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(250))
                .until(() -> Cluster.client().pods().inNamespace(NS).withLabel("parallel.dev/job-name", name)
                        .withLabel("app.kubernetes.io/component", "mpi-worker").list().getItems().stream()
                        .filter(p -> p.getStatus().getPodIP() != null && p.getStatus().getConditions().stream()
                                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus())))
                        .findFirst().orElse(null), p -> p != null);
        String ip = worker.getStatus().getPodIP();
        var own = worker.getMetadata().getLabels();
        // The enforcer queues to userspace only the packets of pods some policy selects (an nftables set it syncs).
        String[] set = {"nft", "list", "set", "inet", "kube-network-policies", "podips-v4"};
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                assertThat(Cluster.cluster().execInNode(Duration.ofSeconds(10), set).out()).as("the enforcer's set of pods").contains(ip));
        // A pod carrying the ParallelJob's labels (as its launcher does) is let in; any other pod is not.
        Pod allowed = probe("np-probe-own", Map.of("app.kubernetes.io/instance", own.get("app.kubernetes.io/instance"),
                "app.kubernetes.io/managed-by", "parallel-job-operator"), ip);
        Pod denied = probe("np-probe-other", Map.of("app.kubernetes.io/instance", "another-paralleljob",
                "app.kubernetes.io/managed-by", "parallel-job-operator"), ip);
        String allowedLog = Cluster.client().pods().inNamespace(NS).withName("np-probe-own").getLog();
        String deniedLog = Cluster.client().pods().inNamespace(NS).withName("np-probe-other").getLog();
        assertThat(allowed.getStatus().getPhase()).as("same ParallelJob's labels: %s", allowedLog).isEqualTo("Succeeded");
        assertThat(denied.getStatus().getPhase()).as("another ParallelJob's pod: %s; enforcer log:%n%s%nnftables:%n%s", deniedLog,
                Cluster.kubectl("logs", "-n", "kube-system", "daemonset/kube-network-policies", "--tail=40").out(),
                Cluster.cluster().execInNode(Duration.ofSeconds(10), "nft", "list", "table", "inet", "kube-network-policies").out())
                .isEqualTo("Failed");
        ParallelJob pj = Cluster.awaitPhase(NS, name, Duration.ofMinutes(3), Phase.Succeeded, Phase.Failed);
        assertThat(pj.getStatus().phase).as("%s", pj.getStatus().conditions).isEqualTo(Phase.Succeeded);
        assertThat(pj.getStatus().tasks.succeeded).isEqualTo(16);
        for (String p : new String[] {"np-probe-own", "np-probe-other"}) Cluster.client().pods().inNamespace(NS).withName(p).delete();
        Cluster.deleteAndWait(NS, name);
    }
}
