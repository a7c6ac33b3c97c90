package dev.parallel.operator;

import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.api.v1alpha1.ParallelJobStatus;
import dev.parallel.api.v1alpha1.Phase;
import dev.parallel.api.v1alpha1.SpecValidator;
import dev.parallel.operator.events.EventReason;
import dev.parallel.operator.events.EventRecorder;
import dev.parallel.operator.gather.Gathered;
import dev.parallel.operator.gather.Gatherer;
import dev.parallel.operator.gather.ResultsStore;
import dev.parallel.operator.plan.MpiSshSecret;
import dev.parallel.operator.plan.MpiWorkers;
import dev.parallel.operator.plan.Names;
import dev.parallel.operator.plan.Plan;
import dev.parallel.operator.plan.Planner;
import dev.parallel.operator.plan.TasksConfigMap;
import dev.parallel.operator.plan.WorkerJob;
import dev.parallel.operator.status.StatusCalculator;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Objects;
import org.jboss.logging.Logger;

/**
 * Observe (the ParallelJob, its Job and pods from informer caches, its results ConfigMap by GET), deploy (create
 * what is missing: deterministic names, never a second Job), gather (record finished parts once),
 * then write the recomputed status only when it changed.
 */
@ControllerConfiguration(name = "paralleljob")
public class ParallelJobReconciler implements Reconciler<ParallelJob> {
    private static final Logger LOG = Logger.getLogger(ParallelJobReconciler.class);
    static final String MANAGED_SELECTOR = Names.LABEL_MANAGED_BY + "=" + Names.MANAGED_BY;

    private final KubernetesClient client;
    private final OperatorSettings settings;
    private final EventRecorder events;
    private final OperatorMetrics metrics;

