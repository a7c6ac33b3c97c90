package dev.parallel.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parallel.api.contract.ResultsContract;
import dev.parallel.operator.plan.MpiWorkers;
import dev.parallel.operator.plan.Names;
import dev.parallel.operator.plan.Plan;
import dev.parallel.operator.plan.ResultWriter;
import dev.parallel.operator.plan.WorkerJob;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Who the pods write streamed results as: the writer objects, and which container of which pod gets the token. */
class ResultWriterTest {
    static final Plan KERNEL = Fixtures.spec().kernel("pi").range(0, 40).set("parallelism", 4).plan();
    static final Plan USER_IMAGE = Fixtures.spec().command("echo $TASK_INDEX").set("image", "docker.io/library/busybox:1.36")
            .range(0, 4).plan();
    static final Plan MPI = Fixtures.spec().kernel("pi").set("executor", "mpi").set("mpi", "{workers: 2}").range(0, 4).plan();
    static final Plan MPI_PROGRAM = Fixtures.spec().command("mpirun ./a.out").set("image", "docker.io/library/busybox:1.36")
            .set("executor", "mpi").set("mpi", "{workers: 2}").range(0, 4).plan();
    static final Plan OFF_IN_SPEC = Fixtures.spec().kernel("pi").range(0, 4).set("results", "{stream: false}").plan();
    static final Plan USER_SA = Fixtures.spec().kernel("pi").range(0, 4).set("serviceAccountName", "reader").plan();

    static PodSpec worker(Plan p, OperatorSettings s) { return WorkerJob.build(p, s).getSpec().getTemplate().getSpec(); }

    static List<Container> all(PodSpec p) { return Stream.concat(p.getInitContainers().stream(), p.getContainers().stream()).toList(); }

