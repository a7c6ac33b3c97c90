package dev.parallel.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.parallel.api.contract.Json;
import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.api.v1alpha1.Phase;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The operator as Quarkus wires it (CDI, QOSDK, the informers, JOSDK's Context and the status write)
 * against the Fabric8 mock server: one ParallelJob through its first reconcile. The reconcile logic is
 * in ReconcilerMockServerTest, called synchronously.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class OperatorWiringTest {
    @Inject
    KubernetesClient client;

    ParallelJob apply(String name, String spec) { return Fixtures.create(client, name, spec); }

    ParallelJob get(String name) { return client.resources(ParallelJob.class).inNamespace("ns1").withName(name).get(); }

    @Test
    void theRunningOperatorCreatesTheJobAndWritesAStatus() {
        apply("wired-pi", "kernel: pi\nparams: {samples: 10}\ntasks: {range: {start: 0, end: 6}}\npods: 2\n");
        // One wait: the operator runs on its own threads here (the reconcile logic is tested synchronously).
        await().atMost(Duration.ofSeconds(30)).until(() -> get("wired-pi").getStatus() != null
                && client.batch().v1().jobs().inNamespace("ns1").withName("wired-pi").get() != null);
        assertThat(get("wired-pi").getStatus().phase).isEqualTo(Phase.Pending);
        // Written by the reconcile's own status write, not by updateErrorStatus (which also says Pending).
        assertThat(get("wired-pi").getStatus().conditions).extracting(c -> c.getType())
                .containsExactly("Running", "Suspended", "Complete", "Failed");
        assertThat(client.batch().v1().jobs().inNamespace("ns1").withName("wired-pi").get().getSpec().getCompletions()).isEqualTo(2);
    }
}
