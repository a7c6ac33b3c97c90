package dev.parallel.testkit;

import com.dajudge.kindcontainer.KindContainerVersion;
import com.dajudge.kindcontainer.KubernetesImageSpec;

/**
 * Which kind node image the cluster boots: the one named by {@code -Dpj.kind.image} or
 * {@code PJ_KIND_NODE_IMAGE} (an image in the local Docker, e.g. the one ParallelJob's hack/kind-node.sh builds
 * offline), else the official kindest/node image of kindcontainer's newest Kubernetes version (pulled from a
 * registry). The choice is printed.
 */
record NodeImage(KubernetesImageSpec<KindContainerVersion> spec, String why) {
    static final KindContainerVersion VERSION = KindContainerVersion.VERSION_1_34_0;

    static NodeImage choose() {
        String named = System.getProperty("pj.kind.image", System.getenv("PJ_KIND_NODE_IMAGE"));
        var spec = new KubernetesImageSpec<>(VERSION);
        if (named != null && !named.isBlank()) {
            return new NodeImage(spec.withImage(named), "named by pj.kind.image / PJ_KIND_NODE_IMAGE");
        }
        return new NodeImage(spec, "the official kind node image (needs a registry; set PJ_KIND_NODE_IMAGE to use a local one)");
    }

    String name() { return spec.getImage().asCanonicalNameString(); }
}
