package dev.parallel.e2e;

import dev.parallel.testkit.ParallelJobExtension;
import dev.parallel.testkit.TestNamespace;
import org.junit.jupiter.api.extension.ExtendWith;
import static org.assertj.core.api.Assertions.assertThat;

import dev.parallel.api.v1alpha1.Phase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The bad-input corpus (operator/src/test/resources/invalid/, one manifest per mistake, its first line
 * `# expect: <what kubectl prints>`): each is applied with kubectl to the real cluster and must be
 * refused with exactly that message; what only the operator can see ends as a Failed condition. The
 * operator's log must show no stack trace for any of it.
 */
@ExtendWith(ParallelJobExtension.class)
class BadInputE2ETest {
    static String NS;

    @BeforeAll
    static void namespace(TestNamespace ns) { NS = ns.name(); }
    static final Path CORPUS = Cluster.ROOT.resolve("operator/src/test/resources/invalid");
    static final Pattern SETUP = Pattern.compile("^# setup: replace \"(.*)\" with \"(.*)\"$", Pattern.MULTILINE);
    static String logSince;

    /** The operator's containers and their restart counts when this class began. */
    static java.util.Map<String, Integer> restartsBefore;

    @BeforeAll
    static void mark() {
        logSince = java.time.Instant.now().minusSeconds(1).toString();
        restartsBefore = operatorRestarts();
    }

    static java.util.Map<String, Integer> operatorRestarts() {
        var pods = Cluster.operatorPods();
        assertThat(pods).as("operator pods in %s", Cluster.OPERATOR_NAMESPACE).isNotEmpty();
        var out = new java.util.TreeMap<String, Integer>();
        for (var p : pods) {
            for (var c : p.getStatus().getContainerStatuses()) out.put(p.getMetadata().getName() + "/" + c.getName(), c.getRestartCount());
        }
        return out;
    }

    static Stream<Path> corpus() throws Exception {
        return Files.list(CORPUS).filter(p -> p.toString().endsWith(".yaml")).sorted();
    }

