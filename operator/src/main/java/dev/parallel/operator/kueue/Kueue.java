package dev.parallel.operator.kueue;

import dev.parallel.api.v1alpha1.ParallelJob;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.javaoperatorsdk.operator.processing.GroupVersionKind;
import java.util.Map;

/** Kueue's names the operator uses: its API (v0.17, kueue.x-k8s.io/v1beta2) and the labels a user sets. */
public final class Kueue {
    public static final String GROUP = "kueue.x-k8s.io";
    public static final String API_VERSION = GROUP + "/v1beta2";
    public static final String WORKLOAD = "Workload";
    public static final String RESOURCE_FLAVOR = "ResourceFlavor";
    public static final String WORKLOAD_PRIORITY_CLASS = "WorkloadPriorityClass";
    public static final GroupVersionKind WORKLOAD_GVK = new GroupVersionKind(GROUP, "v1beta2", WORKLOAD);
    /** The LocalQueue a ParallelJob waits in (the label Kueue users put on every kind of job). */
    public static final String QUEUE_LABEL = GROUP + "/queue-name";
    /** A WorkloadPriorityClass for the ParallelJob's Workload (as on Kueue's own integrations). */
    public static final String PRIORITY_LABEL = GROUP + "/priority-class";
    /** What Kueue's configuration must list under integrations.externalFrameworks (Kind.version.group). */
    public static final String EXTERNAL_FRAMEWORK = "ParallelJob.v1alpha1.parallel.dev";

    /** Kueue's kinds, named in full: no discovery round trip, and the plural and scope are known. */
    public static final ResourceDefinitionContext WORKLOADS = context(WORKLOAD, "workloads", true);
    public static final ResourceDefinitionContext RESOURCE_FLAVORS = context(RESOURCE_FLAVOR, "resourceflavors", false);
    public static final ResourceDefinitionContext WORKLOAD_PRIORITY_CLASSES = context(WORKLOAD_PRIORITY_CLASS, "workloadpriorityclasses", false);

    private Kueue() {}

    private static ResourceDefinitionContext context(String kind, String plural, boolean namespaced) {
        return new ResourceDefinitionContext.Builder().withGroup(GROUP).withVersion("v1beta2").withKind(kind).withPlural(plural)
                .withNamespaced(namespaced).build();
    }

    /** The LocalQueue named by the label, or null when the ParallelJob does not use a queue. */
    public static String queueName(ParallelJob pj) {
        Map<String, String> labels = pj.getMetadata().getLabels();
        String q = labels == null ? null : labels.get(QUEUE_LABEL);
        return q == null || q.isBlank() ? null : q;
    }

    public static String priorityClass(ParallelJob pj) {
        Map<String, String> labels = pj.getMetadata().getLabels();
        String p = labels == null ? null : labels.get(PRIORITY_LABEL);
        return p == null || p.isBlank() ? null : p;
    }
}
