package dev.parallel.testkit;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A namespace of its own for a test class, enforcing the restricted Pod Security profile; closing it deletes it
 * and waits until it is gone, whatever the test's outcome, so no class loads the cluster with another's leftovers.
 */
public final class TestNamespace implements AutoCloseable {
    private final KubernetesClient client;
    private final String name;

    private TestNamespace(KubernetesClient client, String name) {
        this.client = client;
        this.name = name;
    }

    /** Creates {@code <prefix>-<random>} (lower-cased, cut to a valid length). */
    public static TestNamespace create(ParallelJobCluster cluster, String prefix) {
        String base = prefix.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]+", "-").replaceAll("^-+|-+$", "");
        if (base.length() > 50) base = base.substring(0, 50).replaceAll("-+$", "");
        String name = (base.isEmpty() ? "pj-test" : base) + "-" + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36 * 36), 36);
        cluster.client().namespaces().resource(ParallelJobCluster.restricted(name)).create();
        return new TestNamespace(cluster.client(), name);
    }

    public String name() { return name; }

    @Override
    public String toString() { return name; }

    /** The namespace's conditions (they name what its deletion waits for) and its ParallelJobs with their finalizers. */
    private String remaining() {
        StringBuilder s = new StringBuilder();
        try {
            var ns = client.namespaces().withName(name).get();
            if (ns != null && ns.getStatus() != null && ns.getStatus().getConditions() != null) {
                ns.getStatus().getConditions().stream().filter(c -> "True".equals(c.getStatus()))
                        .forEach(c -> s.append(c.getType()).append(": ").append(c.getMessage()).append("; "));
            }
            client.resources(dev.parallel.api.v1alpha1.ParallelJob.class).inNamespace(name).list().getItems()
                    .forEach(p -> s.append("ParallelJob ").append(p.getMetadata().getName()).append(" finalizers ")
                            .append(p.getMetadata().getFinalizers()).append(" phase ")
                            .append(p.getStatus() == null ? null : p.getStatus().phase).append("; "));
        } catch (RuntimeException e) {
            s.append("(cannot list: ").append(e.getMessage()).append(')');
        }
        return s.toString();
    }

    @Override
    public void close() {
        client.namespaces().withName(name).delete();
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (client.namespaces().withName(name).get() != null) {
            if (System.nanoTime() > deadline) {
                DockerEnvironment.log("namespace " + name + " still terminating after 3 min; left to the cluster. Holding it: "
                        + remaining());
                return;
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
