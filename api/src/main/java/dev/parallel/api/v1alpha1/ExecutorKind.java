package dev.parallel.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** How one pod runs its tasks. */
public enum ExecutorKind {
    THREADS("threads"), PROCESSES("processes"), SEQUENTIAL("sequential"),
    /** Ranks across worker pods under mpirun (spec.mpi); inside a rank, threads. */
    MPI("mpi"),
    /** The built-in pi, primes and matmul kernels on the pod's GPUs (spec.gpu), one host thread per device. */
    CUDA("cuda");

    private final String value;

    ExecutorKind(String value) { this.value = value; }

    @JsonValue
    public String value() { return value; }

    @JsonCreator
    public static ExecutorKind of(String value) {
        return EnumValues.parse(values(), ExecutorKind::value, value, "executor");
    }
}
