package dev.parallel.job.mpi;

import dev.parallel.api.v1alpha1.ReduceOp;

/**
 * The few MPI operations the rank program uses, so its logic reads like the mpi4py tutorial and is
 * testable; {@link OpenMpi} is the real implementation over Open MPI's Java bindings.
 */
public interface Collectives {
    int rank();

    int size();

    /** MPI_Allreduce element-wise (SUM, MIN or MAX). */
    long[] allReduce(long[] values, ReduceOp op);

    double[] allReduce(double[] values, ReduceOp op);

    /** MPI_Allgather(v) of variable-length bytes: every rank gets every rank's bytes, by rank. */
    byte[][] allGather(byte[] mine);

    /** MPI_Gather(v) of variable-length bytes to rank 0: rank 0 gets every rank's bytes, the others null. */
    byte[][] gather(byte[] mine);

    void send(byte[] message, int dest, int tag);

    /** Blocks for the next message with {@code tag} from any rank. */
    Received receiveAny(int tag);

    void send(long[] message, int dest, int tag);

    long[] receiveLongs(int length, int source, int tag);

    /** A message and its sender. */
    record Received(int source, byte[] bytes) {}
}
