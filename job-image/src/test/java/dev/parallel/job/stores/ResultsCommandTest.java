package dev.parallel.job.stores;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.parallel.api.testing.S3Server;
import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.api.v1alpha1.ParallelJobSpec;
import dev.parallel.api.v1alpha1.ParallelJobStatus;
import dev.parallel.job.cli.ResultsCommand;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;

/** `parallel-job results` against the Fabric8 mock API server, and a real S3-compatible server for store s3. */
@EnableKubernetesMockClient(crud = true)
class ResultsCommandTest {
    static KubernetesClient client;

    static String record(int i, boolean ok) {
        return ok ? "{\"index\":" + i + ",\"id\":\"" + i + "\",\"ok\":true,\"value\":" + i * 10 + ",\"attempts\":1,\"millis\":3}"
                : "{\"index\":" + i + ",\"id\":\"" + i + "\",\"ok\":false,\"error\":\"bad\",\"attempts\":2,\"millis\":4}";
    }

    static String lines(int from, int to) {
        return IntStream.range(from, to).mapToObj(i -> record(i, i % 7 != 3) + "\n").collect(Collectors.joining());
    }

    ParallelJob pj(String name, ParallelJobStatus.ResultsLocation where) {
        ParallelJob pj = new ParallelJob();
        pj.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("ns1").build());
        pj.setSpec(new ParallelJobSpec());
        pj.getSpec().kernel = dev.parallel.api.v1alpha1.Kernel.PI;
        pj = client.resources(ParallelJob.class).inNamespace("ns1").resource(pj).create();
        if (where != null) {
            pj.setStatus(new ParallelJobStatus());
            pj.getStatus().results = where;
            pj = client.resources(ParallelJob.class).inNamespace("ns1").resource(pj).updateStatus();
        }
        return pj;
    }

    record Output(long count, String out, String err) {}

    Output run(String name, String format, boolean failed, String endpoint) {
        var out = new StringWriter();
        var err = new ByteArrayOutputStream();
        long n = ResultsCommand.print(client, "ns1", name, RecordFormat.of(format), failed, endpoint, out,
                new PrintStream(err, true, StandardCharsets.UTF_8), true);
        return new Output(n, out.toString(), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void clusterStoreParts() {
        var l = new ParallelJobStatus.ResultsLocation();
        l.store = "cluster";
        l.configMap = "c1-results";
        l.records = 20L;
        pj("c1", l);
        client.configMaps().inNamespace("ns1").resource(new ConfigMapBuilder().withNewMetadata().withName("c1-results").endMetadata()
                .addToData("part-00001.results.jsonl", lines(10, 20)).addToData("part-00000.results.jsonl", lines(0, 10))
                .addToData("part-00000", "{\"summary\":true}").addToData("done-00000", "AAAA").build()).create();

        Output all = run("c1", "jsonl", false, null);
        assertThat(all.count()).isEqualTo(20);
        assertThat(all.out()).isEqualTo(lines(0, 20)); // part by part, as stored
        assertThat(all.err()).contains("[##############################] 100% 20/20 records");

        Output failed = run("c1", "csv", true, null);
        assertThat(failed.out()).isEqualTo(RecordFormat.CSV_HEADER + "\n3,3,false,2,4,,bad\n10,10,false,2,4,,bad\n17,17,false,2,4,,bad\n");
        assertThat(failed.count()).isEqualTo(3);
    }

    @Test
    void aMissingParallelJobIsSaid() {
        Output o = run("absent", "jsonl", false, null);
        assertThat(o.count()).isEqualTo(-1);
        assertThat(o.err()).contains("paralleljob ns1/absent not found");
    }

    @Test
    void s3StoreListsAndStreamsEveryObjectOfTheRun() {
        S3Server server = S3Server.start();
        String bucket = "cli-" + UUID.randomUUID().toString().substring(0, 8);
        var s3 = ResultsSource.s3(server.endpoint(), "us-east-1", S3Server.ACCESS_KEY, S3Server.SECRET_KEY);
        s3.createBucket(b -> b.bucket(bucket));
        // 1,200 objects (more than a listing page of 1,000), and another run's object that must not show
        int objects = 1200;
        for (int o = 0; o < objects; o++) {
            String key = String.format("runs/ns1/s1/uid-9/part-%05d/s1-%d-abcde.%06d.jsonl", o / 100, o / 100, o % 100);
            String body = lines(o * 5, o * 5 + 5);
            s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromString(body));
        }
        s3.putObject(b -> b.bucket(bucket).key("runs/ns1/s1/uid-8/part-00000/old.000001.jsonl"), RequestBody.fromString(lines(0, 1)));
        client.secrets().inNamespace("ns1").resource(new SecretBuilder().withNewMetadata().withName("s3-creds").endMetadata()
                .addToStringData("AWS_ACCESS_KEY_ID", S3Server.ACCESS_KEY)
                .addToStringData("AWS_SECRET_ACCESS_KEY", S3Server.SECRET_KEY).build()).create();
        var l = new ParallelJobStatus.ResultsLocation();
        l.store = "s3";
        l.bucket = bucket;
        l.prefix = "runs/ns1/s1/uid-9/";
        l.endpoint = "http://unreachable.invalid:8333"; // what the cluster sees; --endpoint is what this machine reaches
        l.secretName = "s3-creds";
        l.records = (long) objects * 5;
        pj("s1", l);

        Output o = run("s1", "jsonl", false, server.endpoint());
        assertThat(o.count()).isEqualTo(objects * 5L);
        assertThat(o.out()).isEqualTo(lines(0, objects * 5));
        assertThat(o.err()).contains("100% 6,000/6,000 records");

        l.secretName = "no-such-secret";
        pj("s2", l);
        assertThatThrownBy(() -> run("s2", "jsonl", false, server.endpoint()))
                .hasMessageContaining("Secret ns1/no-such-secret not found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
    }
}
