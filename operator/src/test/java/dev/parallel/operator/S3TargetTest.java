package dev.parallel.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.operator.gather.S3Target;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** Which store a ParallelJob's records go to, and where in the bucket: spec.results first, then the chart's values. */
class S3TargetTest {
    static final String RUN = "kernel: pi\ntasks: {range: {start: 0, end: 10}}\n";
    static final Fixtures.ResultsSettings CHART_S3 =
            new Fixtures.ResultsSettings("s3", "chart-bucket", "runs/", "http://s3.storage:8333", "eu-west-1", "chart-creds");
    static final Fixtures.ResultsSettings CHART_CLUSTER =
            new Fixtures.ResultsSettings("cluster", null, null, "http://s3.storage:8333", "eu-west-1", null);

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("no spec.results, chart cluster", "", CHART_CLUSTER, null),
                Arguments.of("store cluster in the spec beats the chart's s3", "results: {store: cluster}\n", CHART_S3, null),
                Arguments.of("no spec.results, chart s3", "", CHART_S3,
                        new S3Target("http://s3.storage:8333", "eu-west-1", "chart-bucket", "runs", "chart-creds")),
                Arguments.of("spec.results without a store takes the chart's", "results: {stream: false}\n", CHART_S3,
                        new S3Target("http://s3.storage:8333", "eu-west-1", "chart-bucket", "runs", "chart-creds")),
                Arguments.of("spec s3: own bucket and Secret; endpoint, region, prefix from the chart",
                        "results: {store: s3, bucket: mine, secretRef: {name: my-creds}}\n", CHART_CLUSTER,
                        new S3Target("http://s3.storage:8333", "eu-west-1", "mine", "", "my-creds")),
                Arguments.of("spec s3 with everything", "results: {store: s3, bucket: mine, secretRef: {name: c}, "
                                + "endpoint: 'http://other:9000', region: us-west-2, prefix: /a/b/}\n", CHART_S3,
                        new S3Target("http://other:9000", "us-west-2", "mine", "a/b", "c")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void resolves(String name, String results, Fixtures.ResultsSettings chart, S3Target expected) {
        assertThat(S3Target.of(Fixtures.pj(RUN + results), chart)).isEqualTo(Optional.ofNullable(expected));
    }

    @Test
    void keysNameTheRunAndTheBatch() {
        ParallelJob pj = Fixtures.pj(RUN);
        var t = new S3Target(null, "us-east-1", "b", "runs", "c");
        assertThat(t.runPrefix(pj)).isEqualTo("runs/ns1/demo/uid-1/");
        assertThat(t.key(pj, 7, "demo-7-abcde.000003")).isEqualTo("runs/ns1/demo/uid-1/part-00007/demo-7-abcde.000003.jsonl");
        assertThat(new S3Target(null, "us-east-1", "b", "", "c").runPrefix(pj)).isEqualTo("ns1/demo/uid-1/");
    }

    @Test
    void aChartDefaultOfS3WithoutABucketSaysWhichValueToSet() {
        var noBucket = new Fixtures.ResultsSettings("s3", null, null, null, "us-east-1", "c");
        assertThatThrownBy(() -> S3Target.of(Fixtures.pj(RUN), noBucket)).hasMessageContaining("results.s3.bucket is empty");
        var noSecret = new Fixtures.ResultsSettings("s3", "b", null, null, "us-east-1", null);
        assertThatThrownBy(() -> S3Target.of(Fixtures.pj(RUN), noSecret)).hasMessageContaining("results.s3.secretName is empty");
    }
}
