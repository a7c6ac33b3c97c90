package dev.parallel.job.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parallel.job.exec.Executors;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * AUTO reaches the vector loops: every loop the warm-up compiles is declared ready once C2's code runs it without
 * allocating (it gives up timing after 4 s), in this JVM and in one started with the kernel JVM flags, whose JIT
 * settings could compile a loop without its intrinsics (BOXED: the kernel would stay scalar).
 */
class VectorWarmupTest {
    @Test
    void autoTakesTheVectorLoopsOnceTheWarmUpHasRunThem() throws Exception {
        Assumptions.assumeTrue(KernelPath.chosen() == KernelPath.VECTOR, () -> KernelPath.describe() + ": nothing to warm");
        VectorWarmup.request(VectorWarmup.Loop.values());
        long deadline = System.nanoTime() + 60_000_000_000L; // liveness only: the warm-up ends by itself within ~4 s
        for (VectorWarmup.Loop loop : VectorWarmup.Loop.values()) {
            while (!VectorWarmup.ready(loop) && System.nanoTime() < deadline) Thread.sleep(20);
            assertThat(KernelPath.AUTO.now(loop)).as("%s", loop).isEqualTo(KernelPath.VECTOR);
        }
        assertThat(KernelPath.SCALAR.now(VectorWarmup.Loop.PI)).isEqualTo(KernelPath.SCALAR);
    }

    @Test
    void theKernelJvmFlagsCompileEveryVectorLoopWithItsIntrinsics() throws Exception {
        Assumptions.assumeTrue(KernelPath.chosen() == KernelPath.VECTOR, () -> KernelPath.describe() + ": nothing to warm");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(Executors.KERNEL_JVM_ARGS);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), WarmEach.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        for (VectorWarmup.Loop loop : VectorWarmup.Loop.values()) assertThat(out).contains(loop + " COMPILED");
    }

    /** Each loop's warm-up in a fresh JVM, one after the other, as a matmul pod warms two. */
    static final class WarmEach {
        public static void main(String[] args) {
            for (VectorWarmup.Loop loop : VectorWarmup.Loop.values()) System.out.println(loop + " " + VectorWarmup.warm(loop));
        }
    }
}
