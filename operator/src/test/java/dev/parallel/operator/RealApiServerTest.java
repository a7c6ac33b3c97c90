package dev.parallel.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.operator.plan.Planner;
import dev.parallel.operator.plan.TasksConfigMap;
import dev.parallel.operator.plan.WorkerJob;
import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.FileInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import dev.parallel.api.testing.Preconditions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * Against a REAL kube-apiserver + etcd (fabric8 kube-api-test, binaries from hack/build-binaries.sh
 * linked by `make test-unit`; no controllers run): the generated CRD is accepted, each CEL rule
 * rejects its bad case with its message, and the Job the operator builds passes the real Job validation.
 */
class RealApiServerTest {
    static KubeAPIServer server;
    static KubernetesClient client;

    static String missing;

    @org.junit.jupiter.api.BeforeEach
    void needsAnApiServer() {
        Preconditions.need("kube-apiserver", missing == null, missing);
    }

    @BeforeAll
    static void start() throws Exception {
        Path dir = Path.of(System.getenv().getOrDefault("KUBE_API_TEST_DIR", System.getProperty("user.home") + "/.kubeapitest"), "k8s");
        boolean present;
        try (var s = Files.exists(dir) ? Files.list(dir) : java.util.stream.Stream.<Path>empty()) {
            present = s.anyMatch(p -> Files.isExecutable(p.resolve("kube-apiserver")));
        }
        if (!present) {
            missing = "no kube-apiserver under " + dir + ": run `make test-unit` (links the binaries "
                    + "hack/build-binaries.sh built) to run the real-API-server tests";
            return;
        }
        server = new KubeAPIServer(KubeAPIServerConfigBuilder.anAPIServerConfig().withOfflineMode(true)
                .withUpdateKubeConfig(false).build());
        server.start();
        client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(server.getKubeConfigYaml())).build();
        for (String file : java.util.List.of("../crds/paralleljobs.parallel.dev-v1.yml", "../crds/taskresultbatches.parallel.dev-v1.yml")) {
            CustomResourceDefinition crd;
            try (var in = new FileInputStream(file)) {
                crd = client.apiextensions().v1().customResourceDefinitions().load(in).item();
            }
            client.apiextensions().v1().customResourceDefinitions().resource(crd).create();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                var c = client.apiextensions().v1().customResourceDefinitions().withName(crd.getMetadata().getName()).get();
                return c.getStatus() != null && c.getStatus().getConditions() != null && c.getStatus().getConditions().stream()
                        .anyMatch(x -> "Established".equals(x.getType()) && "True".equals(x.getStatus()));
            });
        }
        client.namespaces().resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder().withNewMetadata().withName("ns1")
                .endMetadata().build()).create();
    }

    @AfterAll
    static void stop() {
        if (client != null) client.close();
        if (server != null) server.stop();
    }

    static ParallelJob create(String name, String spec) {
        ParallelJob pj = Fixtures.pj(spec);
        pj.getMetadata().setName(name);
        pj.getMetadata().setUid(null);
        pj.getMetadata().setGeneration(null);
        return client.resources(ParallelJob.class).inNamespace("ns1").resource(pj).create();
    }

    /** Creates from raw YAML, so values the Java types cannot hold (an unknown kernel) reach the server. */
    static void createRaw(String name, String spec) {
        String yaml = "apiVersion: parallel.dev/v1alpha1\nkind: ParallelJob\nmetadata: {name: " + name + "}\nspec:\n  "
                + spec.replace("\n", "\n  ");
        client.resource(yaml).inNamespace("ns1").create();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            two task sources | kernel: pi\\ntasks: {range: {start: 0, end: 2}, items: [{a: 1}]} | spec.tasks must set exactly one of items, range, matrix or configMapRef
            no task source   | kernel: pi\\ntasks: {} | spec.tasks must set exactly one of items, range, matrix or configMapRef
            range and matrix | kernel: pi\\ntasks: {range: {start: 0, end: 2}, matrix: {axes: [{param: a, values: [1]}]}} | spec.tasks must set exactly one of items, range, matrix or configMapRef
            matrix without axes | command: echo\\ntasks: {matrix: {axes: []}} | spec.tasks.matrix.axes in body should have at least 1 items
            matrix axes missing | command: echo\\ntasks: {matrix: {}} | spec.tasks.matrix.axes: Required value
            matrix duplicate param | command: echo\\ntasks: {matrix: {axes: [{param: a, values: [1]}, {param: a, values: [2]}]}} | spec.tasks.matrix.axes: each param may appear on one axis only
            matrix empty values | command: echo\\ntasks: {matrix: {axes: [{param: a, values: []}]}} | spec.tasks.matrix.axes[0].values in body should have at least 1 items
            matrix values and range | command: echo\\ntasks: {matrix: {axes: [{param: a, values: [1], range: {start: 0, end: 2}}]}} | set exactly one of values (a list) or range ({start, end, step}) on each axis
            matrix neither values nor range | command: echo\\ntasks: {matrix: {axes: [{param: a}]}} | set exactly one of values (a list) or range ({start, end, step}) on each axis
            matrix bad param name | command: echo\\ntasks: {matrix: {axes: [{param: 1a, values: [1]}]}} | spec.tasks.matrix.axes[0].param in body should match
            matrix fractional unquoted | command: echo\\ntasks: {matrix: {axes: [{param: lr, values: [0.1]}]}} | must be of type integer,string
            matrix empty range | command: echo\\ntasks: {matrix: {axes: [{param: a, range: {start: 5, end: 5}}]}} | range.end must be greater than range.start
            matrix huge range | command: echo\\ntasks: {matrix: {axes: [{param: a, range: {start: 0, end: 9000000000000000000}}]}} | range.start, range.end and range.step must be within -10^15..10^15
            matrix too many combinations | command: echo\\ntasks: {matrix: {axes: [{param: a, range: {start: 0, end: 1000}}, {param: b, range: {start: 0, end: 1000}}, {param: c, range: {start: 0, end: 101}}]}} | spec.tasks.matrix: at most 100,000,000 combinations
            matrix too many axes | command: echo\\ntasks: {matrix: {axes: [{param: a, values: [1]}, {param: b, values: [1]}, {param: c, values: [1]}, {param: d, values: [1]}, {param: e, values: [1]}, {param: f, values: [1]}, {param: g, values: [1]}, {param: h, values: [1]}, {param: i, values: [1]}]}} | spec.tasks.matrix.axes: Too many: 9: must have at most 8 items
            matrix zipWith unknown | command: echo\\ntasks: {matrix: {axes: [{param: a, values: [1]}, {param: b, values: [2], zipWith: c}]}} | zipWith must name the param of another axis, one without zipWith
            matrix zipWith itself | command: echo\\ntasks: {matrix: {axes: [{param: a, values: [1], zipWith: a}]}} | zipWith must name the param of another axis, one without zipWith
            matrix zipWith other length | command: echo\\ntasks: {matrix: {axes: [{param: a, values: [1, 2]}, {param: b, range: {start: 0, end: 3}, zipWith: a}]}} | an axis with zipWith must have as many values as the axis it zips with
            matrix exclude unknown param | command: echo\\ntasks: {matrix: {axes: [{param: a, values: [1, 2]}], exclude: [{b: 1}]}} | spec.tasks.matrix.exclude: an entry names a param that is not on any axis
            matrix exclude empty entry | command: echo\\ntasks: {matrix: {axes: [{param: a, values: [1, 2]}], exclude: [{}]}} | an empty entry would exclude every combination
            reduce and reduction | command: echo\\ntasks: {range: {start: 0, end: 3}}\\nreduce: sum\\nreduction: {op: sum} | set at most one of spec.reduce (an op, e.g. sum) or spec.reduction
            reduction unknown op | command: echo\\ntasks: {range: {start: 0, end: 3}}\\nreduction: {op: median} | spec.reduction.op: Unsupported value: "median"
            reduction without op | command: echo\\ntasks: {range: {start: 0, end: 3}}\\nreduction: {by: loss} | spec.reduction.op: Required value
            reduction groupBy unknown | command: echo\\ntasks: {matrix: {axes: [{param: a, values: [1]}]}}\\nreduction: {op: sum, groupBy: [b]} | spec.reduction.groupBy: name params of spec.tasks.matrix.axes
            kernel and command | kernel: pi\\ncommand: echo\\ntasks: {range: {start: 0, end: 2}} | set exactly one of spec.kernel (a built-in kernel) or spec.command
            neither kernel nor command | tasks: {range: {start: 0, end: 2}} | set exactly one of spec.kernel (a built-in kernel) or spec.command
            pods and tasksPerPod | kernel: pi\\ntasks: {range: {start: 0, end: 2}}\\npods: 2\\ntasksPerPod: 1 | set at most one of spec.pods or spec.tasksPerPod
            empty range | kernel: pi\\ntasks: {range: {start: 3, end: 3}} | spec.tasks.range.end must be greater than spec.tasks.range.start
            zero step | kernel: pi\\ntasks: {range: {start: 0, end: 3, step: 0}} | spec.tasks.range.step: Invalid value: 0: spec.tasks.range.step in body should be greater than or equal to 1
            zero parallelism | kernel: pi\\ntasks: {range: {start: 0, end: 3}}\\nparallelism: 0 | spec.parallelism: Invalid value: 0: spec.parallelism in body should be greater than or equal to 1
            empty items | kernel: pi\\ntasks: {items: []} | spec.tasks.items: Invalid value: 0: spec.tasks.items in body should have at least 1 items
            unknown kernel | kernel: fft\\ntasks: {range: {start: 0, end: 3}} | spec.kernel: Unsupported value: "fft"
            image without command | kernel: pi\\nimage: docker.io/x/y:1\\ntasks: {range: {start: 0, end: 3}} | spec.image needs spec.command
            mpi without spec.mpi | kernel: pi\\nexecutor: mpi\\ntasks: {range: {start: 0, end: 3}} | spec.mpi goes with spec.executor: mpi
            spec.mpi without mpi | kernel: pi\\nmpi: {workers: 2}\\ntasks: {range: {start: 0, end: 3}} | spec.mpi goes with spec.executor: mpi
            mpi with pods | kernel: pi\\nexecutor: mpi\\nmpi: {workers: 2}\\npods: 4\\ntasks: {range: {start: 0, end: 3}} | remove spec.pods, spec.tasksPerPod and spec.parallelism
            mpi program with mode | command: mpirun ./app\\nexecutor: mpi\\nmpi: {workers: 2, mode: static}\\ntasks: {range: {start: 0, end: 3}} | spec.command is your MPI program, run once per task on the launcher (mpirun starts its ranks): remove spec.mpi.mode and spec.threadsPerPod
            mpi program with threads | command: mpirun ./app\\nimage: docker.io/x/y:1\\nexecutor: mpi\\nmpi: {workers: 2}\\nthreadsPerPod: 2\\ntasks: {range: {start: 0, end: 3}} | remove spec.mpi.mode and spec.threadsPerPod
            mpi image with a kernel | kernel: pi\\nimage: docker.io/x/y:1\\nexecutor: mpi\\nmpi: {workers: 2}\\ntasks: {range: {start: 0, end: 3}} | spec.image needs spec.command
            mpi zero workers | kernel: pi\\nexecutor: mpi\\nmpi: {workers: 0}\\ntasks: {range: {start: 0, end: 3}} | spec.mpi.workers in body should be greater than or equal to 1
            gpu count zero | kernel: pi\\ngpu: {count: 0}\\ntasks: {range: {start: 0, end: 3}} | spec.gpu.count in body should be greater than or equal to 1
            gpu without count | kernel: pi\\ngpu: {resourceName: nvidia.com/gpu}\\ntasks: {range: {start: 0, end: 3}} | spec.gpu.count: Required value
            gpu bad resource name | kernel: pi\\ngpu: {count: 1, resourceName: gpu}\\ntasks: {range: {start: 0, end: 3}} | spec.gpu.resourceName in body should match
            cuda without gpu | kernel: pi\\nexecutor: cuda\\ntasks: {range: {start: 0, end: 3}} | executor: cuda requires spec.gpu (e.g. gpu: {count: 1})
            cuda with sleep | kernel: sleep\\nexecutor: cuda\\ngpu: {count: 1}\\ntasks: {range: {start: 0, end: 3}} | executor: cuda runs the built-in kernels pi, primes and matmul
            cuda with a command | command: ./gpu-app\\nexecutor: cuda\\ngpu: {count: 1}\\ntasks: {range: {start: 0, end: 3}} | for your own GPU program use spec.command with spec.image and spec.gpu
            gpu unknown fallback | kernel: pi\\nexecutor: cuda\\ngpu: {count: 1, fallback: gpu}\\ntasks: {range: {start: 0, end: 3}} | spec.gpu.fallback: Unsupported value: "gpu"
            mpi unknown implementation | kernel: pi\\nexecutor: mpi\\nmpi: {workers: 1, implementation: mpich}\\ntasks: {range: {start: 0, end: 3}} | spec.mpi.implementation: Unsupported value: "mpich"
            template and nodeSelector | command: echo\\ntasks: {range: {start: 0, end: 3}}\\nnodeSelector: {a: b}\\ntemplate: {spec: {nodeSelector: {a: b}}} | set nodeSelector in spec.nodeSelector or spec.template.spec.nodeSelector, not both
            template and tolerations | command: echo\\ntasks: {range: {start: 0, end: 3}}\\ntolerations: [{key: a, operator: Exists}]\\ntemplate: {spec: {tolerations: [{key: b, operator: Exists}]}} | set tolerations in spec.tolerations or spec.template.spec.tolerations, not both
            template and affinity | command: echo\\ntasks: {range: {start: 0, end: 3}}\\naffinity: {nodeAffinity: {}}\\ntemplate: {spec: {affinity: {podAffinity: {}}}} | set affinity in spec.affinity or spec.template.spec.affinity, not both
            template and serviceAccountName | command: echo\\ntasks: {range: {start: 0, end: 3}}\\nserviceAccountName: a\\ntemplate: {spec: {serviceAccountName: b}} | set serviceAccountName in spec.serviceAccountName or spec.template.spec.serviceAccountName, not both
            template and imagePullSecrets | command: echo\\ntasks: {range: {start: 0, end: 3}}\\nimagePullSecrets: [{name: a}]\\ntemplate: {spec: {imagePullSecrets: [{name: b}]}} | set imagePullSecrets in spec.imagePullSecrets or spec.template.spec.imagePullSecrets, not both
            template and gpu runtimeClassName | kernel: pi\\ntasks: {range: {start: 0, end: 3}}\\ngpu: {count: 1, runtimeClassName: nvidia}\\ntemplate: {spec: {runtimeClassName: kata}} | set runtimeClassName in spec.gpu.runtimeClassName or spec.template.spec.runtimeClassName, not both
            template and resources | command: echo\\ntasks: {range: {start: 0, end: 3}}\\nresources: {requests: {cpu: "1"}}\\ntemplate: {spec: {containers: [{name: task, resources: {requests: {cpu: "2"}}}]}} | set resources in spec.resources or spec.template.spec.containers[task].resources, not both
            template and env | command: echo\\ntasks: {range: {start: 0, end: 3}}\\nenv: [{name: A, value: "1"}]\\ntemplate: {spec: {containers: [{name: task, env: [{name: B, value: "2"}]}]}} | set env in spec.env or spec.template.spec.containers[task].env, not both
            template and podLabels | command: echo\\ntasks: {range: {start: 0, end: 3}}\\npodLabels: {team: a}\\ntemplate: {metadata: {labels: {team: b}}} | set each label in spec.podLabels or spec.template.metadata.labels, not both
            template and podAnnotations | command: echo\\ntasks: {range: {start: 0, end: 3}}\\npodAnnotations: {team: a}\\ntemplate: {metadata: {annotations: {team: b}}} | set each annotation in spec.podAnnotations or spec.template.metadata.annotations, not both
            template restartPolicy | command: echo\\ntasks: {range: {start: 0, end: 3}}\\ntemplate: {spec: {restartPolicy: OnFailure}} | spec.template.spec.restartPolicy: the operator sets Never
            template task image | command: echo\\ntasks: {range: {start: 0, end: 3}}\\ntemplate: {spec: {containers: [{name: task, image: alpine}]}} | spec.template.spec.containers[task].image: the task container's image is spec.image
            template task command | command: echo\\ntasks: {range: {start: 0, end: 3}}\\ntemplate: {spec: {containers: [{name: task, command: [sh]}]}} | spec.template.spec.containers[task].command and args are the operator's
            template task args | command: echo\\ntasks: {range: {start: 0, end: 3}}\\ntemplate: {spec: {containers: [{name: task, args: [x]}]}} | spec.template.spec.containers[task].command and args are the operator's
            spec.env contract env | command: echo\\ntasks: {range: {start: 0, end: 3}}\\nenv: [{name: TASK_ID, value: "9"}] | spec.env: PJ_*, TASK_ID, TASK_INDEX, TASK_PARAM_* and JOB_COMPLETION_INDEX are the env vars
            """)
    void celAndSchemaRulesRejectBadSpecsWithTheirMessage(String name, String spec, String message) {
        String yaml = spec.replace("\\n", "\n");
        assertThatThrownBy(() -> createRaw(name.replace(' ', '-'), yaml))
                .isInstanceOf(KubernetesClientException.class).hasMessageContaining(message);
    }

    /** The sweep examples are accepted, their stored size does not grow with the combinations, and their Job is valid. */
    @Test
    void sweepExamplesAreAcceptedAtConstantSize() throws Exception {
        for (String file : new String[] {"../k8s-examples/sweep.yaml", "../k8s-examples/large/sweep-10m.yaml"}) {
            ParallelJob pj;
            try (var in = new FileInputStream(file)) {
                pj = client.resources(ParallelJob.class).load(in).item();
            }
            ParallelJob created = client.resources(ParallelJob.class).inNamespace("ns1").resource(pj).create();
            assertThat(dev.parallel.api.contract.Json.mapper().writeValueAsString(created).length()).as(file).isLessThan(2500);
            var plan = Planner.plan(created, null);
            client.batch().v1().jobs().inNamespace("ns1").resource(WorkerJob.build(plan, Fixtures.SETTINGS)).create();
            assertThat(plan.tasks()).isEqualTo(file.contains("10m") ? 10_000_000L : 45L);
        }
    }

    @Test
    void tasksAreImmutable() {
        ParallelJob pj = create("immutable", "kernel: pi\nparams: {samples: 10}\ntasks: {range: {start: 0, end: 4}}\n");
        pj.getSpec().tasks.range.end = 8;
        assertThatThrownBy(() -> client.resources(ParallelJob.class).inNamespace("ns1").resource(pj).update())
                .hasMessageContaining("spec.tasks is immutable");
        ParallelJob again = client.resources(ParallelJob.class).inNamespace("ns1").withName("immutable").get();
        again.getSpec().parallelism = 5; // other fields may change
        assertThat(client.resources(ParallelJob.class).inNamespace("ns1").resource(again).update().getSpec().parallelism).isEqualTo(5);
    }

    @Test
    void theJobAndConfigMapTheOperatorBuildsPassRealValidation() throws Exception {
        ParallelJob pj = create("valid", """
                kernel: primes
                tasks: {items: [{from: 0, to: 100}, {from: 100, to: 200}, {id: big, from: 200, to: 300}]}
                parallelism: 2
                retriesPerTask: 1
                maxFailedTasks: 1
                podAnnotations: {team: blue}
                resources: {limits: {cpu: "1", memory: 256Mi}}
                """);
        assertThat(pj.getSpec().tasks.items).hasSize(3);
        var plan = Planner.plan(pj, null);
        var cm = TasksConfigMap.build(plan);
        var job = WorkerJob.build(plan, Fixtures.SETTINGS);
        var createdCm = client.configMaps().inNamespace("ns1").resource(cm).create();
        assertThat(createdCm.getData().get("tasks.jsonl")).contains("\"id\":\"big\"");
        var created = client.batch().v1().jobs().inNamespace("ns1").resource(job).create();
        assertThat(created.getSpec().getCompletionMode()).isEqualTo("Indexed");
        // executor: mpi: the workers Job, their Service and the SSH Secret pass real validation too.
        ParallelJob mpi = create("valid-mpi", "kernel: pi\nexecutor: mpi\nmpi: {workers: 2, slotsPerWorker: 2}\n"
                + "tasks: {range: {start: 0, end: 4}}\n");
        var mpiPlan = Planner.plan(mpi, null);
        client.resource(dev.parallel.operator.plan.MpiSshSecret.build(Planner.plan(mpi, null))).create();
        client.resource(dev.parallel.operator.plan.MpiWorkers.service(Planner.plan(mpi, null))).create();
        var workers = client.resource(dev.parallel.operator.plan.MpiWorkers.job(mpiPlan, Fixtures.SETTINGS)).create();
        assertThat(workers.getSpec().getTemplate().getSpec().getSubdomain()).isEqualTo("valid-mpi-mpi");
        var launcher = client.resource(WorkerJob.build(mpiPlan, Fixtures.SETTINGS)).create();
        // A user's MPI program in a user's image: accepted, and its Secret (with the hostfile) and Jobs pass too.
        ParallelJob program = create("valid-mpi-program", "command: mpirun ./app\nimage: docker.io/x/y:1\nexecutor: mpi\n"
                + "mpi: {workers: 2, slotsPerWorker: 2}\ntasks: {range: {start: 0, end: 4}}\n");
        var programPlan = Planner.plan(program, null);
        client.resource(dev.parallel.operator.plan.MpiSshSecret.build(programPlan)).create();
        var programWorkers = client.resource(dev.parallel.operator.plan.MpiWorkers.job(programPlan, Fixtures.SETTINGS)).create();
        assertThat(programWorkers.getSpec().getTemplate().getSpec().getContainers().get(0).getImage()).isEqualTo("docker.io/x/y:1");
        var programLauncher = client.resource(WorkerJob.build(programPlan, Fixtures.SETTINGS)).create();
        assertThat(programLauncher.getSpec().getTemplate().getSpec().getInitContainers()).hasSize(1);
        // spec.gpu: the extended-resource limit, selectors, tolerations and runtime class pass validation.
        ParallelJob gpu = create("valid-gpu", "kernel: pi\ngpu: {count: 1, nodeSelector: {gpu: \"yes\"}, "
                + "tolerations: [{key: gpu, operator: Exists}], runtimeClassName: nvidia}\ntasks: {range: {start: 0, end: 4}}\n");
        var gpuJob = client.resource(WorkerJob.build(Planner.plan(gpu, null), Fixtures.SETTINGS)).create();
        assertThat(gpuJob.getSpec().getTemplate().getSpec().getContainers().get(0).getResources().getLimits())
                .containsKey("nvidia.com/gpu");
        ParallelJob cuda = create("valid-cuda", "kernel: matmul\nexecutor: cuda\ngpu: {count: 2, fallback: cpu}\n"
                + "params: {n: 64}\ntasks: {range: {start: 0, end: 4}}\n");
        assertThat(cuda.getSpec().gpu.fallback).isEqualTo(dev.parallel.api.v1alpha1.GpuSpec.Fallback.CPU);
        var cudaJob = client.resource(WorkerJob.build(Planner.plan(cuda, null), Fixtures.SETTINGS)).create();
        assertThat(cudaJob.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv())
                .anyMatch(e -> "PJ_GPU_FALLBACK".equals(e.getName()) && "cpu".equals(e.getValue()));
        assertThat(launcher.getSpec().getCompletions()).isEqualTo(1);
        assertThat(created.getSpec().getBackoffLimitPerIndex()).isEqualTo(1);
        assertThat(created.getMetadata().getOwnerReferences().get(0).getUid()).isEqualTo(pj.getMetadata().getUid());
        // Defaults the API server applied are visible to the operator (step, param).
        var r = create("defaults", "kernel: pi\ntasks: {range: {start: 0, end: 4}}\n");
        assertThat(r.getSpec().tasks.range.step).isEqualTo(1L);
        assertThat(r.getSpec().tasks.range.param).isEqualTo("value");
    }

    /**
     * The longest names and names with dots: every child the operator creates, and a pod of each Job as the Job
     * controller makes it (host name {@code <job>-<index>}, the MPI subdomain), pass real validation.
     */
    @ParameterizedTest
    @CsvSource({"253", "64", "dots", "digit"})
    void childrenOfEveryValidNamePassRealValidation(String kind) throws Exception {
        String name = switch (kind) {
            case "dots" -> "pi.v2.run-1";
            case "digit" -> "7" + "d".repeat(99);
            default -> "l".repeat(Integer.parseInt(kind) - 1) + "1";
        };
        ParallelJob pj = create(name, "kernel: primes\ntasks: {items: [{from: 0, to: 10}, {from: 10, to: 20}]}\n");
        ParallelJob mpi = create(name.replaceFirst("^.", "m"), "kernel: pi\nexecutor: mpi\nmpi: {workers: 2}\n"
                + "tasks: {range: {start: 0, end: 4}}\n");
        var plan = Planner.plan(pj, null);
        var mpiPlan = Planner.plan(mpi, null);
        client.resource(TasksConfigMap.build(plan)).create();
        client.resource(dev.parallel.operator.gather.ResultsStore.empty(plan)).create();
        var jobs = java.util.List.of(client.resource(WorkerJob.build(plan, Fixtures.SETTINGS)).create(),
                client.resource(dev.parallel.operator.plan.MpiWorkers.job(mpiPlan, Fixtures.SETTINGS)).create());
        client.resource(dev.parallel.operator.plan.MpiSshSecret.build(mpiPlan)).create();
        client.resource(dev.parallel.operator.plan.MpiWorkers.service(mpiPlan)).create();
        client.resource(WorkerJob.build(mpiPlan, Fixtures.SETTINGS)).create();
        client.resource(dev.parallel.operator.plan.JobNetworkPolicy.build(plan)).create();
        client.resource(dev.parallel.operator.plan.JobNetworkPolicy.build(mpiPlan)).create();
        for (var job : jobs) {
            var t = job.getSpec().getTemplate();
            var pod = new io.fabric8.kubernetes.api.model.PodBuilder().withMetadata(t.getMetadata()).withSpec(t.getSpec())
                    .editMetadata().withGenerateName(job.getMetadata().getName() + "-1-").withNamespace("ns1").endMetadata()
                    .editSpec().withHostname(job.getMetadata().getName() + "-1").endSpec().build();
            var created = client.resource(pod).create();
            assertThat(ParallelJobReconciler.owningParallelJob(created)).singleElement()
                    .satisfies(id -> assertThat(id.getName()).isIn(pj.getMetadata().getName(), mpi.getMetadata().getName()));
        }
        new dev.parallel.operator.events.EventRecorder(client).once(pj, "phase/Running",
                dev.parallel.operator.events.EventReason.Running, "running");
        assertThat(client.v1().events().inNamespace("ns1").list().getItems())
                .anyMatch(e -> name.equals(e.getInvolvedObject().getName()));
    }

    /**
     * spec.template: every kept field is stored as written (the generated schema prunes nothing of it), and the
     * Jobs built from it (worker, user image, MPI workers and launcher) pass the real Job validation.
     */
    @Test
    void aFullTemplateIsStoredAndItsJobsPassRealValidation() throws Exception {
        ParallelJob pj = create("template", "kernel: pi\ntasks: {range: {start: 0, end: 4}}\ntemplate: " + PodTemplateTest.TEMPLATE);
        com.fasterxml.jackson.databind.JsonNode stored = dev.parallel.api.contract.Json.mapper().valueToTree(pj.getSpec().template);
        com.fasterxml.jackson.databind.JsonNode written = dev.parallel.api.contract.Json.mapper().valueToTree(
                PodTemplateTest.KERNEL.spec().template);
        assertThat(stored).isEqualTo(written);
        var job = client.resource(WorkerJob.build(Planner.plan(pj, null), Fixtures.SETTINGS)).create();
        assertThat(job.getSpec().getTemplate().getSpec().getPriorityClassName()).isEqualTo("high");
        ParallelJob user = create("template-image", "command: cat /data/x\nimage: docker.io/library/busybox:1.36\n"
                + "tasks: {range: {start: 0, end: 4}}\ntemplate: " + PodTemplateTest.TEMPLATE);
        client.resource(WorkerJob.build(Planner.plan(user, null), Fixtures.SETTINGS)).create();
        ParallelJob mpi = create("template-mpi", "kernel: pi\nexecutor: mpi\nmpi: {workers: 2}\ntasks: {range: {start: 0, end: 4}}\n"
                + "template: " + PodTemplateTest.TEMPLATE);
        var plan = Planner.plan(mpi, null);
        client.resource(dev.parallel.operator.plan.MpiWorkers.job(plan, Fixtures.SETTINGS)).create();
        client.resource(WorkerJob.build(plan, Fixtures.SETTINGS)).create();
    }

    /** PodsRejected reads the Job's FailedCreate events by field selector: the API server supports those fields. */
    @Test
    void theJobsFailedCreateEventIsFoundByItsUid() throws Exception {
        ParallelJob pj = create("rejected", "kernel: pi\ntasks: {range: {start: 0, end: 2}}\n");
        var job = client.resource(WorkerJob.build(Planner.plan(pj, null), Fixtures.SETTINGS)).create();
        assertThat(dev.parallel.operator.deploy.PodCreation.refusal(client, job)).as("no event yet").isNull();
        for (String[] e : new String[][] {{"Normal", "SuccessfulCreate", "created pod"},
                {"Warning", "FailedCreate", "Error creating: pods \"rejected-0\" is forbidden: violates PodSecurity"}}) {
            client.v1().events().inNamespace("ns1").resource(new io.fabric8.kubernetes.api.model.EventBuilder()
                    .withNewMetadata().withGenerateName("rejected.").endMetadata()
                    .withNewInvolvedObject().withKind("Job").withApiVersion("batch/v1").withName(job.getMetadata().getName())
                        .withNamespace("ns1").withUid(job.getMetadata().getUid()).endInvolvedObject()
                    .withType(e[0]).withReason(e[1]).withMessage(e[2]).withLastTimestamp(java.time.Instant.now().toString())
                    .build()).create();
        }
        assertThat(dev.parallel.operator.deploy.PodCreation.refusal(client, job))
                .isEqualTo("Error creating: pods \"rejected-0\" is forbidden: violates PodSecurity");
    }

    /** Over CEL's cost budget, so the API server accepts these; the operator's validation refuses each, naming the field. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            two task entries | {spec: {containers: [{name: task}, {name: task}]}} | spec.template.spec.containers: at most one container named task
            our container name | {spec: {containers: [{name: launcher, image: x}]}} | spec.template.spec.containers[0].name: 'launcher' is one of the operator's containers
            our volume name | {spec: {volumes: [{name: ssh, emptyDir: {}}]}} | spec.template.spec.volumes[0].name: 'ssh' is one of the operator's volumes
            contract env | {spec: {containers: [{name: task, env: [{name: PJ_COMMAND, value: x}]}]}} | spec.template.spec.containers[task].env[0].name: PJ_COMMAND
            """)
    void whatCelCannotAffordTheOperatorRefuses(String name, String template, String message) {
        ParallelJob pj = create(name.replace(' ', '-'), "command: echo\ntasks: {range: {start: 0, end: 2}}\ntemplate: " + template);
        var result = new dev.parallel.operator.validate.Validation(client, java.time.Duration.ofMinutes(10)).validate(pj);
        assertThat(result.failure()).isNotNull();
        assertThat(result.failure().reason()).isEqualTo("InvalidSpec");
        assertThat(result.failure().message()).contains(message);
    }

    /** The status write as production makes it (server-side apply, forced) and as the mock-server tests do (JSON patch). */
    @ParameterizedTest
    @CsvSource({"true", "false"})
    void oneStatusWriteReplacesTheWholeStatus(boolean ssa) throws Exception {
        String name = "status-" + ssa;
        ParallelJob pj = create(name, "kernel: pi\nparams: {samples: 10}\ntasks: {range: {start: 0, end: 4}}\npods: 1\n");
        var plan = Fixtures.plan(pj);
        var writer = new dev.parallel.operator.status.StatusWriter(client, ssa, "paralleljob", (updated, original) -> { });
        var finals = java.util.Map.of(0, dev.parallel.api.contract.PartSummary.decode(Fixtures.summary(0, 4, 4, 0,
                "{\"hits\":3,\"samples\":40}")));
        var done = dev.parallel.operator.status.StatusCalculator.compute(pj, plan, null,
                new dev.parallel.operator.gather.Gathered(finals, java.util.Map.of(), false, null), null, java.time.Instant.EPOCH, "r");
        assertThat(writer.write(pj, done)).isTrue();
        ParallelJob read = client.resources(ParallelJob.class).inNamespace("ns1").withName(name).get();
        assertThat(read.getStatus().phase).isEqualTo(dev.parallel.api.v1alpha1.Phase.Succeeded);
        assertThat(read.getStatus().result).isNotNull();
        assertThat(writer.write(read, done)).as("unchanged: no write").isFalse();
        // A status without a result (say, the operator's own failure) leaves none of the old one behind.
        var failed = dev.parallel.operator.status.StatusCalculator.failed(read, java.time.Instant.EPOCH, "InvalidSpec", "bad");
        writer.write(read, failed);
        read = client.resources(ParallelJob.class).inNamespace("ns1").withName(name).get();
        assertThat(read.getStatus().result).isNull();
        assertThat(read.getStatus().tasks).isNull();
        assertThat(read.getStatus().conditions).singleElement().satisfies(c -> assertThat(c.getReason()).isEqualTo("InvalidSpec"));
        assertThat(read.getSpec().tasks.range.end).as("the spec is untouched").isEqualTo(4L);
    }

    /** Events are de-duplicated on the server: the same again (a restarted operator) counts, a once-event stays one. */
    @Test
    void streamedBatchesArePagedFoldedAndDeletedOnTheRealServer() throws Exception {
        ParallelJob pj = create("streamed", "kernel: pi\nparams: {samples: 10}\ntasks: {range: {start: 0, end: 300}}\npods: 1\n");
        var plan = Planner.plan(pj, null);
        var job = client.resource(WorkerJob.build(plan, Fixtures.SETTINGS)).create();
        var results = client.resource(dev.parallel.operator.gather.ResultsStore.empty(plan)).create();
        // The Job controller does not run here: the test creates the part's pod as it would (it stays Pending).
        var pod = client.pods().inNamespace("ns1").resource(new io.fabric8.kubernetes.api.model.PodBuilder()
                .withNewMetadata().withName("streamed-0-abcde").withNamespace("ns1")
                .withAnnotations(java.util.Map.of(dev.parallel.operator.plan.Names.ANNOTATION_COMPLETION_INDEX, "0"))
                .withOwnerReferences(new io.fabric8.kubernetes.api.model.OwnerReferenceBuilder().withApiVersion("batch/v1").withKind("Job")
                        .withName(job.getMetadata().getName()).withUid(job.getMetadata().getUid()).withController(true).build())
                .endMetadata().withNewSpec().addNewContainer().withName("worker").withImage("docker.io/parallel-dev/job:test").endContainer()
                .endSpec().build()).create();
        // 250 batches of one record each: three pages of 100.
        for (int i = 0; i < 250; i++) {
            var b = FoldTest.batch(pod.getMetadata().getName(), i, 0, pod.getMetadata().getUid(), job.getMetadata().getUid(), null,
                    FoldTest.hit(i, i % 7));
            b.getMetadata().getLabels().put(dev.parallel.api.contract.ResultsContract.LABEL_JOB, job.getMetadata().getName());
            b.getMetadata().setNamespace("ns1");
            client.resources(dev.parallel.api.v1alpha1.TaskResultBatch.class).inNamespace("ns1").resource(b).create();
        }
        var g = new dev.parallel.operator.gather.Gatherer(client, 700_000);
        var gathered = g.gather(plan, job, java.util.List.of(pod), results, new dev.parallel.operator.events.PendingEvents(),
                java.time.Instant.now());
        assertThat(gathered.streamed().folds().get(0).ok()).isEqualTo(250);
        assertThat(gathered.streamed().folds().get(0).partial().get("hits").asLong())
                .isEqualTo(java.util.stream.LongStream.range(0, 250).map(i -> i % 7).sum());
        var batches = client.resources(dev.parallel.api.v1alpha1.TaskResultBatch.class).inNamespace("ns1");
        assertThat(batches.list().getItems()).isEmpty();
        var cm = client.configMaps().inNamespace("ns1").withName(results.getMetadata().getName()).get();
        assertThat(dev.parallel.api.contract.DoneSet.decode(cm.getData().get("done-00000")).count()).isEqualTo(250);
        assertThat(cm.getData().get("part-00000.results.jsonl").lines()).hasSize(250);
        // What is left when the run ends goes by label in one call.
        for (int i = 250; i < 253; i++) {
            var b = FoldTest.batch(pod.getMetadata().getName(), i, 0, pod.getMetadata().getUid(), job.getMetadata().getUid(), null,
                    FoldTest.hit(i, 1));
            b.getMetadata().getLabels().put(dev.parallel.api.contract.ResultsContract.LABEL_JOB, job.getMetadata().getName());
            batches.resource(b).create();
        }
        g.cleanup(plan);
        await().atMost(Duration.ofSeconds(10)).until(() -> batches.list().getItems().isEmpty());
    }

    @Test
    void eventsAreDeduplicatedOnTheServer() {
        ParallelJob pj = create("events", "kernel: pi\nparams: {samples: 10}\ntasks: {range: {start: 0, end: 4}}\n");
        var first = new dev.parallel.operator.events.EventRecorder(client);
        var restarted = new dev.parallel.operator.events.EventRecorder(client);
        first.record(pj, dev.parallel.operator.events.EventReason.Suspended, "suspended: running pods are stopped");
        restarted.record(pj, dev.parallel.operator.events.EventReason.Suspended, "suspended: running pods are stopped");
        first.once(pj, "phase/Running", dev.parallel.operator.events.EventReason.Running, "1 part(s) running");
        restarted.once(pj, "phase/Running", dev.parallel.operator.events.EventReason.Running, "1 part(s) running");
        var events = client.v1().events().inNamespace("ns1").list().getItems().stream()
                .filter(e -> "events".equals(e.getInvolvedObject().getName())).toList();
        assertThat(events).extracting(e -> e.getReason() + " x" + e.getCount())
                .containsExactlyInAnyOrder("Suspended x2", "Running x1");
    }

    /** A namespace being deleted refuses new objects with 403 and the NamespaceTerminating cause: retried quietly. */
    @Test
    void aTerminatingNamespaceIsRetriedQuietly() {
        client.namespaces().resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder().withNewMetadata().withName("going")
                .endMetadata().build()).create();
        client.namespaces().withName("going").delete(); // no namespace controller here: it stays Terminating
        await().atMost(Duration.ofSeconds(10)).until(() -> "Terminating".equals(client.namespaces().withName("going").get()
                .getStatus().getPhase()));
        var cm = new io.fabric8.kubernetes.api.model.ConfigMapBuilder().withNewMetadata().withName("x").withNamespace("going")
                .endMetadata().build();
        assertThatThrownBy(() -> client.resource(cm).create()).isInstanceOfSatisfying(KubernetesClientException.class, e -> {
            assertThat(e.getCode()).isEqualTo(403);
            assertThat(ParallelJobReconciler.quietRetry(e)).isTrue();
        });
        assertThat(ParallelJobReconciler.quietRetry(new KubernetesClientException("forbidden", 403, null))).isFalse();
    }
}
