package dev.parallel.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parallel.operator.plan.MpiWorkers;
import dev.parallel.operator.plan.Names;
import dev.parallel.operator.plan.Plan;
import dev.parallel.operator.plan.WorkerJob;
import dev.parallel.operator.validate.TemplateValidator;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** spec.template merged into the pods the operator builds: table rows of (what, read from the pod template, expected). */
class PodTemplateTest {
    /** Every field the merge keeps, and every addition the task entry may make. */
    static final String TEMPLATE = """
            {metadata: {labels: {team: blue, parallel.dev/job-name: spoofed}, annotations: {note: hi}},
             spec: {
              volumes: [{name: data, persistentVolumeClaim: {claimName: inputs}}, {name: creds, secret: {secretName: s3}},
                        {name: conf, configMap: {name: settings}}, {name: csi, csi: {driver: secrets.example.com}},
                        {name: scratch, ephemeral: {volumeClaimTemplate: {spec: {accessModes: [ReadWriteOnce],
                          resources: {requests: {storage: 1Gi}}}}}}],
              initContainers: [{name: fetch, image: docker.io/library/busybox:1.36, command: [sh, -c, "true"]}],
              containers: [
                {name: task, volumeMounts: [{name: data, mountPath: /data}], envFrom: [{secretRef: {name: s3}}],
                 env: [{name: LOG_LEVEL, value: debug}], resources: {requests: {cpu: "2", memory: 1Gi}, limits: {memory: 2Gi}},
                 workingDir: /data, securityContext: {readOnlyRootFilesystem: false}},
                {name: metrics, image: docker.io/library/busybox:1.36}],
              priorityClassName: high, schedulerName: batch-scheduler,
              topologySpreadConstraints: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: ScheduleAnyway}],
              affinity: {nodeAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: 1,
                preference: {matchExpressions: [{key: disk, operator: In, values: [ssd]}]}}]}},
              tolerations: [{key: batch, operator: Exists}], nodeSelector: {pool: batch}, runtimeClassName: gvisor,
              dnsConfig: {nameservers: [10.0.0.53]}, hostAliases: [{ip: 10.0.0.7, hostnames: [db]}],
              serviceAccountName: reader, imagePullSecrets: [{name: registry}],
              securityContext: {fsGroup: 2000, supplementalGroups: [3000]}}}""";

    static final Plan KERNEL = Fixtures.spec().kernel("pi").range(0, 4).set("template", TEMPLATE).plan();
    static final Plan USER_IMAGE = Fixtures.spec().command("cat /data/$TASK_INDEX").set("image", "docker.io/library/busybox:1.36")
            .range(0, 4).set("template", TEMPLATE).plan();
    static final Plan MPI = Fixtures.spec().kernel("pi").set("executor", "mpi").set("mpi", "{workers: 2}").range(0, 4)
            .set("template", TEMPLATE).plan();

    static PodTemplateSpec worker(Plan p) { return WorkerJob.build(p, Fixtures.SETTINGS).getSpec().getTemplate(); }

    static PodTemplateSpec mpiWorker(Plan p) { return MpiWorkers.job(p, Fixtures.SETTINGS).getSpec().getTemplate(); }

    static PodSpec pod(PodTemplateSpec t) { return t.getSpec(); }

    static Container task(PodTemplateSpec t) { return t.getSpec().getContainers().get(0); }

    static List<String> names(List<?> l) {
        return l.stream().map(o -> o instanceof Container c ? c.getName() : ((io.fabric8.kubernetes.api.model.Volume) o).getName()).toList();
    }

    static Arguments row(String what, Function<PodTemplateSpec, Object> read, Object expected) {
        return Arguments.of(what, read, expected);
    }

