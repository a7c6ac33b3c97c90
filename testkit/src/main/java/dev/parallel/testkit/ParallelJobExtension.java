package dev.parallel.testkit;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5: {@code @ExtendWith(ParallelJobExtension.class)} gives a test class the run's shared
 * {@link ParallelJobCluster} (one kind node for every class of the run) and a {@link TestNamespace} of its own,
 * deleted after the class whatever happened. Both are injected as parameters of test, lifecycle or constructor
 * methods.
 */
public final class ParallelJobExtension implements BeforeAllCallback, ParameterResolver {
    private static final ExtensionContext.Namespace STORE = ExtensionContext.Namespace.create(ParallelJobExtension.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        namespace(context);
    }

    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext context) {
        Class<?> type = p.getParameter().getType();
        return type == ParallelJobCluster.class || type == TestNamespace.class || type == ParallelJobs.class;
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext context) {
        Class<?> type = p.getParameter().getType();
        if (type == ParallelJobCluster.class) return ParallelJobCluster.shared();
        if (type == ParallelJobs.class) return ParallelJobCluster.shared().jobs();
        return namespace(context);
    }

    private static TestNamespace namespace(ExtensionContext context) {
        ExtensionContext classContext = context;
        while (classContext.getTestMethod().isPresent() && classContext.getParent().isPresent()) {
            classContext = classContext.getParent().get();
        }
        Class<?> testClass = classContext.getRequiredTestClass();
        return classContext.getStore(STORE).getOrComputeIfAbsent("namespace", k -> new ClosingNamespace(
                TestNamespace.create(ParallelJobCluster.shared(), testClass.getSimpleName())), ClosingNamespace.class).ns;
    }

    /** Closed by JUnit when the class's store goes (after @AfterAll), even when a test failed. */
    private record ClosingNamespace(TestNamespace ns) implements ExtensionContext.Store.CloseableResource, AutoCloseable {
        @Override
        public void close() { ns.close(); }
    }
}
