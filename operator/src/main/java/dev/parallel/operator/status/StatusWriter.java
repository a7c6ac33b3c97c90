package dev.parallel.operator.status;

import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.api.v1alpha1.ParallelJobStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.util.function.BiConsumer;

/**
 * The one status write of a reconcile, as JOSDK's UpdateControl.patchStatus makes it (server-side apply
 * with the controller's field manager, or a JSON patch from the status the reconcile started from where
 * SSA is off, e.g. against the mock server), made here so that events follow only a write that succeeded.
 * Status is recomputed from the cluster each time, so the last writer is right: no optimistic lock (a 409
 * on every concurrent event would only cost retries and log noise).
 */
public final class StatusWriter {
    private final KubernetesClient client;
    private final boolean ssa;
    private final String fieldManager;
    /** Hands the written ParallelJob to JOSDK's cache (the next reconcile sees its own status). */
    private final BiConsumer<ParallelJob, ParallelJob> written;

    public StatusWriter(KubernetesClient client, boolean ssa, String fieldManager, BiConsumer<ParallelJob, ParallelJob> written) {
        this.client = client;
        this.ssa = ssa;
        this.fieldManager = fieldManager;
        this.written = written;
    }

    /** Writes {@code status} unless it is what {@code pj} has; returns whether it wrote. */
    public boolean write(ParallelJob pj, ParallelJobStatus status) {
        if (StatusCalculator.same(pj.getStatus(), status)) return false;
        ParallelJob updated;
        if (ssa) {
            ParallelJob apply = new ParallelJob();
            apply.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName(pj.getMetadata().getName())
                    .withNamespace(pj.getMetadata().getNamespace()).build());
            apply.setSpec(null); // status only: the spec is not ours to apply
            apply.setStatus(status);
            updated = client.resource(apply).subresource("status").patch(new PatchContext.Builder()
                    .withFieldManager(fieldManager).withForce(true).withPatchType(PatchType.SERVER_SIDE_APPLY).build());
        } else {
            ParallelJob original = dev.parallel.api.contract.Json.mapper().convertValue(pj, ParallelJob.class);
            original.getMetadata().setResourceVersion(null);
            updated = client.resource(original).editStatus(r -> {
                r.setStatus(status);
                return r;
            });
        }
        written.accept(updated, pj);
        return true;
    }
}
