package dev.parallel.job.results;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.parallel.api.contract.Json;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TLS as in a pod: the writer trusts only the CA file it is given (kube-root-ca.crt). */
class ApiWriterTlsTest {
    @TempDir
    Path dir;

    /** A self-signed server certificate for 127.0.0.1 (keytool, from this JDK), and its PEM as the "cluster CA". */
    static SSLContext serverTls(Path dir, String alias, Path pemOut) throws Exception {
        Path ks = dir.resolve(alias + ".p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        run(List.of(keytool, "-genkeypair", "-alias", alias, "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
                "CN=" + alias, "-ext", "san=ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12", "-keystore", ks.toString(),
                "-storepass", "changeit", "-keypass", "changeit"));
        run(List.of(keytool, "-exportcert", "-rfc", "-alias", alias, "-keystore", ks.toString(), "-storepass", "changeit",
                "-file", pemOut.toString()));
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(ks)) {
            store.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, "changeit".toCharArray());
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        return ctx;
    }

    private static void run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(out).isZero();
    }

    @Test
    void writesOverTlsTrustingTheClusterCaAndNothingElse() throws Exception {
        Path ca = dir.resolve("ca.crt");
        Path otherCa = dir.resolve("other.crt");
        serverTls(dir, "other", otherCa);
        try (FakeApiServer api = new FakeApiServer(serverTls(dir, "apiserver", ca))) {
            Path token = dir.resolve("token");
            Files.writeString(token, "t");
            var body = Json.mapper().readTree("{\"metadata\":{\"name\":\"p.000000\"}}");
            new ApiWriter(api.uri(), ApiWriter.trusting(ca), token, "ns", Duration.ofSeconds(5)).create("p.000000", body);
            assertThat(api.batches()).hasSize(1);

            ApiWriter untrusting = new ApiWriter(api.uri(), ApiWriter.trusting(otherCa), token, "ns", Duration.ofMillis(500));
            assertThatThrownBy(() -> untrusting.create("p.000001", body)).isInstanceOf(ApiWriter.WriteFailed.class)
                    .hasMessageContaining("SSLHandshakeException");
            assertThat(api.batches()).hasSize(1);
        }
    }

    @Test
    void aMissingCaFileSaysWhatShouldBeThere() {
        assertThatThrownBy(() -> ApiWriter.trusting(dir.resolve("nope.crt"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cannot read the cluster CA").hasMessageContaining("kube-root-ca.crt");
    }
}
