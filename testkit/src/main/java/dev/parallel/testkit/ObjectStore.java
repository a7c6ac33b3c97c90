package dev.parallel.testkit;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.LocalPortForward;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3-compatible server in a {@link ParallelJobCluster}: SeaweedFS ({@code weed mini}, the image
 * {@code hack/images.sh s3} builds; it comes in {@code PJ_IMAGE_ARCHIVES} with the others) as a Deployment and a
 * Service {@value #SERVICE}.{@value #NAMESPACE}:{@value #PORT}, run as nobody under the restricted Pod Security
 * profile, with a bucket {@value #BUCKET}. Its credentials (the server's admin identity) are in the Secret
 * {@value #SECRET} (keys AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY); {@link #credentials(String)} copies it into a
 * test's namespace, where a ParallelJob's spec.results.secretRef can name it. Data lives in an emptyDir: the store
 * goes with its pod.
 */
public final class ObjectStore implements AutoCloseable {
    public static final String NAMESPACE = "object-store";
    public static final String SERVICE = "seaweedfs";
    public static final int PORT = 8333;
    public static final String BUCKET = "results";
    public static final String SECRET = "s3-credentials";
    /** hack/s3.sh image: the SeaweedFS module's pseudo-version without "v0.0.0-" (ObjectStoreTest checks they agree). */
    public static final String IMAGE = "docker.io/parallel-dev/seaweedfs:20261109003541-7506e5f91cd6";
    /** The endpoint pods and the operator use. */
    public static final String ENDPOINT = "http://" + SERVICE + "." + NAMESPACE + ".svc:" + PORT;
    static final String ACCESS_KEY = "pj-e2e";
    static final String SECRET_KEY = "pj-e2e-secret-key-0123456789";

    private static ObjectStore shared;

    private final ParallelJobCluster cluster;
    private final LocalPortForward forward;
    private final S3Client s3;

    private ObjectStore(ParallelJobCluster cluster, LocalPortForward forward) {
        this.cluster = cluster;
        this.forward = forward;
        this.s3 = client("http://127.0.0.1:" + forward.getLocalPort());
    }

    /** One store per run for every test class that asks, deployed on first use. */
    public static synchronized ObjectStore shared(ParallelJobCluster cluster) {
        if (shared == null || shared.cluster != cluster) shared = deploy(cluster);
        return shared;
    }

    /** Deploys the server, waits until it answers, creates the bucket (through a port-forward from this JVM). */
    public static ObjectStore deploy(ParallelJobCluster cluster) {
        long t0 = System.nanoTime();
        KubernetesClient client = cluster.client();
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NAMESPACE)
                .addToLabels("pod-security.kubernetes.io/enforce", "restricted").endMetadata().build()).serverSideApply();
        client.secrets().inNamespace(NAMESPACE).resource(secret(SECRET)).serverSideApply();
        Map<String, String> labels = Map.of("app.kubernetes.io/name", SERVICE);
        client.apps().deployments().inNamespace(NAMESPACE).resource(new DeploymentBuilder()
                .withNewMetadata().withName(SERVICE).withLabels(labels).endMetadata()
                .withNewSpec().withReplicas(1).withNewSelector().withMatchLabels(labels).endSelector()
                .withNewStrategy().withType("Recreate").endStrategy()
                .withNewTemplate().withNewMetadata().withLabels(labels).endMetadata().withNewSpec()
                .withAutomountServiceAccountToken(false)
                .withNewSecurityContext().withRunAsNonRoot(true).withRunAsUser(65534L).withRunAsGroup(65534L).withFsGroup(65534L)
                .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile().endSecurityContext()
                .addNewContainer().withName("weed").withImage(IMAGE).withImagePullPolicy("IfNotPresent")
                // weed mini: master, volume, filer and S3 gateway in one process; its parts talk over loopback, the
                // S3 port is what the Service exposes. No WebDAV, admin UI or extra S3 flavours.
                .withArgs("-logdir=/data", "mini", "-dir=/data", "-ip=127.0.0.1", "-ip.bind=0.0.0.0", "-webdav=false",
                        "-admin.ui=false", "-s3.port=" + PORT, "-s3.port.iceberg=0", "-s3.port.lance=0",
                        "-filer.localSocket=/tmp/filer.sock")
                .addNewEnv().withName("AWS_ACCESS_KEY_ID").withNewValueFrom().withNewSecretKeyRef("AWS_ACCESS_KEY_ID", SECRET, false)
                .endValueFrom().endEnv()
                .addNewEnv().withName("AWS_SECRET_ACCESS_KEY").withNewValueFrom()
                .withNewSecretKeyRef("AWS_SECRET_ACCESS_KEY", SECRET, false).endValueFrom().endEnv()
                .addNewPort().withName("s3").withContainerPort(PORT).endPort()
                .withNewReadinessProbe().withNewHttpGet().withPath("/healthz").withPort(new IntOrString(PORT)).endHttpGet()
                .withPeriodSeconds(1).withFailureThreshold(120).endReadinessProbe()
                .withNewResources().addToRequests("cpu", new io.fabric8.kubernetes.api.model.Quantity("100m"))
                .addToRequests("memory", new io.fabric8.kubernetes.api.model.Quantity("256Mi"))
                .addToLimits("memory", new io.fabric8.kubernetes.api.model.Quantity("1Gi")).endResources()
                .withNewSecurityContext().withAllowPrivilegeEscalation(false).withReadOnlyRootFilesystem(true)
                .withNewCapabilities().addToDrop("ALL").endCapabilities().endSecurityContext()
                .addNewVolumeMount().withName("data").withMountPath("/data").endVolumeMount()
                .addNewVolumeMount().withName("tmp").withMountPath("/tmp").endVolumeMount()
                .endContainer()
                .addNewVolume().withName("data").withNewEmptyDir().endEmptyDir().endVolume()
                .addNewVolume().withName("tmp").withNewEmptyDir().endEmptyDir().endVolume()
                .endSpec().endTemplate().endSpec().build()).serverSideApply();
        client.services().inNamespace(NAMESPACE).resource(new ServiceBuilder().withNewMetadata().withName(SERVICE).endMetadata()
                .withNewSpec().withSelector(labels).addNewPort().withName("s3").withPort(PORT)
                .withTargetPort(new IntOrString(PORT)).endPort().endSpec().build()).serverSideApply();
        client.apps().deployments().inNamespace(NAMESPACE).withName(SERVICE).waitUntilReady(3, TimeUnit.MINUTES);
        LocalPortForward forward = client.services().inNamespace(NAMESPACE).withName(SERVICE).portForward(PORT);
        ObjectStore store = new ObjectStore(cluster, forward);
        store.createBucket(Duration.ofSeconds(60));
        DockerEnvironment.log(String.format("object store %s ready (bucket %s) in %.1f s", ENDPOINT, BUCKET,
                (System.nanoTime() - t0) / 1e9));
        return store;
    }

    /** Copies the credentials Secret into {@code namespace} under the name {@value #SECRET}. */
    public void credentials(String namespace) {
        cluster.client().secrets().inNamespace(namespace).resource(secret(SECRET)).serverSideApply();
    }

    /** A client for this store from this JVM (through the port-forward). */
    public S3Client s3() { return s3; }

    /** The endpoint this JVM reaches the store at (`parallel-job results --endpoint`). */
    public String localEndpoint() { return "http://127.0.0.1:" + forward.getLocalPort(); }

    private void createBucket(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                if (s3.listBuckets().buckets().stream().noneMatch(b -> b.name().equals(BUCKET))) s3.createBucket(b -> b.bucket(BUCKET));
                return;
            } catch (RuntimeException e) { // the gateway answers /healthz a moment before its filer is up
                if (System.nanoTime() > deadline) throw new IllegalStateException("bucket " + BUCKET + " not created: " + e, e);
                try {
                    Thread.sleep(500);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(ie);
                }
            }
        }
    }

    private static Secret secret(String name) {
        return new SecretBuilder().withNewMetadata().withName(name).endMetadata()
                .addToStringData("AWS_ACCESS_KEY_ID", ACCESS_KEY).addToStringData("AWS_SECRET_ACCESS_KEY", SECRET_KEY).build();
    }

    static S3Client client(String endpoint) {
        return S3Client.builder().region(Region.US_EAST_1).endpointOverride(URI.create(endpoint)).forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
                .httpClientBuilder(Apache5HttpClient.builder()).build();
    }

    @Override
    public void close() {
        s3.close();
        try {
            forward.close();
        } catch (java.io.IOException ignored) {
            // the port-forward's socket; the store goes with the node
        }
    }
}
