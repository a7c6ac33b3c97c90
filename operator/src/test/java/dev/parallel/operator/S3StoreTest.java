package dev.parallel.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.parallel.api.testing.S3Server;
import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.operator.gather.S3Store;
import dev.parallel.operator.plan.Plan;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * S3Store against a real S3-compatible server (SeaweedFS, {@link S3Server}; -Dtests.required=s3 makes its absence a
 * failure) with the credentials Secret on the Fabric8 mock API server.
 */
@EnableKubernetesMockClient(crud = true)
class S3StoreTest {
    static KubernetesClient client;
    S3Server server;
    S3Client admin;
    String bucket;

    @BeforeEach
    void setUp() {
        server = S3Server.start();
        admin = S3Store.client(server.endpoint(), "us-east-1", S3Server.ACCESS_KEY, S3Server.SECRET_KEY);
        bucket = "pj-" + UUID.randomUUID().toString().substring(0, 8);
        admin.createBucket(b -> b.bucket(bucket));
        secret("creds", S3Server.ACCESS_KEY, S3Server.SECRET_KEY);
    }

    void secret(String name, String access, String secret) {
        client.secrets().inNamespace("ns1").resource(new SecretBuilder().withNewMetadata().withName(name).endMetadata()
                .addToStringData(S3Store.ACCESS_KEY, access).addToStringData(S3Store.SECRET_KEY, secret).build())
                .createOr(r -> r.update());
    }

    Plan plan(String bucket, String secret) {
        ParallelJob pj = Fixtures.pj("kernel: pi\ntasks: {range: {start: 0, end: 10}}\nresults: {store: s3, bucket: " + bucket
                + ", prefix: runs, endpoint: '" + server.endpoint() + "', secretRef: {name: " + secret + "}}\n");
        return Fixtures.plan(pj);
    }

    List<String> keys() {
        return admin.listObjectsV2Paginator(b -> b.bucket(bucket).prefix("runs/")).contents().stream().map(S3Object::key).toList();
    }

    String get(String key) { return admin.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asUtf8String(); }

    @Test
    void aBatchBecomesOneObjectAndARepeatOverwritesIt() {
        var store = new S3Store(client, Fixtures.SETTINGS);
        Plan plan = plan(bucket, "creds");
        store.put(plan, 3, "demo-3-abcde.000001", "{\"id\":\"1\"}\n{\"id\":\"2\"}\n");
        store.put(plan, 3, "demo-3-abcde.000002", "{\"id\":\"3\"}\n");
        store.put(plan, 3, "demo-3-abcde.000001", "{\"id\":\"1\"}\n{\"id\":\"2\"}\n"); // a re-fold after a crash

        String a = "runs/ns1/demo/uid-1/part-00003/demo-3-abcde.000001.jsonl";
        String b = "runs/ns1/demo/uid-1/part-00003/demo-3-abcde.000002.jsonl";
        assertThat(keys()).containsExactly(a, b);
        assertThat(get(a)).isEqualTo("{\"id\":\"1\"}\n{\"id\":\"2\"}\n");
        assertThat(get(b)).isEqualTo("{\"id\":\"3\"}\n");

        store.put(plan, 3, "demo-3-abcde.000001", ""); // every record already recorded by another batch
        assertThat(keys()).containsExactly(b);
        store.put(plan, 3, "demo-3-abcde.000009", ""); // removing a key that never existed is no error
    }

    @Test
    void theLocationNamesBucketPrefixEndpointAndSecret() {
        var store = new S3Store(client, Fixtures.SETTINGS);
        assertThat(store.handles(plan(bucket, "creds"))).isTrue();
        assertThat(store.handles(Fixtures.plan(Fixtures.pj("kernel: pi\ntasks: {range: {start: 0, end: 10}}\n")))).isFalse();
        var l = store.location(plan(bucket, "creds"));
        assertThat(l.store).isEqualTo("s3");
        assertThat(l.bucket).isEqualTo(bucket);
        assertThat(l.prefix).isEqualTo("runs/ns1/demo/uid-1/");
        assertThat(l.endpoint).isEqualTo(server.endpoint());
        assertThat(l.region).isEqualTo("us-east-1");
        assertThat(l.secretName).isEqualTo("creds");
    }

    @Test
    void refusalsNameWhatToFix() {
        var store = new S3Store(client, Fixtures.SETTINGS);
        assertThatThrownBy(() -> store.put(plan("pj-no-such-bucket", "creds"), 0, "x.000001", "{}\n"))
                .isInstanceOf(S3Store.StoreException.class)
                .hasMessageContaining("spec.results.bucket: bucket pj-no-such-bucket does not exist");
        assertThatThrownBy(() -> store.put(plan(bucket, "absent"), 0, "x.000001", "{}\n"))
                .hasMessageContaining("spec.results.secretRef: Secret ns1/absent not found");
        secret("wrong", S3Server.ACCESS_KEY, "not-the-secret");
        assertThatThrownBy(() -> store.put(plan(bucket, "wrong"), 0, "x.000001", "{}\n"))
                .hasMessageContaining("refused the credentials in Secret ns1/wrong");
        assertThat(keys()).isEmpty();

        // the Secret fixed: the refusal dropped the cached key, so the next write reads it again
        secret("wrong", S3Server.ACCESS_KEY, S3Server.SECRET_KEY);
        store.put(plan(bucket, "wrong"), 0, "x.000001", "{}\n");
        assertThat(keys()).hasSize(1);
    }
}
