package dev.parallel.operator.validate;

import static dev.parallel.operator.status.ConditionType.Reason;

import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.api.v1alpha1.SpecValidator;
import dev.parallel.operator.events.EventReason;
import dev.parallel.operator.plan.Plan;
import dev.parallel.operator.plan.Planner;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;

/**
 * Validate, then plan: the spec (defence in depth behind the schema; spec.template's rules beyond CEL's
 * cost budget in TemplateValidator), the referenced tasks ConfigMap
 * (read by GET when needed, never cached: see ParallelJobReconciler), and the plan computed once.
 * The first problem fails the ParallelJob with a reason, instead of a crash loop.
 */
public final class Validation {
    /** Why a ParallelJob cannot run: its Failed condition's reason and message, and the Warning event. */
    public record Failure(String reason, String message, EventReason event) {}

    /** Either a plan or the failure that prevents one. */
    public record Result(Plan plan, Failure failure) {}

    private final KubernetesClient client;

    public Validation(KubernetesClient client) { this.client = client; }

    public Result validate(ParallelJob pj) {
        var problems = new java.util.ArrayList<>(SpecValidator.validate(pj));
        // spec.template: what CEL cannot afford to check over the pod template's unbounded lists.
        if (pj.getSpec() != null) problems.addAll(TemplateValidator.problems(pj.getSpec()));
        if (!problems.isEmpty()) {
            String msg = problems.stream().map(Object::toString).reduce((a, b) -> a + "; " + b).orElse("");
            return failed(Reason.InvalidSpec.name(), msg, EventReason.InvalidSpec);
        }
        String configMapText = null;
        var ref = pj.getSpec().tasks.configMapRef;
        if (ref != null) {
            ConfigMap cm = client.configMaps().inNamespace(pj.getMetadata().getNamespace()).withName(ref.name).get();
            configMapText = cm == null || cm.getData() == null ? null : cm.getData().get(ref.keyOrDefault());
            if (configMapText == null) {
                return failed(Reason.TasksNotFound.name(), "spec.tasks.configMapRef: ConfigMap " + ref.name
                        + (cm == null ? " not found" : " has no key " + ref.keyOrDefault())
                        + " in namespace " + pj.getMetadata().getNamespace(), EventReason.TasksNotFound);
            }
        }
        try {
            return new Result(Planner.plan(pj, configMapText), null);
        } catch (IOException e) {
            return failed(Reason.InvalidTasks.name(), "spec.tasks: " + e.getMessage(), EventReason.InvalidSpec);
        }
    }

    private static Result failed(String reason, String message, EventReason event) {
        return new Result(null, new Failure(reason, message, event));
    }
}