    /** What every pod (worker, user image, MPI launcher, MPI worker) keeps of the template. */
    static Stream<Arguments> kept() {
        return Stream.of(
                row("volumes: ours, then PVC, Secret, ConfigMap, CSI, ephemeral", t -> names(pod(t).getVolumes()).subList(
                        pod(t).getVolumes().size() - 5, pod(t).getVolumes().size()), List.of("data", "creds", "conf", "csi", "scratch")),
                row("the PVC", t -> pod(t).getVolumes().stream().filter(v -> v.getName().equals("data")).findFirst().orElseThrow()
                        .getPersistentVolumeClaim().getClaimName(), "inputs"),
                row("the ephemeral volume's size", t -> pod(t).getVolumes().stream().filter(v -> v.getName().equals("scratch"))
                        .findFirst().orElseThrow().getEphemeral().getVolumeClaimTemplate().getSpec().getResources().getRequests()
                        .get("storage"), new Quantity("1Gi")),
                row("the user's init container comes first", t -> pod(t).getInitContainers().get(0).getName(), "fetch"),
                row("the user's extra container after ours", t -> names(pod(t).getContainers()).get(1), "metrics"),
                row("one task container, no task entry left", t -> names(pod(t).getContainers()).contains("task"), false),
                row("priorityClassName", t -> pod(t).getPriorityClassName(), "high"),
                row("schedulerName", t -> pod(t).getSchedulerName(), "batch-scheduler"),
                row("topologySpreadConstraints", t -> pod(t).getTopologySpreadConstraints().get(0).getTopologyKey(), "zone"),
                row("affinity", t -> pod(t).getAffinity().getNodeAffinity()
                        .getPreferredDuringSchedulingIgnoredDuringExecution().get(0).getWeight(), 1),
                row("tolerations", t -> pod(t).getTolerations().get(0).getKey(), "batch"),
                row("nodeSelector", t -> pod(t).getNodeSelector(), Map.of("pool", "batch")),
                row("runtimeClassName", t -> pod(t).getRuntimeClassName(), "gvisor"),
                row("dnsConfig", t -> pod(t).getDnsConfig().getNameservers(), List.of("10.0.0.53")),
                row("hostAliases", t -> pod(t).getHostAliases().get(0).getHostnames(), List.of("db")),
                row("serviceAccountName", t -> pod(t).getServiceAccountName(), "reader"),
                row("imagePullSecrets", t -> pod(t).getImagePullSecrets().get(0).getName(), "registry"),
                row("fsGroup: the user's over ours", t -> pod(t).getSecurityContext().getFsGroup(), 2000L),
                row("supplementalGroups: the user's", t -> pod(t).getSecurityContext().getSupplementalGroups(), List.of(3000L)),
                row("runAsNonRoot: ours where the user says nothing", t -> pod(t).getSecurityContext().getRunAsNonRoot(), true),
                row("seccomp: ours", t -> pod(t).getSecurityContext().getSeccompProfile().getType(), "RuntimeDefault"),
                row("restartPolicy: ours", t -> pod(t).getRestartPolicy(), "Never"),
                row("no token unless asked", t -> pod(t).getAutomountServiceAccountToken(), false),
                row("the template's label", t -> t.getMetadata().getLabels().get("team"), "blue"),
                row("our label wins", t -> t.getMetadata().getLabels().get(Names.LABEL_JOB_NAME), "demo"),
                row("the template's annotation", t -> t.getMetadata().getAnnotations().get("note"), "hi"),
                row("task: the user's mount", t -> task(t).getVolumeMounts().stream().map(m -> m.getMountPath()).toList()
                        .contains("/data"), true),
                row("task: envFrom", t -> task(t).getEnvFrom().get(0).getSecretRef().getName(), "s3"),
                row("task: the user's env after the contract's", t -> last(task(t).getEnv()), "LOG_LEVEL=debug"),
                row("task: workingDir", t -> task(t).getWorkingDir(), "/data"),
                row("task: securityContext, the user's field over ours", t -> task(t).getSecurityContext().getReadOnlyRootFilesystem(),
                        false),
                row("task: our other security defaults stay", t -> task(t).getSecurityContext().getCapabilities().getDrop(),
                        List.of("ALL")));
    }

    static String last(List<EnvVar> env) {
        EnvVar e = env.get(env.size() - 1);
        return e.getName() + "=" + e.getValue();
    }

