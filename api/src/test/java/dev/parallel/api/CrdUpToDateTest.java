package dev.parallel.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The committed CRD (crds/ and the Helm chart's copy) is the one the types generate: run `make crds` if not. */
class CrdUpToDateTest {
    static final String FILE = "paralleljobs.parallel.dev-v1.yml";
    static final String BATCHES = "taskresultbatches.parallel.dev-v1.yml";

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {FILE, BATCHES})
    void committedCrdsMatchTheGeneratedOne(String file) throws Exception {
        String generated = Files.readString(Path.of("target/classes/META-INF/fabric8", file));
        assertThat(Files.readString(Path.of("../crds", file)))
                .as("crds/%s is stale: run `make crds`", file).isEqualTo(generated);
        assertThat(Files.readString(Path.of("../helm/parallel-job-operator/crds", file)))
                .as("helm/parallel-job-operator/crds/%s is stale: run `make crds`", file).isEqualTo(generated);
    }

    @Test
    void crdCarriesTheRulesUsersRelyOn() throws Exception {
        String crd = Files.readString(Path.of("../crds", FILE));
        assertThat(crd).contains("shortNames:\n    - \"pj\"", "categories:\n    - \"all\"",
                "spec.tasks must set exactly one of items, range, matrix",
                "x-kubernetes-int-or-string: true",
                "spec.tasks is immutable", "subresources:\n      status: {}");
    }
}
