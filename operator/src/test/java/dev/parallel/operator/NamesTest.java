package dev.parallel.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.operator.events.EventReason;
import dev.parallel.operator.events.EventRecorder;
import dev.parallel.operator.plan.MpiSshSecret;
import dev.parallel.operator.plan.MpiWorkers;
import dev.parallel.operator.plan.Names;
import dev.parallel.operator.plan.Plan;
import dev.parallel.operator.plan.TasksConfigMap;
import dev.parallel.operator.plan.WorkerJob;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every name the API server accepts for a ParallelJob (a DNS-1123 subdomain, 1 to 253 characters, dots
 * allowed) gives children whose names, labels, host names and subdomains the API server accepts too,
 * at every length limit: 52/53 (the pods' generated names), 63/64 (a label), 200 (events), 253.
 */
class NamesTest {
    static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    static final Pattern DNS_1035 = Pattern.compile("[a-z]([-a-z0-9]*[a-z0-9])?");
    static final Pattern SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    static final Pattern LABEL_VALUE = Pattern.compile("(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?");
    /** The highest completion index (parts: 10^5 at most) and MPI worker index (256 workers at most). */
    static final int MAX_PART = 99_999, MAX_WORKER = 255;
    static final String NAMESPACE = "n".repeat(63);

    /** A valid ParallelJob name of exactly {@code length} characters: plain, with dots, or starting with a digit. */
    static String name(int length, String kind) {
        StringBuilder b = new StringBuilder(kind.equals("digit") ? "7" : "p");
        while (b.length() < length) b.append(kind.equals("dots") && b.length() % 10 == 5 && b.length() < length - 1 ? '.' : 'x');
        return b.toString();
    }

    static Stream<String> names() {
        List<String> out = new ArrayList<>();
        for (int len : new int[] {1, 47, 48, 52, 53, 63, 64, 200, 253}) {
            out.add(name(len, "plain"));
            out.add(name(len, "digit"));
            if (len >= 3) out.add(name(len, "dots"));
        }
        out.add("a.b");
        out.add("a-b");
        return out.stream();
    }

    static ParallelJob pj(String name, boolean mpi) {
        ParallelJob pj = (mpi ? Fixtures.spec().kernel("pi").set("executor", "mpi").set("mpi", "{workers: 2}")
                : Fixtures.spec().kernel("pi")).range(0, 4).pj();
        pj.getMetadata().setName(name);
        pj.getMetadata().setNamespace(NAMESPACE);
        return pj;
    }

    static void dnsLabel(String what, String s) {
        assertThat(s).as(what).hasSizeLessThanOrEqualTo(63).matches(DNS_LABEL);
    }

    static void subdomain(String what, String s) {
        assertThat(s).as(what).hasSizeLessThanOrEqualTo(253).matches(SUBDOMAIN);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("names")
    void everyChildNameIsValid(String name) {
        assertThat(name).hasSizeLessThanOrEqualTo(253).matches(SUBDOMAIN);
        ParallelJob pj = pj(name, true);
        String job = Names.job(pj);
        // The Job controller's host names ("<job>-<index>"); Job names are label values too (batch.kubernetes.io/job-name).
        dnsLabel("worker pod host name", job + "-" + MAX_PART);
        dnsLabel("MPI worker host name", Names.mpiWorkers(pj) + "-" + MAX_WORKER);
        assertThat(Names.mpiService(pj)).as("MPI Service (DNS-1035)").hasSizeLessThanOrEqualTo(63).matches(DNS_1035);
        for (String host : Names.mpiHost(pj, MAX_WORKER).split(",")) {
            subdomain("MPI host", host);
            assertThat(host.split("\\.")).allSatisfy(part -> dnsLabel("part of " + host, part));
        }
        for (String child : List.of(Names.tasksConfigMap(pj), Names.resultsConfigMap(pj), Names.mpiSecret(pj),
                Names.resultWriter(pj))) { // resultWriter: a ServiceAccount, Role and RoleBinding (DNS subdomains)
            subdomain("child", child);
        }
        assertThat(Names.labels(pj, MpiWorkers.COMPONENT)).allSatisfy((k, v) -> assertThat(v).as(k)
                .hasSizeLessThanOrEqualTo(63).matches(LABEL_VALUE));
        subdomain("event", EventRecorder.event(pj, "once/phase/Running", EventReason.Running, "m").getMetadata().getName());
        assertThat(Names.job(pj)).as("deterministic").isEqualTo(Names.job(pj(name, false)));
        if (name.length() <= 47 && DNS_LABEL.matcher(name).matches()) assertThat(job).as("kept as it is").isEqualTo(name);
    }

    /** Whatever name function Names has or gets (say, a Kueue Workload's): a valid object name at every length. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("names")
    void everyNameFunctionGivesAnObjectName(String name) throws Exception {
        List<Method> fns = Arrays.stream(Names.class.getMethods()).filter(m -> Modifier.isStatic(m.getModifiers())
                && m.getReturnType() == String.class && Arrays.equals(m.getParameterTypes(), new Class<?>[] {ParallelJob.class})).toList();
        assertThat(fns).extracting(Method::getName).contains("job", "tasksConfigMap", "mpiService");
        for (Method m : fns) subdomain(m.getName(), (String) m.invoke(null, pj(name, true)));
    }

    /** Everything the builders make carries names and labels from Names; the pods map back to the full name. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("names")
    void theBuiltObjectsAreValidAndTheirPodsMapBack(String name) throws Exception {
        ParallelJob inline = Fixtures.spec().kernel("primes").set("tasks", "{items: [{from: 0, to: 10}]}").pj();
        inline.getMetadata().setName(name);
        Plan mpi = dev.parallel.operator.plan.Planner.plan(pj(name, true), null);
        Plan items = dev.parallel.operator.plan.Planner.plan(inline, null);
        var objects = new ArrayList<HasMetadata>(List.of(WorkerJob.build(items, Fixtures.SETTINGS), TasksConfigMap.build(items),
                WorkerJob.build(mpi, Fixtures.SETTINGS), MpiWorkers.job(mpi, Fixtures.SETTINGS), MpiWorkers.service(mpi),
                MpiSshSecret.build(mpi)));
        for (HasMetadata o : objects) {
            subdomain(o.getKind(), o.getMetadata().getName());
            assertThat(o.getMetadata().getLabels()).allSatisfy((k, v) -> assertThat(v).as(o.getKind() + " label " + k)
                    .hasSizeLessThanOrEqualTo(63).matches(LABEL_VALUE));
            assertThat(Names.parallelJobOf(o)).isEqualTo(name);
        }
        var workers = MpiWorkers.job(mpi, Fixtures.SETTINGS);
        dnsLabel("pod subdomain", workers.getSpec().getTemplate().getSpec().getSubdomain());
        for (var job : List.of(WorkerJob.build(items, Fixtures.SETTINGS), workers)) {
            var t = job.getSpec().getTemplate();
            var pod = new PodBuilder().withMetadata(t.getMetadata()).build();
            assertThat(t.getMetadata().getLabels()).allSatisfy((k, v) -> assertThat(v).matches(LABEL_VALUE).hasSizeLessThanOrEqualTo(63));
            assertThat(ParallelJobReconciler.owningParallelJob(pod)).singleElement()
                    .satisfies(id -> assertThat(id.getName()).isEqualTo(name));
        }
    }

    @Test
    void namesThatDifferOnlyInDotsOrTheirEndStayApart() {
        assertThat(Names.job(pj("a.b", false))).isNotEqualTo(Names.job(pj("a-b", false))).startsWith("a-b-");
        String long1 = "x".repeat(252) + "1", long2 = "x".repeat(252) + "2";
        assertThat(Names.job(pj(long1, false))).isNotEqualTo(Names.job(pj(long2, false)));
        assertThat(Names.mpiService(pj("7up", true))).isEqualTo("pj-7up-mpi");
        assertThat(Names.mpiService(pj("demo", true))).as("unchanged where it was valid").isEqualTo("demo-mpi");
    }

    @Test
    void podsOfAnOlderOperatorMapBackByTheirLabel() {
        var pod = new PodBuilder().withNewMetadata().withNamespace("ns1").withLabels(Map.of(Names.LABEL_JOB_NAME, "demo"))
                .endMetadata().build();
        assertThat(ParallelJobReconciler.owningParallelJob(pod)).singleElement().satisfies(id -> assertThat(id.getName()).isEqualTo("demo"));
        assertThat(ParallelJobReconciler.owningParallelJob(new PodBuilder().withNewMetadata().endMetadata().build())).isEmpty();
    }
}
