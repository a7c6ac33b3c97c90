package dev.parallel.operator;

import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.api.v1alpha1.ParallelJobStatus;
import dev.parallel.api.v1alpha1.Phase;
import dev.parallel.operator.deploy.Deployer;
import dev.parallel.operator.events.EventReason;
import dev.parallel.operator.events.EventRecorder;
import dev.parallel.operator.events.PendingEvents;
import dev.parallel.operator.gather.Gathered;
import dev.parallel.operator.gather.Gatherer;
import dev.parallel.operator.observe.Observed;
import dev.parallel.operator.plan.Names;
import dev.parallel.operator.plan.Plan;
import dev.parallel.operator.status.ConditionType;
import dev.parallel.operator.status.StatusCalculator;
import dev.parallel.operator.status.StatusWriter;
import dev.parallel.operator.validate.Validation;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * The reconcile as phases: observe (the ParallelJob's Jobs and pods from informer caches), validate and
 * plan, deploy (create what is missing), gather (record finished parts once), status (one builder, one
 * write when it changed), then the events of that pass.
 */
@ControllerConfiguration(name = "paralleljob")
public class ParallelJobReconciler implements Reconciler<ParallelJob> {
    private static final Logger LOG = Logger.getLogger(ParallelJobReconciler.class);
    static final String MANAGED_SELECTOR = Names.LABEL_MANAGED_BY + "=" + Names.MANAGED_BY;

    private final KubernetesClient client;
    private final EventRecorder recorder;
    private final OperatorMetrics metrics;
    private final Validation validation;
    private final Deployer deployer;
    private final Gatherer gatherer;

    public ParallelJobReconciler(KubernetesClient client, OperatorSettings settings, OperatorMetrics metrics) {
        this.client = client;
        this.recorder = new EventRecorder(client);
        this.metrics = metrics;
        this.validation = new Validation(client);
        this.deployer = new Deployer(client, settings);
        this.gatherer = new Gatherer(client, settings.maxResultsBytes());
    }

    @Override
    public List<EventSource<?, ParallelJob>> prepareEventSources(EventSourceContext<ParallelJob> context) {
        var jobs = InformerEventSourceConfiguration.from(Job.class, ParallelJob.class)
                .withName("jobs").withLabelSelector(MANAGED_SELECTOR).build();
        // Pods belong to the Job, not to us: map them back through our label.
        var pods = InformerEventSourceConfiguration.from(Pod.class, ParallelJob.class)
                .withName("pods").withLabelSelector(MANAGED_SELECTOR)
                .withSecondaryToPrimaryMapper(Mappers.fromLabel(Names.LABEL_JOB_NAME, null, ParallelJob.class))
                .build();
        // ConfigMaps are read on demand, not cached: results ConfigMaps can be large and there is one per
        // ParallelJob; caching them all cost the operator its memory at 1,000 ParallelJobs.
        return List.of(new InformerEventSource<>(jobs, context), new InformerEventSource<>(pods, context));
    }

    @Override
    public UpdateControl<ParallelJob> reconcile(ParallelJob pj, Context<ParallelJob> ctx) {
        long t0 = System.nanoTime();
        try {
            var config = ctx.getControllerConfiguration();
            var writer = new StatusWriter(client, config.getConfigurationService().useSSAToPatchPrimaryResource(),
                    config.fieldManager(), (updated, original) -> ctx.eventSourceRetriever().getControllerEventSource()
                            .handleRecentResourceUpdate(ResourceID.fromResource(updated), updated, original));
            return reconcile(pj, Observed.of(pj, List.copyOf(ctx.getSecondaryResources(Job.class)),
                    List.copyOf(ctx.getSecondaryResources(Pod.class))), writer);
        } finally {
            metrics.reconciled(System.nanoTime() - t0);
        }
    }

    /** One pass over what {@code seen} holds; the reconcile-logic tests call this directly. */
    UpdateControl<ParallelJob> reconcile(ParallelJob pj, Observed seen, StatusWriter writer) {
        PendingEvents events = new PendingEvents();
        // observe: finished in this generation, the status is final; only the MPI workers may still need stopping.
        if (seen.finished()) {
            deployer.stopMpiWorkers(pj, seen.jobs(), events);
            events.recordAll(recorder, pj);
            return UpdateControl.noUpdate();
        }
        // validate and plan: the spec, its task source, then names, labels, owner and parts, once.
        Validation.Result valid = validation.validate(pj);
        if (valid.failure() != null) return writeFailure(pj, valid.failure(), writer, events);
        Plan plan = valid.plan();
        // deploy: remove a namesake's leftovers, create what is missing, gate the MPI launcher, sync suspend.
        Deployer.Deployed d = deployer.deploy(plan, seen, events);
        if (d.failure() != null) return writeFailure(pj, d.failure(), writer, events);
        if (d.leftovers() != null) {
            write(pj, StatusCalculator.waiting(plan, seen.previous(), Instant.now(), d.leftovers()), writer, events, false);
            return UpdateControl.<ParallelJob>noUpdate().rescheduleAfter(Duration.ofSeconds(2));
        }
        // gather: record newly finished parts in the results ConfigMap, once per index.
        Gathered gathered = gatherer.gather(plan, d.job(), seen.partPods(), d.results());
        // status: one builder; a finished run stops its MPI workers; one write, then the events.
        ParallelJobStatus status = StatusCalculator.compute(plan, d.job(), gathered, seen.previous(), Instant.now(),
                Names.resultsConfigMap(pj), d.waiting());
        if (status.phase.isTerminal()) deployer.stopMpiWorkers(pj, seen.jobs(), events);
        announce(seen.previous(), status, events);
        write(pj, status, writer, events, true);
        // Waiting for MPI workers: look again even if no pod changes, so the Ready timeout fires. A Job without
        // pods: look again for why (a refused pod changes nothing the informers see).
        return d.waiting() != null || dev.parallel.operator.deploy.PodCreation.awaitingPods(seen)
                ? UpdateControl.<ParallelJob>noUpdate().rescheduleAfter(Duration.ofSeconds(5))
                : UpdateControl.noUpdate();
    }

    /** The events of a phase change (once per ParallelJob and phase) and of a CPU fallback (once). */
    private static void announce(ParallelJobStatus previous, ParallelJobStatus now, PendingEvents events) {
        if (previous == null || now.phase != previous.phase) {
            String msg = now.conditions.stream().filter(c -> "True".equals(c.getStatus())).map(c -> c.getMessage())
                    .findFirst().orElse(now.phase.name());
            switch (now.phase) {
                case Running -> events.once("phase/Running", EventReason.Running, msg);
                case Succeeded -> events.once("phase/Succeeded", EventReason.Succeeded, msg
                        + (now.resultSummary == null ? "" : "; result " + now.resultSummary));
                case Failed -> events.once("phase/Failed", EventReason.Failed, msg);
                default -> { }
            }
        }
        now.conditions.stream().filter(c -> ConditionType.CpuFallback.name().equals(c.getType()) && "True".equals(c.getStatus()))
                .findFirst().ifPresent(c -> events.once(ConditionType.CpuFallback.name(), EventReason.CpuFallback, c.getMessage()));
    }

    private UpdateControl<ParallelJob> writeFailure(ParallelJob pj, Validation.Failure f, StatusWriter writer, PendingEvents events) {
        ParallelJobStatus previous = pj.getStatus();
        if (previous == null || previous.phase != Phase.Failed) events.once("phase/Failed", f.event(), f.message());
        write(pj, StatusCalculator.failed(pj, Instant.now(), f.reason(), f.message()), writer, events, true);
        return UpdateControl.noUpdate();
    }

    /** The one status write of a pass; the events and phase metrics follow only once it succeeded. */
    private void write(ParallelJob pj, ParallelJobStatus status, StatusWriter writer, PendingEvents events, boolean countPhase) {
        Phase before = pj.getStatus() == null ? null : pj.getStatus().phase;
        writer.write(pj, status);
        if (countPhase && status.phase != before) metrics.phaseChanged(before, status.phase, status.tasks);
        events.recordAll(recorder, pj);
    }

    @Override
    public ErrorStatusUpdateControl<ParallelJob> updateErrorStatus(ParallelJob pj, Context<ParallelJob> ctx, Exception e) {
        // JOSDK retries with backoff; the user sees why in a condition meanwhile (no stack trace).
        if (quietRetry(e)) {
            LOG.debugf("reconcile of %s/%s will be retried: %s", pj.getMetadata().getNamespace(), pj.getMetadata().getName(),
                    e.getMessage());
            return ErrorStatusUpdateControl.noStatusUpdate();
        }
        LOG.warnf("reconcile of %s/%s failed (will retry): %s", pj.getMetadata().getNamespace(),
                pj.getMetadata().getName(), e.getMessage());
        pj.setStatus(StatusCalculator.withReconcileError(pj.getStatus(), Instant.now(), e));
        return ErrorStatusUpdateControl.patchStatus(pj);
    }

    /**
     * Retried without a ReconcileError condition: a conflict (409: a racing writer), and a namespace being
     * deleted (403 whose cause is NamespaceTerminating): the next pass, or none, settles it.
     */
    static boolean quietRetry(Exception e) {
        if (!(e instanceof KubernetesClientException k)) return false;
        if (k.getCode() == 409) return true;
        var details = k.getStatus() == null ? null : k.getStatus().getDetails();
        return k.getCode() == 403 && details != null && details.getCauses() != null
                && details.getCauses().stream().anyMatch(c -> NAMESPACE_TERMINATING.equals(c.getReason()));
    }

    /** The cause the API server's NamespaceLifecycle admission gives (metav1.StatusCause type NamespaceTerminating). */
    static final String NAMESPACE_TERMINATING = "NamespaceTerminating";
}
