package dev.parallel.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/** Tasks read from a key of a ConfigMap in the ParallelJob's namespace, one JSON object per line. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ConfigMapTaskSource {
    @Required
    @Pattern("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
    @JsonPropertyDescription("name of the ConfigMap (same namespace).")
    public String name;

    @Default("tasks.jsonl")
    @JsonPropertyDescription("key holding the tasks as JSON lines (one object of parameters per line). Default tasks.jsonl.")
    public String key;

    public ConfigMapTaskSource() {}

    public ConfigMapTaskSource(String name, String key) {
        this.name = name;
        this.key = key;
    }

    public String keyOrDefault() { return key == null ? "tasks.jsonl" : key; }
}
