package dev.parallel.job.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** AUTO reaches the vector loops: every loop the warm-up compiles is declared ready (it gives up timing after 4 s). */
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
}
