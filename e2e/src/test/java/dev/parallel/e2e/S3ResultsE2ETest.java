package dev.parallel.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parallel.api.contract.Json;
import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.job.cli.ResultsCommand;
import dev.parallel.job.stores.RecordFormat;
import dev.parallel.testkit.ObjectStore;
import dev.parallel.testkit.ParallelJobExtension;
import dev.parallel.testkit.TestNamespace;
import io.fabric8.kubernetes.api.model.Pod;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.BitSet;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * The S3 results store on the real cluster, with a real S3-compatible server in it (the testkit's ObjectStore:
 * SeaweedFS under restricted Pod Security). {@code -Ds3results.tasks} tasks (default 100,000: on the kind node about
 * 50 s to S3 and 40 s in the cluster store, so the full size runs in the default suite) of 1 KB results each: to the bucket, every record present exactly once and read back by
 * `parallel-job results`; the same job with the in-cluster default ends ResultsTruncated with exact counts.
 */
@ExtendWith(ParallelJobExtension.class)
class S3ResultsE2ETest {
    static final int TASKS = Integer.getInteger("s3results.tasks", 100_000);
    static final int RESULT_BYTES = 1000;
    static String NS;
    static ObjectStore store;

    @BeforeAll
    static void setUp(TestNamespace ns) {
        NS = ns.name();
        store = ObjectStore.shared(Cluster.cluster());
        store.credentials(NS);
    }

    static String job(String name, String results) {
        return String.format(Locale.ROOT, """
                apiVersion: parallel.dev/v1alpha1
                kind: ParallelJob
                metadata: {name: %s}
                spec:
                  kernel: sleep
                  tasks: {range: {start: 0, end: %d}}
                  params: {millis: 0, resultBytes: %d}
                  executor: threads
                  threadsPerPod: 2
                  parallelism: 4
                  resources: {requests: {cpu: 100m, memory: 256Mi}, limits: {memory: 512Mi}}
                %s
                """, name, TASKS, RESULT_BYTES, results);
    }

    /** The records as `parallel-job results` prints them, checked as they stream by: each task once, its pad intact. */
    record ReadBack(long lines, BitSet seen, long duplicates, long wrong) {}