    static String firstLine(Path p) {
        try {
            return Files.readString(p).lines().findFirst().orElse("");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** docs/reliability.md states the corpus's size and how many the API server refuses: both must be the real counts. */
    @Test
    void theCorpusHasExactlyTheManifestsTheDocsCount() throws Exception {
        String doc = Files.readString(Cluster.ROOT.resolve("docs/reliability.md"));
        Matcher total = Pattern.compile("`operator/src/test/resources/invalid/`: (\\d+) manifests").matcher(doc);
        Matcher refused = Pattern.compile("\\((\\d+) are refused by the API server").matcher(doc);
        assertThat(total.find()).as("docs/reliability.md names the corpus size").isTrue();
        assertThat(refused.find()).as("docs/reliability.md says how many the API server refuses").isTrue();
        List<Path> all = corpus().toList();
        long byApiServer = all.stream().filter(p -> firstLine(p).startsWith("# expect: ")).count();
        long byOperator = all.stream().filter(p -> firstLine(p).startsWith("# expect-condition: ")).count();
        assertThat(all).hasSize(Integer.parseInt(total.group(1)));
        assertThat(byApiServer).isEqualTo(Long.parseLong(refused.group(1)));
        assertThat(byApiServer + byOperator).as("every manifest's first line says what it expects").isEqualTo(all.size());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void kubectlApplyRefusesItWithTheExpectedMessage(Path file) throws Exception {
        String text = Files.readString(file);
        String first = text.lines().findFirst().orElse("");
        String name = text.lines().filter(l -> l.startsWith("  name: ")).findFirst().orElseThrow().substring(8).strip();
        if (first.startsWith("# expect-condition: ")) { // accepted by the API server, refused by the operator
            String[] reason = first.substring("# expect-condition: ".length()).split(": ", 2);
            var ok = Cluster.kubectl("apply", "-n", NS, "-f", file.toString());
            assertThat(ok.code()).as(ok.err()).isZero();
            var pj = Cluster.awaitPhase(NS, name, java.time.Duration.ofMinutes(1), Phase.Failed);
            var failed = Cluster.condition(pj, "Failed");
            assertThat(failed.getReason()).isEqualTo(reason[0]);
            assertThat(failed.getMessage()).isEqualTo(reason[1]);
            Cluster.deleteAndWait(NS, name);
            return;
        }
        assertThat(first).as("first line of %s", file.getFileName()).startsWith("# expect: ");
        // {file} stands for the path kubectl was given (it names it in client-side and BadRequest errors).
        String expect = first.substring("# expect: ".length()).replace("{file}", file.toString());
        Matcher setup = SETUP.matcher(text);
        if (setup.find()) { // an update: first the valid object, then the change
            Path before = Files.createTempFile("setup", ".yaml");
            Files.writeString(before, text.replace(setup.group(1), setup.group(2)));
            var ok = Cluster.kubectl("apply", "-n", NS, "-f", before.toString());
            assertThat(ok.code()).as(ok.err()).isZero();
        }
        var r = Cluster.kubectl("apply", "-n", NS, "-f", file.toString());
        assertThat(r.code()).as("kubectl apply of %s must fail: %s", file.getFileName(), r.out()).isNotZero();
        // The exact message: one line of kubectl's error equals it (several errors are listed one per line, "* "
        // before each, under "The ParallelJob "x" is invalid: ").
        assertThat(r.err().lines().map(l -> l.startsWith("* ") ? l.substring(2) : l).map(String::stripTrailing))
                .as("%s: kubectl said:%n%s", file.getFileName(), r.err()).contains(expect);
        if (setup.find(0)) Cluster.deleteAndWait(NS, name);
        else assertThat(Cluster.get(NS, name)).as("nothing was created").isNull();
    }

    @Test
    void tenMegabytesOfInlineItemsAreRefusedBeforeAnythingIsStored() throws Exception {
        StringBuilder sb = new StringBuilder("apiVersion: parallel.dev/v1alpha1\nkind: ParallelJob\nmetadata:\n  name: inv-10mb\n"
                + "spec:\n  kernel: primes\n  tasks:\n    items:\n");
        String pad = "x".repeat(1000);
        while (sb.length() < 10 * 1024 * 1024) sb.append("    - {from: 0, to: 10, note: ").append(pad).append("}\n");
        Path f = Files.createTempFile("big", ".yaml");
        Files.writeString(f, sb);
        var r = Cluster.kubectl("apply", "--server-side", "-n", NS, "-f", f.toString());
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).containsAnyOf("Request entity too large", "request is too large", "too long");
        assertThat(Cluster.get(NS, "inv-10mb")).isNull();
    }

    @Test
    void whatOnlyTheOperatorCanSeeIsNamedInACondition() throws Exception {
        // A ConfigMap that does not exist (yet: it is waited for), and one whose second line is not JSON.
        Cluster.apply(NS, """
                apiVersion: parallel.dev/v1alpha1
                kind: ParallelJob
                metadata: {name: inv-op-missing-cm}
                spec: {kernel: primes, tasks: {configMapRef: {name: no-such-configmap}}}
                """);
        var cm = Cluster.kubectl("create", "configmap", "inv-op-bad-lines", "-n", NS, "--from-literal=tasks.jsonl={\"from\": 1}\nnot json\n");
        assertThat(cm.code()).as(cm.err()).isZero();
        Cluster.apply(NS, """
                apiVersion: parallel.dev/v1alpha1
                kind: ParallelJob
                metadata: {name: inv-op-bad-lines}
                spec: {kernel: primes, tasks: {configMapRef: {name: inv-op-bad-lines}}}
                """);
        var waiting = java.time.Duration.ofSeconds(30);
        org.awaitility.Awaitility.await().atMost(waiting).untilAsserted(() -> {
            var pj = Cluster.get(NS, "inv-op-missing-cm");
            assertThat(pj.getStatus()).isNotNull();
            assertThat(pj.getStatus().phase).isEqualTo(Phase.Pending);
            assertThat(Cluster.condition(pj, "Running").getReason()).isEqualTo("TasksNotFound");
            assertThat(Cluster.condition(pj, "Running").getMessage()).startsWith("spec.tasks.configMapRef: ConfigMap no-such-configmap "
                    + "not found in namespace " + NS + "; waiting for it to be created (the ParallelJob fails if it is still missing at ");
        });
        var pj = Cluster.awaitPhase(NS, "inv-op-bad-lines", java.time.Duration.ofMinutes(1), Phase.Failed);
        var failed = Cluster.condition(pj, "Failed");
        assertThat(failed.getReason()).isEqualTo("InvalidTasks");
        assertThat(failed.getMessage()).isEqualTo("tasks ConfigMap inv-op-bad-lines/tasks.jsonl line 2, column 1: 'not' is not a JSON "
                + "value: strings need double quotes, and true, false and null are lowercase");
        for (String n : List.of("inv-op-missing-cm", "inv-op-bad-lines")) Cluster.deleteAndWait(NS, n);
        Cluster.kubectl("delete", "configmap", "inv-op-bad-lines", "-n", NS);
    }

    @AfterAll
    static void noStackTraceInTheOperatorLog() {
        var pods = Cluster.operatorPods();
        assertThat(pods).as("no operator pod in %s: no log to read", Cluster.OPERATOR_NAMESPACE).isNotEmpty();
        // A crash would leave its trace in a previous container's log, which is not read below.
        assertThat(operatorRestarts()).as("operator containers and restarts, before: %s", restartsBefore).isEqualTo(restartsBefore);
        for (var p : pods) {
            var r = Cluster.kubectl("logs", "-n", Cluster.OPERATOR_NAMESPACE, p.getMetadata().getName(), "--since-time=" + logSince);
            assertThat(r.code()).as("kubectl logs %s: %s", p.getMetadata().getName(), r.err()).isZero();
            assertThat(r.out()).as("operator log of %s", p.getMetadata().getName())
                    .doesNotContainPattern("(?m)^\\s+at [a-zA-Z_$][\\w.$]*\\(")
                    .doesNotContain("Exception in thread");
        }
    }
}
