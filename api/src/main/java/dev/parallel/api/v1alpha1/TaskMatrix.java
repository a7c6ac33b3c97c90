package dev.parallel.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.IntOrString;
import java.util.List;
import java.util.Map;

/**
 * A parameter sweep: one task per combination of the axes' values (their Cartesian product), minus
 * the excluded combinations. The first axis varies slowest, the last fastest, as nested loops would
 * (docs/contract.md). Pods decode task i from i (MatrixTasks), so the object stays small however many
 * combinations there are.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "self.axes.all(a, self.axes.exists_one(b, b.param == a.param))",
        message = "spec.tasks.matrix.axes: each param may appear on one axis only")
@ValidationRule(value = "self.axes.all(a, !has(a.zipWith) || self.axes.exists(b, b.param == a.zipWith && b.param != a.param && !has(b.zipWith)))",
        message = "spec.tasks.matrix.axes: zipWith must name the param of another axis, one without zipWith")
@ValidationRule(value = "self.axes.all(a, !has(a.zipWith) || self.axes.all(b, b.param != a.zipWith || (has(b.values) ? double(size(b.values)) : has(b.range) ? double((b.range.end - b.range.start + b.range.step - 1) / b.range.step) : 0.0) == (has(a.values) ? double(size(a.values)) : has(a.range) ? double((a.range.end - a.range.start + a.range.step - 1) / a.range.step) : 0.0)))",
        message = "spec.tasks.matrix.axes: an axis with zipWith must have as many values as the axis it zips with")
@ValidationRule(value = TaskMatrix.PRODUCT + " <= " + TaskMatrix.MAX_COMBINATIONS + ".0",
        message = "spec.tasks.matrix: at most " + TaskMatrix.MAX_COMBINATIONS_TEXT + " combinations (the product of the "
                + "axes' lengths); use fewer values, or split the sweep into several ParallelJobs")
@ValidationRule(value = "!has(self.exclude) || self.exclude.all(e, e.all(k, self.axes.exists(a, a.param == k)))",
        message = "spec.tasks.matrix.exclude: an entry names a param that is not on any axis; name only params of spec.tasks.matrix.axes")
@ValidationRule(value = "!has(self.exclude) || self.exclude.all(e, size(e) > 0)",
        message = "spec.tasks.matrix.exclude: an empty entry would exclude every combination; give at least one param")
public class TaskMatrix {
    /** Most combinations (before exclude) a matrix may describe. */
    public static final long MAX_COMBINATIONS = 100_000_000L;
    static final String MAX_COMBINATIONS_TEXT = "100,000,000";
    public static final int MAX_AXES = 8;
    public static final int MAX_EXCLUDE = 100;
    static final String PARAM_PATTERN = "^[A-Za-z_][A-Za-z0-9_]*$";

    /**
     * The product of the axes' lengths in CEL, in doubles (no int64 overflow however long the axes);
     * written out per axis because CEL has no fold. Zipped axes count once.
     */
    static final String PRODUCT = "(size(self.axes) > 0 && !has(self.axes[0].zipWith) ? (has(self.axes[0].values) ? double(size(self.axes[0].values)) : has(self.axes[0].range) ? double((self.axes[0].range.end - self.axes[0].range.start + self.axes[0].range.step - 1) / self.axes[0].range.step) : 0.0) : 1.0)"
            + " * " + "(size(self.axes) > 1 && !has(self.axes[1].zipWith) ? (has(self.axes[1].values) ? double(size(self.axes[1].values)) : has(self.axes[1].range) ? double((self.axes[1].range.end - self.axes[1].range.start + self.axes[1].range.step - 1) / self.axes[1].range.step) : 0.0) : 1.0)"
            + " * " + "(size(self.axes) > 2 && !has(self.axes[2].zipWith) ? (has(self.axes[2].values) ? double(size(self.axes[2].values)) : has(self.axes[2].range) ? double((self.axes[2].range.end - self.axes[2].range.start + self.axes[2].range.step - 1) / self.axes[2].range.step) : 0.0) : 1.0)"
            + " * " + "(size(self.axes) > 3 && !has(self.axes[3].zipWith) ? (has(self.axes[3].values) ? double(size(self.axes[3].values)) : has(self.axes[3].range) ? double((self.axes[3].range.end - self.axes[3].range.start + self.axes[3].range.step - 1) / self.axes[3].range.step) : 0.0) : 1.0)"
            + " * " + "(size(self.axes) > 4 && !has(self.axes[4].zipWith) ? (has(self.axes[4].values) ? double(size(self.axes[4].values)) : has(self.axes[4].range) ? double((self.axes[4].range.end - self.axes[4].range.start + self.axes[4].range.step - 1) / self.axes[4].range.step) : 0.0) : 1.0)"
            + " * " + "(size(self.axes) > 5 && !has(self.axes[5].zipWith) ? (has(self.axes[5].values) ? double(size(self.axes[5].values)) : has(self.axes[5].range) ? double((self.axes[5].range.end - self.axes[5].range.start + self.axes[5].range.step - 1) / self.axes[5].range.step) : 0.0) : 1.0)"
            + " * " + "(size(self.axes) > 6 && !has(self.axes[6].zipWith) ? (has(self.axes[6].values) ? double(size(self.axes[6].values)) : has(self.axes[6].range) ? double((self.axes[6].range.end - self.axes[6].range.start + self.axes[6].range.step - 1) / self.axes[6].range.step) : 0.0) : 1.0)"
            + " * " + "(size(self.axes) > 7 && !has(self.axes[7].zipWith) ? (has(self.axes[7].values) ? double(size(self.axes[7].values)) : has(self.axes[7].range) ? double((self.axes[7].range.end - self.axes[7].range.start + self.axes[7].range.step - 1) / self.axes[7].range.step) : 0.0) : 1.0)";

    @Required
    @Size(min = 1, max = MAX_AXES)
    @JsonPropertyDescription("axes: the parameters swept, each with values or a range; at least one, at most 8. The "
            + "tasks are every combination, the first axis varying slowest and the last fastest.")
    public List<MatrixAxis> axes;

    @Size(max = MAX_EXCLUDE)
    @JsonPropertyDescription("exclude: combinations to drop, each a partial map of params to values (e.g. {lr: \"0.1\", "
            + "batch: 128} drops every combination with both); values as written in the axis. At most 100.")
    public List<Map<String, IntOrString>> exclude;

    public TaskMatrix() {}

    public TaskMatrix(List<MatrixAxis> axes, List<Map<String, IntOrString>> exclude) {
        this.axes = axes;
        this.exclude = exclude;
    }
}
