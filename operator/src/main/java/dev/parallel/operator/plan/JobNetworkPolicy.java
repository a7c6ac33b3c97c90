package dev.parallel.operator.plan;

import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRuleBuilder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Pure: the NetworkPolicy of one ParallelJob's pods (chart value networkPolicies.enabled). Per ParallelJob,
 * in its namespace, because a policy applies only to pods of its own namespace (the chart cannot know the
 * namespaces users create ParallelJobs in) and only a per-ParallelJob selector can say "the same ParallelJob".
 * Ingress: none, except, for executor: mpi, from the launcher and workers of the same ParallelJob on every
 * port: ssh (2222) starts the daemons, but Open MPI's daemons call back to mpirun and the ranks talk over TCP
 * on ephemeral ports (docs/reliability.md). Egress is not restricted: DNS for the MPI host names, user commands
 * that read their data from elsewhere, and the API server, where the writing container streams its results
 * (ResultWriter: a pod-bound token that may only create TaskResultBatches, tied to the pod by the chart's policy).
 * Keep it open: the API server's address and port differ per cluster (and a NetworkPolicy sees the endpoint's,
 * not the Service's, address).
 */
public final class JobNetworkPolicy {
    public static final String COMPONENT = "network-policy";

    private JobNetworkPolicy() {}

    /** Every pod of this ParallelJob (parts, launcher, MPI workers): our instance and managed-by labels. */
    static Map<String, String> pods(Plan plan) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put(Names.LABEL_INSTANCE, plan.jobName());
        s.put(Names.LABEL_MANAGED_BY, Names.MANAGED_BY);
        return s;
    }

    public static NetworkPolicy build(Plan plan) {
        List<NetworkPolicyIngressRule> ingress = plan.mpi()
                ? List.of(new NetworkPolicyIngressRuleBuilder().addNewFrom().withNewPodSelector().withMatchLabels(pods(plan))
                        .endPodSelector().endFrom().build())
                : List.of();
        return new NetworkPolicyBuilder()
                .withMetadata(plan.metadata(Names.networkPolicy(plan.pj()), COMPONENT))
                .withNewSpec()
                    .withNewPodSelector().withMatchLabels(pods(plan)).endPodSelector()
                    .withPolicyTypes("Ingress")
                    .withIngress(ingress)
                .endSpec()
                .build();
    }
}
