package dev.parallel.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.List;

/**
 * spec.reduction: an op over one field of the results, optionally one row per group of parameters.
 * A separate field from spec.reduce because a Kubernetes schema cannot type one field as "string or
 * object" and still let CEL check it.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ReductionSpec {
    @Required
    @JsonPropertyDescription("op: sum, min, max, mean, count, collect, argmin or argmax (none: no reduction).")
    public ReduceOp op;

    @Pattern("^[A-Za-z_][A-Za-z0-9_.-]*$")
    @Size(max = 63)
    @JsonPropertyDescription("by: the field of each task's JSON result the op reads (e.g. loss for {\"loss\": 0.18}); "
            + "default the whole result.")
    public String by;

    @Size(min = 1, max = 8)
    @JsonPropertyDescription("groupBy: task parameters; one reduced row per combination of their values, in the results "
            + "ConfigMap (key reduced.jsonl), and a summary in status.result.")
    public List<String> groupBy;

    public ReductionSpec() {}

    public ReductionSpec(ReduceOp op, String by, List<String> groupBy) {
        this.op = op;
        this.by = by;
        this.groupBy = groupBy;
    }
}
