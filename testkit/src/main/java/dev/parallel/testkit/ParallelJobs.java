package dev.parallel.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parallel.api.contract.Json;
import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.api.v1alpha1.Phase;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * ParallelJobs on a {@link ParallelJobCluster}: apply (typed, YAML or a file), await a phase with a report of
 * conditions, events and pods when it does not come, read the gathered result, the per-task results and the
 * pods' logs.
 */
public final class ParallelJobs {
    /** The label the operator puts on everything it creates for a ParallelJob. */
    public static final String JOB_LABEL = "parallel.dev/job-name";
    private static final Duration POLL = Duration.ofMillis(500);

    private final KubernetesClient client;

    ParallelJobs(ParallelJobCluster cluster) {
        this.client = cluster.client();
    }

    /** Creates or updates a typed ParallelJob (server-side apply) in {@code namespace}. */
    public ParallelJob apply(String namespace, ParallelJob pj) {
        pj.getMetadata().setNamespace(namespace);
        return client.resource(pj).forceConflicts().serverSideApply();
    }

    /** Applies every object of a YAML document (ParallelJobs, ConfigMaps...) in {@code namespace}, as kubectl apply does. */
    public List<HasMetadata> apply(String namespace, String yaml) {
        return client.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)))
                .inNamespace(namespace).forceConflicts().serverSideApply();
    }

    public List<HasMetadata> apply(String namespace, Path file) {
        try {
            return apply(namespace, Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public ParallelJob get(String namespace, String name) {
        return client.resources(ParallelJob.class).inNamespace(namespace).withName(name).get();
    }

    /**
     * Waits until the ParallelJob is in one of {@code phases}; on timeout fails with what the cluster says about
     * it (phase, progress, conditions, its events, its pods).
     */
    public ParallelJob awaitPhase(String namespace, String name, Duration timeout, Phase... phases) {
        List<Phase> want = List.of(phases);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            ParallelJob pj = get(namespace, name);
            if (pj != null && pj.getStatus() != null && want.contains(pj.getStatus().phase)) return pj;
            if (System.nanoTime() > deadline) {
                throw new AssertionError("ParallelJob " + namespace + "/" + name + " not " + want + " within " + timeout
                        + "\n" + describe(namespace, name));
            }
            sleep(POLL);
        }
    }

    /** Waits for a terminal phase and fails, with the report and the failed pods' logs, unless it Succeeded. */
    public ParallelJob awaitSucceeded(String namespace, String name, Duration timeout) {
        ParallelJob pj = awaitPhase(namespace, name, timeout, Phase.Succeeded, Phase.Failed);
        if (pj.getStatus().phase != Phase.Succeeded) {
            StringBuilder logs = new StringBuilder();
            failedPodLogs(namespace, name).forEach((pod, log) -> logs.append("--- logs of ").append(pod).append(":\n").append(log));
            throw new AssertionError("ParallelJob " + namespace + "/" + name + " ended " + pj.getStatus().phase + "\n"
                    + describe(namespace, name) + logs);
        }
        return pj;
    }

    /** The gathered result (status.result) as JSON; null when there is none. */
    public JsonNode result(ParallelJob pj) {
        return pj.getStatus() == null || pj.getStatus().result == null ? null : Json.mapper().valueToTree(pj.getStatus().result);
    }

    /** Every per-task result record the results ConfigMap holds, part by part, in task order within a part. */
    public List<JsonNode> taskResults(String namespace, String name) {
        ParallelJob pj = get(namespace, name);
        if (pj == null || pj.getStatus() == null || pj.getStatus().resultsConfigMap == null) return List.of();
        var cm = client.configMaps().inNamespace(namespace).withName(pj.getStatus().resultsConfigMap).get();
        List<JsonNode> out = new ArrayList<>();
        if (cm == null || cm.getData() == null) return out;
        cm.getData().entrySet().stream().filter(e -> e.getKey().endsWith(".results.jsonl"))
                .sorted(Map.Entry.comparingByKey())
                .forEach(e -> e.getValue().lines().filter(l -> !l.isBlank()).forEach(l -> {
                    try {
                        out.add(Json.mapper().readTree(l));
                    } catch (IOException ex) {
                        throw new UncheckedIOException("results line not JSON: " + l, ex);
                    }
                }));
        return out;
    }

    /** The pods the operator created for this ParallelJob, oldest first. */
    public List<Pod> pods(String namespace, String name) {
        return client.pods().inNamespace(namespace).withLabel(JOB_LABEL, name).list().getItems().stream()
                .sorted(Comparator.comparing(p -> p.getMetadata().getCreationTimestamp())).toList();
    }

    /** Every container's log of every pod of this ParallelJob that did not succeed. */
    public Map<String, String> failedPodLogs(String namespace, String name) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Pod p : pods(namespace, name)) {
            if ("Succeeded".equals(p.getStatus().getPhase())) continue;
            for (var c : p.getSpec().getContainers()) {
                try {
                    out.put(p.getMetadata().getName() + "/" + c.getName(), client.pods().inNamespace(namespace)
                            .withName(p.getMetadata().getName()).inContainer(c.getName()).tailingLines(200).getLog());
                } catch (RuntimeException e) {
                    out.put(p.getMetadata().getName() + "/" + c.getName(), "(no log: " + e.getMessage() + ")");
                }
            }
        }
        return out;
    }

    /** What a reader needs when a ParallelJob does not do what a test expects. */
    public String describe(String namespace, String name) {
        StringBuilder s = new StringBuilder();
        ParallelJob pj = get(namespace, name);
        if (pj == null) return "  (no such ParallelJob)\n";
        var st = pj.getStatus();
        s.append("  phase: ").append(st == null ? null : st.phase).append(", progress: ").append(st == null ? null : st.progress).append('\n');
        if (st != null) st.conditions.forEach(c -> s.append("  condition ").append(c.getType()).append('=').append(c.getStatus())
                .append(" (").append(c.getReason()).append("): ").append(c.getMessage()).append('\n'));
        client.v1().events().inNamespace(namespace).list().getItems().stream()
                .filter(e -> Objects.equals(name, e.getInvolvedObject().getName()) || e.getInvolvedObject().getName().startsWith(name))
                .forEach(e -> s.append("  event ").append(e.getType()).append(' ').append(e.getReason()).append(" on ")
                        .append(e.getInvolvedObject().getKind()).append('/').append(e.getInvolvedObject().getName())
                        .append(": ").append(e.getMessage()).append('\n'));
        for (Pod p : pods(namespace, name)) {
            s.append("  pod ").append(p.getMetadata().getName()).append(": ").append(p.getStatus().getPhase());
            if (p.getStatus().getContainerStatuses() != null) p.getStatus().getContainerStatuses().forEach(c -> s.append(" [")
                    .append(c.getName()).append(' ').append(c.getState().getTerminated() != null
                            ? "exit " + c.getState().getTerminated().getExitCode() + " " + c.getState().getTerminated().getReason()
                            : c.getState().getWaiting() != null ? c.getState().getWaiting().getReason() : "running").append(']'));
            s.append('\n');
        }
        return s.toString();
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
