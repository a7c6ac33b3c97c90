package dev.parallel.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/** The values of a matrix axis as an integer range: start, start+step, ... below end. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "self.end > self.start", message = "range.end must be greater than range.start")
// Bounded so the CEL size arithmetic (end - start + step - 1) cannot overflow int64. A rule, not
// @Min/@Max: the generator writes such bounds as 1.0E15, which YAML 1.1 readers take for a string.
@ValidationRule(value = "self.start >= -" + AxisRange.LIMIT + " && self.end <= " + AxisRange.LIMIT + " && self.step <= " + AxisRange.LIMIT,
        message = "range.start, range.end and range.step must be within -10^15..10^15")
public class AxisRange {
    static final long LIMIT = 1_000_000_000_000_000L;

    @Required
    @JsonPropertyDescription("start: the first value (inclusive), at least -10^15.")
    public long start;

    @Required
    @JsonPropertyDescription("end: the end (exclusive); greater than start, at most 10^15.")
    public long end;

    @Default("1")
    @Min(1)
    @JsonPropertyDescription("step between values; at least 1. Default 1.")
    public Long step;

    public AxisRange() {}

    public AxisRange(long start, long end, long step) {
        this.start = start;
        this.end = end;
        this.step = step;
    }

    @JsonIgnore
    public long stepOrDefault() { return step == null ? 1 : step; }

    /** How many values: ceil((end - start) / step), 0 when end <= start. */
    @JsonIgnore
    public long size() { return end <= start ? 0 : (end - start + stepOrDefault() - 1) / stepOrDefault(); }
}
