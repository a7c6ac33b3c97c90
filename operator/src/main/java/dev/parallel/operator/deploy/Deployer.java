package dev.parallel.operator.deploy;

import static dev.parallel.operator.status.ConditionType.Reason;

import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.api.v1alpha1.ParallelJobStatus;
import dev.parallel.api.v1alpha1.Phase;
import dev.parallel.operator.OperatorSettings;
import dev.parallel.operator.events.EventReason;
import dev.parallel.operator.events.PendingEvents;
import dev.parallel.operator.gather.ResultsStore;
import dev.parallel.operator.kueue.Admission;
import dev.parallel.operator.kueue.Placement;
import dev.parallel.operator.kueue.QueueGate;
import dev.parallel.operator.kueue.WorkloadBuilder;
import dev.parallel.operator.observe.Observed;
import dev.parallel.operator.plan.JobNetworkPolicy;
import dev.parallel.operator.plan.MpiSshSecret;
import dev.parallel.operator.plan.MpiWorkers;
import dev.parallel.operator.plan.Names;
import dev.parallel.operator.plan.Plan;
import dev.parallel.operator.plan.ResultWriter;
import dev.parallel.operator.plan.TasksConfigMap;
import dev.parallel.operator.plan.WorkerJob;
import dev.parallel.operator.status.ConditionType;
import dev.parallel.operator.status.PhaseDecision;
import dev.parallel.operator.validate.Validation.Failure;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Deploy: create what is missing (deterministic names, never a second Job), remove what a deleted
 * namesake left, hold the MPI launcher until its workers are Ready, and sync suspend. A Job is never
 * updated except for spec.suspend (and the MPI workers' parallelism, scaled to zero when the run ends).
 *
 * <p>Explicit rather than JOSDK (5.2.1) dependent resources: a managed workflow reconciles its dependents
 * before reconcile() runs, so a deleted namesake's Job (same name in the cache) would pass for ours before
 * the leftovers check; readyPostcondition has no timeout nor failure message for the MPI gate
 * (WaitingForMpiWorkers, MpiWorkersNotReady); and standalone dependents need JOSDK's Context, which the
 * synchronous reconcile-logic tests do without.
 */
public final class Deployer {
    private static final Logger LOG = Logger.getLogger(Deployer.class);

    /** What deploy leaves: the Job (if any), the results ConfigMap, and why the status waits or fails. */
    public record Deployed(Job job, ConfigMap results, PhaseDecision.Waiting waiting, Failure failure,
                           PhaseDecision.Waiting leftovers) {}

    private final KubernetesClient client;
    private final OperatorSettings settings;

    public Deployer(KubernetesClient client, OperatorSettings settings) {
        this.client = client;
        this.settings = settings;
    }

    public Deployed deploy(Plan plan, Observed seen, PendingEvents events) { return deploy(plan, seen, null, events); }

    /**
     * @param gate with a queue (Kueue), whether the pods may run and where; null without one. Held, the
     *             Jobs are created (the MPI launcher only after admission) and kept suspended.
     */
    public Deployed deploy(Plan plan, Observed seen, QueueGate.Gate gate, PendingEvents events) {
        // The results ConfigMap is read by GET, not cached: one per ParallelJob and up to 700 KB each
        // (caching them all cost the operator its memory at 1,000 ParallelJobs).
        ConfigMap results = client.configMaps().inNamespace(plan.namespace()).withName(Names.resultsConfigMap(plan.pj())).get();
        var leftovers = removeLeftovers(plan, seen, results);
        if (leftovers != null) return new Deployed(null, results, null, null, leftovers);
        if (results == null) results = createIfAbsent(ResultsStore.empty(plan));
        Job job = seen.mainJob();
        PhaseDecision.Waiting waiting = null;
        Job workers = null;
        boolean launcherHeld = false;
        if (job == null && plan.mpi()) {
            workers = workers(plan, seen, gate, events);
            // No launcher while the workers are held by the queue or suspended by spec.suspend (nor a Ready timeout).
            launcherHeld = Boolean.TRUE.equals(workers.getSpec().getSuspend()) || gate != null && !gate.run();
            MpiGate mpiGate = new MpiGate(plan, workers, seen.workerPods(),
                    PodCreation.noPods(workers, seen.workerPods()) ? PodCreation.refusal(client, workers) : null);
            Failure failed = launcherHeld ? null : mpiGate.failure(Instant.now());
            if (failed != null) {
                stopMpiWorkers(plan, List.of(mpiGate.workers()), events);
                return new Deployed(null, results, null, failed, null);
            }
            if (!launcherHeld && !mpiGate.allReady()) {
                waiting = new PhaseDecision.Waiting(Reason.WaitingForMpiWorkers.name(), mpiGate.waitingMessage());
            }
        }
        boolean created = false;
        if (job == null && waiting == null && !launcherHeld) {
            created = true;
            // The tasks ConfigMap is created (and read for leftovers) only until the Job exists: no informer holds it.
            if (plan.spec().tasks.items != null) createIfAbsent(TasksConfigMap.build(plan));
            if (settings.networkPolicies() && !plan.mpi()) createOnce(JobNetworkPolicy.build(plan)); // MPI: with the workers
            // The writer identity before the Job: a pod naming a missing ServiceAccount is refused at creation.
            if (ResultWriter.streams(plan, settings)) ResultWriter.objects(plan).forEach(this::createIfAbsent);
            try {
                job = createIfAbsent(queued(WorkerJob.build(plan, settings), mainPodSet(plan), gate));
            } catch (KubernetesClientException e) {
                // Invalid (422): the same Job would be refused again; anything else is retried.
                if (e.getCode() != 422) throw e;
                String why = e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage() : e.getMessage();
                return new Deployed(null, results, null,
                        new Failure(Reason.JobRejected.name(), "the API server rejected the Job: " + why, EventReason.Failed), null);
            }
            announceCreated(plan, job, events);
        }
        // spec.suspend (or the queue) stops every Job of the ParallelJob: for executor: mpi the workers too.
        if (workers == null && plan.mpi()) workers = seen.job(Names.mpiWorkers(plan.pj()));
        if (workers != null && !seen.ownedByUs(workers)) workers = null;
        boolean announced = false;
        if (job != null) {
            Job before = job;
            job = gate == null ? syncSuspend(plan, job, seen.previous(), events, true)
                    : syncQueued(job, () -> WorkerJob.build(plan, settings), mainPodSet(plan), gate, events, true);
            announced = job != before;
        }
        if (workers != null && plan.mpi() && !Integer.valueOf(0).equals(workers.getSpec().getParallelism())) {
            if (gate == null) syncSuspend(plan, workers, seen.previous(), events, !announced);
            else syncQueued(workers, () -> MpiWorkers.job(plan, settings), WorkloadBuilder.WORKERS, gate, events, !announced);
        }
        // Pods refused by admission (Pod Security, quota): the Job only retries; the ParallelJob says why.
        if (job != null && !created && waiting == null && PodCreation.noPods(job, seen.partPods())) {
            String refused = PodCreation.refusal(client, job);
            if (refused != null) {
                waiting = new PhaseDecision.Waiting(Reason.PodsRejected.name(), "the API server refuses the pods of Job "
                        + job.getMetadata().getName() + " (the Job controller keeps trying): " + refused);
                events.once(Reason.PodsRejected.name(), EventReason.PodsRejected, waiting.message());
            }
        }
        return new Deployed(job, results, waiting, null, null);
    }

    /** The pod set of the Workload that the main Job's pods are: the parts, or the MPI launcher. */
    private static String mainPodSet(Plan plan) { return plan.mpi() ? WorkloadBuilder.LAUNCHER : WorkloadBuilder.WORKERS; }

    /** With a queue: created suspended until admitted; admitted, on the flavors' nodes. Without: as built. */
    private static Job queued(Job built, String podSet, QueueGate.Gate gate) {
        if (gate == null) return built;
        built.getSpec().setSuspend(!gate.run());
        if (gate.run()) {
            var spec = built.getSpec().getTemplate().getSpec();
            gate.placement(podSet).applyTo(spec, new io.fabric8.kubernetes.api.model.PodSpecBuilder(spec).build());
        }
        return built;
    }

    private static void announceCreated(Plan plan, Job job, PendingEvents events) {
        var s = plan.spec();
        if (plan.mpi()) {
            events.record(EventReason.MpiLauncherCreated, "all " + s.mpi.workers + " MPI workers Ready: created launcher Job "
                    + job.getMetadata().getName() + " (mpirun, " + s.mpi.ranks() + " ranks)");
        } else {
            events.record(EventReason.JobCreated, "created Indexed Job " + job.getMetadata().getName() + ": "
                    + plan.tasks() + " tasks in " + plan.parts() + " pods, " + plan.parallelism() + " at a time");
        }
    }

    /** executor: mpi: the SSH Secret, the headless Service and the workers Job, created before the launcher. */
    private Job workers(Plan plan, Observed seen, QueueGate.Gate gate, PendingEvents events) {
        Job workers = seen.job(Names.mpiWorkers(plan.pj()));
        if (workers != null) return workers;
        createOnce(MpiSshSecret.build(plan));
        createOnce(MpiWorkers.service(plan));
        if (settings.networkPolicies()) createOnce(JobNetworkPolicy.build(plan));
        if (plan.spec().tasks.items != null) createIfAbsent(TasksConfigMap.build(plan));
        Job built = MpiWorkers.job(plan, settings);
        // spec.suspend holds the workers too (their sshd pods would otherwise sit on their resources).
        if (gate == null) built.getSpec().setSuspend(plan.spec().suspended());
        workers = createIfAbsent(queued(built, WorkloadBuilder.WORKERS, gate));
        events.record(EventReason.MpiWorkersCreated, "created " + plan.spec().mpi.workers + " MPI worker pods (Job "
                + workers.getMetadata().getName() + "); the launcher starts when all are Ready");
        return workers;
    }

    /**
     * The launcher finished (or the run failed): sshd in the workers would run forever, so their Job is
     * scaled to zero (the Job controller deletes the pods), and the SSH keys and Service go.
     */
    public void stopMpiWorkers(ParallelJob pj, List<Job> jobs, PendingEvents events) {
        if (!Plan.mpi(pj)) return;
        String name = Names.mpiWorkers(pj);
        Job workers = jobs.stream().filter(j -> j != null && name.equals(j.getMetadata().getName())).findFirst().orElse(null);
        if (workers == null || Integer.valueOf(0).equals(workers.getSpec().getParallelism())) return;
        String ns = pj.getMetadata().getNamespace();
        client.batch().v1().jobs().inNamespace(ns).withName(workers.getMetadata().getName())
                .edit(j -> {
                    j.getSpec().setParallelism(0);
                    return j;
                });
        client.secrets().inNamespace(ns).withName(Names.mpiSecret(pj)).delete();
        client.services().inNamespace(ns).withName(Names.mpiService(pj)).delete();
        events.record(EventReason.MpiWorkersStopped, "the run ended: stopped the MPI worker pods, deleted the SSH keys");
    }

    private void stopMpiWorkers(Plan plan, List<Job> jobs, PendingEvents events) { stopMpiWorkers(plan.pj(), jobs, events); }

    /**
     * A ParallelJob deleted and created again under the same name finds the old one's Job and ConfigMaps
     * (same names, owned by the old uid) until the garbage collector removes them. Using them would mix
     * the old run's results into the new one: delete them and wait.
     */
    private PhaseDecision.Waiting removeLeftovers(Plan plan, Observed seen, ConfigMap results) {
        List<HasMetadata> stale = new ArrayList<>();
        seen.jobs().stream().filter(j -> !seen.ownedByUs(j)).forEach(stale::add);
        if (results != null && !seen.ownedByUs(results)) stale.add(results);
        // The tasks ConfigMap matters only until our Job exists: no extra GET on every later reconcile.
        boolean beforeJob = seen.jobs().stream().noneMatch(seen::ownedByUs);
        if (plan.spec().tasks.items != null && beforeJob) {
            ConfigMap tasks = client.configMaps().inNamespace(plan.namespace()).withName(Names.tasksConfigMap(plan.pj())).get();
            if (tasks != null && !seen.ownedByUs(tasks)) stale.add(tasks);
        }
        // The namesake's writer identity: the garbage collector would delete it under our running pods.
        if (beforeJob && ResultWriter.streams(plan, settings)) {
            for (HasMetadata o : ResultWriter.objects(plan)) {
                HasMetadata found = client.resource(o).get();
                if (found != null && !seen.ownedByUs(found)) stale.add(found);
            }
        }
        if (stale.isEmpty()) return null;
        for (var o : stale) client.resource(o).withPropagationPolicy(DeletionPropagation.BACKGROUND).delete();
        String names = stale.stream().map(o -> o.getKind() + " " + o.getMetadata().getName()).reduce((a, b) -> a + ", " + b).orElse("");
        LOG.infof("%s/%s: removing what a deleted namesake left: %s", plan.namespace(), plan.pj().getMetadata().getName(), names);
        return new PhaseDecision.Waiting(Reason.RemovingLeftovers.name(), "a deleted ParallelJob of the same name left " + names
                + "; they are being deleted and this one starts when they are gone");
    }

    /** Flips Job.spec.suspend when the user flips spec.suspend; a queue controller's suspend is left alone. */
    private Job syncSuspend(Plan plan, Job job, ParallelJobStatus previous, PendingEvents events, boolean announce) {
        boolean want = plan.spec().suspended();
        boolean has = Boolean.TRUE.equals(job.getSpec().getSuspend());
        boolean userSuspendedBefore = previous != null && previous.phase == Phase.Suspended
                && previous.conditions.stream().anyMatch(c -> Reason.SuspendedBySpec.name().equals(c.getReason()));
        if (want && !has || !want && has && userSuspendedBefore) {
            job = client.batch().v1().jobs().inNamespace(job.getMetadata().getNamespace())
                    .withName(job.getMetadata().getName())
                    .edit(j -> {
                        j.getSpec().setSuspend(want);
                        return j;
                    });
            if (announce) {
                events.record(want ? EventReason.Suspended : EventReason.Resumed, want ? "suspended: running pods are stopped" : "resumed");
            }
        }
        return job;
    }

    /**
     * With a queue the operator alone owns its Jobs' suspend (Kueue never flips them: they are a ParallelJob's
     * children): suspended while not admitted or evicted; on admission the flavors' node labels and
     * tolerations go onto the suspended Job's template, on top of the template as built ({@code built}, built
     * only then), then it resumes. A Job's scheduling directives are mutable only while suspended and never started, so a
     * start time left from before an eviction is cleared first, as Kueue's batch/Job integration does.
     */
    private Job syncQueued(Job job, java.util.function.Supplier<Job> built, String podSet, QueueGate.Gate gate, PendingEvents events, boolean announce) {
        boolean want = !gate.run();
        boolean has = Boolean.TRUE.equals(job.getSpec().getSuspend());
        var jobs = client.batch().v1().jobs().inNamespace(job.getMetadata().getNamespace()).withName(job.getMetadata().getName());
        Admission a = gate.admission();
        if (want && !has) {
            job = jobs.edit(j -> {
                j.getSpec().setSuspend(true);
                return j;
            });
            if (announce) {
                events.record(gate.evicted() ? EventReason.Evicted : EventReason.Suspended, gate.evicted()
                        ? "Kueue evicted Workload " + a.workload() + " (" + a.reason() + ": " + a.message()
                                + "): suspended the Jobs; finished parts are kept"
                        : "suspended the Jobs: Workload " + a.workload() + " is not admitted (" + a.message() + ")");
            }
        } else if (!want && has) {
            if (job.getStatus() != null && job.getStatus().getStartTime() != null) {
                jobs.editStatus(j -> {
                    j.getStatus().setStartTime(null);
                    return j;
                });
            }
            Placement placement = gate.placement(podSet);
            var base = built.get().getSpec().getTemplate().getSpec();
            job = jobs.edit(j -> {
                placement.applyTo(j.getSpec().getTemplate().getSpec(), base);
                j.getSpec().setSuspend(false);
                return j;
            });
            if (announce) {
                events.record(EventReason.Admitted, "Kueue admitted Workload " + a.workload() + " (ClusterQueue " + a.clusterQueue()
                        + "): resumed the Jobs" + (placement.nodeSelector().isEmpty() ? "" : " on nodes " + placement.nodeSelector()));
            }
        }
        return job;
    }

    /** Created, never read (Secrets, Services, NetworkPolicies): the operator holds no permission to read them. */
    private void createOnce(HasMetadata object) {
        try {
            client.resource(object).create();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) throw e;
        }
    }

    @SuppressWarnings("unchecked")
    private <T extends HasMetadata> T createIfAbsent(T desired) {
        var existing = client.resource(desired).get();
        if (existing != null) return (T) existing;
        try {
            return client.resource(desired).create();
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) return (T) client.resource(desired).get(); // created by a racing replica
            throw e;
        }
    }

    /** The MPI gate: the launcher waits until every worker is Ready, for at most workersReadyTimeout. */
    private record MpiGate(Plan plan, Job workers, List<io.fabric8.kubernetes.api.model.Pod> workerPods, String refused) {
        boolean allReady() { return MpiWorkers.ready(workerPods) >= plan.spec().mpi.workers; }

        /** The workers Job failed, or they were not all Ready in time: the run fails. */
        Failure failure(Instant now) {
            var failed = PhaseDecision.jobCondition(workers, ConditionType.Failed.name());
            if (failed != null) {
                return new Failure(Reason.MpiWorkersFailed.name(), "the MPI workers Job " + workers.getMetadata().getName() + " failed: "
                        + failed.getReason() + (failed.getMessage() == null ? "" : " (" + failed.getMessage() + ")"), EventReason.Failed);
            }
            // From the workers' (re)start: the Job controller resets startTime when a suspended Job resumes.
            String created = workers.getStatus() != null && workers.getStatus().getStartTime() != null
                    ? workers.getStatus().getStartTime() : workers.getMetadata().getCreationTimestamp();
            boolean timedOut = created != null && !allReady() && Instant.parse(created)
                    .plusSeconds(plan.spec().mpi.workersReadyTimeoutOrDefault()).isBefore(now);
            return timedOut ? new Failure(Reason.MpiWorkersNotReady.name(), waitingMessage(), EventReason.Failed) : null;
        }

        String waitingMessage() {
            return MpiWorkers.ready(workerPods) + " of " + plan.spec().mpi.workers + " MPI workers Ready (timeout "
                    + plan.spec().mpi.workersReadyTimeoutOrDefault() + " s); not Ready: "
                    + MpiWorkers.notReady(plan.pj(), workerPods)
                    + (refused == null ? "" : "; the API server refuses the worker pods: " + refused);
        }
    }
}
