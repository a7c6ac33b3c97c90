package dev.parallel.operator.plan;

import dev.parallel.api.contract.MpiProgram;
import dev.parallel.api.contract.PodContract;
import dev.parallel.api.v1alpha1.MpiSpec;
import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.operator.OperatorSettings;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Pure: the worker side of executor: mpi. The workers are an Indexed Job rather than a StatefulSet:
 * each pod gets a stable host name ({@code <job>-worker-<i>}) through the headless Service, the Job
 * controller replaces a deleted or crashed worker under the same name, and the operator can stop them
 * all by scaling the Job to zero when the launcher finishes (a StatefulSet would restart them forever).
 * Each worker runs only sshd; mpirun in the launcher pod starts the ranks in them.
 */
public final class MpiWorkers {
    public static final String COMPONENT = "mpi-worker";
    static final String CONTAINER = "mpi-worker";
    /**
     * sshd in the foreground, but never "succeeding": sshd exits 0 on SIGTERM, which would complete the
     * worker's index and leave the launcher without its host. A stopped or crashed worker exits non-zero,
     * so the Job controller replaces it under the same name.
     */
    static final String SSHD = "trap 'kill -TERM $pid; wait $pid; exit 143' TERM; "
            + "/usr/sbin/sshd -D -e -f /etc/ssh/parallel-job/sshd_config & pid=$!; wait $pid; exit 1";

    private MpiWorkers() {}

    /** Selects the worker pods (for the Service and for readiness). */
    static Map<String, String> selector(Plan plan) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put(Names.LABEL_INSTANCE, plan.jobName());
        s.put(Names.LABEL_COMPONENT, COMPONENT);
        return s;
    }

    /** Headless, and publishing pods before they are Ready: their names must resolve while sshd starts. */
    public static Service service(Plan plan) {
        return new ServiceBuilder()
                .withMetadata(plan.metadata(Names.mpiService(plan.pj()), COMPONENT))
                .withNewSpec()
                    .withClusterIP("None")
                    .withPublishNotReadyAddresses(true)
                    .withSelector(selector(plan))
                    .addNewPort().withName("ssh").withPort(PodContract.SSH_PORT)
                        .withTargetPort(new IntOrString(PodContract.SSH_PORT)).endPort()
                .endSpec()
                .build();
    }

    public static Job job(Plan plan, OperatorSettings settings) {
        int workers = plan.spec().mpi.workers;
        List<VolumeMount> mounts = new ArrayList<>(PodTemplate.mounts(plan));
        mounts.add(PodTemplate.sshMount());
        // A user's MPI program (spec.command with spec.image) runs its ranks in that image, whose sshd is configured
        // on the command line; the job image brings its own sshd_config.
        boolean userImage = plan.inUserImage();
        var worker = new ContainerBuilder()
                .withName(CONTAINER)
                .withImage(userImage ? plan.spec().image : settings.jobImage())
                .withImagePullPolicy(settings.jobImagePullPolicy())
                .withCommand("/bin/sh", "-c", userImage ? MpiProgram.SSHD : SSHD)
                .withEnv(plan.spec().env)
                .addNewPort().withName("ssh").withContainerPort(PodContract.SSH_PORT).endPort()
                .withNewReadinessProbe()
                    .withNewTcpSocket().withPort(new IntOrString(PodContract.SSH_PORT)).endTcpSocket()
                    .withPeriodSeconds(2)
                .endReadinessProbe()
                // The ranks run here: the task resources belong to the workers.
                .withResources(PodTemplate.taskResources(plan, settings))
                .withVolumeMounts(mounts)
                // The user's ranks may write where their image lets them (as command tasks in a user's image).
                .withSecurityContext(userImage ? WorkerJob.userImageSecurity() : PodTemplate.containerSecurity())
                .build();
        return new JobBuilder()
                .withMetadata(plan.metadata(Names.mpiWorkers(plan.pj()), COMPONENT))
                .withNewSpec()
                    .withCompletionMode("Indexed")
                    .withCompletions(workers)
                    .withParallelism(workers)
                    // A deleted or crashed worker is replaced under the same name; a worker that keeps
                    // failing (say, sshd cannot start) fails this Job and so the ParallelJob.
                    .withBackoffLimit(workers + 6)
                    .withActiveDeadlineSeconds(plan.spec().activeDeadlineSeconds)
                    .withTemplate(PodTemplate.of(plan, settings, COMPONENT).subdomain(Names.mpiService(plan.pj()))
                            .containers(worker).withSshVolume(true).build())
                .endSpec()
                .build();
    }

    /** The workers' host names, in index order: the launcher's hostfile. */
    static List<String> hosts(Plan plan) {
        return IntStream.range(0, plan.spec().mpi.workers).mapToObj(i -> Names.mpiHost(plan.pj(), i)).toList();
    }

    /** What the launcher needs beyond the pod contract: where the ranks go and how. */
    static Map<String, String> launcherEnv(Plan plan) {
        MpiSpec m = plan.spec().mpi;
        Map<String, String> env = new LinkedHashMap<>();
        env.put(PodContract.MPI_HOSTS, String.join(",", hosts(plan)));
        env.put(PodContract.MPI_SLOTS, Integer.toString(m.slotsOrDefault()));
        env.put(PodContract.MPI_MODE, m.modeOrDefault().value());
        env.put(PodContract.MPI_WAIT_SECONDS, Integer.toString(m.workersReadyTimeoutOrDefault()));
        return env;
    }

    /** The worker pods of this ParallelJob among {@code pods}. */
    public static List<Pod> pods(List<Pod> pods) {
        return pods.stream().filter(p -> p.getMetadata().getLabels() != null
                && COMPONENT.equals(p.getMetadata().getLabels().get(Names.LABEL_COMPONENT))).toList();
    }

    /** Worker indexes that have a Ready pod that is not being deleted. */
    public static long ready(List<Pod> workerPods) {
        return workerPods.stream()
                .filter(MpiWorkers::isReady)
                .map(p -> p.getMetadata().getAnnotations() == null ? null
                        : p.getMetadata().getAnnotations().get(Names.ANNOTATION_COMPLETION_INDEX))
                .filter(java.util.Objects::nonNull).distinct().count();
    }

    private static boolean isReady(Pod p) {
        return p.getMetadata().getDeletionTimestamp() == null && p.getStatus() != null
                && p.getStatus().getConditions() != null
                && p.getStatus().getConditions().stream()
                        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    /** Why the workers are not all Ready, for the condition: the first pods that are not, and their state. */
    public static String notReady(ParallelJob pj, List<Pod> workerPods) {
        List<String> out = new ArrayList<>();
        for (Pod p : workerPods) {
            if (isReady(p) || out.size() >= 3) continue;
            String why = p.getStatus() == null ? "no status" : p.getStatus().getPhase();
            if (p.getStatus() != null) {
                // Not scheduled: the scheduler's reason. (fabric8 gives an empty, never a null, list of container
                // statuses, so this cannot hang on that list being absent.)
                for (var c : p.getStatus().getConditions()) {
                    if ("PodScheduled".equals(c.getType()) && "False".equals(c.getStatus())) why = c.getMessage();
                }
                for (var cs : p.getStatus().getContainerStatuses()) {
                    if (cs.getState() != null && cs.getState().getWaiting() != null) {
                        why = cs.getState().getWaiting().getReason() + ": " + cs.getState().getWaiting().getMessage();
                    }
                }
            }
            out.add(p.getMetadata().getName() + " (" + why + ")");
        }
        return workerPods.isEmpty() ? "no worker pod yet (Job " + Names.mpiWorkers(pj) + ")" : String.join(", ", out);
    }
}