    public ParallelJobReconciler(KubernetesClient client, OperatorSettings settings, OperatorMetrics metrics) {
        this.client = client;
        this.settings = settings;
        this.events = new EventRecorder(client);
        this.metrics = metrics;
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
    public UpdateControl<ParallelJob> reconcile(ParallelJob pj, Context<ParallelJob> ctx) throws Exception {
        long t0 = System.nanoTime();
        try {
            return doReconcile(pj, ctx);
        } finally {
            metrics.reconciled(System.nanoTime() - t0);
        }
    }

    private UpdateControl<ParallelJob> doReconcile(ParallelJob pj, Context<ParallelJob> ctx) throws Exception {
        ParallelJobStatus previous = pj.getStatus();
        Phase before = previous == null ? null : previous.phase;
        boolean sameGeneration = previous != null && Objects.equals(previous.observedGeneration, pj.getMetadata().getGeneration());
        if (before != null && before.isTerminal() && sameGeneration) {
            stopMpiWorkers(pj, List.copyOf(ctx.getSecondaryResources(Job.class)));
            return UpdateControl.noUpdate(); // finished: status is final, children may be gone (TTL)
        }

        var problems = SpecValidator.validate(pj);
        if (!problems.isEmpty()) {
            String msg = problems.stream().map(Object::toString).reduce((a, b) -> a + "; " + b).orElse("");
            return fail(pj, "InvalidSpec", msg, EventReason.InvalidSpec);
        }
        String configMapText = null;
        if (pj.getSpec().tasks.configMapRef != null) {
            var ref = pj.getSpec().tasks.configMapRef;
            ConfigMap cm = client.configMaps().inNamespace(pj.getMetadata().getNamespace()).withName(ref.name).get();
            configMapText = cm == null || cm.getData() == null ? null : cm.getData().get(ref.keyOrDefault());
            if (configMapText == null) {
                return fail(pj, "TasksNotFound", "spec.tasks.configMapRef: ConfigMap " + ref.name
                        + (cm == null ? " not found" : " has no key " + ref.keyOrDefault())
                        + " in namespace " + pj.getMetadata().getNamespace(), EventReason.TasksNotFound);
            }
        }
        Plan plan;
        try {
            plan = Planner.plan(pj, configMapText);
        } catch (java.io.IOException e) {
            return fail(pj, "InvalidTasks", "spec.tasks: " + e.getMessage(), EventReason.InvalidSpec);
        }

        // Deploy: what is missing is created; a Job is never updated except for suspend.
        String ns = pj.getMetadata().getNamespace();
        ConfigMap results = client.configMaps().inNamespace(ns).withName(Names.resultsConfigMap(pj)).get();
        List<Job> jobs = List.copyOf(ctx.getSecondaryResources(Job.class));
        UpdateControl<ParallelJob> waitForLeftovers = removeLeftovers(pj, plan, jobs, results);
        if (waitForLeftovers != null) return waitForLeftovers;
        if (results == null) results = createIfAbsent(ResultsStore.empty(pj));
        // Only pods of our own Jobs: a deleted namesake's pods carry the same labels until the GC takes them.
        Set<String> jobUids = jobs.stream().map(j -> j.getMetadata().getUid()).collect(java.util.stream.Collectors.toSet());
        List<Pod> allPods = ctx.getSecondaryResources(Pod.class).stream()
                .filter(p -> p.getMetadata().getOwnerReferences().stream().anyMatch(o -> jobUids.contains(o.getUid())))
                .toList();
        Job job = byName(jobs, Names.job(pj));
        List<Pod> workerPods = MpiWorkers.pods(pj, allPods);
        StatusCalculator.Waiting waiting = null;
        if (job == null && WorkerJob.mpi(pj)) {
            var mpi = new MpiDeployer(pj, plan, byName(jobs, Names.mpiWorkers(pj)), workerPods);
            if (mpi.workersFailed() != null) {
                stopMpiWorkers(pj, List.of(mpi.workers));
                return fail(pj, "MpiWorkersFailed", mpi.workersFailed(), EventReason.Failed);
            }
            if (mpi.timedOut(Instant.now())) {
                stopMpiWorkers(pj, List.of(mpi.workers));
                return fail(pj, "MpiWorkersNotReady", mpi.waitingMessage(), EventReason.Failed);
            }
            if (!mpi.allReady()) {
                waiting = new StatusCalculator.Waiting("WaitingForMpiWorkers", mpi.waitingMessage());
            }
        }
        if (job == null && waiting == null) {
            if (pj.getSpec().tasks.items != null) createIfAbsent(TasksConfigMap.build(pj, plan));
            try {
                job = createIfAbsent(WorkerJob.build(pj, plan, settings));
            } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
                // Invalid (422): the same Job would be refused again; anything else is retried.
                if (e.getCode() != 422) throw e;
                String why = e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage() : e.getMessage();
                return fail(pj, "JobRejected", "the API server rejected the Job: " + why, EventReason.Failed);
            }
            if (WorkerJob.mpi(pj)) {
                events.record(pj, EventReason.MpiLauncherCreated, "all " + pj.getSpec().mpi.workers
                        + " MPI workers Ready: created launcher Job " + job.getMetadata().getName() + " (mpirun, "
                        + pj.getSpec().mpi.ranks() + " ranks)");
            } else {
                events.record(pj, EventReason.JobCreated, "created Indexed Job " + job.getMetadata().getName() + ": "
                        + plan.tasks() + " tasks in " + plan.parts() + " pods, " + plan.parallelism() + " at a time");
            }
        }
        if (job != null) job = syncSuspend(pj, job, previous);

        // The parts are the pods of our Job (for executor: mpi, the launcher's, not the workers').
        List<Pod> pods = allPods.stream().filter(p -> !workerPods.contains(p)).toList();
        Gathered gathered = new Gatherer(client, settings.maxResultsBytes()).gather(pj, plan, job, pods, results);
        ParallelJobStatus status = StatusCalculator.compute(pj, plan, job, gathered, previous, Instant.now(),
                Names.resultsConfigMap(pj), waiting);
        if (status.phase.isTerminal()) stopMpiWorkers(pj, jobs);
        if (status.phase != before) onPhaseChange(pj, before, status);
        status.conditions.stream().filter(c -> "CpuFallback".equals(c.getType()) && "True".equals(c.getStatus()))
                .findFirst().ifPresent(c -> events.once(pj, "CpuFallback", EventReason.CpuFallback, c.getMessage()));
        UpdateControl<ParallelJob> update = sameStatus(previous, status) ? UpdateControl.noUpdate() : patchStatus(pj, status);
        // Waiting for MPI workers: look again even if no pod changes, so the Ready timeout fires.
        return waiting != null ? update.rescheduleAfter(java.time.Duration.ofSeconds(5)) : update;
    }

