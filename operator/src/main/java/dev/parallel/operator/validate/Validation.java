package dev.parallel.operator.validate;

import static dev.parallel.operator.status.ConditionType.Reason;

import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.api.v1alpha1.SpecValidator;
import dev.parallel.operator.events.EventReason;
import dev.parallel.operator.plan.Plan;
import dev.parallel.operator.plan.Planner;
import dev.parallel.operator.status.PhaseDecision;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.TreeSet;

/**
 * Validate, then plan: the spec (defence in depth behind the schema; spec.template's rules beyond CEL's
 * cost budget in TemplateValidator), the referenced tasks ConfigMap
 * (read by GET when needed, never cached: see ParallelJobReconciler), and the plan computed once.
 * The first problem fails the ParallelJob with a reason, instead of a crash loop. A referenced object that
 * does not exist yet (the tasks ConfigMap applied after the ParallelJob: {@code kubectl apply -f dir/}, Helm,
 * GitOps) is waited for, up to the operator's missingReferenceTimeoutSeconds after the ParallelJob's creation.
 */
public final class Validation {
    /** Why a ParallelJob cannot run: its Failed condition's reason and message, and the Warning event. */
    public record Failure(String reason, String message, EventReason event) {}

    /** Either a plan, or the failure that prevents one, or a referenced object that is missing (yet). */
    public record Result(Plan plan, Failure failure, Missing missing) {
        public Result(Plan plan, Failure failure) { this(plan, failure, null); }
    }

    /**
     * A referenced object not there yet: the ParallelJob waits (Pending, {@code waiting}'s reason) until
     * {@code deadline}; {@code failure} is what it fails with after that, or at once if it had already started.
     */
    public record Missing(PhaseDecision.Waiting waiting, Instant deadline, Failure failure) {}

    private final KubernetesClient client;
    private final Duration missingTimeout;

    public Validation(KubernetesClient client, Duration missingTimeout) {
        this.client = client;
        this.missingTimeout = missingTimeout;
    }

    public Result validate(ParallelJob pj) { return validate(pj, Instant.now(), true); }

    /** @param beforeJobs no Job exists yet: also check what only pod creation needs (the ServiceAccount) */
    public Result validate(ParallelJob pj, Instant now, boolean beforeJobs) {
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
                String what = "spec.tasks.configMapRef: ConfigMap " + ref.name + (cm == null ? " not found"
                        : " has no key " + ref.keyOrDefault() + " (its keys: " + keys(cm) + ")")
                        + " in namespace " + pj.getMetadata().getNamespace();
                return missing(pj, now, Reason.TasksNotFound.name(), what, EventReason.TasksNotFound);
            }
        }
        // Without it the Job controller cannot create a single pod (the ServiceAccount admission refuses them), and
        // says so only in the Job's events: check it here, once, before the Job exists.
        String sa = pj.getSpec().serviceAccountName;
        String ns = pj.getMetadata().getNamespace();
        if (beforeJobs && sa != null && !sa.isEmpty() && client.serviceAccounts().inNamespace(ns).withName(sa).get() == null) {
            return missing(pj, now, Reason.ServiceAccountNotFound.name(), "spec.serviceAccountName: ServiceAccount " + sa
                    + " not found in namespace " + ns, EventReason.ServiceAccountNotFound);
        }
        try {
            return new Result(Planner.plan(pj, configMapText), null);
        } catch (IOException e) {
            // A ConfigMap's error names it, its line and column; others name the field.
            return failed(Reason.InvalidTasks.name(), (ref != null ? "" : "spec.tasks: ") + e.getMessage(), EventReason.InvalidSpec);
        }
    }

    /** Waits until the deadline (creation + the timeout), then fails; the messages say which and how long. */
    private Result missing(ParallelJob pj, Instant now, String reason, String what, EventReason event) {
        String created = pj.getMetadata().getCreationTimestamp();
        Instant deadline = (created == null ? now : Instant.parse(created)).plus(missingTimeout);
        long timeout = missingTimeout.toSeconds();
        Failure late = new Failure(reason, what + ", still missing " + timeout + " s after the ParallelJob was created "
                + "(the operator's missingReferenceTimeoutSeconds); create it, then delete and re-create this ParallelJob", event);
        if (!now.isBefore(deadline)) return new Result(null, late);
        var waiting = new PhaseDecision.Waiting(reason, what + "; waiting for it to be created (the ParallelJob fails if it "
                + "is still missing at " + deadline + ", " + timeout + " s after its creation)");
        return new Result(null, null, new Missing(waiting, deadline, new Failure(reason, what, event)));
    }

    private static String keys(ConfigMap cm) {
        var keys = new TreeSet<String>();
        if (cm.getData() != null) keys.addAll(cm.getData().keySet());
        if (cm.getBinaryData() != null) keys.addAll(cm.getBinaryData().keySet());
        return keys.isEmpty() ? "none" : String.join(", ", keys);
    }

    private static Result failed(String reason, String message, EventReason event) {
        return new Result(null, new Failure(reason, message, event));
    }
}
