package dev.parallel.operator;

import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import java.time.Duration;
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
            @ConfigProperty(name = "parallel-job.lease-namespace", defaultValue = "default") String namespace,
            // Longer than client-go's 15/10/2 s: a leader that cannot renew exits, so the renew deadline is
            // how long an API-server outage may last without restarting the operator.
            @ConfigProperty(name = "parallel-job.leader.lease-duration", defaultValue = "60s") Duration leaseDuration,
            @ConfigProperty(name = "parallel-job.leader.renew-deadline", defaultValue = "50s") Duration renewDeadline,
            @ConfigProperty(name = "parallel-job.leader.retry-period", defaultValue = "5s") Duration retryPeriod) {
        String ns = System.getenv().getOrDefault("POD_NAMESPACE", namespace);
        return new LeaderElectionConfiguration(LEASE_NAME, ns, leaseDuration, renewDeadline, retryPeriod);
    }
}
