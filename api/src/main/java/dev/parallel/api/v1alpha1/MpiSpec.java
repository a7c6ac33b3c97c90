package dev.parallel.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonValue;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;

/** executor: mpi: W worker pods with S slots each, and one launcher pod that runs mpirun over them. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class MpiSpec {
    @Required
    @Min(1)
    @Max(256)
    @JsonPropertyDescription("workers: how many worker pods host MPI ranks (each runs sshd; the launcher runs mpirun).")
    public Integer workers;

    @Min(1)
    @Max(128)
    @JsonPropertyDescription("slotsPerWorker: MPI ranks per worker pod. Default 1. Ranks = workers x slotsPerWorker.")
    public Integer slotsPerWorker;

    @JsonPropertyDescription("implementation: the MPI implementation; only openmpi. Default openmpi.")
    public Implementation implementation;

    @JsonPropertyDescription("mode: static (default): rank r runs its distribute_tasks block, results combined with "
            + "allreduce/gather; dynamic: rank 0 hands tasks to the other ranks on demand (MPICommExecutor), for uneven tasks. "
            + "Built-in kernels only: with spec.command your program decides what its ranks do.")
    public Mode mode;

    @Min(10)
    @Max(3600)
    @JsonPropertyDescription("workersReadyTimeoutSeconds: the launcher starts only when every worker is Ready; the "
            + "ParallelJob fails when they are not Ready within this time. Default 300.")
    public Integer workersReadyTimeoutSeconds;

    public MpiSpec() {}

    public MpiSpec(int workers, int slotsPerWorker) {
        this.workers = workers;
        this.slotsPerWorker = slotsPerWorker;
    }

    @JsonIgnore
    public int slotsOrDefault() { return slotsPerWorker == null ? 1 : slotsPerWorker; }

    @JsonIgnore
    public int ranks() { return workers * slotsOrDefault(); }

    @JsonIgnore
    public Mode modeOrDefault() { return mode == null ? Mode.STATIC : mode; }

    @JsonIgnore
    public int workersReadyTimeoutOrDefault() { return workersReadyTimeoutSeconds == null ? 300 : workersReadyTimeoutSeconds; }

    /** The MPI implementation the workers and launcher run. */
    public enum Implementation {
        OPENMPI("openmpi");

        private final String value;

        Implementation(String value) { this.value = value; }

        @JsonValue
        public String value() { return value; }

        @JsonCreator
        public static Implementation of(String value) {
            return EnumValues.parse(values(), Implementation::value, value, "mpi.implementation");
        }
    }

    /** How ranks get their tasks. */
    public enum Mode {
        STATIC("static"), DYNAMIC("dynamic");

        private final String value;

        Mode(String value) { this.value = value; }

        @JsonValue
        public String value() { return value; }

        @JsonCreator
        public static Mode of(String value) {
            return EnumValues.parse(values(), Mode::value, value, "mpi.mode");
        }
    }
}
