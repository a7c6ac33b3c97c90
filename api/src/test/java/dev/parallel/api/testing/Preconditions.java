package dev.parallel.api.testing;

import java.util.Arrays;
import org.junit.jupiter.api.Assumptions;

/**
 * A test that needs a real component (kube-apiserver, helm, mpirun, a GPU...) skips, naming what is missing, where
 * it is absent; where the build says the component is installed ({@code -Dtests.required=helm,mpirun,...}, as
 * `make test` and CI set it) its absence fails the test instead, so a vanished precondition cannot turn a suite
 * into "0 tests, BUILD SUCCESS". Call it per test (in {@code @BeforeEach}), so each skip is counted.
 */
public final class Preconditions {
    private Preconditions() {}

    public static void need(String component, boolean present, String whyMissing) {
        if (present) return;
        if (required(component)) {
            throw new AssertionError(component + " is required in this build (-Dtests.required) but missing: " + whyMissing);
        }
        Assumptions.abort("skipped, " + component + " missing: " + whyMissing);
    }

    public static boolean required(String component) {
        return Arrays.stream(System.getProperty("tests.required", "").split(",")).map(String::strip).anyMatch(component::equals);
    }
}
