package dev.parallel.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.AnyType;
import java.util.List;
import java.util.Map;

/** Where the tasks come from: exactly one of items, range, matrix or configMapRef. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "[has(self.items), has(self.range), has(self.matrix), has(self.configMapRef)].filter(x, x).size() == 1",
        message = "spec.tasks must set exactly one of items, range, matrix or configMapRef")
public class TaskSource {
    /** Most inline items the API accepts; larger task lists belong in a range or a ConfigMap. */
    public static final int MAX_ITEMS = 10000;

    @io.fabric8.generator.annotation.Size(min = 1, max = MAX_ITEMS)
    @JsonPropertyDescription("items lists the tasks inline, each a map of parameters; an optional 'id' names the task "
            + "in results. At most 10000: use range or configMapRef for more.")
    public List<TaskParams> items;

    @JsonPropertyDescription("range generates one task per value of an integer range.")
    public TaskRange range;

    @JsonPropertyDescription("matrix: a parameter sweep, one task per combination of the axes' values (decoded in "
            + "the pods, so millions of combinations keep the object small); task ids name the combination, e.g. lr=0.01,batch=64.")
    public TaskMatrix matrix;

    @JsonPropertyDescription("configMapRef reads the tasks from a ConfigMap key of JSON lines.")
    public ConfigMapTaskSource configMapRef;
}
