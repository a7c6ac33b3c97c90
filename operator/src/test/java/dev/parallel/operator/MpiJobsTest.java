package dev.parallel.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parallel.api.contract.PodContract;
import dev.parallel.operator.plan.MpiSshSecret;
import dev.parallel.operator.plan.MpiWorkers;
import dev.parallel.operator.plan.Planner;
import dev.parallel.operator.plan.WorkerJob;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** executor: mpi: what the operator creates, and that OpenSSH accepts the keys it generates. */
class MpiJobsTest {
    static final String SPEC = """
            kernel: pi
            params: {samples: 1000, seed: 7}
            tasks: {range: {start: 0, end: 100, param: task}}
            executor: mpi
            mpi: {workers: 3, slotsPerWorker: 2, mode: dynamic}
            retriesPerTask: 1
            """;

    @Test
    void launcherIsOneIndexedPartThatRunsMpirunOverTheWorkersHostNames() throws Exception {
        var pj = Fixtures.pj(SPEC);
        var plan = Planner.plan(pj, null);
        assertThat(plan.parts()).isEqualTo(1);
        Job launcher = WorkerJob.build(plan, Fixtures.SETTINGS);
        assertThat(launcher.getSpec().getCompletions()).isEqualTo(1);
        assertThat(launcher.getSpec().getBackoffLimitPerIndex()).isEqualTo(1);
        var c = launcher.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(c.getName()).isEqualTo("launcher");
        assertThat(c.getArgs()).containsExactly("mpi-launch");
        assertThat(WorkerJob.resultsContainer(Planner.plan(pj, null))).isEqualTo("launcher");
        assertThat(launcher.getSpec().getPodFailurePolicy().getRules().get(1).getOnExitCodes().getContainerName())
                .isEqualTo("launcher");
        var env = WorkerJobTest.env(launcher);
        String ns = pj.getMetadata().getNamespace();
        assertThat(env).containsEntry(PodContract.MPI_HOSTS, "demo-worker-0.demo-mpi." + ns + ".svc,demo-worker-1.demo-mpi." + ns
                        + ".svc,demo-worker-2.demo-mpi." + ns + ".svc")
                .containsEntry(PodContract.MPI_SLOTS, "2").containsEntry(PodContract.MPI_MODE, "dynamic")
                .containsEntry(PodContract.EXECUTOR, "mpi").containsEntry(PodContract.PARTS, "1");
        assertThat(c.getVolumeMounts()).anyMatch(m -> m.getMountPath().equals(PodContract.SSH_DIR) && m.getReadOnly());
    }

    @Test
    void workersAreAnIndexedJobOfSshdBehindAHeadlessServiceUnderTheRestrictedProfile() throws Exception {
        var pj = Fixtures.pj(SPEC);
        Job w = MpiWorkers.job(Planner.plan(pj, null), Fixtures.SETTINGS);
        assertThat(w.getMetadata().getName()).isEqualTo("demo-worker");
        assertThat(w.getSpec().getCompletionMode()).isEqualTo("Indexed");
        assertThat(w.getSpec().getParallelism()).isEqualTo(3);
        var pod = w.getSpec().getTemplate().getSpec();
        assertThat(pod.getSubdomain()).isEqualTo("demo-mpi");
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSecurityContext().getFsGroup()).isEqualTo(1000L);
        var c = pod.getContainers().get(0);
        assertThat(c.getCommand()).startsWith("/bin/sh", "-c");
        assertThat(c.getCommand().get(2)).contains("/usr/sbin/sshd -D").endsWith("exit 1");
        assertThat(c.getReadinessProbe().getTcpSocket().getPort().getIntVal()).isEqualTo(PodContract.SSH_PORT);
        assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(pod.getVolumes()).anyMatch(v -> v.getSecret() != null && v.getSecret().getDefaultMode() == 0440
                && v.getSecret().getSecretName().equals("demo-ssh"));
        var svc = MpiWorkers.service(Planner.plan(pj, null));
        assertThat(svc.getSpec().getClusterIP()).isEqualTo("None");
        assertThat(svc.getSpec().getPublishNotReadyAddresses()).isTrue();
        assertThat(w.getSpec().getTemplate().getMetadata().getLabels()).containsAllEntriesOf(svc.getSpec().getSelector());
    }

    @Test
    void readinessCountsEachWorkerIndexOnceAndIgnoresPodsBeingDeleted() {
        var ready = pod("0", true, false);
        var readyAgain = pod("0", true, false);
        var deleting = pod("1", true, true);
        var notReady = pod("2", false, false);
        assertThat(MpiWorkers.ready(List.of(ready, readyAgain, deleting, notReady))).isEqualTo(1);
        assertThat(MpiWorkers.ready(List.of(ready, pod("1", true, false), pod("2", true, false)))).isEqualTo(3);
    }

    @Test
    void workersNotReadyAreNamedWithTheSchedulersReason() {
        var pj = Fixtures.pj(SPEC);
        var unscheduled = new PodBuilder().withNewMetadata().withName("demo-worker-0-abcde").endMetadata()
                .withNewStatus().withPhase("Pending").addNewCondition().withType("PodScheduled").withStatus("False")
                .withReason("Unschedulable").withMessage("0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.")
                .endCondition().endStatus().build();
        assertThat(MpiWorkers.notReady(pj, List.of(unscheduled)))
                .isEqualTo("demo-worker-0-abcde (0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.)");
        assertThat(MpiWorkers.notReady(pj, List.of())).startsWith("no worker pod yet");
    }

    static io.fabric8.kubernetes.api.model.Pod pod(String index, boolean ready, boolean deleting) {
        return new PodBuilder().withNewMetadata().withName("w-" + index)
                .addToAnnotations("batch.kubernetes.io/job-completion-index", index)
                .withDeletionTimestamp(deleting ? "2026-01-01T00:00:00Z" : null).endMetadata()
                .withNewStatus().addNewCondition().withType("Ready").withStatus(ready ? "True" : "False").endCondition()
                .endStatus().build();
    }

    @Test
    void generatedKeysAreFreshPerParallelJobAndOpenSshReadsThem(@TempDir Path dir) throws Exception {
        var pj = Fixtures.pj(SPEC);
        var a = MpiSshSecret.build(Planner.plan(pj, null)).getStringData();
        var b = MpiSshSecret.build(Planner.plan(pj, null)).getStringData();
        assertThat(a.get(PodContract.SSH_CLIENT_KEY)).isNotEqualTo(b.get(PodContract.SSH_CLIENT_KEY));
        assertThat(a.get(PodContract.SSH_AUTHORIZED_KEYS)).startsWith("ecdsa-sha2-nistp256 ");
        // ssh-keygen -y derives the public key from the private key: it must equal our authorized_keys line.
        Path key = dir.resolve("id");
        Files.writeString(key, a.get(PodContract.SSH_CLIENT_KEY));
        Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Process p;
        try {
            p = new ProcessBuilder("ssh-keygen", "-y", "-f", key.toString()).start();
        } catch (java.io.IOException e) {
            org.junit.jupiter.api.Assumptions.assumeTrue(false, "skipped: ssh-keygen not installed (openssh-client)");
            return;
        }
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        String derived = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.exitValue()).as(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8)).isZero();
        String ours = a.get(PodContract.SSH_AUTHORIZED_KEYS).strip();
        assertThat(ours).startsWith(derived.split(" ")[0] + " " + derived.split(" ")[1]);
    }
}
