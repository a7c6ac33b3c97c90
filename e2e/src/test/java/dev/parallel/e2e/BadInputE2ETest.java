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

    @BeforeAll
    static void mark() {
        logSince = java.time.Instant.now().minusSeconds(1).toString();
    }

    static Stream<Path> corpus() throws Exception {
        return Files.list(CORPUS).filter(p -> p.toString().endsWith(".yaml")).sorted();
    }

    @Test
    void theCorpusHasAtLeastThirtyManifestsKubectlRefuses() throws Exception {
        assertThat(corpus().filter(p -> {
            try {
                return Files.readString(p).startsWith("# expect: ");
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        }).count()).isGreaterThanOrEqualTo(30);
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
            assertThat(failed.getMessage()).contains(reason[1]);
            Cluster.deleteAndWait(NS, name);
            return;
        }
        assertThat(first).as("first line of %s", file.getFileName()).startsWith("# expect: ");
        String expect = first.substring("# expect: ".length());
        Matcher setup = SETUP.matcher(text);
        if (setup.find()) { // an update: first the valid object, then the change
            Path before = Files.createTempFile("setup", ".yaml");
            Files.writeString(before, text.replace(setup.group(1), setup.group(2)));
            var ok = Cluster.kubectl("apply", "-n", NS, "-f", before.toString());
            assertThat(ok.code()).as(ok.err()).isZero();
        }
        var r = Cluster.kubectl("apply", "-n", NS, "-f", file.toString());
        assertThat(r.code()).as("kubectl apply of %s must fail: %s", file.getFileName(), r.out()).isNotZero();
        assertThat(r.err().strip()).as(file.getFileName().toString()).contains(expect);
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
    void whatOnlyTheOperatorCanSeeEndsAsAFailedCondition() throws Exception {
        // A ConfigMap that does not exist, and one whose lines are not JSON objects.
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
        for (String[] c : List.of(new String[] {"inv-op-missing-cm", "TasksNotFound", "ConfigMap no-such-configmap not found"},
                new String[] {"inv-op-bad-lines", "InvalidTasks", "line 2"})) {
            var pj = Cluster.awaitPhase(NS, c[0], java.time.Duration.ofMinutes(1), Phase.Failed);
            var failed = Cluster.condition(pj, "Failed");
            assertThat(failed.getReason()).isEqualTo(c[1]);
            assertThat(failed.getMessage()).contains(c[2]);
            Cluster.deleteAndWait(NS, c[0]);
        }
        Cluster.kubectl("delete", "configmap", "inv-op-bad-lines", "-n", NS);
    }

    @AfterAll
    static void noStackTraceInTheOperatorLog() {
        var pods = Cluster.operatorPods();
        for (var p : pods) {
            var r = Cluster.kubectl("logs", "-n", Cluster.OPERATOR_NAMESPACE, p.getMetadata().getName(), "--since-time=" + logSince);
            assertThat(r.out()).as("operator log of %s", p.getMetadata().getName())
                    .doesNotContainPattern("(?m)^\\s+at [a-zA-Z_$][\\w.$]*\\(")
                    .doesNotContain("Exception in thread");
        }
    }
}
