package dev.parallel.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.api.v1alpha1.Phase;
import dev.parallel.testkit.ParallelJobExtension;
import dev.parallel.testkit.ParallelJobs;
import dev.parallel.testkit.TestNamespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.scheduling.v1.PriorityClassBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * spec.template on the cluster, in this class's namespace (which enforces the restricted Pod Security profile):
 * k8s-examples/template-pvc.yaml as written, a command ParallelJob in the busybox user image whose tasks read
 * their input files from a PVC (StorageClass standard, the node's local-path provisioner), write one output
 * file each to it, read a credential from a Secret through envFrom on the task container and run with a
 * priorityClassName; a second step reads the outputs back from the PVC. A template that loosens the security
 * defaults gets what the namespace allows: here nothing, and the ParallelJob says so with the API server's words.
 */
@ExtendWith(ParallelJobExtension.class)
class PodTemplateE2ETest {
    static final Path EXAMPLE = Cluster.ROOT.resolve("k8s-examples/template-pvc.yaml");
    static final String PRIORITY_CLASS = "batch-high";
    static final int TASKS = 4;
    static String NS;

    @BeforeAll
    static void setUp(TestNamespace ns) {
        NS = ns.name();
        // The example's PriorityClass, as a cluster admin would create it; removed after.
        Cluster.client().resource(new PriorityClassBuilder().withNewMetadata().withName(PRIORITY_CLASS).endMetadata()
                .withValue(1000).withDescription("PodTemplateE2ETest").build()).serverSideApply();
    }

    @AfterAll
    static void tearDown() {
        Cluster.client().resources(io.fabric8.kubernetes.api.model.scheduling.v1.PriorityClass.class).withName(PRIORITY_CLASS).delete();
    }

    /** The example's documents: the ParallelJob, then the Secret and the PVC. */
    static List<String> documents() throws Exception {
        return List.of(Files.readString(EXAMPLE).split("\n---\n"));
    }

    /** A step over the example's PVC: a command per task in /data, as the template mounts it. */
    static String step(String name, String command) {
        return """
                apiVersion: parallel.dev/v1alpha1
                kind: ParallelJob
                metadata: {name: %s}
                spec:
                  image: docker.io/parallel-dev/busybox:1.35
                  command: '%s'
                  tasks: {range: {start: 0, end: %d}}
                  pods: 2
                  reduce: collect
                  template:
                    spec:
                      volumes: [{name: data, persistentVolumeClaim: {claimName: scorer-data}}]
                      containers: [{name: task, workingDir: /data, volumeMounts: [{name: data, mountPath: /data}]}]
                """.formatted(name, command, TASKS);
    }

    static ParallelJob succeeded(String name) {
        ParallelJob pj = Cluster.awaitPhase(NS, name, Duration.ofMinutes(3), Phase.Succeeded, Phase.Failed);
        assertThat(pj.getStatus().phase).as("%s: conditions %s, failed tasks %s", name, pj.getStatus().conditions,
                pj.getStatus().failedTasks).isEqualTo(Phase.Succeeded);
        assertThat(pj.getStatus().tasks.succeeded).isEqualTo(TASKS);
        return pj;
    }

    /** Each task's result value, in task order. */
    static List<JsonNode> values(ParallelJobs jobs, String name) {
        return jobs.taskResults(NS, name).stream().sorted(java.util.Comparator.comparingLong(r -> r.get("index").asLong()))
                .map(r -> r.get("value")).toList();
    }

    @Test
    void tasksReadTheirInputFromAPvcWriteTheirOutputAndReadASecretInARestrictedNamespace(ParallelJobs jobs) throws Exception {
        assertThat(Cluster.client().namespaces().withName(NS).get().getMetadata().getLabels())
                .containsEntry("pod-security.kubernetes.io/enforce", "restricted");
        List<String> docs = documents();
        assertThat(docs).hasSize(3);
        Cluster.apply(NS, docs.get(1)); // the Secret
        Cluster.apply(NS, docs.get(2)); // the PVC (bound when the first pod uses it)
        // The inputs, written to the PVC by a first step: in/K.txt holds input-K.
        Cluster.apply(NS, step("template-seed", "mkdir -p in out && echo input-$TASK_INDEX > in/$TASK_INDEX.txt"));
        succeeded("template-seed");

        Cluster.apply(NS, docs.get(0)); // the example's ParallelJob, as written
        ParallelJob pj = succeeded("template-pvc");
        List<JsonNode> results = values(jobs, "template-pvc");
        assertThat(results).hasSize(TASKS);
        for (int k = 0; k < TASKS; k++) {
            assertThat(results.get(k).get("input").asText()).as("task %d read its input from the PVC", k).isEqualTo("input-" + k);
            assertThat(results.get(k).get("tokenChars").asInt()).as("API_TOKEN from the Secret (envFrom)").isEqualTo("s3cr3t".length());
        }
        List<Pod> pods = jobs.pods(NS, "template-pvc");
        assertThat(pods).isNotEmpty().allSatisfy(p -> {
            assertThat(p.getSpec().getPriorityClassName()).isEqualTo(PRIORITY_CLASS);
            assertThat(p.getSpec().getPriority()).as("the admission plugin resolved the class").isEqualTo(1000);
            assertThat(p.getMetadata().getLabels()).containsEntry("team", "scoring").containsEntry("parallel.dev/job-name", "template-pvc");
            assertThat(p.getSpec().getSecurityContext().getRunAsNonRoot()).isTrue();
        });
        assertThat(pj.getStatus().tasks.failed).isZero();

        // A second step reads what the first wrote: one output file per task, each naming its input.
        Cluster.apply(NS, step("template-check", "echo \"{\\\"output\\\": \\\"$(cat out/$TASK_INDEX.txt)\\\", "
                + "\\\"files\\\": $(ls out | wc -l)}\""));
        succeeded("template-check");
        List<JsonNode> outputs = values(jobs, "template-check");
        for (int k = 0; k < TASKS; k++) {
            assertThat(outputs.get(k).get("output").asText()).isEqualTo("input-" + k + " scored");
            assertThat(outputs.get(k).get("files").asInt()).isEqualTo(TASKS);
        }
        for (String name : List.of("template-check", "template-pvc", "template-seed")) Cluster.deleteAndWait(NS, name);
        Cluster.kubectl("delete", "-n", NS, "pvc/scorer-data", "secret/scorer-credentials", "--wait=false");
    }

    @Test
    void kubectlExplainDescribesTheTemplate() {
        var r = Cluster.kubectl("explain", "pj.spec.template");
        assertThat(r.code()).as(r.err()).isZero();
        // kubectl wraps the description: compare with the line breaks folded.
        assertThat(r.out().replaceAll("\\s+", " ")).contains("merged into every pod the operator creates")
                .contains("metadata").contains("spec");
        var volumes = Cluster.kubectl("explain", "pj.spec.template.spec.volumes.persistentVolumeClaim");
        assertThat(volumes.code()).as(volumes.err()).isZero();
        assertThat(volumes.out()).contains("claimName");
    }

    /** The CRD with the template's schema: client-side apply's annotation fits (256 KiB), and server-side apply. */
    @Test
    void theCrdAppliesClientSideAndServerSide() {
        String crd = Cluster.ROOT.resolve("crds/paralleljobs.parallel.dev-v1.yml").toString();
        for (List<String> how : List.of(List.of("apply", "--dry-run=server", "-f", crd),
                List.of("apply", "--server-side", "--force-conflicts", "--dry-run=server", "-f", crd))) {
            var r = Cluster.kubectl(how.toArray(String[]::new));
            assertThat(r.code()).as("kubectl %s: %s", how, r.err()).isZero();
            assertThat(r.out()).contains("paralleljobs.parallel.dev");
        }
    }

    /** Loosened defaults get what the namespace allows; in a restricted one, a clear refusal with its message. */
    @Test
    void aTemplateTheNamespaceRefusesSaysSoInTheStatus() throws Exception {
        String name = "template-root";
        Cluster.fresh(NS, name);
        Cluster.apply(NS, """
                apiVersion: parallel.dev/v1alpha1
                kind: ParallelJob
                metadata: {name: template-root}
                spec:
                  image: docker.io/parallel-dev/busybox:1.35
                  command: id -u
                  tasks: {range: {start: 0, end: 1}}
                  template:
                    spec:
                      securityContext: {runAsNonRoot: false, runAsUser: 0}
                """);
        await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(1)).until(() -> {
            ParallelJob pj = Cluster.get(NS, name);
            return pj != null && pj.getStatus() != null && pj.getStatus().conditions.stream()
                    .anyMatch(c -> "PodsRejected".equals(c.getReason()));
        });
        ParallelJob pj = Cluster.get(NS, name);
        assertThat(pj.getStatus().phase).isEqualTo(Phase.Pending);
        var running = Cluster.condition(pj, "Running");
        assertThat(running.getStatus()).isEqualTo("False");
        assertThat(running.getMessage()).startsWith("the API server refuses the pods of Job ")
                .contains("violates PodSecurity \"restricted:latest\"").contains("runAsNonRoot").contains("runAsUser=0");
        var events = Cluster.client().v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> pj.getMetadata().getUid().equals(e.getInvolvedObject().getUid())
                        && "PodsRejected".equals(e.getReason())).toList();
        assertThat(events).singleElement().satisfies(e -> {
            assertThat(e.getType()).isEqualTo("Warning");
            assertThat(e.getMessage()).contains("violates PodSecurity");
        });
        Cluster.deleteAndWait(NS, name);
    }
}
