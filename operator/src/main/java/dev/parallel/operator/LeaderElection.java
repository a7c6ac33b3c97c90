package dev.parallel.operator;

import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Leader election through a Lease, so two replicas (or an old and a new pod during a rollout) never
 * reconcile at once. Active in the prod profile (QOSDK's default); the Lease lives in the operator's
 * namespace (POD_NAMESPACE from the downward API; "default" when run from a laptop).
 */
@ApplicationScoped
public class LeaderElection {
    public static final String LEASE_NAME = "parallel-job-operator";

    @Produces
    @Singleton
    LeaderElectionConfiguration leaderElection(
            @ConfigProperty(name = "parallel-job.lease-namespace", defaultValue = "default") String namespace) {
        String ns = System.getenv().getOrDefault("POD_NAMESPACE", namespace);
        return new LeaderElectionConfiguration(LEASE_NAME, ns);
    }
}
