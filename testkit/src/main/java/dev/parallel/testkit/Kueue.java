package dev.parallel.testkit;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A real Kueue in a {@link ParallelJobCluster}, installed from the manifests {@code hack/kueue.sh build} renders
 * (upstream's config with only the batch/job framework, ParallelJob as an external framework, no visibility API,
 * and webhooks and managed Jobs restricted to namespaces labelled {@value #MANAGED_LABEL}=true).
 *
 * <p>Settings, as the cluster's: {@code pj.kueue.manifests} / {@code PJ_KUEUE_MANIFESTS} (the rendered
 * manifests.yaml); the image ({@code hack/images.sh kueue}: kueue.tar) comes in {@code pj.image.archives} /
 * {@code PJ_IMAGE_ARCHIVES} with the others. {@link #missing(ParallelJobCluster)} says what is absent, for a
 * precondition check; {@link #install(ParallelJobCluster)} fails with the same words.
 */
public final class Kueue implements AutoCloseable {
    public static final String NAMESPACE = "kueue-system";
    /** The namespace label that opts a namespace in: Kueue's Job webhooks and managedJobsNamespaceSelector match it. */
    public static final String MANAGED_LABEL = "kueue.parallel.dev/managed";
    /** The label that puts a Job (or a ParallelJob) in a LocalQueue of its namespace. */
    public static final String QUEUE_LABEL = "kueue.x-k8s.io/queue-name";
    public static final String GROUP = "kueue.x-k8s.io";
    public static final String API_VERSION = GROUP + "/v1beta2";
    static final String DEPLOYMENT = "kueue-controller-manager";
    private static final String FIELD_MANAGER = "parallel-job-testkit";

    private static Kueue shared;

    private final ParallelJobCluster cluster;
    private final List<HasMetadata> objects;

    private Kueue(ParallelJobCluster cluster, List<HasMetadata> objects) {
        this.cluster = cluster;
        this.objects = objects;
    }

    /** Why Kueue cannot be installed into this cluster (null: it can). */
    public static String missing(ParallelJobCluster cluster) {
        String manifests = ParallelJobCluster.setting("pj.kueue.manifests", "PJ_KUEUE_MANIFESTS", "");
        if (manifests.isBlank()) {
            return "pj.kueue.manifests / PJ_KUEUE_MANIFESTS is not set (hack/kueue.sh build renders them; "
                    + "make e2e-prereqs builds Kueue and E2E_ENV sets it)";
        }
        if (!Files.isRegularFile(Path.of(manifests))) return "PJ_KUEUE_MANIFESTS=" + manifests + " is not a file: run hack/kueue.sh build";
        String image = image(load(cluster.client(), Path.of(manifests)));
        if (cluster.nodeContainer() != null
                && !cluster.execInNode(Duration.ofSeconds(30), "crictl", "inspecti", image).ok()) {
            return "the node has no image " + image + ": hack/images.sh kueue builds kueue.tar; add it to PJ_IMAGE_ARCHIVES";
        }
        return null;
    }

    /**
     * One Kueue for every test class of the run that asks, installed on first use (Kueue touches only namespaces
     * given to {@link #manage}, so classes that do not use it are unaffected). On a kind node it goes with the
     * node; on a cluster of your own it is uninstalled when the JVM exits. Tests delete what they create in it.
     */
    public static synchronized Kueue shared(ParallelJobCluster cluster) {
        if (shared == null || shared.cluster != cluster) {
            shared = install(cluster);
            if (cluster.nodeContainer() == null) {
                Kueue k = shared;
                Runtime.getRuntime().addShutdownHook(new Thread(k::uninstall, "kueue-uninstall"));
            }
        }
        return shared;
    }

    /** Applies the manifests (server-side) and waits until the controller runs and its webhooks answer. */
    public static Kueue install(ParallelJobCluster cluster) {
        String why = missing(cluster);
        if (why != null) throw new IllegalStateException("cannot install Kueue: " + why);
        long t0 = System.nanoTime();
        KubernetesClient client = cluster.client();
        List<HasMetadata> objects = load(client, Path.of(ParallelJobCluster.setting("pj.kueue.manifests", "PJ_KUEUE_MANIFESTS", "")));
        for (HasMetadata o : objects) {
            client.resource(o).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
        }
        Kueue kueue = new Kueue(cluster, objects);
        try {
            kueue.awaitReady();
        } catch (RuntimeException e) {
            try {
                kueue.uninstall(); // no half-installed webhooks left to refuse other tests' objects
            } catch (RuntimeException u) {
                e.addSuppressed(u);
            }
            throw e;
        }
        DockerEnvironment.log(String.format("Kueue installed (%d objects, image %s) in %.1f s", objects.size(), image(objects),
                (System.nanoTime() - t0) / 1e9));
        return kueue;
    }

    private void awaitReady() {
        KubernetesClient client = cluster.client();
        try {
            client.apps().deployments().inNamespace(NAMESPACE).withName(DEPLOYMENT).waitUntilReady(3, TimeUnit.MINUTES);
        } catch (RuntimeException e) {
            throw new IllegalStateException("Kueue's controller did not become ready in 3 min: " + podSummary(), e);
        }
        // Ready means its certificates are in place; the API server may still lack the CA bundle a few seconds.
        String[] last = {""};
        boolean answered = poll(Duration.ofMinutes(2), () -> {
            try {
                client.resource(resourceFlavor("testkit-webhook-probe")).dryRun().create();
                return true;
            } catch (KubernetesClientException e) {
                last[0] = e.getMessage();
                return false;
            }
        });
        if (!answered) throw new IllegalStateException("Kueue's webhooks did not answer in 2 min: " + last[0]);
    }

    /**
     * Removes everything the manifests created: the webhook configurations first (left behind with failurePolicy
     * Fail they would refuse every Job in a managed namespace, and Kueue's own objects everywhere), then the CRDs
     * while the controller still runs to clear its finalizers, then the rest; namespaces lose the managed label.
     */
    public void uninstall() {
        synchronized (Kueue.class) {
            if (shared == this) shared = null;
        }
        long t0 = System.nanoTime();
        KubernetesClient client = cluster.client();
        deleteAndWait(objects.stream().filter(o -> o instanceof MutatingWebhookConfiguration
                || o instanceof ValidatingWebhookConfiguration).toList(), Duration.ofMinutes(1));
        List<HasMetadata> crds = objects.stream().filter(o -> o instanceof CustomResourceDefinition).toList();
        client.resourceList(crds).delete();
        if (!poll(Duration.ofMinutes(1), () -> crds.stream().allMatch(c -> client.resource(c).get() == null))) {
            crds.forEach(c -> dropFinalizers((CustomResourceDefinition) c)); // a controller that did not clear them
        }
        deleteAndWait(crds, Duration.ofMinutes(1));
        List<HasMetadata> rest = new ArrayList<>(objects.stream().filter(o -> !crds.contains(o)
                && !(o instanceof MutatingWebhookConfiguration) && !(o instanceof ValidatingWebhookConfiguration)).toList());
        java.util.Collections.reverse(rest); // the namespace (first in the file) last
        deleteAndWait(rest, Duration.ofMinutes(3));
        for (var ns : client.namespaces().withLabel(MANAGED_LABEL).list().getItems()) {
            client.namespaces().withName(ns.getMetadata().getName()).edit(n -> {
                n.getMetadata().getLabels().remove(MANAGED_LABEL);
                return n;
            });
        }
        DockerEnvironment.log(String.format("Kueue uninstalled in %.1f s", (System.nanoTime() - t0) / 1e9));
    }

    @Override
    public void close() { uninstall(); }

    /** Opts a namespace in: Kueue then manages its Jobs that name a queue. */
    public void manage(String namespace) {
        cluster.client().namespaces().withName(namespace).edit(n -> {
            n.getMetadata().getLabels().put(MANAGED_LABEL, "true");
            return n;
        });
    }

    /** Creates or updates a Kueue object (server-side apply), e.g. one of the builders below. */
    public GenericKubernetesResource apply(GenericKubernetesResource o) {
        return cluster.client().resource(o).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
    }

    /** Deletes a Kueue object and waits until it is gone (finalizers: a ClusterQueue goes once its Workloads have). */
    public void delete(GenericKubernetesResource o) {
        deleteAndWait(List.<HasMetadata>of(o), Duration.ofMinutes(1));
    }

    /** The last {@code lines} lines of the controller's log (for a failing test's message). */
    public String controllerLog(int lines) {
        var pods = cluster.client().pods().inNamespace(NAMESPACE).withLabel("control-plane", "controller-manager").list().getItems();
        if (pods.isEmpty()) return "(no Kueue controller pod)";
        return cluster.client().pods().inNamespace(NAMESPACE).withName(pods.get(0).getMetadata().getName()).tailingLines(lines).getLog();
    }

    /** A ResourceFlavor without node labels (every node). */
    public static GenericKubernetesResource resourceFlavor(String name) {
        return object("ResourceFlavor", null, name, Map.of());
    }

    /**
     * A ClusterQueue of every namespace with one flavor and these nominal quotas (e.g. cpu=1); preemption
     * within the queue: "Never" (Kueue's default) or "LowerPriority".
     */
    public static GenericKubernetesResource clusterQueue(String name, String flavor, Map<String, String> quota, String preemption) {
        List<Map<String, Object>> resources = quota.entrySet().stream()
                .map(e -> Map.<String, Object>of("name", e.getKey(), "nominalQuota", e.getValue())).toList();
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("namespaceSelector", Map.of());
        spec.put("queueingStrategy", "BestEffortFIFO");
        spec.put("preemption", Map.of("withinClusterQueue", preemption));
        spec.put("resourceGroups", List.of(Map.of("coveredResources", List.copyOf(quota.keySet()),
                "flavors", List.of(Map.of("name", flavor, "resources", resources)))));
        return object("ClusterQueue", null, name, spec);
    }

    /** A ClusterQueue with a CPU quota alone (pods that request other resources do not fit in it). */
    public static GenericKubernetesResource clusterQueue(String name, String flavor, String cpu) {
        return clusterQueue(name, flavor, Map.of("cpu", cpu), "Never");
    }

    /** A LocalQueue: what {@value #QUEUE_LABEL} names, in its namespace. */
    public static GenericKubernetesResource localQueue(String namespace, String name, String clusterQueue) {
        return object("LocalQueue", namespace, name, Map.of("clusterQueue", clusterQueue));
    }

    /** A WorkloadPriorityClass (label kueue.x-k8s.io/priority-class on a Job or Workload owner picks it). */
    public static GenericKubernetesResource workloadPriorityClass(String name, int value) {
        var o = object("WorkloadPriorityClass", null, name, null);
        o.getAdditionalProperties().put("value", value); // no spec: value sits at the top level
        return o;
    }

    /** The Workloads of a namespace whose controller owner is this object (a Job, or a ParallelJob). */
    public List<GenericKubernetesResource> workloadsOf(String namespace, String ownerKind, String ownerName) {
        return cluster.client().genericKubernetesResources(API_VERSION, "Workload").inNamespace(namespace).list().getItems()
                .stream().filter(w -> w.getMetadata().getOwnerReferences().stream()
                        .anyMatch(r -> ownerKind.equals(r.getKind()) && ownerName.equals(r.getName())))
                .toList();
    }

    /** The Workload's conditions (QuotaReserved, Admitted, Evicted, Finished...); empty before Kueue wrote any. */
    public static List<Condition> conditions(GenericKubernetesResource workload) {
        Object status = workload.getAdditionalProperties().get("status");
        if (!(status instanceof Map<?, ?> s) || !(s.get("conditions") instanceof List<?> list)) return List.of();
        var serialization = new io.fabric8.kubernetes.client.utils.KubernetesSerialization();
        return list.stream().map(c -> serialization.convertValue(c, Condition.class)).toList();
    }

    /** A condition of this type, if the Workload has it. */
    public static Optional<Condition> condition(GenericKubernetesResource workload, String type) {
        return conditions(workload).stream().filter(c -> type.equals(c.getType())).findFirst();
    }

    private static GenericKubernetesResource object(String kind, String namespace, String name, Map<String, Object> spec) {
        var b = new GenericKubernetesResourceBuilder().withApiVersion(API_VERSION).withKind(kind)
                .withNewMetadata().withName(name).withNamespace(namespace).endMetadata();
        if (spec != null) b.addToAdditionalProperties("spec", spec);
        return b.build();
    }

    private static List<HasMetadata> load(KubernetesClient client, Path manifests) {
        try (InputStream in = Files.newInputStream(manifests)) {
            return client.load(in).items();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String image(List<HasMetadata> objects) {
        return objects.stream().filter(o -> o instanceof Deployment d && DEPLOYMENT.equals(d.getMetadata().getName()))
                .map(o -> ((Deployment) o).getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
                .findFirst().orElseThrow(() -> new IllegalStateException("no Deployment " + DEPLOYMENT + " in the Kueue manifests"));
    }

    private void deleteAndWait(List<HasMetadata> list, Duration timeout) {
        KubernetesClient client = cluster.client();
        for (HasMetadata o : list) client.resource(o).delete();
        if (!poll(timeout, () -> list.stream().allMatch(o -> client.resource(o).get() == null))) {
            throw new IllegalStateException("Kueue objects still there after " + timeout + ": " + list.stream()
                    .filter(o -> client.resource(o).get() != null).map(o -> o.getKind() + "/" + o.getMetadata().getName()).toList());
        }
    }

    private void dropFinalizers(CustomResourceDefinition crd) {
        KubernetesClient client = cluster.client();
        if (client.resource(crd).get() == null) return;
        String version = crd.getSpec().getVersions().stream().filter(v -> Boolean.TRUE.equals(v.getStorage()))
                .findFirst().orElseThrow().getName();
        var kind = client.genericKubernetesResources(crd.getSpec().getGroup() + "/" + version, crd.getSpec().getNames().getKind());
        for (var o : kind.inAnyNamespace().list().getItems()) {
            DockerEnvironment.log("Kueue uninstall: dropping the finalizers of " + o.getKind() + " " + o.getMetadata().getName());
            client.resource(o).edit(x -> {
                x.getMetadata().setFinalizers(List.of());
                return x;
            });
        }
    }

    private String podSummary() {
        return cluster.client().pods().inNamespace(NAMESPACE).list().getItems().stream()
                .map(p -> p.getMetadata().getName() + "=" + p.getStatus().getPhase() + " " + p.getStatus().getContainerStatuses().stream()
                        .map(c -> c.getState().toString()).toList()).toList().toString();
    }

    private static boolean poll(Duration timeout, BooleanSupplier done) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) return false;
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }
}