    /** Which containers mount the token (the writer), by name, for each kind of pod. */
    static Stream<Arguments> writers() {
        return Stream.of(
                Arguments.of("kernel: the worker", worker(KERNEL, Fixtures.SETTINGS), List.of("worker")),
                Arguments.of("command in a user image: the pj-tasks sidecar, not the user's container",
                        worker(USER_IMAGE, Fixtures.SETTINGS), List.of("pj-tasks")),
                Arguments.of("mpi: the launcher", worker(MPI, Fixtures.SETTINGS), List.of("launcher")),
                Arguments.of("mpi program in a user image: the sidecar", worker(MPI_PROGRAM, Fixtures.SETTINGS), List.of("pj-tasks")),
                Arguments.of("mpi workers: none", MpiWorkers.job(MPI, Fixtures.SETTINGS).getSpec().getTemplate().getSpec(), List.of()),
                Arguments.of("results.stream off operator-wide: none", worker(KERNEL, Fixtures.NO_STREAM), List.of()),
                Arguments.of("spec.results.stream false: none", worker(OFF_IN_SPEC, Fixtures.SETTINGS), List.of()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("writers")
    void onlyTheWritingContainerGetsTheTokenTheDoneSetsAndTheEnv(String what, PodSpec pod, List<String> writers) {
        var withToken = all(pod).stream().filter(c -> c.getVolumeMounts().stream()
                .anyMatch(m -> m.getMountPath().equals(ResultsContract.TOKEN_DIR))).map(Container::getName).toList();
        assertThat(withToken).as("token mounted in").containsExactlyElementsOf(writers);
        var withDone = all(pod).stream().filter(c -> c.getVolumeMounts().stream()
                .anyMatch(m -> m.getMountPath().equals(ResultsContract.DONE_DIR) && m.getReadOnly())).map(Container::getName).toList();
        assertThat(withDone).as("done sets mounted read-only in").containsExactlyElementsOf(writers);
        var withEnv = all(pod).stream().filter(c -> c.getEnv() != null && c.getEnv().stream()
                .anyMatch(e -> e.getName().equals(ResultsContract.STREAM))).map(Container::getName).toList();
        assertThat(withEnv).as("PJ_RESULTS_STREAM in").containsExactlyElementsOf(writers);
        // The default token stays off everywhere: the only credential is the short-lived projected one.
        assertThat(pod.getAutomountServiceAccountToken()).isFalse();
        assertThat(pod.getVolumes().stream().anyMatch(v -> v.getName().equals("pj-results-token"))).isEqualTo(!writers.isEmpty());
    }

    @Test
    void theWriterKnowsWhoItIsFromTheDownwardApi() {
        Container w = worker(KERNEL, Fixtures.SETTINGS).getContainers().get(0);
        Map<String, String> fields = w.getEnv().stream().filter(e -> e.getValueFrom() != null)
                .collect(Collectors.toMap(EnvVar::getName, e -> e.getValueFrom().getFieldRef().getFieldPath()));
        assertThat(fields).containsExactlyInAnyOrderEntriesOf(Map.of(
                "PJ_POD_NAME", "metadata.name",
                "PJ_POD_UID", "metadata.uid",
                "PJ_POD_NAMESPACE", "metadata.namespace",
                "PJ_JOB_NAME", "metadata.labels['batch.kubernetes.io/job-name']",
                "PJ_JOB_UID", "metadata.labels['batch.kubernetes.io/controller-uid']"));
        Map<String, String> values = w.getEnv().stream().filter(e -> e.getValue() != null)
                .collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
        assertThat(values).containsEntry("PJ_RESULTS_STREAM", "api")
                // 4 pods at once, 5 writes/s for the whole Job: at most one write per pod per 1 s (the floor).
                .containsEntry("PJ_RESULTS_FLUSH_MILLIS", "1000");
        var many = Fixtures.spec().kernel("pi").range(0, 400).set("parallelism", 20).plan();
        assertThat(worker(many, Fixtures.SETTINGS).getContainers().get(0).getEnv()).filteredOn(e -> e.getName().equals("PJ_RESULTS_FLUSH_MILLIS"))
                .extracting(EnvVar::getValue).containsExactly("4000");
    }

    @Test
    void theTokenIsPodBoundShortLivedWithTheClusterCa() {
        PodSpec pod = worker(KERNEL, Fixtures.SETTINGS);
        Volume token = pod.getVolumes().stream().filter(v -> v.getName().equals("pj-results-token")).findFirst().orElseThrow();
        var sources = token.getProjected().getSources();
        assertThat(sources.get(0).getServiceAccountToken().getExpirationSeconds()).isEqualTo(3600L);
        assertThat(sources.get(0).getServiceAccountToken().getAudience()).as("default audience").isNull();
        assertThat(sources.get(0).getServiceAccountToken().getPath()).isEqualTo("token");
        assertThat(sources.get(1).getConfigMap().getName()).isEqualTo("kube-root-ca.crt");
        assertThat(sources.get(1).getConfigMap().getItems().get(0).getPath()).isEqualTo("ca.crt");
        assertThat(ResultsContract.TOKEN_DIR + "/token").isEqualTo(ResultsContract.TOKEN_FILE);
        Volume done = pod.getVolumes().stream().filter(v -> v.getName().equals("pj-results-done")).findFirst().orElseThrow();
        assertThat(done.getConfigMap().getName()).isEqualTo(Names.resultsConfigMap(KERNEL.pj()));
        assertThat(done.getConfigMap().getOptional()).isTrue();
    }

    @Test
    void ourAccountHasNoAutomountedTokenAndItsRoleOnlyCreatesBatches() {
        assertThat(worker(KERNEL, Fixtures.SETTINGS).getServiceAccountName()).isEqualTo("demo-result-writer");
        var objects = ResultWriter.objects(KERNEL);
        assertThat(objects).extracting(o -> o.getKind() + " " + o.getMetadata().getName())
                .containsExactly("ServiceAccount demo-result-writer", "Role demo-result-writer", "RoleBinding demo-result-writer");
        assertThat(objects).allSatisfy(o -> {
            assertThat(o.getMetadata().getOwnerReferences()).singleElement().satisfies(r -> assertThat(r.getUid()).isEqualTo("uid-1"));
            assertThat(o.getMetadata().getNamespace()).isEqualTo("ns1");
        });
        assertThat(((ServiceAccount) objects.get(0)).getAutomountServiceAccountToken()).isFalse();
        var rules = ResultWriter.role(KERNEL).getRules();
        assertThat(rules).singleElement().satisfies(r -> {
            assertThat(r.getApiGroups()).containsExactly("parallel.dev");
            assertThat(r.getResources()).containsExactly("taskresultbatches");
            assertThat(r.getVerbs()).containsExactly("create");
        });
        var binding = ResultWriter.roleBinding(KERNEL);
        assertThat(binding.getRoleRef().getKind()).isEqualTo("Role");
        assertThat(binding.getRoleRef().getName()).isEqualTo("demo-result-writer");
        assertThat(binding.getSubjects()).singleElement().satisfies(s -> {
            assertThat(s.getKind()).isEqualTo("ServiceAccount");
            assertThat(s.getName()).isEqualTo("demo-result-writer");
            assertThat(s.getNamespace()).isEqualTo("ns1");
        });
    }

    /** spec.serviceAccountName (or the template's): the pods run as it, the binding names it, we create no account. */
    @Test
    void aUsersAccountIsBoundNotCreated() {
        assertThat(worker(USER_SA, Fixtures.SETTINGS).getServiceAccountName()).isEqualTo("reader");
        assertThat(ResultWriter.roleBinding(USER_SA).getSubjects().get(0).getName()).isEqualTo("reader");
        assertThat(ResultWriter.objects(USER_SA)).extracting(o -> o.getKind()).containsExactly("Role", "RoleBinding");
        var template = Fixtures.spec().kernel("pi").range(0, 4).set("template", "{spec: {serviceAccountName: tmpl}}").plan();
        assertThat(worker(template, Fixtures.SETTINGS).getServiceAccountName()).isEqualTo("tmpl");
        assertThat(ResultWriter.roleBinding(template).getSubjects().get(0).getName()).isEqualTo("tmpl");
        // Streaming off: the pods run as today (the spec's account, else the namespace default).
        assertThat(worker(KERNEL, Fixtures.NO_STREAM).getServiceAccountName()).isNull();
        assertThat(worker(USER_SA, Fixtures.NO_STREAM).getServiceAccountName()).isEqualTo("reader");
    }

    @Test
    void streamingIsOnUnlessTheOperatorOrTheSpecTurnsItOff() {
        assertThat(ResultWriter.streams(KERNEL, Fixtures.SETTINGS)).isTrue();
        assertThat(ResultWriter.streams(Fixtures.spec().kernel("pi").range(0, 4).set("results", "{stream: true}").plan(),
                Fixtures.SETTINGS)).isTrue();
        assertThat(ResultWriter.streams(OFF_IN_SPEC, Fixtures.SETTINGS)).isFalse();
        assertThat(ResultWriter.streams(KERNEL, Fixtures.NO_STREAM)).isFalse();
    }
}
