package dev.parallel.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.parallel.api.testing.Preconditions;
import dev.parallel.testkit.Kueue;
import dev.parallel.testkit.ParallelJobCluster;
import dev.parallel.testkit.ParallelJobExtension;
import dev.parallel.testkit.TestNamespace;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The real Kueue the suite installs (hack/kueue.sh, testkit {@link Kueue}), with plain batch/v1 Jobs: a ClusterQueue
 * of 1 CPU admits one 1-CPU Job and holds the next suspended with Kueue's own "insufficient unused quota" until
 * the first finishes; a namespace without the managed label is left alone even when its Job names a queue; the
 * uninstall leaves no webhook configuration, CRD or namespace, and Jobs are still created afterwards.
 */
@ExtendWith(ParallelJobExtension.class)
class KueueInstallE2ETest {
    static final String BUSYBOX = "docker.io/parallel-dev/busybox:1.35";

    @Test
    void admitsJobsWithinTheQuotaInManagedNamespacesOnlyAndUninstallsCleanly(ParallelJobCluster cluster, TestNamespace ns)
            throws Exception {
        String why = Kueue.missing(cluster);
        Preconditions.need("kueue", why == null, why);
        var client = cluster.client();
        String managed = ns.name();
        Kueue kueue = Kueue.install(cluster);
        try (TestNamespace unmanaged = TestNamespace.create(cluster, "kueue-unmanaged")) {
            kueue.manage(managed);
            kueue.apply(Kueue.resourceFlavor("e2e-flavor"));
            kueue.apply(Kueue.clusterQueue("e2e-cq", "e2e-flavor", "1"));
            kueue.apply(Kueue.localQueue(managed, "e2e-lq", "e2e-cq"));

            client.batch().v1().jobs().inNamespace(managed).resource(job("first", "1", 12)).create();
            Thread.sleep(1500); // creationTimestamp has 1 s resolution: a fixed FIFO order
            client.batch().v1().jobs().inNamespace(managed).resource(job("second", "1", 1)).create();

            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                assertThat(admitted(kueue, managed, "first")).as("first's Workload admitted").isTrue();
                assertThat(suspended(cluster, managed, "first")).isFalse();
            });
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                var reserved = workload(kueue, managed, "second").flatMap(w -> Kueue.condition(w, "QuotaReserved"));
                assertThat(reserved).as("second's QuotaReserved").isPresent();
                assertThat(reserved.get().getStatus()).isEqualTo("False");
                assertThat(reserved.get().getMessage()).contains("insufficient unused quota for cpu");
            });
            assertThat(suspended(cluster, managed, "second")).as("second suspended while first runs").isTrue();
            assertThat(completion(cluster, managed, "first")).as("first still running").isNull();

            // A Job naming a queue in a namespace without the label: never suspended, no Workload, runs at once
            // although the queue is full.
            client.batch().v1().jobs().inNamespace(unmanaged.name()).resource(job("outside", "100m", 1)).create();
            await().atMost(Duration.ofSeconds(60)).until(() -> completion(cluster, unmanaged.name(), "outside") != null);
            Job outside = client.batch().v1().jobs().inNamespace(unmanaged.name()).withName("outside").get();
            assertThat(outside.getSpec().getSuspend()).isNotEqualTo(Boolean.TRUE);
            assertThat(kueue.workloadsOf(unmanaged.name(), "Job", "outside")).isEmpty();
            assertThat(completion(cluster, managed, "first")).as("first still running when outside finished").isNull();
            assertThat(suspended(cluster, managed, "second")).isTrue();

            await().atMost(Duration.ofSeconds(90)).until(() -> completion(cluster, managed, "first") != null);
            await().atMost(Duration.ofSeconds(60)).until(() -> admitted(kueue, managed, "second"));
            Instant firstDone = Instant.parse(completion(cluster, managed, "first"));
            Instant secondAdmitted = Instant.parse(workload(kueue, managed, "second")
                    .flatMap(w -> Kueue.condition(w, "Admitted")).orElseThrow().getLastTransitionTime());
            assertThat(secondAdmitted).as("second admitted only once first finished").isAfterOrEqualTo(firstDone);
            await().atMost(Duration.ofSeconds(60)).until(() -> completion(cluster, managed, "second") != null);
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError(e.getMessage() + "\nKueue's log, last lines:\n" + kueue.controllerLog(40), e);
        } finally {
            kueue.uninstall();
        }

        assertThat(client.admissionRegistration().v1().mutatingWebhookConfigurations().list().getItems())
                .noneMatch(w -> w.getMetadata().getName().startsWith("kueue-"));
        assertThat(client.admissionRegistration().v1().validatingWebhookConfigurations().list().getItems())
                .noneMatch(w -> w.getMetadata().getName().startsWith("kueue-"));
        assertThat(client.apiextensions().v1().customResourceDefinitions().list().getItems())
                .noneMatch(c -> c.getSpec().getGroup().equals(Kueue.GROUP));
        assertThat(client.namespaces().withName(Kueue.NAMESPACE).get()).isNull();
        assertThat(client.namespaces().withName(managed).get().getMetadata().getLabels()).doesNotContainKey(Kueue.MANAGED_LABEL);
        // Even a namespace that keeps the label and a Job that names a queue: nothing is left to refuse or hold it.
        client.namespaces().withName(managed).edit(n -> {
            n.getMetadata().getLabels().put(Kueue.MANAGED_LABEL, "true");
            return n;
        });
        client.batch().v1().jobs().inNamespace(managed).resource(job("after", "100m", 1)).create();
        await().atMost(Duration.ofSeconds(60)).until(() -> completion(cluster, managed, "after") != null);
    }

    /** A Job of one pod that passes the restricted profile, asking for {@code cpu}, in the queue e2e-lq. */
    static Job job(String name, String cpu, int seconds) {
        return new JobBuilder().withNewMetadata().withName(name).addToLabels(Kueue.QUEUE_LABEL, "e2e-lq").endMetadata()
                .withNewSpec().withBackoffLimit(0).withNewTemplate().withNewSpec().withRestartPolicy("Never")
                .withNewSecurityContext().withRunAsNonRoot(true).withRunAsUser(1000L)
                .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile().endSecurityContext()
                .addNewContainer().withName("main").withImage(BUSYBOX).withImagePullPolicy("IfNotPresent")
                .withCommand("sh", "-c", "sleep " + seconds)
                .withNewResources().addToRequests("cpu", new Quantity(cpu)).endResources()
                .withNewSecurityContext().withAllowPrivilegeEscalation(false)
                .withNewCapabilities().withDrop("ALL").endCapabilities().endSecurityContext()
                .endContainer().endSpec().endTemplate().endSpec().build();
    }

    static boolean suspended(ParallelJobCluster cluster, String ns, String name) {
        return Boolean.TRUE.equals(cluster.client().batch().v1().jobs().inNamespace(ns).withName(name).get().getSpec().getSuspend());
    }

    /** The Job's completionTime (null while it has not completed). */
    static String completion(ParallelJobCluster cluster, String ns, String name) {
        Job j = cluster.client().batch().v1().jobs().inNamespace(ns).withName(name).get();
        return j == null || j.getStatus() == null ? null : j.getStatus().getCompletionTime();
    }

    static java.util.Optional<GenericKubernetesResource> workload(Kueue kueue, String ns, String job) {
        List<GenericKubernetesResource> all = kueue.workloadsOf(ns, "Job", job);
        assertThat(all).as("Workloads of Job %s", job).hasSizeLessThanOrEqualTo(1);
        return all.stream().findFirst();
    }

    static boolean admitted(Kueue kueue, String ns, String job) {
        return workload(kueue, ns, job).flatMap(w -> Kueue.condition(w, "Admitted")).map(c -> "True".equals(c.getStatus())).orElse(false);
    }
}
