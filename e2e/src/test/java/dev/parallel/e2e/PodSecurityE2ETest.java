package dev.parallel.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.api.v1alpha1.Phase;
import dev.parallel.testkit.ParallelJobExtension;
import dev.parallel.testkit.TestNamespace;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The namespaces where pods run in this suite (each class's own, "default", the operator's) enforce the restricted
 * Pod Security profile: the label is there and the API server refuses a pod that does not meet the profile, while
 * a ParallelJob's pods, which do, run there.
 */
@ExtendWith(ParallelJobExtension.class)
class PodSecurityE2ETest {
    static String NS;

    @BeforeAll
    static void namespace(TestNamespace ns) { NS = ns.name(); }

    static List<String> namespaces() { return List.of("<this class's>", "default", Cluster.OPERATOR_NAMESPACE); }

    static String resolve(String ns) { return ns.startsWith("<") ? NS : ns; }

    @ParameterizedTest(name = "{0}")
    @MethodSource("namespaces")
    void theNamespaceEnforcesRestrictedAndRefusesAPodThatIsNot(String which) {
        String ns = resolve(which);
        var labels = Cluster.client().namespaces().withName(ns).get().getMetadata().getLabels();
        assertThat(labels).containsEntry("pod-security.kubernetes.io/enforce", "restricted");
        // A plain pod with no securityContext: root allowed, privilege escalation allowed, all capabilities, no seccomp.
        var pod = new PodBuilder().withNewMetadata().withName("e2e-not-restricted").endMetadata()
                .withNewSpec().addNewContainer().withName("c").withImage("docker.io/parallel-dev/busybox:1.35")
                .withCommand("true").endContainer().endSpec().build();
        var refused = catchThrowableOfType(() -> Cluster.client().pods().inNamespace(ns).resource(pod).dryRun().create(),
                KubernetesClientException.class);
        assertThat(refused).as("a non-restricted pod in %s", ns).isNotNull();
        assertThat(refused.getCode()).isEqualTo(403);
        assertThat(refused.getMessage()).contains("violates PodSecurity \"restricted:latest\"");
    }

    @Test
    void aParallelJobsPodsRunInARestrictedNamespace() throws Exception {
        String name = "e2e-restricted";
        Cluster.fresh(NS, name);
        Cluster.apply(NS, """
                apiVersion: parallel.dev/v1alpha1
                kind: ParallelJob
                metadata: {name: e2e-restricted}
                spec: {kernel: sleep, params: {millis: 10}, tasks: {range: {start: 0, end: 2}}, reduce: sum, pods: 2}
                """);
        ParallelJob pj = Cluster.awaitPhase(NS, name, Duration.ofMinutes(2), Phase.Succeeded, Phase.Failed);
        assertThat(pj.getStatus().phase).as("conditions: %s", pj.getStatus().conditions).isEqualTo(Phase.Succeeded);
        assertThat(pj.getStatus().result.getValue()).isEqualTo(20);
        Cluster.deleteAndWait(NS, name);
    }
}