    /** executor: mpi: the SSH Secret, the headless Service and the workers Job, created before the launcher. */
    private final class MpiDeployer {
        private final ParallelJob pj;
        private final Job workers;
        private final List<Pod> workerPods;

        MpiDeployer(ParallelJob pj, Plan plan, Job workers, List<Pod> workerPods) {
            this.pj = pj;
            this.workerPods = workerPods;
            if (workers == null) {
                createOnce(MpiSshSecret.build(pj));
                createOnce(MpiWorkers.service(pj));
                if (pj.getSpec().tasks.items != null) createIfAbsent(TasksConfigMap.build(pj, plan));
                workers = createIfAbsent(MpiWorkers.job(pj, plan, settings));
                events.record(pj, EventReason.MpiWorkersCreated, "created " + pj.getSpec().mpi.workers
                        + " MPI worker pods (Job " + workers.getMetadata().getName() + "); the launcher starts when all are Ready");
            }
            this.workers = workers;
        }

        boolean allReady() { return MpiWorkers.ready(workerPods) >= pj.getSpec().mpi.workers; }

        String workersFailed() {
            var failed = StatusCalculator.condition(workers, "Failed");
            return failed == null ? null : "the MPI workers Job " + workers.getMetadata().getName() + " failed: "
                    + failed.getReason() + (failed.getMessage() == null ? "" : " (" + failed.getMessage() + ")");
        }

        boolean timedOut(Instant now) {
            String created = workers.getMetadata().getCreationTimestamp();
            return created != null && !allReady() && Instant.parse(created)
                    .plusSeconds(pj.getSpec().mpi.workersReadyTimeoutOrDefault()).isBefore(now);
        }

        String waitingMessage() {
            return MpiWorkers.ready(workerPods) + " of " + pj.getSpec().mpi.workers + " MPI workers Ready (timeout "
                    + pj.getSpec().mpi.workersReadyTimeoutOrDefault() + " s); not Ready: "
                    + MpiWorkers.notReady(pj, workerPods);
        }
    }

    /**
     * The launcher finished (or the run failed): sshd in the workers would run forever, so their Job is
     * scaled to zero (the Job controller deletes the pods), and the SSH keys and Service go.
     */
    private void stopMpiWorkers(ParallelJob pj, List<Job> jobs) {
        if (!WorkerJob.mpi(pj)) return;
        Job workers = byName(jobs, Names.mpiWorkers(pj));
        if (workers == null || Integer.valueOf(0).equals(workers.getSpec().getParallelism())) return;
        String ns = pj.getMetadata().getNamespace();
        client.batch().v1().jobs().inNamespace(ns).withName(workers.getMetadata().getName())
                .edit(j -> {
                    j.getSpec().setParallelism(0);
                    return j;
                });
        client.secrets().inNamespace(ns).withName(Names.mpiSecret(pj)).delete();
        client.services().inNamespace(ns).withName(Names.mpiService(pj)).delete();
        events.record(pj, EventReason.MpiWorkersStopped, "the run ended: stopped the MPI worker pods, deleted the SSH keys");
    }

