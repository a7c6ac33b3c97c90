package dev.parallel.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** The built-in kernels of the job image; each is a pure function of a task's parameters. */
public enum Kernel {
    PI("pi"), PRIMES("primes"), MATMUL("matmul"), SLEEP("sleep");

    private final String value;

    Kernel(String value) { this.value = value; }

    @JsonValue
    public String value() { return value; }

    @JsonCreator
    public static Kernel of(String value) {
        return EnumValues.parse(values(), Kernel::value, value, "kernel");
    }
}
