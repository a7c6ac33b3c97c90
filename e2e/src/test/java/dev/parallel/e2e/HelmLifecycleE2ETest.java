package dev.parallel.e2e;

import dev.parallel.testkit.ParallelJobExtension;
import dev.parallel.testkit.TestNamespace;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.BeforeAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.api.v1alpha1.Phase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The chart's lifecycle on the real cluster: an upgrade (a new operator pod, leader election hand-over)
 * while a ParallelJob runs keeps it going with an exact result; uninstall leaves no operator objects
 * and keeps the CRD and ParallelJobs; a reinstall picks them up again.
 */
@ExtendWith(ParallelJobExtension.class)
class HelmLifecycleE2ETest {
    static String NS;

    @BeforeAll
    static void namespace(TestNamespace ns) { NS = ns.name(); }
    static final String RELEASE = "pj";
    static final String CHART = Cluster.ROOT.resolve("helm/parallel-job-operator").toString();

    @Test
    void upgradeKeepsJobsGoingAndUninstallLeavesTheirDataButNoOperator() throws Exception {
        Cluster.client();
        String name = "e2e-helm";
        if (Cluster.get(NS, name) != null) Cluster.deleteAndWait(NS, name);
        Path f = Files.createTempFile("pj", ".yaml");
        Files.writeString(f, FaultsE2ETest.slowJob(name));
        assertThat(Cluster.kubectl("apply", "-n", NS, "-f", f.toString()).code()).isZero();
        await().atMost(Duration.ofSeconds(90)).until(() -> !Cluster.runningPods(NS, name).isEmpty());

        var up = Cluster.helm("upgrade", RELEASE, CHART, "-n", Cluster.OPERATOR_NAMESPACE, "--reuse-values",
                "--set", "logging.level=DEBUG", "--wait", "--timeout", "180s");
        assertThat(up.code()).as(up.err()).isZero();
        ParallelJob pj = Cluster.awaitPhase(NS, name, Duration.ofMinutes(3), Phase.Succeeded, Phase.Failed);
        assertThat(pj.getStatus().phase).isEqualTo(Phase.Succeeded);
        assertThat(pj.getStatus().result.getValue()).isEqualTo(16000);

        var un = Cluster.helm("uninstall", RELEASE, "-n", Cluster.OPERATOR_NAMESPACE, "--wait");
        try {
            assertThat(un.code()).as(un.err()).isZero();
            var c = Cluster.client();
            String selector = "app.kubernetes.io/instance=" + RELEASE;
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                assertThat(c.apps().deployments().inNamespace(Cluster.OPERATOR_NAMESPACE).withLabel("app.kubernetes.io/instance", RELEASE).list().getItems()).isEmpty();
                assertThat(c.serviceAccounts().inNamespace(Cluster.OPERATOR_NAMESPACE).withLabel("app.kubernetes.io/instance", RELEASE).list().getItems()).isEmpty();
                assertThat(c.rbac().clusterRoles().withLabel("app.kubernetes.io/instance", RELEASE).list().getItems()).isEmpty();
                assertThat(c.rbac().clusterRoleBindings().withLabel("app.kubernetes.io/instance", RELEASE).list().getItems()).isEmpty();
                assertThat(c.rbac().roles().inNamespace(Cluster.OPERATOR_NAMESPACE).withLabel("app.kubernetes.io/instance", RELEASE).list().getItems()).isEmpty();
                assertThat(c.services().inNamespace(Cluster.OPERATOR_NAMESPACE).withLabel("app.kubernetes.io/instance", RELEASE).list().getItems()).isEmpty();
                assertThat(c.pods().inNamespace(Cluster.OPERATOR_NAMESPACE).withLabel("app.kubernetes.io/name", "parallel-job-operator").list().getItems()).isEmpty();
            });
            // What stays, as documented: the CRD and the finished ParallelJob with its result.
            assertThat(c.apiextensions().v1().customResourceDefinitions().withName("paralleljobs.parallel.dev").get()).isNotNull();
            assertThat(Cluster.get(NS, name).getStatus().result.getValue()).isEqualTo(16000);
        } finally {
            var again = Cluster.helm("upgrade", "--install", RELEASE, CHART, "-n", Cluster.OPERATOR_NAMESPACE, "--wait", "--timeout", "180s");
            assertThat(again.code()).as(again.err()).isZero();
        }
        Cluster.deleteAndWait(NS, name);
    }
}
