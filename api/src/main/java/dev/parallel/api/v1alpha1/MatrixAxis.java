package dev.parallel.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.IntOrString;
import java.util.List;

/** One parameter of a sweep and the values it takes. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "has(self.values) != has(self.range)",
        message = "set exactly one of values (a list) or range ({start, end, step}) on each axis")
public class MatrixAxis {
    /** Most values one axis may list; longer integer axes are a range. */
    public static final int MAX_VALUES = 1000;

    @Required
    @Pattern(TaskMatrix.PARAM_PATTERN)
    @Size(max = 63)
    @JsonPropertyDescription("param: the task parameter this axis sets (a TASK_PARAM_<NAME> for commands).")
    public String param;

    // Integers or strings: the only mixed scalar type Kubernetes' schema can check and CEL can see.
    @Size(min = 1, max = MAX_VALUES)
    @JsonPropertyDescription("values: the values of this axis, integers or strings; write fractional numbers quoted "
            + "(\"0.01\"): the schema takes integers or strings. At most 1000; use range for longer integer axes.")
    public List<IntOrString> values;

    @JsonPropertyDescription("range: integer values start, start+step, ... below end, instead of values.")
    public AxisRange range;

    @Pattern(TaskMatrix.PARAM_PATTERN)
    @JsonPropertyDescription("zipWith: the param of another axis this one advances together with (zip): both have "
            + "the same length and their i-th values go together; the pair counts once in the product.")
    public String zipWith;

    public MatrixAxis() {}

    public static MatrixAxis values(String param, Object... values) {
        MatrixAxis a = new MatrixAxis();
        a.param = param;
        a.values = java.util.Arrays.stream(values)
                .map(v -> v instanceof Integer i ? new IntOrString(i) : new IntOrString(String.valueOf(v))).toList();
        return a;
    }

    public static MatrixAxis range(String param, long start, long end, long step) {
        MatrixAxis a = new MatrixAxis();
        a.param = param;
        a.range = new AxisRange(start, end, step);
        return a;
    }

    public MatrixAxis zipWith(String leader) {
        this.zipWith = leader;
        return this;
    }

    /** Number of values of this axis alone. */
    @JsonIgnore
    public long size() { return values != null ? values.size() : range != null ? range.size() : 0; }
}
