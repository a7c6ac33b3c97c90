package dev.parallel.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** How task results combine into the ParallelJob's result. */
public enum ReduceOp {
    SUM("sum"), MIN("min"), MAX("max"), COLLECT("collect"), NONE("none"),
    /** The exact sum over the exact count of succeeded tasks. */
    MEAN("mean"),
    /** How many tasks succeeded (with the reduction's field, when by is set). */
    COUNT("count"),
    /** The task with the smallest (largest) value: its id, parameters and value; ties go to the lower index. */
    ARGMIN("argmin"), ARGMAX("argmax");

    private final String value;

    ReduceOp(String value) { this.value = value; }

    @JsonValue
    public String value() { return value; }

    @JsonCreator
    public static ReduceOp of(String value) {
        return EnumValues.parse(values(), ReduceOp::value, value, "reduce");
    }
}
