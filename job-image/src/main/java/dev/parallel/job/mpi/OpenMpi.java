package dev.parallel.job.mpi;

import dev.parallel.api.v1alpha1.ReduceOp;
import mpi.Intracomm;
import mpi.MPI;
import mpi.MPIException;
import mpi.Op;
import mpi.Status;

/** {@link Collectives} on MPI.COMM_WORLD through Open MPI's Java bindings (libmpi_java.so). */
final class OpenMpi implements Collectives, AutoCloseable {
    private final Intracomm world;

    private OpenMpi() throws MPIException {
        world = MPI.COMM_WORLD;
    }

    /** MPI_Init; one per process. */
    static OpenMpi init(String[] args) {
        try {
            MPI.Init(args);
            return new OpenMpi();
        } catch (MPIException e) {
            throw new IllegalStateException("MPI_Init failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            MPI.Finalize();
        } catch (MPIException e) {
            throw new IllegalStateException("MPI_Finalize failed: " + e.getMessage(), e);
        }
    }

    @Override
    public int rank() { return call(world::getRank); }

    @Override
    public int size() { return call(world::getSize); }

    @Override
    public long[] allReduce(long[] values, ReduceOp op) {
        long[] out = new long[values.length];
        run(() -> world.allReduce(values, out, values.length, MPI.LONG, op(op)));
        return out;
    }

    @Override
    public double[] allReduce(double[] values, ReduceOp op) {
        double[] out = new double[values.length];
        run(() -> world.allReduce(values, out, values.length, MPI.DOUBLE, op(op)));
        return out;
    }

    @Override
    public byte[][] allGather(byte[] mine) {
        int n = size();
        int[] counts = new int[n];
        run(() -> world.allGather(new int[] {mine.length}, 1, MPI.INT, counts, 1, MPI.INT));
        int[] displs = displacements(counts);
        byte[] all = new byte[Math.max(1, total(counts))];
        run(() -> world.allGatherv(mine, mine.length, MPI.BYTE, all, counts, displs, MPI.BYTE));
        return split(all, counts, displs);
    }

    @Override
    public byte[][] gather(byte[] mine) {
        int n = size();
        int[] counts = new int[n];
        run(() -> world.gather(new int[] {mine.length}, 1, MPI.INT, counts, 1, MPI.INT, 0));
        int[] displs = displacements(counts);
        byte[] all = new byte[Math.max(1, rank() == 0 ? total(counts) : 1)];
        run(() -> world.gatherv(mine, mine.length, MPI.BYTE, all, counts, displs, MPI.BYTE, 0));
        return rank() == 0 ? split(all, counts, displs) : null;
    }

    @Override
    public void send(byte[] message, int dest, int tag) {
        run(() -> world.send(message, message.length, MPI.BYTE, dest, tag));
    }

    @Override
    public Received receiveAny(int tag) {
        Status probe = call(() -> world.probe(MPI.ANY_SOURCE, tag));
        int source = call(probe::getSource);
        byte[] buf = new byte[call(() -> probe.getCount(MPI.BYTE))];
        run(() -> world.recv(buf, buf.length, MPI.BYTE, source, tag));
        return new Received(source, buf);
    }

    @Override
    public void send(long[] message, int dest, int tag) {
        run(() -> world.send(message, message.length, MPI.LONG, dest, tag));
    }

    @Override
    public long[] receiveLongs(int length, int source, int tag) {
        long[] buf = new long[length];
        run(() -> world.recv(buf, length, MPI.LONG, source, tag));
        return buf;
    }

    private static Op op(ReduceOp op) {
        return switch (op) {
            case SUM -> MPI.SUM;
            case MIN -> MPI.MIN;
            case MAX -> MPI.MAX;
            default -> throw new IllegalArgumentException("no MPI operation for reduce " + op.value());
        };
    }

    private static int[] displacements(int[] counts) {
        int[] d = new int[counts.length];
        for (int i = 1; i < counts.length; i++) d[i] = d[i - 1] + counts[i - 1];
        return d;
    }

    private static int total(int[] counts) {
        long t = 0;
        for (int c : counts) t += c;
        if (t > Integer.MAX_VALUE - 8) throw new IllegalStateException("gathered results exceed 2 GiB");
        return (int) t;
    }

    private static byte[][] split(byte[] all, int[] counts, int[] displs) {
        byte[][] out = new byte[counts.length][];
        for (int i = 0; i < counts.length; i++) out[i] = java.util.Arrays.copyOfRange(all, displs[i], displs[i] + counts[i]);
        return out;
    }

    private interface MpiCall<T> { T call() throws MPIException; }

    private interface MpiRun { void run() throws MPIException; }

    private static <T> T call(MpiCall<T> c) {
        try {
            return c.call();
        } catch (MPIException e) {
            throw new IllegalStateException("MPI error: " + e.getMessage(), e);
        }
    }

    private static void run(MpiRun r) {
        call(() -> {
            r.run();
            return null;
        });
    }
}
