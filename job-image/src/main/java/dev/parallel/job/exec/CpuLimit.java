package dev.parallel.job.exec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The CPUs this container may use: its cgroup CPU quota (v2 or v1), capped by the CPUs the JVM sees. */
public final class CpuLimit {
    private CpuLimit() {}

    public static int available() {
        int jvm = Runtime.getRuntime().availableProcessors();
        double quota = quota(Path.of("/sys/fs/cgroup"));
        return quota > 0 ? Math.max(1, Math.min(jvm, (int) Math.ceil(quota))) : jvm;
    }

    /** CPUs allowed by the cgroup rooted at {@code root}, or -1 if unlimited or unknown. */
    static double quota(Path root) {
        try {
            Path v2 = root.resolve("cpu.max");
            if (Files.exists(v2)) {
                String[] f = Files.readString(v2).trim().split("\\s+");
                return f[0].equals("max") ? -1 : Double.parseDouble(f[0]) / Double.parseDouble(f[1]);
            }
            Path q = root.resolve("cpu/cpu.cfs_quota_us");
            Path p = root.resolve("cpu/cpu.cfs_period_us");
            if (Files.exists(q) && Files.exists(p)) {
                long quota = Long.parseLong(Files.readString(q).trim());
                long period = Long.parseLong(Files.readString(p).trim());
                return quota <= 0 || period <= 0 ? -1 : (double) quota / period;
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
