package dev.parallel.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.LocalObjectReference;

/**
 * Where every task's record goes. The status always keeps the counts, the reduction and up to 20 failed tasks;
 * the per-task records go to the store: {@code cluster} (default) keeps them in the results ConfigMap up to its
 * size bound (ResultsTruncated says what is kept), {@code s3} writes all of them to a bucket.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.store) || self.store != 's3' || (has(self.bucket) && has(self.secretRef))",
        message = "spec.results.store: s3 needs spec.results.bucket and spec.results.secretRef (a Secret with "
                + "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)")
@ValidationRule(value = "!has(self.store) || self.store == 's3' || (!has(self.bucket) && !has(self.prefix) && "
        + "!has(self.endpoint) && !has(self.secretRef))",
        message = "spec.results.bucket, prefix, endpoint and secretRef are for store: s3; set store: s3 or remove them")
public class ResultsSpec {
    /** Where records go. */
    public enum Store {
        cluster, s3
    }

    @JsonPropertyDescription("store: cluster (default: the results ConfigMap, bounded) or s3 (an S3-compatible bucket, every "
            + "record). Without spec.results the operator's default applies (chart value results.store).")
    public Store store;

    @JsonPropertyDescription("stream: record each task's result within seconds of its end (default true): live progress, and "
            + "a replacement pod runs only the tasks not yet recorded. false: results come when a part ends.")
    public Boolean stream;

    @Size(min = 3, max = 63)
    @Pattern("^[a-z0-9][a-z0-9.-]*[a-z0-9]$")
    @JsonPropertyDescription("bucket: the S3 bucket (must exist).")
    public String bucket;

    @Size(max = 512)
    @Pattern("^[^\\s]*$")
    @JsonPropertyDescription("prefix: key prefix in the bucket; records go under <prefix>/<namespace>/<name>/<uid>/.")
    public String prefix;

    @Size(max = 512)
    @Pattern("^https?://[^\\s/]+(/.*)?$")
    @JsonPropertyDescription("endpoint: the S3 endpoint URL for an S3-compatible server, e.g. http://seaweedfs.storage:8333; "
            + "default AWS.")
    public String endpoint;

    @Size(max = 64)
    @JsonPropertyDescription("region: the bucket's region; default us-east-1.")
    public String region;

    @JsonPropertyDescription("secretRef: a Secret in this namespace with keys AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; "
            + "only the operator reads it (the pods never see it).")
    public LocalObjectReference secretRef;

    public ResultsSpec() {}

    @JsonIgnore
    public boolean streamOrDefault() { return stream == null || stream; }
}
