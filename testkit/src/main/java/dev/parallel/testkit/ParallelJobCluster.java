package dev.parallel.testkit;

import com.dajudge.kindcontainer.KindContainer;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A Kubernetes cluster with the ParallelJob CRD and operator installed from the Helm chart: a kind node started
 * by Testcontainers (default), or the cluster {@code KUBECONFIG} points at when {@code -Dpj.cluster=kubeconfig}
 * (never by surprise: a developer's KUBECONFIG often points at a real cluster).
 *
 * <p>{@link #shared()} starts one per JVM (a whole test run) and removes it when the JVM exits. Settings, as
 * system properties or environment variables: {@code pj.kind.image} / {@code PJ_KIND_NODE_IMAGE} (the node image),
 * {@code pj.image.archives} / {@code PJ_IMAGE_ARCHIVES} (docker-archive tars loaded into the node, comma-separated:
 * the operator and job images at least, unless the node can pull them), {@code pj.images} / {@code PJ_IMAGES}
 * (images from the local Docker, comma-separated), {@code pj.helm} (the helm binary), {@code pj.helm.set} (chart values, comma-separated
 * key=value).
 */
public final class ParallelJobCluster implements AutoCloseable {
    public static final String OPERATOR_NAMESPACE = "parallel-job-system";
    public static final String RELEASE = "pj";
    private static final String OWNER_LABEL = "dev.parallel.testkit.pid";
    private static ParallelJobCluster shared;

    private final KindContainer<?> node; // null on an external cluster
    private final Path kubeconfig;
    private final KubernetesClient client;
    private final Set<String> loaded = new HashSet<>();

    private ParallelJobCluster(KindContainer<?> node, Path kubeconfig) {
        this.node = node;
        this.kubeconfig = kubeconfig;
        this.client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(read(kubeconfig))).build();
    }

    /** The run's cluster: started (and the operator installed) on first use, removed when the JVM exits. */
    public static synchronized ParallelJobCluster shared() {
        if (shared == null) {
            shared = start();
            Runtime.getRuntime().addShutdownHook(new Thread(shared::close, "parallel-job-cluster-stop"));
        }
        return shared;
    }

    /** A new cluster configured from the settings above; the caller closes it. */
    public static ParallelJobCluster start() {
        long t0 = System.nanoTime();
        ParallelJobCluster cluster;
        if ("kubeconfig".equals(setting("pj.cluster", "PJ_CLUSTER", "kind"))) {
            String env = System.getenv("KUBECONFIG");
            if (env == null || env.isBlank()) throw new IllegalStateException("pj.cluster=kubeconfig but KUBECONFIG is not set");
            cluster = new ParallelJobCluster(null, Path.of(env.split(java.io.File.pathSeparator)[0]));
            DockerEnvironment.log("using the cluster KUBECONFIG points at (" + env + "); its nodes must reach the images");
        } else {
            cluster = startKind();
            boolean free = !"false".equals(setting("pj.kind.freeControlPlaneCpu", "PJ_KIND_FREE_CONTROL_PLANE_CPU", "true"));
            String apiServer = free ? cluster.dropControlPlaneCpuRequests() : null;
            cluster.loadDefaultImages(); // while the control plane restarts
            if (free) cluster.awaitControlPlaneRestart(apiServer);
            cluster.awaitAddOns();
        }
        DockerEnvironment.log(String.format("cluster ready in %.1f s", (System.nanoTime() - t0) / 1e9));
        cluster.installOperator();
        return cluster;
    }

    private static ParallelJobCluster startKind() {
        DockerEnvironment.prepare();
        reapStale();
        NodeImage image = NodeImage.choose();
        DockerEnvironment.log("kind node image " + image.name() + " (" + image.why() + ")");
        long t0 = System.nanoTime();
        KindContainer<?> kind = new KindContainer<>(image.spec())
                .withLabel(OWNER_LABEL, Long.toString(ProcessHandle.current().pid()))
                .withNodeReadyTimeout(Duration.ofMinutes(5));
        try {
            kind.start();
        } catch (RuntimeException e) {
            kind.stop(); // its volume too
            throw new IllegalStateException("the kind node did not start (image " + image.name() + ")", e);
        }
        DockerEnvironment.log(String.format("kind node container %s (%s) Ready in %.1f s", kind.getContainerName(),
                kind.getContainerId().substring(0, 12), (System.nanoTime() - t0) / 1e9));
        return new ParallelJobCluster(kind, writePrivate("kubeconfig", kind.getKubeconfig()));
    }

    /**
     * Removes node containers (and their volumes) that an earlier run left behind when its JVM was killed
     * before its shutdown hook ran: Ryuk, which would do it, cannot run without a registry.
     */
    private static void reapStale() {
        var ps = Processes.run(List.of("docker", "ps", "-a", "--filter", "label=" + OWNER_LABEL,
                "--format", "{{.ID}} {{.Label \"" + OWNER_LABEL + "\"}}"), Duration.ofSeconds(30));
        if (!ps.ok()) return;
        for (String line : ps.out().lines().toList()) {
            String[] f = line.split(" ");
            if (f.length < 2 || ProcessHandle.of(Long.parseLong(f[1])).map(ProcessHandle::isAlive).orElse(false)) continue;
            var volumes = Processes.run(List.of("docker", "inspect", "--format",
                    "{{range .Mounts}}{{if eq .Type \"volume\"}}{{.Name}} {{end}}{{end}}", f[0]), Duration.ofSeconds(30));
            Processes.run(List.of("docker", "rm", "-f", "-v", f[0]), Duration.ofSeconds(120));
            for (String v : volumes.out().trim().split("\\s+")) {
                if (!v.isBlank()) Processes.run(List.of("docker", "volume", "rm", v), Duration.ofSeconds(60));
            }
            DockerEnvironment.log("removed node container " + f[0] + " left by an earlier run (pid " + f[1] + ")");
        }
        // A node that failed to start leaves its containerd volume behind (no Ryuk to remove it).
        var orphans = Processes.run(List.of("docker", "volume", "ls", "-q", "--filter", "dangling=true",
                "--filter", "label=org.testcontainers=true"), Duration.ofSeconds(30));
        for (String v : orphans.out().lines().filter(v -> v.startsWith("kindcontainer-")).toList()) {
            Processes.run(List.of("docker", "volume", "rm", v), Duration.ofSeconds(60));
            DockerEnvironment.log("removed volume " + v + " left by an earlier run");
        }
    }

    /**
     * A test node shares its few CPUs with its control plane, whose static pods request 650m that they
     * rarely use: on a 2-CPU machine the scheduler would hold back a third of the node. The requests are
     * dropped from the manifests (the kubelet restarts those pods) and CoreDNS runs one replica. Tests
     * that measure scheduling against a real cluster's reservations turn it off: pj.kind.freeControlPlaneCpu=false.
     */
    private String dropControlPlaneCpuRequests() {
        String old = execInNode(Duration.ofSeconds(30), "crictl", "ps", "-q", "--name", "kube-apiserver").out().strip();
        execInNode(Duration.ofSeconds(30), "sh", "-c", "sed -i -E '/^ +cpu: [0-9]+m$/d' /etc/kubernetes/manifests/*.yaml")
                .orThrow(List.of("drop control-plane CPU requests"));
        return old;
    }

    private void awaitControlPlaneRestart(String oldApiServer) {
        long t0 = System.nanoTime();
        String script = "for i in $(seq 600); do new=$(crictl ps -q --name kube-apiserver);"
                + " [ -n \"$new\" ] && [ \"$new\" != \"" + oldApiServer + "\" ] && kubectl --kubeconfig /etc/kubernetes/admin.conf"
                + " get --raw /readyz >/dev/null 2>&1 && exit 0; sleep 0.5; done; echo 'API server not back after 300 s'; exit 1";
        execInNode(Duration.ofMinutes(6), "sh", "-c", script).orThrow(List.of("await the restarted API server"));
        execInNode(Duration.ofMinutes(1), "kubectl", "--kubeconfig", "/etc/kubernetes/admin.conf", "-n", "kube-system",
                "scale", "deployment/coredns", "--replicas=1").orThrow(List.of("scale coredns"));
        DockerEnvironment.log(String.format("control-plane CPU requests dropped, CoreDNS at 1 replica (waited %.1f s)",
                (System.nanoTime() - t0) / 1e9));
    }

    /** kindcontainer waits for a Ready node only: tests also need DNS and Services (CoreDNS, kube-proxy). */
    private void awaitAddOns() {
        long t0 = System.nanoTime();
        var kubeSystem = client.apps();
        try {
            kubeSystem.deployments().inNamespace("kube-system").withName("coredns").waitUntilCondition(d -> d != null
                    && d.getStatus() != null && d.getStatus().getAvailableReplicas() != null && d.getStatus().getAvailableReplicas() > 0,
                    3, java.util.concurrent.TimeUnit.MINUTES);
            kubeSystem.daemonSets().inNamespace("kube-system").withName("kube-proxy").waitUntilCondition(d -> d != null
                    && d.getStatus() != null && d.getStatus().getNumberReady() != null && d.getStatus().getNumberReady() > 0,
                    3, java.util.concurrent.TimeUnit.MINUTES);
        } catch (RuntimeException e) {
            throw new IllegalStateException("the kind node's CoreDNS or kube-proxy did not become ready: "
                    + client.pods().inNamespace("kube-system").list().getItems().stream()
                            .map(p -> p.getMetadata().getName() + "=" + p.getStatus().getPhase()).toList(), e);
        }
        DockerEnvironment.log(String.format("CoreDNS and kube-proxy ready in %.1f s", (System.nanoTime() - t0) / 1e9));
    }

    public KubernetesClient client() { return client; }

    /** A kubeconfig file for this cluster (for kubectl, helm, or your own clients). */
    public Path kubeconfig() { return kubeconfig; }

    /** The environment a kubectl or helm subprocess needs to talk to this cluster. */
    public Map<String, String> env() { return Map.of("KUBECONFIG", kubeconfig.toString()); }

    /** What you can do with ParallelJobs on this cluster. */
    public ParallelJobs jobs() { return new ParallelJobs(this); }

    /** The kind node's Docker container, or null on an external cluster. */
    public String nodeContainer() { return node == null ? null : node.getContainerName().replaceFirst("^/", ""); }

    /** Runs a command inside the kind node (systemctl, crictl, ctr...), with a timeout. */
    public Processes.Result execInNode(Duration timeout, String... command) {
        if (node == null) throw new IllegalStateException("not a kind cluster: cannot run " + String.join(" ", command) + " in its node");
        List<String> cmd = new ArrayList<>(List.of("docker", "exec", node.getContainerId()));
        cmd.addAll(List.of(command));
        return Processes.run(cmd, timeout);
    }

    /** Loads a docker-archive image tarball into the node's containerd (kubelet finds it; nothing is pulled). */
    public synchronized void loadImageArchive(Path tar) {
        if (node == null || !loaded.add(tar.toAbsolutePath().toString())) return;
        long t0 = System.nanoTime();
        // Streamed into ctr on the node's stdin: nothing is copied into the node's file system.
        List<String> cmd = List.of("docker", "exec", "-i", node.getContainerId(), "ctr", "-n", "k8s.io", "images", "import", "-");
        Processes.run(cmd, Duration.ofMinutes(5), Map.of(), null, tar).orThrow(List.of("ctr images import", tar.toString()));
        DockerEnvironment.log(String.format("loaded %s into the node in %.1f s", tar.getFileName(), (System.nanoTime() - t0) / 1e9));
    }

    /** Loads an image from the local Docker (one you built) into the node. */
    public synchronized void loadDockerImage(String image) {
        if (node == null || loaded.contains(image)) return;
        try {
            Path tar = Files.createTempFile("pj-image-", ".tar");
            try {
                Processes.run(List.of("docker", "save", "-o", tar.toString(), image), Duration.ofMinutes(5))
                        .orThrow(List.of("docker", "save", image));
                loadImageArchive(tar);
                loaded.add(image);
            } finally {
                Files.deleteIfExists(tar);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void loadDefaultImages() {
        String archives = setting("pj.image.archives", "PJ_IMAGE_ARCHIVES", "");
        String images = setting("pj.images", "PJ_IMAGES", "");
        if (archives.isBlank() && images.isBlank()) {
            DockerEnvironment.log("no pj.image.archives / pj.images: the node pulls the operator and job images");
        }
        for (String tar : archives.split(",")) {
            if (!tar.isBlank()) loadImageArchive(Path.of(tar.strip()));
        }
        for (String image : images.split(",")) {
            if (!image.isBlank()) loadDockerImage(image.strip());
        }
    }

    /** helm upgrade --install of the chart (in this jar unless pj.chart names a folder), waiting for the operator. */
    private void installOperator() {
        long t0 = System.nanoTime();
        client.namespaces().resource(restricted(OPERATOR_NAMESPACE)).serverSideApply();
        // The namespace that tests use when they name none: its pods must pass the restricted profile too.
        client.namespaces().resource(restricted("default")).serverSideApply();
        Path chart = Charts.chart();
        List<String> cmd = new ArrayList<>(List.of(setting("pj.helm", "PJ_HELM", "helm"), "upgrade", "--install", RELEASE,
                chart.toString(), "-n", OPERATOR_NAMESPACE, "--wait", "--timeout", "300s"));
        for (String kv : setting("pj.helm.set", "PJ_HELM_SET", "").split(",")) {
            if (!kv.isBlank()) cmd.addAll(List.of("--set", kv.strip()));
        }
        Processes.run(cmd, Duration.ofMinutes(6), env(), null).orThrow(cmd);
        DockerEnvironment.log(String.format("operator installed from %s in %.1f s", chart, (System.nanoTime() - t0) / 1e9));
    }

    /** A namespace whose pods must pass the restricted Pod Security profile, as every pod we create does. */
    static io.fabric8.kubernetes.api.model.Namespace restricted(String name) {
        return new NamespaceBuilder().withNewMetadata().withName(name)
                .addToLabels("pod-security.kubernetes.io/enforce", "restricted")
                .addToLabels("pod-security.kubernetes.io/warn", "restricted")
                .endMetadata().build();
    }

    @Override
    public synchronized void close() {
        client.close();
        if (node != null && node.getContainerId() != null) {
            String name = nodeContainer();
            node.stop(); // container and its containerd volume
            DockerEnvironment.log("removed kind node container " + name);
        }
    }

    static String setting(String property, String env, String fallback) {
        String v = System.getProperty(property);
        if (v == null || v.isBlank()) v = System.getenv(env);
        return v == null || v.isBlank() ? fallback : v;
    }

    private static Path writePrivate(String prefix, String content) {
        try {
            Path p = Files.createTempFile(prefix + "-", ".yaml",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            p.toFile().deleteOnExit();
            return Files.writeString(p, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