    /** Created, never read (Secrets, Services): the operator holds no permission to read them. */
    private void createOnce(io.fabric8.kubernetes.api.model.HasMetadata object) {
        try {
            client.resource(object).create();
        } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
            if (e.getCode() != 409) throw e;
        }
    }

    /**
     * A ParallelJob deleted and created again under the same name finds the old one's Job and ConfigMaps
     * (same names, owned by the old uid) until the garbage collector removes them. Using them would mix
     * the old run's results into the new one: delete them and wait.
     */
    private UpdateControl<ParallelJob> removeLeftovers(ParallelJob pj, Plan plan, List<Job> jobs, ConfigMap results) {
        List<io.fabric8.kubernetes.api.model.HasMetadata> stale = new java.util.ArrayList<>();
        jobs.stream().filter(j -> !ownedBy(j, pj)).forEach(stale::add);
        if (results != null && !ownedBy(results, pj)) stale.add(results);
        // The tasks ConfigMap matters only until our Job exists: no extra GET on every later reconcile.
        if (pj.getSpec().tasks.items != null && jobs.stream().noneMatch(j -> ownedBy(j, pj))) {
            ConfigMap tasks = client.configMaps().inNamespace(pj.getMetadata().getNamespace())
                    .withName(Names.tasksConfigMap(pj)).get();
            if (tasks != null && !ownedBy(tasks, pj)) stale.add(tasks);
        }
        if (stale.isEmpty()) return null;
        for (var o : stale) {
            client.resource(o).withPropagationPolicy(io.fabric8.kubernetes.api.model.DeletionPropagation.BACKGROUND).delete();
        }
        String names = stale.stream().map(o -> o.getKind() + " " + o.getMetadata().getName()).reduce((a, b) -> a + ", " + b).orElse("");
        LOG.infof("%s/%s: removing what a deleted namesake left: %s", pj.getMetadata().getNamespace(),
                pj.getMetadata().getName(), names);
        ParallelJobStatus s = StatusCalculator.compute(pj, plan, null,
                new Gathered(Map.of(), Map.of(), false, null), pj.getStatus(), Instant.now(), null,
                new StatusCalculator.Waiting("RemovingLeftovers", "a deleted ParallelJob of the same name left " + names
                        + "; they are being deleted and this one starts when they are gone"));
        UpdateControl<ParallelJob> update = sameStatus(pj.getStatus(), s) ? UpdateControl.noUpdate() : patchStatus(pj, s);
        return update.rescheduleAfter(java.time.Duration.ofSeconds(2));
    }

    private static boolean ownedBy(io.fabric8.kubernetes.api.model.HasMetadata o, ParallelJob pj) {
        return o.getMetadata().getOwnerReferences().stream().anyMatch(r -> pj.getMetadata().getUid().equals(r.getUid()));
    }

    private static Job byName(List<Job> jobs, String name) {
        return jobs.stream().filter(j -> name.equals(j.getMetadata().getName())).findFirst().orElse(null);
    }

    /** Flips Job.spec.suspend when the user flips spec.suspend; a queue controller's suspend is left alone. */
    private Job syncSuspend(ParallelJob pj, Job job, ParallelJobStatus previous) {
        boolean want = pj.getSpec().suspended();
        boolean has = Boolean.TRUE.equals(job.getSpec().getSuspend());
        boolean userSuspendedBefore = previous != null && previous.phase == Phase.Suspended
                && previous.conditions.stream().anyMatch(c -> "SuspendedBySpec".equals(c.getReason()));
        if (want && !has || !want && has && userSuspendedBefore) {
            job = client.batch().v1().jobs().inNamespace(job.getMetadata().getNamespace())
                    .withName(job.getMetadata().getName())
                    .edit(j -> {
                        j.getSpec().setSuspend(want);
                        return j;
                    });
            events.record(pj, want ? EventReason.Suspended : EventReason.Resumed,
                    want ? "suspended: running pods are stopped" : "resumed");
        }
        return job;
    }

    @SuppressWarnings("unchecked")
    private <T extends io.fabric8.kubernetes.api.model.HasMetadata> T createIfAbsent(T desired) {
        var existing = client.resource(desired).get();
        if (existing != null) return (T) existing;
        try {
            return client.resource(desired).create();
        } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
            if (e.getCode() == 409) return (T) client.resource(desired).get(); // created by a racing replica
            throw e;
        }
    }

    private void onPhaseChange(ParallelJob pj, Phase before, ParallelJobStatus now) {
        metrics.phaseChanged(before, now.phase, now.tasks);
        String msg = now.conditions.stream().filter(c -> "True".equals(c.getStatus())).map(c -> c.getMessage())
                .findFirst().orElse(now.phase.name());
        switch (now.phase) {
            case Running -> events.transition(pj, "Running", EventReason.Running, msg);
            case Succeeded -> events.transition(pj, "Succeeded", EventReason.Succeeded, msg
                    + (now.resultSummary == null ? "" : "; result " + now.resultSummary));
            case Failed -> events.transition(pj, "Failed", EventReason.Failed, msg);
            default -> { }
        }
    }

    private UpdateControl<ParallelJob> fail(ParallelJob pj, String reason, String message, EventReason event) {
        ParallelJobStatus previous = pj.getStatus();
        ParallelJobStatus s = new ParallelJobStatus();
        s.phase = Phase.Failed;
        s.observedGeneration = pj.getMetadata().getGeneration();
        s.conditions = new java.util.ArrayList<>(List.of(new io.fabric8.kubernetes.api.model.ConditionBuilder()
                .withType("Failed").withStatus("True").withReason(reason).withMessage(message)
                .withObservedGeneration(s.observedGeneration).withLastTransitionTime(Instant.now().toString()).build()));
        s.completionTime = Instant.now().toString();
        if (previous == null || previous.phase != Phase.Failed) {
            events.transition(pj, "Failed", event, message);
            metrics.phaseChanged(previous == null ? null : previous.phase, Phase.Failed, null);
        }
        return patchStatus(pj, s);
    }

    /**
     * Status is recomputed from the cluster each time, so the last writer is right: no optimistic lock
     * (a 409 on every concurrent event would only cost retries and log noise).
     */
    private static UpdateControl<ParallelJob> patchStatus(ParallelJob pj, ParallelJobStatus status) {
        pj.setStatus(status);
        pj.getMetadata().setResourceVersion(null);
        return UpdateControl.patchStatus(pj);
    }

    @Override
    public ErrorStatusUpdateControl<ParallelJob> updateErrorStatus(ParallelJob pj, Context<ParallelJob> ctx, Exception e) {
        // JOSDK retries with backoff; the user sees why in a condition meanwhile (no stack trace).
        if (e instanceof io.fabric8.kubernetes.client.KubernetesClientException k && (k.getCode() == 409 || k.getCode() == 403
                && String.valueOf(k.getMessage()).contains("being terminated"))) {
            LOG.debugf("reconcile of %s/%s will be retried: %s", pj.getMetadata().getNamespace(), pj.getMetadata().getName(),
                    k.getMessage());
            return ErrorStatusUpdateControl.noStatusUpdate();
        }
        LOG.warnf("reconcile of %s/%s failed (will retry): %s", pj.getMetadata().getNamespace(),
                pj.getMetadata().getName(), e.getMessage());
        ParallelJobStatus s = pj.getStatus() == null ? new ParallelJobStatus() : pj.getStatus();
        if (s.phase == null) s.phase = Phase.Pending;
        s.conditions.removeIf(c -> "ReconcileError".equals(c.getType()));
        s.conditions.add(new io.fabric8.kubernetes.api.model.ConditionBuilder().withType("ReconcileError")
                .withStatus("True").withReason(e.getClass().getSimpleName())
                .withMessage(dev.parallel.api.contract.TaskResult.truncate(String.valueOf(e.getMessage()), 500))
                .withLastTransitionTime(Instant.now().toString()).build());
        pj.setStatus(s);
        return ErrorStatusUpdateControl.patchStatus(pj);
    }

    static boolean sameStatus(ParallelJobStatus a, ParallelJobStatus b) {
        if (a == null) return false;
        var m = dev.parallel.api.contract.Json.MAPPER;
        return m.valueToTree(a).equals(m.valueToTree(b));
    }
}
