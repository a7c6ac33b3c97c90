package dev.parallel.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parallel.operator.plan.JobNetworkPolicy;
import dev.parallel.operator.plan.MpiWorkers;
import dev.parallel.operator.plan.Plan;
import dev.parallel.operator.plan.WorkerJob;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The per-ParallelJob NetworkPolicy selects exactly that ParallelJob's pods and lets in only its own MPI peers. */
class JobNetworkPolicyTest {
    static Plan plan(String name, boolean mpi) {
        var spec = Fixtures.spec().kernel("pi").range(0, 4);
        if (mpi) spec.set("executor", "mpi").set("mpi", "{workers: 2}");
        var pj = spec.pj();
        pj.getMetadata().setName(name);
        return Fixtures.plan(pj);
    }

    /** Whether a pod with these labels is selected by matchLabels (all must be present and equal). */
    static boolean selects(Map<String, String> matchLabels, Map<String, String> podLabels) {
        return podLabels.entrySet().containsAll(matchLabels.entrySet());
    }

    static Map<String, String> podLabels(io.fabric8.kubernetes.api.model.batch.v1.Job job) {
        return job.getSpec().getTemplate().getMetadata().getLabels();
    }

    @Test
    void partPodsAcceptNoIngressAndOnlyTheirOwnAreSelected() {
        Plan plan = plan("demo", false);
        NetworkPolicy np = JobNetworkPolicy.build(plan);
        assertThat(np.getMetadata().getName()).isEqualTo("demo-ingress");
        assertThat(np.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> assertThat(o.getName()).isEqualTo("demo"));
        assertThat(np.getSpec().getPolicyTypes()).containsExactly("Ingress");
        assertThat(np.getSpec().getIngress()).as("no rule: no ingress at all").isEmpty();
        var selector = np.getSpec().getPodSelector().getMatchLabels();
        assertThat(selects(selector, podLabels(WorkerJob.build(plan, Fixtures.SETTINGS)))).isTrue();
        assertThat(selects(selector, podLabels(WorkerJob.build(plan("demo2", false), Fixtures.SETTINGS)))).isFalse();
    }

    @Test
    void mpiPodsAcceptIngressOnlyFromTheirOwnLauncherAndWorkers() {
        Plan plan = plan("mpi-a", true);
        NetworkPolicy np = JobNetworkPolicy.build(plan);
        var selector = np.getSpec().getPodSelector().getMatchLabels();
        var launcher = podLabels(WorkerJob.build(plan, Fixtures.SETTINGS));
        var workers = podLabels(MpiWorkers.job(plan, Fixtures.SETTINGS));
        assertThat(selects(selector, launcher)).isTrue();
        assertThat(selects(selector, workers)).isTrue();
        assertThat(np.getSpec().getIngress()).singleElement().satisfies(rule -> {
            assertThat(rule.getPorts()).as("every port: ssh, then Open MPI's callbacks and TCP transport").isEmpty();
            assertThat(rule.getFrom()).singleElement().satisfies(peer -> {
                assertThat(peer.getNamespaceSelector()).as("this namespace only").isNull();
                assertThat(peer.getIpBlock()).isNull();
                var from = peer.getPodSelector().getMatchLabels();
                assertThat(selects(from, launcher)).isTrue();
                assertThat(selects(from, workers)).isTrue();
                Plan other = plan("mpi-b", true);
                assertThat(selects(from, podLabels(WorkerJob.build(other, Fixtures.SETTINGS)))).as("another ParallelJob's launcher").isFalse();
                assertThat(selects(from, podLabels(MpiWorkers.job(other, Fixtures.SETTINGS)))).as("another's workers").isFalse();
            });
        });
    }
}
