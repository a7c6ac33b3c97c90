package dev.parallel.api.contract;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * executor: mpi with spec.command: the user's own MPI program. Part of the contract, shared by the operator
 * (which puts {@link #env} into the launcher and {@link #SSHD} into worker pods of a user's image) and the
 * job image's launcher (whose mpirun gets the same {@link #mca} settings). The launcher runs the command
 * once per task, as a command task; in it a plain {@code mpirun prog} starts one rank per worker slot.
 */
public final class MpiProgram {
    private MpiProgram() {}

    /** The hostfile's path in the launcher (a key of the mounted SSH Secret). */
    public static final String HOSTFILE = PodContract.SSH_DIR + "/" + PodContract.SSH_HOSTFILE;
    /** The command's environment: the hostfile and the rank count (workers x slotsPerWorker). */
    public static final String HOSTFILE_ENV = "PJ_MPI_HOSTFILE";
    public static final String NP_ENV = "PJ_MPI_NP";

    /**
     * sshd of a worker pod in the user's image, configured on its command line: the image needs only
     * /usr/sbin/sshd, no config file of ours. Never "succeeding", as MpiWorkers' job-image sshd (see there).
     */
    public static final String SSHD = "trap 'kill -TERM $pid; wait $pid; exit 143' TERM; "
            + "/usr/sbin/sshd -D -e -f /dev/null -o Port=" + PodContract.SSH_PORT + " -o PidFile=/tmp/sshd.pid"
            + " -o HostKey=" + PodContract.SSH_DIR + "/" + PodContract.SSH_HOST_KEY
            + " -o AuthorizedKeysFile=" + PodContract.SSH_DIR + "/" + PodContract.SSH_AUTHORIZED_KEYS
            + " -o StrictModes=no -o UsePAM=no -o PasswordAuthentication=no -o KbdInteractiveAuthentication=no"
            + " -o PermitRootLogin=no -o AllowTcpForwarding=no -o X11Forwarding=no -o PrintMotd=no -o LogLevel=ERROR"
            + " & pid=$!; wait $pid; exit 1";

    /** The ssh client options of the job image's ssh_config, as mpirun's ssh arguments (a user's image has no such file). */
    static final String SSH_ARGS = "-p " + PodContract.SSH_PORT + " -i " + PodContract.SSH_DIR + "/" + PodContract.SSH_CLIENT_KEY
            + " -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o ConnectionAttempts=10"
            + " -o LogLevel=ERROR";

    /**
     * Open MPI settings for pods: TCP between pods and shared memory within one (without the single-copy
     * mechanism the default seccomp profile forbids), no ssh between workers (only the launcher holds
     * the client key's route to every pod), and names kept as the headless Service gives them.
     */
    public static Map<String, String> mca() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("OMPI_MCA_btl", "self,vader,tcp");
        m.put("OMPI_MCA_btl_vader_single_copy_mechanism", "none");
        m.put("OMPI_MCA_plm_rsh_no_tree_spawn", "1");
        m.put("OMPI_MCA_orte_keep_fqdn_hostnames", "1");
        m.put("OMPI_MCA_plm_rsh_args", "-p " + PodContract.SSH_PORT);
        return m;
    }

    /**
     * The launcher's environment for a user's MPI program: {@link #mca} with the full ssh options, the hostfile
     * as Open MPI's default (so {@code mpirun prog} needs no flags), no binding and oversubscription allowed
     * (as the built-in launcher's {@code --bind-to none --oversubscribe}: pods share their node's cores).
     */
    public static Map<String, String> env(int ranks) {
        Map<String, String> m = mca();
        m.put("OMPI_MCA_plm_rsh_args", SSH_ARGS);
        m.put("OMPI_MCA_orte_default_hostfile", HOSTFILE);
        m.put("OMPI_MCA_hwloc_base_binding_policy", "none");
        m.put("OMPI_MCA_rmaps_base_oversubscribe", "1");
        m.put(HOSTFILE_ENV, HOSTFILE);
        m.put(NP_ENV, Integer.toString(ranks));
        return m;
    }

    /** Open MPI forwards the variables this MCA parameter names to every rank (as mpirun -x does). */
    public static final String ENV_LIST = "OMPI_MCA_mca_base_env_list";

    /**
     * In the launcher of a user's MPI program (where {@link #NP_ENV} is set): {@link #ENV_LIST} naming a task's
     * variables (TASK_ID, TASK_INDEX, TASK_PARAM_*) after any the user set, so every rank sees them as the command
     * does; elsewhere null (nothing to add).
     */
    public static String envList(Map<String, String> env, java.util.Collection<String> taskVariables) {
        if (!env.containsKey(NP_ENV) || taskVariables.isEmpty()) return null;
        String mine = String.join(";", taskVariables);
        String theirs = env.get(ENV_LIST);
        return theirs == null || theirs.isBlank() ? mine : theirs + ";" + mine;
    }

    /** The hostfile: one line per worker host, {@code <host> slots=<n>}. */
    public static String hostfile(java.util.List<String> hosts, int slots) {
        StringBuilder sb = new StringBuilder();
        for (String h : hosts) sb.append(h).append(" slots=").append(slots).append('\n');
        return sb.toString();
    }
}
