package dev.parallel.e2e;

import static org.awaitility.Awaitility.await;

import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.testkit.ParallelJobCluster;
import dev.parallel.testkit.Processes;
import dev.parallel.testkit.Processes.Result;
import dev.parallel.api.v1alpha1.Phase;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The cluster under test: the run's kind node started by Testcontainers with the operator installed by Helm
 * (the testkit's {@link ParallelJobCluster#shared()}), with the helpers the suites share.
 */
final class Cluster {
    static final String OPERATOR_NAMESPACE = ParallelJobCluster.OPERATOR_NAMESPACE;
    static final Path ROOT = Path.of(System.getProperty("repo.root", "..")).toAbsolutePath().normalize();

    private Cluster() {}

    static ParallelJobCluster cluster() { return ParallelJobCluster.shared(); }

    static KubernetesClient client() { return cluster().client(); }

    static Result kubectl(String... args) {
        return tool("kubectl", Duration.ofSeconds(120), args);
    }

    static Result helm(String... args) {
        return tool("helm", Duration.ofMinutes(5), args);
    }

    static Result tool(String tool, Duration timeout, String... args) {
        List<String> cmd = new ArrayList<>(List.of(tool));
        cmd.addAll(List.of(args));
        return Processes.run(cmd, timeout, cluster().env(), ROOT);
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

    /**
     * Stops a component of the node for {@code downtime} seconds and starts it again, waiting until the API server
     * answers: kubelet and containerd are systemd units of the node; the API server is a static pod, stopped by
     * taking its manifest away (the kubelet drains it) and started by putting it back.
     */
    static Result restart(String component, int downtime) {
        String script = switch (component) {
            case "kubelet", "containerd" -> "systemctl stop " + component + " && sleep " + downtime + " && systemctl start " + component;
            case "kube-apiserver" -> "m=/etc/kubernetes/manifests/kube-apiserver.yaml; mv $m /etc/kubernetes/apiserver.stopped"
                    + " && for i in $(seq 240); do [ -z \"$(crictl ps -q --name kube-apiserver)\" ] && break; sleep 0.5; done"
                    + " && sleep " + downtime + " && mv /etc/kubernetes/apiserver.stopped $m";
            default -> throw new IllegalArgumentException("no such node component: " + component);
        } + " && for i in $(seq 600); do kubectl --kubeconfig /etc/kubernetes/admin.conf get --raw /readyz >/dev/null 2>&1"
                + " && exit 0; sleep 0.5; done; echo 'API server not ready after 300 s'; exit 1";
        return cluster().execInNode(Duration.ofMinutes(8), "sh", "-c", script);
    }

    /** Sends {@code signal} to a running container's main process (SIGKILL: as the OOM killer or a crash would). */
    static void signal(io.fabric8.kubernetes.api.model.Pod pod, String container, String signal) {
        String id = pod.getStatus().getContainerStatuses().stream().filter(c -> c.getName().equals(container))
                .findFirst().orElseThrow().getContainerID();
        // kubectl cannot send SIGKILL; containerd inside the node can.
        cluster().execInNode(Duration.ofSeconds(60), "ctr", "-n", "k8s.io", "tasks", "kill", "-s", signal,
                id.replaceFirst("^containerd://", "")).orThrow(List.of("ctr tasks kill", id));
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

    /** kubectl apply of a manifest in {@code ns}; fails the test with kubectl's message when refused. */
    static void apply(String ns, String yaml) throws Exception {
        Path f = java.nio.file.Files.createTempFile("pj", ".yaml");
        java.nio.file.Files.writeString(f, yaml);
        var r = kubectl("apply", "-n", ns, "-f", f.toString());
        java.nio.file.Files.delete(f);
        if (r.code() != 0) throw new AssertionError("kubectl apply refused: " + r.err());
    }

    /**
     * Suspends or resumes a ParallelJob as a user does ({@code kubectl patch --type merge}): a merge patch carries no
     * resourceVersion, so it cannot conflict with the operator's status writes (a read-modify-write edit can).
     */
    static void suspend(String ns, String name, boolean suspend) {
        var r = kubectl("patch", "pj", name, "-n", ns, "--type", "merge", "-p", "{\"spec\":{\"suspend\":" + suspend + "}}");
        if (r.code() != 0) throw new AssertionError("kubectl patch suspend=" + suspend + " refused: " + r.err());
    }

    /** A measured figure: to stdout, tagged, and appended to target/{tag}.txt (the docs quote these files). */
    static void report(String tag, String line) {
        System.out.println("[" + tag + "] " + line);
        try {
            java.nio.file.Files.writeString(Path.of("target/" + tag + ".txt"), line + "\n", java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The ParallelJob's pods that are running now. */
    static List<io.fabric8.kubernetes.api.model.Pod> runningPods(String ns, String name) {
        return client().pods().inNamespace(ns).withLabel("parallel.dev/job-name", name).list().getItems().stream()
                .filter(p -> p.getStatus() != null && "Running".equals(p.getStatus().getPhase())).toList();
    }

    /** How many task results a running pod has logged so far (each finished task logs one line). */
    static long tasksLogged(String ns, io.fabric8.kubernetes.api.model.Pod pod) {
        try {
            String log = client().pods().inNamespace(ns).withName(pod.getMetadata().getName()).inContainer("worker").getLog();
            return log == null ? 0 : log.lines().filter(l -> l.startsWith(dev.parallel.api.contract.PodContract.RESULT_LOG_PREFIX)).count();
        } catch (RuntimeException e) {
            return 0; // not started yet
        }
    }

    /** Deletes a ParallelJob of this name left by an earlier run. */
    static void fresh(String ns, String name) {
        if (get(ns, name) != null) deleteAndWait(ns, name);
    }

    static ParallelJob get(String ns, String name) {
        return client().resources(ParallelJob.class).inNamespace(ns).withName(name).get();
    }

    /** Waits for one of the phases; on timeout fails with the ParallelJob's report and the operator's. */
    static ParallelJob awaitPhase(String ns, String name, Duration timeout, Phase... phases) {
        try {
            return cluster().jobs().awaitPhase(ns, name, timeout, phases);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + operatorReport(), e);
        }
    }

    /** The operator's pods, restarts and last log lines: what a stuck ParallelJob's report needs besides its own. */
    static String operatorReport() {
        StringBuilder s = new StringBuilder();
        try {
            for (var p : operatorPods()) {
                String pod = p.getMetadata().getName();
                var cs = p.getStatus().getContainerStatuses();
                int restarts = cs == null ? 0 : cs.stream().mapToInt(c -> c.getRestartCount() == null ? 0 : c.getRestartCount()).sum();
                s.append("  operator pod ").append(pod).append(": ").append(p.getStatus().getPhase()).append(", restarts ").append(restarts).append('\n');
                if (restarts > 0) s.append(indent(kubectl("logs", "-n", OPERATOR_NAMESPACE, pod, "--previous", "--tail=40").out(), "previous"));
                s.append(indent(kubectl("logs", "-n", OPERATOR_NAMESPACE, pod, "--tail=80").out(), "log"));
            }
        } catch (RuntimeException e) {
            s.append("  (no operator report: ").append(e.getMessage()).append(")\n");
        }
        return s.toString();
    }

    private static String indent(String text, String tag) {
        StringBuilder s = new StringBuilder();
        text.lines().forEach(l -> s.append("    ").append(tag).append("| ").append(l).append('\n'));
        return s.toString();
    }

    static void deleteAndWait(String ns, String name) {
        client().resources(ParallelJob.class).inNamespace(ns).withName(name).delete();
        await().atMost(Duration.ofSeconds(60)).until(() -> get(ns, name) == null);
    }
}
