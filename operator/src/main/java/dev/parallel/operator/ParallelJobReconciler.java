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
import dev.parallel.operator.kueue.Kueue;
import dev.parallel.operator.kueue.QueueGate;
import dev.parallel.operator.observe.Observed;
import dev.parallel.operator.plan.Names;
import dev.parallel.operator.plan.Plan;
import dev.parallel.operator.status.ConditionType;
import dev.parallel.operator.status.PhaseDecision;
import dev.parallel.operator.status.StatusCalculator;
import dev.parallel.operator.status.StatusWriter;
import dev.parallel.operator.validate.Validation;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
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
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * The reconcile as phases: observe (the ParallelJob's Jobs and pods from informer caches, and its Kueue
 * Workload), validate and plan, queue (with a queue: the Workload and whether its pods may run), deploy
 * (create what is missing), gather (record finished parts once), status (one builder, one write when it
 * changed), then the events of that pass.
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
    private final QueueGate queue;
    private final boolean kueueEnabled;
    private final Duration progressInterval;

    public ParallelJobReconciler(KubernetesClient client, OperatorSettings settings, OperatorMetrics metrics) {
        this.client = client;
        this.recorder = new EventRecorder(client);
        this.metrics = metrics;
        this.validation = new Validation(client, Duration.ofSeconds(settings.missingReferenceTimeoutSeconds()));
        this.deployer = new Deployer(client, settings);
        this.gatherer = new Gatherer(client, settings.maxResultsBytes(), new dev.parallel.operator.gather.S3Store(client, settings), metrics.foldListener(),
                plan -> dev.parallel.operator.plan.ResultWriter.streams(plan, settings));
        this.progressInterval = Duration.ofSeconds(Math.max(1, settings.resultsProgressIntervalSeconds()));
        this.queue = new QueueGate(client, settings);
        this.kueueEnabled = settings.kueueEnabled();
    }

    @Override
    public List<EventSource<?, ParallelJob>> prepareEventSources(EventSourceContext<ParallelJob> context) {
        var jobs = InformerEventSourceConfiguration.from(Job.class, ParallelJob.class)
                .withName("jobs").withLabelSelector(MANAGED_SELECTOR).build();
        // Pods belong to the Job, not to us: map them back through our annotation (a label value cannot hold
        // a name longer than 63 characters; a ParallelJob's may have 253).
        var pods = InformerEventSourceConfiguration.from(Pod.class, ParallelJob.class)
                .withName("pods").withLabelSelector(MANAGED_SELECTOR)
                .withSecondaryToPrimaryMapper(ParallelJobReconciler::owningParallelJob)
                .build();
        // ConfigMaps are read on demand, not cached: results ConfigMaps can be large and there is one per
        // ParallelJob; caching them all cost the operator its memory at 1,000 ParallelJobs.
        if (!kueueEnabled) return List.of(new InformerEventSource<>(jobs, context), new InformerEventSource<>(pods, context));
        // Kueue support on: our Workloads (owned by the ParallelJob, our label), for admission and eviction.
        var workloads = InformerEventSourceConfiguration.from(Kueue.WORKLOAD_GVK, ParallelJob.class)
                .withName("workloads").withLabelSelector(MANAGED_SELECTOR).build();
        return List.of(new InformerEventSource<>(jobs, context), new InformerEventSource<>(pods, context),
                new InformerEventSource<>(workloads, context));
    }

    /** A pod's ParallelJob, in the pod's namespace (none when the pod carries neither our annotation nor label). */
    static Set<ResourceID> owningParallelJob(HasMetadata pod) {
        String name = Names.parallelJobOf(pod);
        return name == null ? Set.of() : Set.of(new ResourceID(name, pod.getMetadata().getNamespace()));
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
                    List.copyOf(ctx.getSecondaryResources(Pod.class)),
                    kueueEnabled ? List.copyOf(ctx.getSecondaryResources(GenericKubernetesResource.class)) : List.of()), writer);
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
            finishWorkload(pj, seen, seen.previous());
            events.recordAll(recorder, pj);
            return UpdateControl.noUpdate();
        }
        // validate and plan: the spec, its task source, then names, labels, owner and parts, once.
        Validation.Result valid = validation.validate(pj, Instant.now(), seen.jobs().isEmpty());
        if (valid.failure() != null) return writeFailure(pj, seen, valid.failure(), writer, events);
        if (valid.missing() != null) return waitFor(pj, valid.missing(), seen, writer, events);
        Plan plan = valid.plan();
        // queue: labelled kueue.x-k8s.io/queue-name, it runs only while Kueue admits its one Workload.
        QueueGate.Gate gate = null;
        if (Kueue.queueName(pj) != null) {
            if (!kueueEnabled) return writeKueueDisabled(plan, seen, writer, events);
            gate = queue.sync(plan, seen.workload(), events);
        }
        // deploy: remove a namesake's leftovers, create what is missing, gate the MPI launcher, sync suspend.
        Deployer.Deployed d = deployer.deploy(plan, seen, gate, events);
        if (d.failure() != null) return writeFailure(pj, seen, d.failure(), writer, events);
        if (d.leftovers() != null) {
            write(pj, StatusCalculator.waiting(plan, seen.previous(), Instant.now(), d.leftovers()), writer, events, false);
            return UpdateControl.<ParallelJob>noUpdate().rescheduleAfter(Duration.ofSeconds(2));
        }
        // gather: fold the streamed records and record newly finished parts in the results ConfigMap, once per
        // task and once per index, in one update.
        Instant now = Instant.now();
        Gathered gathered = gatherer.gather(plan, d.job(), seen.partPods(), d.results(), events, now);
        // status: one builder; a finished run stops its MPI workers; one write, then the events.
        // queue: evicted, and every pod stopped: hand the reservation back so Kueue can admit it again.
        if (gate != null) queue.release(plan, gate, seen, seen.jobs());
        ParallelJobStatus status = StatusCalculator.throttleLive(StatusCalculator.compute(plan, d.job(), gathered,
                seen.previous(), now, Names.resultsConfigMap(pj), d.waiting(), gate == null ? null : gate.admission()),
                seen.previous(), now, progressInterval);
        if (status.phase.isTerminal()) deployer.stopMpiWorkers(pj, seen.jobs(), events);
        announce(seen.previous(), status, events);
        write(pj, status, writer, events, true);
        if (status.phase.isTerminal()) {
            finishWorkload(pj, seen, status);
            gatherer.cleanup(plan); // the batches left (late duplicates) go now, not with the Job's TTL
        }
        // Streaming: fold at least every progress interval while it runs (batches are not watched: thousands of
        // small objects would cost the operator more than a list every few seconds).
        if (gathered.streamed() != null && !status.phase.isTerminal() && d.job() != null) {
            return UpdateControl.<ParallelJob>noUpdate().rescheduleAfter(d.waiting() != null
                    ? Duration.ofSeconds(Math.min(5, progressInterval.toSeconds())) : progressInterval);
        }
        // Waiting for MPI workers: look again even if no pod changes, so the Ready timeout fires. A Job without
        // pods: look again for why (a refused pod changes nothing the informers see).
        return d.waiting() != null || dev.parallel.operator.deploy.PodCreation.awaitingPods(seen)
                ? UpdateControl.<ParallelJob>noUpdate().rescheduleAfter(Duration.ofSeconds(5))
                : UpdateControl.noUpdate();
    }

    /**
     * A referenced object is missing: Pending with its reason and one Warning event, and a look again soon (the
     * operator caches no ConfigMaps, so nothing else would wake it: see prepareEventSources). A run that had
     * already started (its Jobs exist) fails as before: its pods mount the ConfigMap.
     */
    private UpdateControl<ParallelJob> waitFor(ParallelJob pj, Validation.Missing missing, Observed seen, StatusWriter writer,
                                               PendingEvents events) {
        if (!seen.jobs().isEmpty()) return writeFailure(pj, seen, missing.failure(), writer, events);
        Instant now = Instant.now();
        events.once("missing/" + missing.waiting().reason(), missing.failure().event(), missing.waiting().message());
        write(pj, StatusCalculator.pending(pj, seen.previous(), now, missing.waiting()), writer, events, true);
        return UpdateControl.<ParallelJob>noUpdate().rescheduleAfter(lookAgain(pj, now, missing.deadline()));
    }

    /**
     * Soon at first (an apply of a directory creates the ConfigMap within seconds), then less often: a quarter of
     * the ParallelJob's age, 2 to 15 s, and never after the deadline, so it fails on time.
     */
    static Duration lookAgain(ParallelJob pj, Instant now, Instant deadline) {
        String created = pj.getMetadata().getCreationTimestamp();
        Duration age = created == null ? Duration.ZERO : Duration.between(Instant.parse(created), now);
        Duration d = age.dividedBy(4);
        if (d.compareTo(Duration.ofSeconds(2)) < 0) d = Duration.ofSeconds(2);
        if (d.compareTo(Duration.ofSeconds(15)) > 0) d = Duration.ofSeconds(15);
        Duration left = Duration.between(now, deadline).plusMillis(500);
        return left.compareTo(d) < 0 ? (left.isNegative() ? Duration.ofMillis(500) : left) : d;
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

    private UpdateControl<ParallelJob> writeFailure(ParallelJob pj, Observed seen, Validation.Failure f, StatusWriter writer,
                                                    PendingEvents events) {
        ParallelJobStatus previous = pj.getStatus();
        if (previous == null || previous.phase != Phase.Failed) events.once("phase/Failed", f.event(), f.message());
        ParallelJobStatus status = StatusCalculator.failed(pj, Instant.now(), f.reason(), f.message());
        write(pj, status, writer, events, true);
        finishWorkload(pj, seen, status);
        return UpdateControl.noUpdate();
    }

    /** Queued, but the operator's Kueue support is off: nothing runs (it is meant to wait its turn); say how to fix it. */
    private UpdateControl<ParallelJob> writeKueueDisabled(Plan plan, Observed seen, StatusWriter writer, PendingEvents events) {
        String msg = "the label " + Kueue.QUEUE_LABEL + "=" + Kueue.queueName(plan.pj()) + " asks for Kueue, but the operator's Kueue "
                + "support is off: set the chart value kueue.enabled=true (helm upgrade --set kueue.enabled=true), or remove the label";
        events.once(ConditionType.Reason.KueueDisabled.name(), EventReason.KueueDisabled, msg);
        write(plan.pj(), StatusCalculator.waiting(plan, seen.previous(), Instant.now(),
                new PhaseDecision.Waiting(ConditionType.Reason.KueueDisabled.name(), msg)), writer, events, true);
        return UpdateControl.noUpdate();
    }

    /** The run is over: its Workload (if any) is marked Finished so Kueue releases the quota at once. */
    private void finishWorkload(ParallelJob pj, Observed seen, ParallelJobStatus status) {
        if (!kueueEnabled || seen.workload() == null || status == null || status.phase == null || !status.phase.isTerminal()) return;
        String msg = status.conditions.stream().filter(c -> status.phase.name().equals(c.getType())
                || (status.phase == Phase.Succeeded && ConditionType.Complete.name().equals(c.getType())))
                .map(c -> c.getMessage()).findFirst().orElse(status.phase.name());
        queue.finish(pj, seen.workload(), status.phase, msg);
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
