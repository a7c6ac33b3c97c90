import java.io.FileInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Run in a pod as a ParallelJob's result writer (ResultWriterE2ETest): crafted API requests with the pod's projected
 * token, as the job image's writer makes them; one line per case: "CASE <name> <status> <message>".
 */
public class Probe {
    static final String DIR = "/var/run/secrets/parallel.dev/serviceaccount";
    static String pod = System.getenv("PJ_POD_NAME"), uid = System.getenv("PJ_POD_UID"), ns = System.getenv("PJ_POD_NAMESPACE");
    static String job = System.getenv("PJ_JOB_NAME"), jobUid = System.getenv("PJ_JOB_UID"), otherJob = System.getenv("OTHER_JOB");
    static HttpClient http;
    static String base;

    public static void main(String[] args) throws Exception {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        try (var in = new FileInputStream(DIR + "/ca.crt")) {
            int i = 0;
            for (var c : CertificateFactory.getInstance("X.509").generateCertificates(in)) ks.setCertificateEntry("ca" + i++, c);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        http = HttpClient.newBuilder().sslContext(ssl).build();
        base = "https://" + System.getenv("KUBERNETES_SERVICE_HOST") + ":" + System.getenv("KUBERNETES_SERVICE_PORT");
        String batches = "/apis/parallel.dev/v1alpha1/namespaces/" + ns + "/taskresultbatches";
        post("own", batches, batch(pod + ".000001", job, 0, pod, uid, "Job", "batch/v1", job, 0));
        post("another-parallel-job", batches, batch(pod + ".000002", otherJob, 0, pod, uid, "Job", "batch/v1", otherJob, 0));
        post("another-part", batches, batch(pod + ".000003", job, 1, pod, uid, "Job", "batch/v1", job, 1));
        String other = job + "-1-zzzzz";
        post("another-pod", batches, batch(other + ".000004", job, 1, other, uid, "Job", "batch/v1", job, 1));
        post("wrong-pod-uid", batches, batch(pod + ".000005", job, 0, pod, "00000000-0000-4000-8000-000000000000",
                "Job", "batch/v1", job, 0));
        post("wrong-owner", batches, batch(pod + ".000006", job, 0, pod, uid, "Pod", "v1", pod, 0));
        get("get-batch", batches + "/" + pod + ".000001");
        get("list-batches", batches);
        get("list-pods", "/api/v1/namespaces/" + ns + "/pods");
        get("get-secret", "/api/v1/namespaces/" + ns + "/secrets/anything");
        get("list-configmaps", "/api/v1/namespaces/" + ns + "/configmaps");
    }

    static String batch(String name, String job, int part, String pod, String podUid, String ownerKind, String ownerApi,
                        String owner, int specPart) {
        return "{\"apiVersion\":\"parallel.dev/v1alpha1\",\"kind\":\"TaskResultBatch\",\"metadata\":{\"name\":\"" + name
                + "\",\"labels\":{\"parallel.dev/job\":\"" + job + "\",\"parallel.dev/part\":\"" + part
                + "\",\"parallel.dev/pod\":\"" + pod + "\",\"parallel.dev/pod-uid\":\"" + podUid + "\"},"
                + "\"ownerReferences\":[{\"apiVersion\":\"" + ownerApi + "\",\"kind\":\"" + ownerKind + "\",\"name\":\"" + owner
                + "\",\"uid\":\"" + (ownerKind.equals("Job") ? jobUid : uid) + "\"}]},"
                + "\"spec\":{\"part\":" + specPart + ",\"seq\":1,\"count\":0,\"records\":\"\",\"last\":false}}";
    }

    static HttpRequest.Builder request(String path) throws Exception {
        // Re-read every time: the kubelet rotates the projected token.
        String token = Files.readString(Path.of(DIR, "token")).strip();
        return HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json");
    }

    static void post(String name, String path, String body) throws Exception {
        report(name, http.send(request(path).POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()));
    }

    static void get(String name, String path) throws Exception {
        report(name, http.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofString()));
    }

    static void report(String name, HttpResponse<String> r) {
        System.out.println("CASE " + name + " " + r.statusCode() + " " + r.body().replaceAll("\\s+", " "));
    }
}