    static Stream<Arguments> everyPod() {
        return kept().flatMap(a -> Stream.of(
                Arguments.of("worker: " + a.get()[0], a.get()[1], a.get()[2], worker(KERNEL)),
                Arguments.of("user image: " + a.get()[0], a.get()[1], a.get()[2], worker(USER_IMAGE)),
                Arguments.of("mpi launcher: " + a.get()[0], a.get()[1], a.get()[2], worker(MPI)),
                Arguments.of("mpi worker: " + a.get()[0], a.get()[1], a.get()[2], mpiWorker(MPI))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyPod")
    void theTemplateIsKeptInEveryPod(String what, Function<PodTemplateSpec, Object> read, Object expected, PodTemplateSpec t) {
        assertThat(read.apply(t)).as(what).isEqualTo(expected);
    }

    @Test
    void theOperatorKeepsWhatItOwnsOfTheTaskContainer() {
        Container job = task(worker(KERNEL));
        assertThat(job.getName()).isEqualTo("worker");
        assertThat(job.getImage()).isEqualTo(Fixtures.SETTINGS.jobImage());
        assertThat(job.getArgs()).containsExactly("worker");
        assertThat(job.getEnv()).extracting(EnvVar::getName).startsWith("PJ_KERNEL").contains("PJ_PARTS");
        assertThat(job.getVolumeMounts()).extracting("mountPath").containsExactly("/pj/work", "/tmp",
                dev.parallel.api.contract.ResultsContract.TOKEN_DIR, dev.parallel.api.contract.ResultsContract.DONE_DIR, "/data");
        Container user = task(worker(USER_IMAGE));
        assertThat(user.getImage()).isEqualTo("docker.io/library/busybox:1.36");
        assertThat(user.getCommand()).containsExactly("/bin/sh", "-c", dev.parallel.api.contract.CommandInImage.RUNNER);
        // The sidecar serves the runner; it gets none of the task entry.
        Container sidecar = pod(worker(USER_IMAGE)).getInitContainers().get(1);
        assertThat(sidecar.getName()).isEqualTo("pj-tasks");
        assertThat(sidecar.getVolumeMounts()).extracting("mountPath").doesNotContain("/data");
        assertThat(sidecar.getEnvFrom()).isEmpty();
    }

    /** The task entry's resources are where the tasks run: workers and MPI workers, not the MPI launcher's mpirun. */
    @Test
    void theTaskEntrysResourcesGoWhereTheTasksRun() {
        Map<String, Quantity> asked = Map.of("cpu", new Quantity("2"), "memory", new Quantity("1Gi"));
        assertThat(task(worker(KERNEL)).getResources().getRequests()).isEqualTo(asked);
        assertThat(task(worker(USER_IMAGE)).getResources().getRequests()).isEqualTo(asked);
        assertThat(task(mpiWorker(MPI)).getResources().getRequests()).isEqualTo(asked);
        assertThat(task(worker(MPI)).getResources().getRequests().get("cpu")).isEqualTo(new Quantity("100m"));
        var gpu = Fixtures.spec().kernel("pi").range(0, 2).set("gpu", "{count: 1}").set("template",
                "{spec: {containers: [{name: task, resources: {limits: {memory: 1Gi}}}]}}").plan();
        assertThat(task(worker(gpu)).getResources().getLimits()).containsEntry("memory", new Quantity("1Gi"))
                .containsEntry("nvidia.com/gpu", new Quantity("1"));
    }

    @Test
    void theShortcutsAndTheTemplateCombine() {
        var p = Fixtures.spec().kernel("pi").range(0, 2).set("podLabels", "{a: \"1\"}").set("podAnnotations", "{b: \"2\"}")
                .set("gpu", "{count: 1, nodeSelector: {gpu: \"yes\"}, tolerations: [{key: gpu, operator: Exists}]}")
                .set("env", "[{name: A, value: \"1\"}]")
                .set("template", "{metadata: {labels: {c: \"3\"}, annotations: {d: \"4\"}}, spec: {nodeSelector: {pool: batch}, "
                        + "tolerations: [{key: batch, operator: Exists}], automountServiceAccountToken: true, "
                        + "securityContext: {runAsUser: 4242}, containers: [{name: task, envFrom: [{configMapRef: {name: c}}]}]}}")
                .plan();
        var t = worker(p);
        assertThat(t.getMetadata().getLabels()).containsEntry("a", "1").containsEntry("c", "3");
        assertThat(t.getMetadata().getAnnotations()).containsEntry("b", "2").containsEntry("d", "4");
        assertThat(pod(t).getNodeSelector()).isEqualTo(Map.of("pool", "batch", "gpu", "yes"));
        assertThat(pod(t).getTolerations()).extracting("key").containsExactly("batch", "gpu");
        assertThat(pod(t).getAutomountServiceAccountToken()).as("the user asked for the token").isTrue();
        assertThat(pod(t).getSecurityContext().getRunAsUser()).isEqualTo(4242L);
        assertThat(pod(t).getSecurityContext().getRunAsGroup()).isEqualTo(Fixtures.SETTINGS.jobPodUser());
        assertThat(task(t).getEnv()).extracting(EnvVar::getName).contains("A");
        assertThat(task(t).getEnvFrom()).singleElement().satisfies(e -> assertThat(e.getConfigMapRef().getName()).isEqualTo("c"));
    }

    @Test
    void noTemplateChangesNothing() {
        var without = worker(Fixtures.spec().kernel("pi").range(0, 2).plan());
        var empty = worker(Fixtures.spec().kernel("pi").range(0, 2).set("template", "{}").plan());
        assertThat(empty).isEqualTo(without);
        // Only ours: the full ParallelJob name, by which pods are mapped back.
        assertThat(without.getMetadata().getAnnotations()).containsOnlyKeys(dev.parallel.operator.plan.Names.ANNOTATION_JOB_NAME);
        assertThat(pod(without).getVolumes()).extracting("name").containsExactly("work", "tmp", "pj-results-token", "pj-results-done");
        var off = WorkerJob.build(Fixtures.spec().kernel("pi").range(0, 2).plan(), Fixtures.NO_STREAM).getSpec().getTemplate();
        assertThat(pod(off).getVolumes()).extracting("name").containsExactly("work", "tmp");
    }

    /** What CEL cannot afford over the template's unbounded lists, and the contract rules it checks again. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            two task entries | {spec: {containers: [{name: task}, {name: task}]}} | spec.template.spec.containers: at most one container named task, found 2
            our container name | {spec: {containers: [{name: pj-tasks, image: x}]}} | spec.template.spec.containers[0].name: 'pj-tasks' is one of the operator's containers (worker, launcher, mpi-worker, pj-tasks)
            our init container name | {spec: {initContainers: [{name: task, image: x}]}} | spec.template.spec.initContainers[0].name: 'task' is the name of one of the operator's containers
            our volume name | {spec: {volumes: [{name: data, emptyDir: {}}, {name: tmp, emptyDir: {}}]}} | spec.template.spec.volumes[1].name: 'tmp' is one of the operator's volumes (work, tmp, tasks, run, ssh, pj-results-token, pj-results-done)
            contract env | {spec: {containers: [{name: task, env: [{name: A, value: x}, {name: PJ_THREADS, value: "9"}]}]}} | spec.template.spec.containers[task].env[1].name: PJ_THREADS: PJ_*, TASK_ID, TASK_INDEX, TASK_PARAM_* and JOB_COMPLETION_INDEX are the env vars
            task param env | {spec: {containers: [{name: task, env: [{name: TASK_PARAM_N, value: x}]}]}} | spec.template.spec.containers[task].env[0].name: TASK_PARAM_N
            a mount on ours | {spec: {volumes: [{name: d, emptyDir: {}}], containers: [{name: task, volumeMounts: [{name: d, mountPath: /tmp/}]}]}} | spec.template.spec.containers[task].volumeMounts[0].mountPath: /tmp/ is where the operator mounts its own volume
            task image | {spec: {containers: [{name: task, image: alpine}]}} | spec.template.spec.containers[task].image: the task container's image is spec.image
            task command | {spec: {containers: [{name: task, command: [sh]}]}} | spec.template.spec.containers[task].command: command and args are the operator's
            task probe | {spec: {containers: [{name: task, readinessProbe: {exec: {command: ["true"]}}}]}} | spec.template.spec.containers[task].readinessProbe: is the operator's; the task entry may set only volumeMounts, envFrom, env, resources, workingDir, securityContext
            task ports | {spec: {containers: [{name: task, ports: [{containerPort: 80}]}]}} | spec.template.spec.containers[task].ports: is the operator's
            restartPolicy | {spec: {restartPolicy: Always}} | spec.template.spec.restartPolicy: the operator sets Never
            """)
    void theValidatorRefusesWhatBreaksTheContract(String what, String template, String message) {
        var spec = Fixtures.spec().command("echo").range(0, 2).set("template", template).pj().getSpec();
        assertThat(TemplateValidator.problems(spec)).as(what).extracting(Object::toString).anyMatch(m -> m.startsWith(message));
    }

    @Test
    void theValidatorAcceptsTheFullTemplateAndTheContractEnvInSpecEnvIsRefused() {
        assertThat(TemplateValidator.problems(KERNEL.spec())).isEmpty();
        assertThat(TemplateValidator.problems(MPI.spec())).isEmpty();
        var spec = Fixtures.spec().command("echo").range(0, 2).set("env", "[{name: TASK_ID, value: x}]").pj().getSpec();
        assertThat(TemplateValidator.problems(spec)).extracting(Object::toString)
                .containsExactly("spec.env[0].name: TASK_ID: PJ_*, TASK_ID, TASK_INDEX, TASK_PARAM_* and JOB_COMPLETION_INDEX are "
                        + "the env vars of the operator's contract (docs/contract.md); rename yours");
    }

    /** The reserved names are the names the operator really uses: a pod of each kind uses only those. */
    @Test
    void theReservedNamesAreTheOperatorsOwn() {
        var userImageItems = Fixtures.spec().command("echo").set("image", "docker.io/library/busybox:1.36")
                .set("tasks", "{items: [{a: 1}]}").set("template", TEMPLATE).plan();
        for (PodTemplateSpec t : List.of(worker(userImageItems), worker(KERNEL), worker(MPI), mpiWorker(MPI))) {
            var ours = Stream.concat(pod(t).getInitContainers().stream(), pod(t).getContainers().stream())
                    .map(Container::getName).filter(n -> !n.equals("fetch") && !n.equals("metrics")).toList();
            assertThat(dev.parallel.api.v1alpha1.PodTemplateRules.OPERATOR_CONTAINERS).containsAll(ours);
            var volumes = names(pod(t).getVolumes()).stream().filter(n -> !List.of("data", "creds", "conf", "csi", "scratch")
                    .contains(n)).toList();
            assertThat(dev.parallel.api.v1alpha1.PodTemplateRules.OPERATOR_VOLUMES).containsAll(volumes);
        }
    }
}
