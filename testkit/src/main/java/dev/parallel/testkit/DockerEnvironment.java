package dev.parallel.testkit;

import java.time.Duration;
import java.util.List;

/**
 * Prepares Testcontainers for the Docker engine at hand before its first use, so that a run fails at once
 * with the fix rather than hanging: the client's API version is lowered to what an older engine speaks
 * (Debian 12's docker.io 20.10 answers 1.41; Testcontainers 2 asks for 1.44), and a run with Ryuk enabled
 * but no Ryuk image and no registry is refused with the setting that fixes it.
 */
final class DockerEnvironment {
    private static final String CLIENT_API = "1.44";
    private static boolean prepared;

    private DockerEnvironment() {}

    static synchronized void prepare() {
        if (prepared) return;
        if (System.getProperty("api.version") == null && System.getenv("DOCKER_API_VERSION") == null) {
            String server = serverApiVersion();
            if (server != null && compare(server, CLIENT_API) < 0) {
                System.setProperty("api.version", server);
                log("Docker engine speaks API " + server + ": Testcontainers pinned to it");
            }
        }
        if (!"true".equalsIgnoreCase(System.getenv("TESTCONTAINERS_RYUK_DISABLED")) && !ryukImagePresent()) {
            throw new IllegalStateException("Testcontainers' Ryuk image (testcontainers/ryuk) is not in the local Docker "
                    + "and would be pulled. Where no registry is reachable set TESTCONTAINERS_RYUK_DISABLED=true "
                    + "(the testkit removes the containers and volumes it starts itself).");
        }
        prepared = true;
    }

    /** The engine's API version through the docker CLI, or null when there is no CLI (then Testcontainers negotiates). */
    private static String serverApiVersion() {
        try {
            var r = Processes.run(List.of("docker", "version", "--format", "{{.Server.APIVersion}}"), Duration.ofSeconds(30));
            String v = r.out().strip();
            return r.ok() && v.matches("\\d+\\.\\d+") ? v : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static boolean ryukImagePresent() {
        try {
            var r = Processes.run(List.of("docker", "images", "-q", "testcontainers/ryuk"), Duration.ofSeconds(30));
            return r.ok() && !r.out().isBlank();
        } catch (RuntimeException e) {
            return true; // no CLI to tell: leave it to Testcontainers
        }
    }

    static int compare(String a, String b) {
        String[] x = a.split("\\."), y = b.split("\\.");
        int c = Integer.compare(Integer.parseInt(x[0]), Integer.parseInt(y[0]));
        return c != 0 ? c : Integer.compare(Integer.parseInt(x[1]), Integer.parseInt(y[1]));
    }

    static void log(String message) {
        System.out.println("[testkit] " + message);
    }
}
