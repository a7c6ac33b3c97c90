package dev.parallel.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.List;
import java.util.Map;

/**
 * GPUs for every pod that runs tasks (with executor: mpi, every worker pod): an extended-resource
 * limit the device plugin satisfies, plus where such nodes are and how their pods run.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class GpuSpec {
    public static final String DEFAULT_RESOURCE = "nvidia.com/gpu";

    @Required
    @Min(1)
    @Max(64)
    @JsonPropertyDescription("count: GPUs per pod, set as resources.limits[resourceName].")
    public Integer count;

    // An extended resource name: a domain prefix (not kubernetes.io) and a name, as the API server requires.
    @Pattern("^([a-z0-9]([-a-z0-9]*[a-z0-9])?\\.)+[a-z]{2,}/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
    @JsonPropertyDescription("resourceName: the extended resource of the device plugin, e.g. nvidia.com/gpu (default) "
            + "or amd.com/gpu.")
    public String resourceName;

    @JsonPropertyDescription("nodeSelector added to the pods' (e.g. nvidia.com/gpu.present: \"true\").")
    public Map<String, String> nodeSelector;

    @JsonPropertyDescription("tolerations added to the pods' (GPU nodes are often tainted).")
    public List<Toleration> tolerations;

    @Pattern("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
    @JsonPropertyDescription("runtimeClassName for the pods (e.g. nvidia), where the GPU runtime is not the default.")
    public String runtimeClassName;

    @JsonPropertyDescription("fallback: what executor: cuda does when the pod has no usable GPU at run time (no NVIDIA "
            + "driver, no device visible): fail (default) fails the pod's tasks with a reason naming what is missing; cpu "
            + "runs them on CPU threads and says so in the CpuFallback condition and an event.")
    public Fallback fallback;

    @JsonIgnore
    public Fallback fallbackOrDefault() { return fallback == null ? Fallback.FAIL : fallback; }

    /** executor: cuda without a usable device. */
    public enum Fallback {
        FAIL("fail"), CPU("cpu");

        private final String value;

        Fallback(String value) { this.value = value; }

        @com.fasterxml.jackson.annotation.JsonValue
        public String value() { return value; }

        @com.fasterxml.jackson.annotation.JsonCreator
        public static Fallback of(String value) {
            return EnumValues.parse(values(), Fallback::value, value, "gpu.fallback");
        }
    }

    @JsonIgnore
    public String resourceOrDefault() { return resourceName == null ? DEFAULT_RESOURCE : resourceName; }
}
