package dev.parallel.operator.plan;

import dev.parallel.api.contract.MpiProgram;
import dev.parallel.api.contract.PodContract;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Pure apart from randomness: the per-ParallelJob SSH Secret of executor: mpi. A fresh ECDSA P-256
 * client key (the launcher's identity, the only authorized key) and a fresh host key for the workers'
 * sshd; never logged, owned by the ParallelJob, deleted when the run ends. Private keys are PKCS#8 PEM,
 * which OpenSSH reads; the public key is written in OpenSSH's authorized_keys format.
 */
public final class MpiSshSecret {
    private MpiSshSecret() {}

    public static Secret build(Plan plan) {
        KeyPair client = generate();
        KeyPair host = generate();
        String clientPublic = authorizedKey((ECPublicKey) client.getPublic(), "launcher");
        Map<String, String> data = new LinkedHashMap<>();
        data.put(PodContract.SSH_CLIENT_KEY, pem(client));
        data.put(PodContract.SSH_CLIENT_KEY + ".pub", clientPublic);
        data.put(PodContract.SSH_HOST_KEY, pem(host));
        data.put(PodContract.SSH_AUTHORIZED_KEYS, clientPublic); // the launcher is the only client
        // Not secret, but mounted beside the keys: a user's MPI program finds it there (MpiProgram.HOSTFILE).
        data.put(PodContract.SSH_HOSTFILE, MpiProgram.hostfile(MpiWorkers.hosts(plan), plan.spec().mpi.slotsOrDefault()));
        return new SecretBuilder()
                .withMetadata(plan.metadata(Names.mpiSecret(plan.pj()), "mpi-ssh"))
                .withType("Opaque")
                .withImmutable(true)
                .withStringData(data)
                .build();
    }

    static KeyPair generate() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no EC P-256 in this JVM", e);
        }
    }

    static String pem(KeyPair k) {
        return "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(k.getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
    }

    /** "ecdsa-sha2-nistp256 <base64 of string(type), string(curve), string(0x04 || X || Y)> comment" (RFC 5656). */
    static String authorizedKey(ECPublicKey pub, String comment) {
        try {
            ByteArrayOutputStream blob = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(blob);
            sshString(out, "ecdsa-sha2-nistp256".getBytes(StandardCharsets.US_ASCII));
            sshString(out, "nistp256".getBytes(StandardCharsets.US_ASCII));
            ByteArrayOutputStream point = new ByteArrayOutputStream();
            point.write(0x04);
            point.write(fixed(pub.getW().getAffineX(), 32));
            point.write(fixed(pub.getW().getAffineY(), 32));
            sshString(out, point.toByteArray());
            return "ecdsa-sha2-nistp256 " + Base64.getEncoder().encodeToString(blob.toByteArray()) + " " + comment + "\n";
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void sshString(DataOutputStream out, byte[] b) throws IOException {
        out.writeInt(b.length);
        out.write(b);
    }

    private static byte[] fixed(BigInteger v, int len) {
        byte[] raw = v.toByteArray();
        byte[] out = new byte[len];
        int copy = Math.min(raw.length, len);
        System.arraycopy(raw, raw.length - copy, out, len - copy, copy);
        return out;
    }
}
