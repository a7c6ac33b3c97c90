package dev.parallel.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/** Tasks generated from an integer range, at constant object size however many there are. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "self.end > self.start", message = "spec.tasks.range.end must be greater than spec.tasks.range.start")
public class TaskRange {
    @Required
    @JsonPropertyDescription("start is the first value of the range (inclusive).")
    public long start;

    @Required
    @JsonPropertyDescription("end is the end of the range (exclusive); must be greater than start.")
    public long end;

    @Default("1")
    @Min(1)
    @JsonPropertyDescription("step between consecutive values; at least 1. Default 1.")
    public Long step;

    @Default("value")
    @Pattern("^[A-Za-z_][A-Za-z0-9_]*$")
    @JsonPropertyDescription("param is the task parameter the value fills (e.g. 'samples' or 'from'). Default 'value'.")
    public String param;

    public TaskRange() {}

    public TaskRange(long start, long end, long step, String param) {
        this.start = start;
        this.end = end;
        this.step = step;
        this.param = param;
    }

    public long stepOrDefault() { return step == null ? 1 : step; }

    public String paramOrDefault() { return param == null ? "value" : param; }

    /** Number of values in [start, end) with this step. */
    public long size() {
        return end <= start ? 0 : (end - start + stepOrDefault() - 1) / stepOrDefault();
    }
}
