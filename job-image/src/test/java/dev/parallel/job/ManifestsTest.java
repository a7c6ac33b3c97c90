package dev.parallel.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestsTest {
    @TempDir
    Path dir;

    Manifests.InvalidManifest invalid(String yaml) throws Exception {
        Path f = dir.resolve("m.yaml");
        Files.writeString(f, yaml);
        try {
            Manifests.read(f);
        } catch (Manifests.InvalidManifest e) {
            return e;
        }
        throw new AssertionError("accepted: " + yaml);
    }

    @Test
    void examplesAreValid() throws Exception {
        try (var files = Files.list(Path.of("../k8s-examples"))) {
            for (Path p : files.filter(x -> x.toString().endsWith(".yaml")).toList()) {
                assertThat(Manifests.read(p).getSpec()).as(p.toString()).isNotNull();
            }
        }
    }

    @Test
    void everyProblemNamesItsField() throws Exception {
        String head = "apiVersion: parallel.dev/v1alpha1\nkind: ParallelJob\nmetadata: {name: x}\n";
        assertThat(invalid(head + "spec:\n  kernel: pi\n  tasks: {range: {start: 5, end: 5}}\n  pods: 0\n").problems)
                .containsExactly("spec.tasks.range.end: must be greater than spec.tasks.range.start",
                        "spec.pods: must be >= 1, got 0");
        assertThat(invalid(head + "spec:\n  kernel: pi\n  command: echo\n  tasks: {items: []}\n").problems)
                .containsExactly("spec.tasks.items: must not be empty",
                        "spec.kernel: set exactly one of spec.kernel (a built-in kernel) or spec.command");
        assertThat(invalid(head + "spec:\n  kernel: pi\n  tasks: {range: {start: 0, end: 2}}\n  parallelizm: 3\n").problems)
                .singleElement().asString().startsWith("spec.parallelizm: Unrecognized field \"parallelizm\"");
        assertThat(invalid(head + "spec:\n  kernel: fft\n  tasks: {range: {start: 0, end: 2}}\n").problems)
                .singleElement().asString().startsWith("spec.kernel: ").contains("unknown kernel 'fft'");
        assertThat(invalid(head + "spec:\n  kernel: pi\n  tasks: {range: {start: 0, end: 2}\n").problems)
                .singleElement().asString().contains("not valid YAML");
        assertThat(invalid(head + "spec:\n  kernel: pi\n  tasks: {range: {start: 0, end: 2}}\n"
                + "  resources: {requests: {cpu: 500m, memory: 1Gi}, limits: {cpu: lots, memory: 1.5Gi}}\n").problems)
                .singleElement().asString()
                .isEqualTo("spec.resources.limits.cpu: must be a quantity such as 500m, 2 or 1Gi, got \"lots\"");
        assertThat(invalid(head + "spec:\n  kernel: pi\n  executor: cuda\n  tasks: {range: {start: 0, end: 2}}\n").problems)
                .singleElement().asString().startsWith("spec.gpu: executor: cuda requires spec.gpu");
    }
}
