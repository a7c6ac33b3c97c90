package dev.parallel.job.stores;

import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.api.v1alpha1.ParallelJobStatus.ResultsLocation;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Where a ParallelJob's records are, as its status.results says, read as a stream of stored lines in store order
 * (part by part; within a part, batch by batch): the results ConfigMap's {@code part-NNNNN.results.jsonl} keys, or
 * every object under the run's prefix in its bucket.
 */
public sealed interface ResultsSource {
    String RESULTS_SUFFIX = ".results.jsonl";
    String ACCESS_KEY = "AWS_ACCESS_KEY_ID";
    String SECRET_KEY = "AWS_SECRET_ACCESS_KEY";

    /** Records the store says it holds (status.results.records), or -1: the progress bar's total. */
    long expected();

    /** Every stored line, in order. */
    void forEachLine(Consumer<String> line);

    /**
     * The source of {@code pj}'s records. {@code endpoint} replaces the S3 endpoint in the status (one the cluster
     * reaches, e.g. a Service's name, may not be reachable from here); null keeps it.
     */
    static ResultsSource of(KubernetesClient client, ParallelJob pj, String endpoint) {
        String ns = pj.getMetadata().getNamespace();
        String name = pj.getMetadata().getName();
        ResultsLocation l = pj.getStatus() == null ? null : pj.getStatus().results;
        long expected = l == null || l.records == null ? -1 : l.records;
        if (l == null || l.store == null || "cluster".equals(l.store)) {
            String cm = l != null && l.configMap != null ? l.configMap : name + "-results";
            return new Cluster(client, ns, cm, expected);
        }
        if (!"s3".equals(l.store)) throw new IllegalStateException("status.results.store " + l.store + ": this CLI knows cluster and s3");
        String secret = l.secretName != null ? l.secretName
                : pj.getSpec().results != null && pj.getSpec().results.secretRef != null ? pj.getSpec().results.secretRef.getName() : null;
        String[] keys = credentials(client, ns, secret);
        return new S3(s3(endpoint != null ? endpoint : l.endpoint, l.region == null ? "us-east-1" : l.region, keys[0], keys[1]),
                l.bucket, l.prefix, expected);
    }

    /** The results ConfigMap (store cluster). */
    record Cluster(KubernetesClient client, String namespace, String configMap, long expected) implements ResultsSource {
        @Override
        public void forEachLine(Consumer<String> line) {
            ConfigMap cm = client.configMaps().inNamespace(namespace).withName(configMap).get();
            if (cm == null) throw new IllegalStateException("results ConfigMap " + namespace + "/" + configMap + " not found");
            Map<String, String> data = new TreeMap<>(cm.getData() == null ? Map.of() : cm.getData());
            data.forEach((k, v) -> {
                if (k.endsWith(RESULTS_SUFFIX)) v.lines().forEach(line);
            });
        }
    }

    /** A bucket (store s3): the objects are listed page by page and read one at a time, never all in memory. */
    record S3(S3Client s3, String bucket, String prefix, long expected) implements ResultsSource {
        @Override
        public void forEachLine(Consumer<String> line) {
            Iterator<S3Object> objects = s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents().iterator();
            while (objects.hasNext()) {
                String key = objects.next().key();
                try (var in = new BufferedReader(new InputStreamReader(s3.getObject(b -> b.bucket(bucket).key(key)),
                        StandardCharsets.UTF_8))) {
                    in.lines().forEach(line);
                } catch (IOException e) {
                    throw new UncheckedIOException("s3://" + bucket + "/" + key + ": " + e.getMessage(), e);
                }
            }
        }
    }

    /**
     * The key pair: from the Secret the status names (what the operator wrote with), else from the environment
     * (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY) for a user who may read the bucket but not the Secret.
     */
    private static String[] credentials(KubernetesClient client, String ns, String secret) {
        String envAccess = System.getenv(ACCESS_KEY);
        String envSecret = System.getenv(SECRET_KEY);
        String problem;
        if (secret == null) {
            problem = "the ParallelJob names no credentials Secret (status.results.secretName)";
        } else {
            try {
                Secret s = client.secrets().inNamespace(ns).withName(secret).get();
                String a = s == null ? null : value(s, ACCESS_KEY);
                String k = s == null ? null : value(s, SECRET_KEY);
                if (a != null && k != null) return new String[] {a, k};
                problem = s == null ? "Secret " + ns + "/" + secret + " not found"
                        : "Secret " + ns + "/" + secret + " lacks " + ACCESS_KEY + " or " + SECRET_KEY;
            } catch (KubernetesClientException e) {
                problem = "cannot read Secret " + ns + "/" + secret + " (HTTP " + e.getCode() + ")";
            }
        }
        if (envAccess != null && envSecret != null) return new String[] {envAccess, envSecret};
        throw new IllegalStateException(problem + ": set " + ACCESS_KEY + " and " + SECRET_KEY + " in the environment instead");
    }

    private static String value(Secret s, String key) {
        if (s.getData() != null && s.getData().get(key) != null) {
            return new String(Base64.getDecoder().decode(s.getData().get(key)), StandardCharsets.UTF_8).strip();
        }
        return s.getStringData() == null || s.getStringData().get(key) == null ? null : s.getStringData().get(key).strip();
    }

    /** Path-style addressing, as the operator writes (operator/.../gather/S3Store.client). */
    static S3Client s3(String endpoint, String region, String accessKey, String secretKey) {
        var b = S3Client.builder().region(Region.of(region))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)))
                .httpClientBuilder(Apache5HttpClient.builder().connectionTimeout(Duration.ofSeconds(10)))
                .forcePathStyle(true);
        if (endpoint != null) b.endpointOverride(URI.create(endpoint));
        return b.build();
    }
}
