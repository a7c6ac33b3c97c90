package dev.parallel.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The operator's ServiceAccount, as the real API server's RBAC sees it: what it must be able to do,
 * and a list of what it must not.
 */
class SecurityE2ETest {
    static final String SA = "system:serviceaccount:" + Cluster.OPERATOR_NAMESPACE + ":pj-parallel-job-operator";

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @CsvSource({
            "watch, paralleljobs.parallel.dev, yes",
            "patch, paralleljobs.parallel.dev/status, yes",
            "create, jobs.batch, yes",
            "patch, jobs.batch, yes",
            "list, pods, yes",
            "get, pods/log, yes",
            "create, configmaps, yes",
            "update, configmaps, yes",
            "create, events, yes",
            "list, events, yes", // why a Job has no pods: its FailedCreate events (PodCreation)
            "delete, paralleljobs.parallel.dev, no",
            "update, paralleljobs.parallel.dev, no",
            "delete, jobs.batch, yes", // leftovers of a deleted namesake (ParallelJobReconciler.removeLeftovers)
            "create, pods, no",
            "delete, pods, no",
            "create, pods/exec, no",
            "get, secrets, yes", // the S3 results store's credentials (spec.results.secretRef), read only for store: s3
            "create, secrets, yes",
            "watch, secrets, no",
            "create, services, yes",
            "get, services, no",
            "list, secrets, no",
            "delete, configmaps, yes",
            "get, serviceaccounts, yes", // spec.serviceAccountName: waited for until it exists
            "list, serviceaccounts, no",
            "create, serviceaccounts, yes", // results.stream: each ParallelJob's result writer
            "create, serviceaccounts/token, no",
            "create, roles.rbac.authorization.k8s.io, yes",
            "create, rolebindings.rbac.authorization.k8s.io, yes",
            "escalate, roles.rbac.authorization.k8s.io, no",
            "bind, roles.rbac.authorization.k8s.io, no",
            "list, taskresultbatches.parallel.dev, yes", // folded, then deleted
            "deletecollection, taskresultbatches.parallel.dev, yes",
            "update, taskresultbatches.parallel.dev, no",
            "create, networkpolicies.networking.k8s.io, yes", // networkPolicies.enabled: one per ParallelJob
            "get, networkpolicies.networking.k8s.io, no",
            "create, clusterrolebindings.rbac.authorization.k8s.io, no",
            "create, customresourcedefinitions.apiextensions.k8s.io, no",
            "*, *, no",
    })
    void operatorServiceAccountHasExactlyWhatItNeeds(String verb, String resource, String expected) {
        Cluster.client(); // skips when no cluster
        String[] rs = resource.split("/", 2); // subresources: kubectl wants --subresource
        var r = rs.length == 2
                ? Cluster.kubectl("auth", "can-i", verb, rs[0], "--subresource", rs[1], "--as", SA, "-n", "default")
                : Cluster.kubectl("auth", "can-i", verb, resource, "--as", SA, "-n", "default");
        assertThat(r.out().strip()).as("can-i %s %s: %s", verb, resource, r.err()).isEqualTo(expected);
    }

    @org.junit.jupiter.api.Test
    void leasesOnlyInTheOperatorsNamespace() {
        Cluster.client();
        assertThat(Cluster.kubectl("auth", "can-i", "update", "leases.coordination.k8s.io", "--as", SA, "-n",
                Cluster.OPERATOR_NAMESPACE).out().strip()).isEqualTo("yes");
        assertThat(Cluster.kubectl("auth", "can-i", "update", "leases.coordination.k8s.io", "--as", SA, "-n",
                "default").out().strip()).isEqualTo("no");
    }
}