    static ReadBack readBack(String name, String endpoint) {
        BitSet seen = new BitSet(TASKS);
        long[] counts = new long[3]; // lines, duplicates, wrong
        StringBuilder partial = new StringBuilder();
        Writer out = new Writer() {
            @Override
            public void write(char[] buf, int off, int len) {
                for (int i = off; i < off + len; i++) {
                    if (buf[i] != '\n') {
                        partial.append(buf[i]);
                        continue;
                    }
                    check(partial.toString());
                    partial.setLength(0);
                }
            }

            void check(String line) {
                counts[0]++;
                try {
                    JsonNode r = Json.mapper().readTree(line);
                    int index = r.get("index").asInt();
                    if (seen.get(index)) counts[1]++;
                    seen.set(index);
                    String pad = r.at("/value/pad").asText();
                    if (!r.get("ok").asBoolean() || Json.mapper().writeValueAsString(r.get("value")).length() != RESULT_BYTES
                            || !pad.startsWith(index + "." + index + ".")) {
                        counts[2]++;
                    }
                } catch (IOException e) {
                    counts[2]++;
                }
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        var err = new ByteArrayOutputStream();
        long n = ResultsCommand.print(Cluster.client(), NS, name, RecordFormat.jsonl, false, endpoint, out,
                new PrintStream(err, true, StandardCharsets.UTF_8), false);
        assertThat(n).as("parallel-job results: " + err).isEqualTo(counts[0]);
        return new ReadBack(counts[0], seen, counts[1], counts[2]);
    }

    @Test
    void theObjectStoreRunsRestrictedAndServesItsBucket() {
        Pod pod = Cluster.client().pods().inNamespace(ObjectStore.NAMESPACE).withLabel("app.kubernetes.io/name", ObjectStore.SERVICE)
                .list().getItems().get(0);
        assertThat(pod.getSpec().getSecurityContext().getRunAsUser()).isEqualTo(65534L);
        assertThat(pod.getSpec().getContainers().get(0).getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(Cluster.client().namespaces().withName(ObjectStore.NAMESPACE).get().getMetadata().getLabels())
                .containsEntry("pod-security.kubernetes.io/enforce", "restricted");
        store.s3().putObject(b -> b.bucket(ObjectStore.BUCKET).key("probe/hello.txt"), RequestBody.fromString("hello"));
        assertThat(store.s3().getObjectAsBytes(b -> b.bucket(ObjectStore.BUCKET).key("probe/hello.txt")).asUtf8String())
                .isEqualTo("hello");
        store.s3().deleteObject(b -> b.bucket(ObjectStore.BUCKET).key("probe/hello.txt"));
    }

    @Test
    void everyRecordReachesTheBucketExactlyOnceAndReadsBack() {
        String name = "s3-results";
        Cluster.fresh(NS, name);
        Cluster.cluster().jobs().apply(NS, job(name, "  results: {store: s3, bucket: " + ObjectStore.BUCKET + ", prefix: e2e, endpoint: '"
                + ObjectStore.ENDPOINT + "', secretRef: {name: " + ObjectStore.SECRET + "}}"));
        ParallelJob pj = Cluster.cluster().jobs().awaitSucceeded(NS, name, Duration.ofMinutes(TASKS > 10_000 ? 30 : 10));

        assertThat(pj.getStatus().tasks.succeeded).isEqualTo(TASKS);
        var where = pj.getStatus().results;
        assertThat(where.store).isEqualTo("s3");
        assertThat(where.bucket).isEqualTo(ObjectStore.BUCKET);
        assertThat(where.prefix).isEqualTo("e2e/" + NS + "/" + name + "/" + pj.getMetadata().getUid() + "/");
        assertThat(where.records).isEqualTo(TASKS);
        assertThat(pj.getStatus().conditions).noneMatch(c -> c.getType().equals("ResultsTruncated") && c.getStatus().equals("True"));

        ReadBack r = readBack(name, store.localEndpoint());
        assertThat(r.duplicates()).as("records seen twice").isZero();
        assertThat(r.wrong()).as("records not of their task").isZero();
        assertThat(r.seen().cardinality()).as("distinct tasks read back").isEqualTo(TASKS);
        assertThat(r.lines()).isEqualTo(TASKS);
    }

    @Test
    void theInClusterDefaultKeepsWhatFitsAndSaysSoWithExactCounts() {
        String name = "cluster-results";
        Cluster.fresh(NS, name);
        Cluster.cluster().jobs().apply(NS, job(name, ""));
        ParallelJob pj = Cluster.cluster().jobs().awaitSucceeded(NS, name, Duration.ofMinutes(TASKS > 10_000 ? 30 : 10));

        assertThat(pj.getStatus().tasks.succeeded).isEqualTo(TASKS);
        assertThat(pj.getStatus().tasks.failed).isZero();
        var where = pj.getStatus().results;
        assertThat(where.store).isEqualTo("cluster");
        // 1 KB x TASKS does not fit in the ConfigMap's bound: what is kept plus what is dropped is every task
        assertThat(where.recordsDropped).isPositive();
        assertThat(where.records + where.recordsDropped).isEqualTo(TASKS);
        assertThat(pj.getStatus().conditions).anySatisfy(c -> {
            assertThat(c.getType()).isEqualTo("ResultsTruncated");
            assertThat(c.getStatus()).isEqualTo("True");
            assertThat(c.getMessage()).contains(Long.toString(where.records)).contains(Long.toString(TASKS));
        });

        ReadBack r = readBack(name, null);
        assertThat(r.duplicates()).isZero();
        assertThat(r.wrong()).isZero();
        assertThat(r.lines()).isEqualTo(where.records);
    }
}
