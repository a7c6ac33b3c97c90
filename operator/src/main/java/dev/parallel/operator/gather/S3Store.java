package dev.parallel.operator.gather;

import dev.parallel.api.v1alpha1.ParallelJobStatus;
import dev.parallel.operator.OperatorSettings;
import dev.parallel.operator.plan.Plan;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The S3 results store: each folded batch's new records become one object (S3Target.key), written before the fold
 * is recorded; the same batch written again overwrites the same key, so a repeat after a crash adds nothing. The
 * credentials come from the ParallelJob's Secret (spec.results.secretRef or the chart's results.s3.secretName),
 * read by the operator only and kept for {@link #SECRET_TTL} so a batch costs no API read; one client per
 * endpoint, region and key pair.
 */
public final class S3Store implements ExternalStore {
    public static final String ACCESS_KEY = "AWS_ACCESS_KEY_ID";
    public static final String SECRET_KEY = "AWS_SECRET_ACCESS_KEY";
    /** A rotated Secret is picked up within this time (and at once after the store refuses the old key). */
    static final Duration SECRET_TTL = Duration.ofSeconds(60);
    private static final int MAX_CLIENTS = 16;

    /** A write the store refused or could not take; the message names the setting to fix. */
    public static final class StoreException extends RuntimeException {
        public StoreException(String message, Throwable cause) { super(message, cause); }
    }

    private record Credentials(String accessKey, String secretKey, Instant read) {}

    private record ClientKey(String endpoint, String region, String accessKey, String secretKey) {}

    private final KubernetesClient client;
    private final OperatorSettings settings;
    private final Clock clock;
    private final Map<String, Credentials> secrets = new ConcurrentHashMap<>();
    private final Map<ClientKey, S3Client> clients = new LinkedHashMap<>(16, 0.75f, true);
    /** Buckets seen to exist (endpoint + bucket): some servers create a missing bucket on a write; we never do. */
    private final Set<String> buckets = ConcurrentHashMap.newKeySet();

    public S3Store(KubernetesClient client, OperatorSettings settings) { this(client, settings, Clock.systemUTC()); }

    S3Store(KubernetesClient client, OperatorSettings settings, Clock clock) {
        this.client = client;
        this.settings = settings;
        this.clock = clock;
    }

    /**
     * Whether {@code plan}'s records go to S3 (its spec.results, else the chart's results.store); false: the
     * results ConfigMap. Throws, naming the chart value, when the chart's default is s3 without a bucket or Secret.
     */
    @Override
    public boolean handles(Plan plan) { return S3Target.of(plan.pj(), settings).isPresent(); }

    @Override
    public void put(Plan plan, int part, String batch, String jsonLines) {
        S3Target t = target(plan);
        String key = t.key(plan.pj(), part, batch);
        String secretId = plan.namespace() + "/" + t.secretName();
        try {
            S3Client s3 = s3(t, credentials(plan.namespace(), t.secretName()));
            String bucketId = t.endpoint() + " " + t.bucket();
            if (!buckets.contains(bucketId)) {
                s3.headBucket(b -> b.bucket(t.bucket()));
                buckets.add(bucketId);
            }
            if (jsonLines.isEmpty()) {
                s3.deleteObject(b -> b.bucket(t.bucket()).key(key));
            } else {
                s3.putObject(b -> b.bucket(t.bucket()).key(key).contentType("application/x-ndjson"),
                        RequestBody.fromString(jsonLines, StandardCharsets.UTF_8));
            }
        } catch (NoSuchBucketException e) {
            throw new StoreException("spec.results.bucket: bucket " + t.bucket() + " does not exist at " + where(t)
                    + ": create it (the operator does not)", e);
        } catch (S3Exception e) {
            if (e.statusCode() == 404 && e.awsErrorDetails() != null && "NoSuchBucket".equals(e.awsErrorDetails().errorCode())) {
                throw new StoreException("spec.results.bucket: bucket " + t.bucket() + " does not exist at " + where(t)
                        + ": create it (the operator does not)", e);
            }
            if (e.statusCode() == 403 || e.statusCode() == 401) {
                secrets.remove(secretId); // a rotated key: read the Secret again next time
                throw new StoreException("spec.results.secretRef: " + where(t) + " refused the credentials in Secret " + secretId
                        + " for bucket " + t.bucket() + " (HTTP " + e.statusCode() + "): fix " + ACCESS_KEY
                        + " and " + SECRET_KEY + " there", e);
            }
            throw new StoreException("S3 " + where(t) + " bucket " + t.bucket() + " key " + key + ": HTTP " + e.statusCode()
                    + " " + (e.awsErrorDetails() == null ? e.getMessage() : e.awsErrorDetails().errorMessage()), e);
        } catch (SdkClientException e) {
            throw new StoreException("spec.results.endpoint: cannot reach " + where(t) + ": " + e.getMessage(), e);
        }
    }

    @Override
    public ParallelJobStatus.ResultsLocation location(Plan plan) {
        S3Target t = target(plan);
        var l = new ParallelJobStatus.ResultsLocation();
        l.store = "s3";
        l.bucket = t.bucket();
        l.prefix = t.runPrefix(plan.pj());
        l.endpoint = t.endpoint();
        l.region = t.region();
        l.secretName = t.secretName();
        return l;
    }

    private S3Target target(Plan plan) {
        return S3Target.of(plan.pj(), settings).orElseThrow(() -> new IllegalStateException(
                "ParallelJob " + plan.namespace() + "/" + plan.pj().getMetadata().getName() + " does not use the s3 store"));
    }

    private static String where(S3Target t) { return t.endpoint() == null ? "AWS S3 (" + t.region() + ")" : t.endpoint(); }

    private Credentials credentials(String namespace, String name) {
        String id = namespace + "/" + name;
        Credentials c = secrets.get(id);
        if (c != null && c.read().plus(SECRET_TTL).isAfter(clock.instant())) return c;
        Secret s = client.secrets().inNamespace(namespace).withName(name).get();
        if (s == null) {
            throw new StoreException("spec.results.secretRef: Secret " + id + " not found: create it with keys "
                    + ACCESS_KEY + " and " + SECRET_KEY, null);
        }
        c = new Credentials(value(s, ACCESS_KEY, id), value(s, SECRET_KEY, id), clock.instant());
        secrets.put(id, c);
        return c;
    }

    private static String value(Secret s, String key, String id) {
        if (s.getData() != null && s.getData().get(key) != null) {
            return new String(Base64.getDecoder().decode(s.getData().get(key)), StandardCharsets.UTF_8).strip();
        }
        if (s.getStringData() != null && s.getStringData().get(key) != null) return s.getStringData().get(key).strip();
        throw new StoreException("spec.results.secretRef: Secret " + id + " has no key " + key + ": add it", null);
    }

    private S3Client s3(S3Target t, Credentials c) {
        var key = new ClientKey(t.endpoint(), t.region(), c.accessKey(), c.secretKey());
        synchronized (clients) {
            S3Client s3 = clients.get(key);
            if (s3 != null) return s3;
            s3 = client(t.endpoint(), t.region(), c.accessKey(), c.secretKey());
            clients.put(key, s3);
            if (clients.size() > MAX_CLIENTS) {
                var eldest = clients.entrySet().iterator().next();
                eldest.getValue().close();
                clients.remove(eldest.getKey());
            }
            return s3;
        }
    }

    /**
     * A client for AWS or an S3-compatible server: path-style addressing (a self-hosted server has no per-bucket
     * DNS names), bounded call times so a stalled server holds up a reconcile for seconds, not forever.
     */
    public static S3Client client(String endpoint, String region, String accessKey, String secretKey) {
        var b = S3Client.builder()
                .region(Region.of(region))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)))
                .httpClientBuilder(Apache5HttpClient.builder().connectionTimeout(Duration.ofSeconds(5)))
                .overrideConfiguration(o -> o.apiCallTimeout(Duration.ofSeconds(60)).apiCallAttemptTimeout(Duration.ofSeconds(20)))
                .forcePathStyle(true);
        if (endpoint != null) b.endpointOverride(URI.create(endpoint));
        return b.build();
    }
}
