package dev.parallel.e2e;

import static org.awaitility.Awaitility.await;

import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.api.v1alpha1.Phase;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** The real cluster under test (KUBECONFIG), with the operator installed by Helm (make test-e2e does both). */
final class Cluster {
    static final String OPERATOR_NAMESPACE = System.getProperty("e2e.operatorNamespace", "parallel-job-system");
    static final Path ROOT = Path.of(System.getProperty("repo.root", "..")).toAbsolutePath().normalize();

    private static KubernetesClient client;

    private Cluster() {}

    static synchronized KubernetesClient client() {
        if ("kind".equals(System.getProperty("e2e.cluster"))) {
            // kind needs the kindest/node image from a registry; a pull attempt hangs for minutes here.
            Assumptions.abort("e2e.cluster=kind needs Docker and a container registry to pull kindest/node; "
                    + "none is reachable on this machine (use the default local cluster: make test-e2e)");
        }
        if (client == null) {
            client = new KubernetesClientBuilder().build();
            client.getKubernetesVersion(); // fails fast when no cluster answers
        }
        return client;
    }

    record Result(int code, String out, String err) {}

    static Result kubectl(String... args) {
        List<String> cmd = new ArrayList<>(List.of("kubectl"));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).directory(ROOT.toFile()).start();
            p.getOutputStream().close();
            var out = p.getInputStream().readAllBytes();
            var err = p.getErrorStream().readAllBytes();
            if (!p.waitFor(120, TimeUnit.SECONDS)) throw new IllegalStateException("kubectl timed out: " + cmd);
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Makes the node advertise {@code count} of an extended resource, as a device plugin would (the
     * Kubernetes "advertise extended resources" task: a node status patch the kubelet keeps), so pods
     * asking for GPUs schedule on this GPU-less node and meet a container without a driver.
     * {@code count} 0 withdraws it.
     */
    static void advertise(String resource, int count) {
        String node = client().nodes().list().getItems().get(0).getMetadata().getName();
        String path = "/status/capacity/" + resource.replace("~", "~0").replace("/", "~1");
        boolean present = client().nodes().withName(node).get().getStatus().getCapacity().containsKey(resource);
        String op = count > 0 ? "[{\"op\": \"add\", \"path\": \"" + path + "\", \"value\": \"" + count + "\"}]"
                : "[{\"op\": \"remove\", \"path\": \"" + path + "\"}]";
        if (count == 0 && !present) return;
        Result r = kubectl("patch", "node", node, "--subresource=status", "--type=json", "-p", op);
        if (r.code() != 0) throw new IllegalStateException("kubectl patch node: " + r.err());
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> {
            var alloc = client().nodes().withName(node).get().getStatus().getAllocatable();
            return count > 0 ? String.valueOf(count).equals(alloc.get(resource) == null ? null : alloc.get(resource).toString())
                    : !alloc.containsKey(resource);
        });
    }

    /** hack/cluster.sh with these arguments (restart a component, signal a container). */
    static Result clusterScript(String... args) {
        List<String> cmd = new ArrayList<>(List.of("bash", ROOT.resolve("hack/cluster.sh").toString()));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).directory(ROOT.toFile()).redirectErrorStream(true).start();
            p.getOutputStream().close();
            var out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(300, TimeUnit.SECONDS)) throw new IllegalStateException("timed out: " + cmd);
            return new Result(p.exitValue(), out, "");
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Sends {@code signal} to a running container's main process (SIGKILL: as the OOM killer or a crash would). */
    static void signal(io.fabric8.kubernetes.api.model.Pod pod, String container, String signal) {
        String id = pod.getStatus().getContainerStatuses().stream().filter(c -> c.getName().equals(container))
                .findFirst().orElseThrow().getContainerID();
        Result r = clusterScript("kill-container", id, signal);
        if (r.code() != 0) throw new IllegalStateException("kill-container " + id + ": " + r.out());
    }

    /** The operator's pods (installed by Helm). */
    static List<io.fabric8.kubernetes.api.model.Pod> operatorPods() {
        return client().pods().inNamespace(OPERATOR_NAMESPACE)
                .withLabel("app.kubernetes.io/name", "parallel-job-operator").list().getItems();
    }

    /** The operator's memory now: heap used (its metrics), RSS and peak RSS (VmHWM, since the container started). */
    record OperatorMemory(double heapBytes, long rssBytes, long peakRssBytes) {}

    static OperatorMemory operatorMemory() {
        var pods = operatorPods();
        if (pods.isEmpty()) return null;
        String pod = pods.get(0).getMetadata().getName();
        var status = kubectl("exec", "-n", OPERATOR_NAMESPACE, pod, "--", "cat", "/proc/1/status");
        java.util.function.ToLongFunction<String> kb = key -> status.out().lines().filter(l -> l.startsWith(key + ":"))
                .mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024).findFirst().orElse(-1);
        var metrics = kubectl("get", "--raw", "/api/v1/namespaces/" + OPERATOR_NAMESPACE
                + "/services/pj-parallel-job-operator-metrics:8080/proxy/q/metrics");
        double heap = metrics.out().lines().filter(l -> l.startsWith("jvm_memory_used_bytes") && l.contains("area=\"heap\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
        return new OperatorMemory(heap, kb.applyAsLong("VmRSS"), kb.applyAsLong("VmHWM"));
    }

    /** The ParallelJob's condition of this type (it must be there). */
    static io.fabric8.kubernetes.api.model.Condition condition(ParallelJob pj, String type) {
        return pj.getStatus().conditions.stream().filter(c -> type.equals(c.getType())).findFirst()
                .orElseThrow(() -> new AssertionError("no " + type + " condition in " + pj.getStatus().conditions));
    }

    /** Deletes a ParallelJob of this name left by an earlier run. */
    static void fresh(String ns, String name) {
        if (get(ns, name) != null) deleteAndWait(ns, name);
    }

    static ParallelJob get(String ns, String name) {
        return client().resources(ParallelJob.class).inNamespace(ns).withName(name).get();
    }

    static ParallelJob awaitPhase(String ns, String name, Duration timeout, Phase... phases) {
        List<Phase> want = List.of(phases);
        await().atMost(timeout).pollInterval(Duration.ofMillis(500)).until(() -> {
            ParallelJob pj = get(ns, name);
            return pj != null && pj.getStatus() != null && want.contains(pj.getStatus().phase);
        });
        return get(ns, name);
    }

    static void deleteAndWait(String ns, String name) {
        client().resources(ParallelJob.class).inNamespace(ns).withName(name).delete();
        await().atMost(Duration.ofSeconds(60)).until(() -> get(ns, name) == null);
    }
}
