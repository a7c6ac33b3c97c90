package dev.parallel.job.cuda;

import static jcuda.driver.JCudaDriver.cuCtxSynchronize;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuMemsetD8;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.parallel.api.tasks.Task;
import dev.parallel.api.v1alpha1.Kernel;
import dev.parallel.job.kernels.MatmulKernel;
import dev.parallel.job.kernels.Params;
import dev.parallel.api.contract.Json;
import dev.parallel.job.kernels.PiKernel;
import dev.parallel.job.kernels.PrimesKernel;
import dev.parallel.job.kernels.SplitMix64;
import dev.parallel.job.kernels.TaskFailure;
import dev.parallel.job.kernels.TaskFunction;
import jcuda.Pointer;
import jcuda.Sizeof;
import jcuda.driver.CUdeviceptr;

/**
 * pi, primes and matmul on a GPU: the host side of kernels.cu. Same parameters and result shapes as the CPU
 * kernels. Each task borrows one device; every allocation is freed in a finally block.
 */
public final class CudaKernels implements TaskFunction {
    /** Samples per pi launch: short enough to notice a cancel between launches. */
    static final long PI_SAMPLES_PER_LAUNCH = 1L << 30;
    /** Blocks per multiprocessor for the grid-stride kernels: enough resident warps to hide latency. */
    static final int BLOCKS_PER_SM = 8;

    private final Kernel kernel;
    private final CudaDevices devices;

    public CudaKernels(Kernel kernel, CudaDevices devices) {
        if (kernel != Kernel.PI && kernel != Kernel.PRIMES && kernel != Kernel.MATMUL) {
            throw new IllegalArgumentException("executor cuda runs the pi, primes and matmul kernels, not " + kernel);
        }
        this.kernel = kernel;
        this.devices = devices;
    }

    @Override
    public JsonNode apply(Task task) throws Exception {
        CudaDevices.Device d = devices.take();
        try {
            return switch (kernel) {
                case PI -> pi(d, task);
                case PRIMES -> primes(d, task);
                default -> matmul(d, task);
            };
        } finally {
            devices.give(d);
        }
    }

    private static JsonNode pi(CudaDevices.Device d, Task task) throws TaskFailure, InterruptedException {
        long samples = Params.requireLong(task, "samples", 0);
        long state = SplitMix64.streamState(Params.optionalLong(task, "seed", 0), task.index());
        long[] hits = {0};
        CUdeviceptr dHits = alloc(Sizeof.LONG);
        try {
            cuMemsetD8(dHits, (byte) 0, Sizeof.LONG);
            int blocks = d.multiprocessors() * BLOCKS_PER_SM;
            for (long from = 0; from < samples; from += PI_SAMPLES_PER_LAUNCH) {
                Params.checkInterrupted();
                long to = Math.min(samples, from + PI_SAMPLES_PER_LAUNCH);
                launch(d.piHits(), blocks, 1, CudaGrid.PI_THREADS, 1, Pointer.to(
                        Pointer.to(new long[] {state}), Pointer.to(new long[] {from}), Pointer.to(new long[] {to}),
                        Pointer.to(dHits)));
            }
            cuMemcpyDtoH(Pointer.to(hits), dHits, Sizeof.LONG);
        } finally {
            cuMemFree(dHits);
        }
        return PiKernel.result(hits[0], samples);
    }

    /** Numbers per primes launch: a cancel is noticed between launches. */
    static final long PRIMES_PER_LAUNCH = 1L << 30;

    private static JsonNode primes(CudaDevices.Device d, Task task) throws TaskFailure, InterruptedException {
        long[] range = PrimesKernel.range(task);
        long lo = Math.max(range[0], 2);
        long to = range[1];
        if (to <= lo) return Json.integral(0);
        int[] base = PrimesKernel.basePrimes(to);
        int nsmall = CudaGrid.primesSmall(base, CudaGrid.PRIMES_THREADS);
        long[] count = {0};
        CUdeviceptr dBase = alloc((long) base.length * Sizeof.INT);
        CUdeviceptr dCount = null;
        try {
            dCount = alloc(Sizeof.LONG);
            cuMemcpyHtoD(dBase, Pointer.to(base), (long) base.length * Sizeof.INT);
            cuMemsetD8(dCount, (byte) 0, Sizeof.LONG);
            for (long from = lo; from < to; from += PRIMES_PER_LAUNCH) {
                Params.checkInterrupted();
                long end = Math.min(to, from + PRIMES_PER_LAUNCH);
                long segments = (end - from + CudaGrid.PRIMES_SEGMENT - 1) / CudaGrid.PRIMES_SEGMENT;
                int blocks = (int) Math.min(segments, (long) d.multiprocessors() * BLOCKS_PER_SM);
                launch(d.primesCount(), blocks, 1, CudaGrid.PRIMES_THREADS, 1, Pointer.to(
                        Pointer.to(new long[] {from}), Pointer.to(new long[] {end}), Pointer.to(dBase),
                        Pointer.to(new int[] {base.length}), Pointer.to(new int[] {nsmall}), Pointer.to(dCount)));
            }
            cuMemcpyDtoH(Pointer.to(count), dCount, Sizeof.LONG);
        } finally {
            cuMemFree(dBase);
            if (dCount != null) cuMemFree(dCount);
        }
        return Json.integral(count[0]);
    }

    private static JsonNode matmul(CudaDevices.Device d, Task task) throws TaskFailure {
        int n = MatmulKernel.size(task);
        long state = SplitMix64.streamState(Params.optionalLong(task, "seed", 0), task.index());
        int nn = n * n;
        long bytes = (long) nn * Sizeof.DOUBLE;
        CUdeviceptr a = null, b = null, c = null;
        double[] host = new double[nn];
        try {
            a = alloc(bytes);
            b = alloc(bytes);
            c = alloc(bytes);
            int fillBlocks = d.multiprocessors() * BLOCKS_PER_SM;
            launch(d.matmulFill(), fillBlocks, 1, 256, 1, Pointer.to(Pointer.to(new long[] {state}),
                    Pointer.to(new long[] {0}), Pointer.to(new int[] {nn}), Pointer.to(a)));
            launch(d.matmulFill(), fillBlocks, 1, 256, 1, Pointer.to(Pointer.to(new long[] {state}),
                    Pointer.to(new long[] {nn}), Pointer.to(new int[] {nn}), Pointer.to(b)));
            int tiles = (n + CudaGrid.TILE - 1) / CudaGrid.TILE;
            launch(d.matmulTiled(), tiles, tiles, CudaGrid.TILE, CudaGrid.TILE,
                    Pointer.to(Pointer.to(a), Pointer.to(b), Pointer.to(c), Pointer.to(new int[] {n})));
            cuMemcpyDtoH(Pointer.to(host), c, bytes);
        } finally {
            for (CUdeviceptr p : new CUdeviceptr[] {a, b, c}) if (p != null) cuMemFree(p);
        }
        return JsonNodeFactory.instance.numberNode(MatmulKernel.sum(host));
    }

    private static CUdeviceptr alloc(long bytes) {
        CUdeviceptr p = new CUdeviceptr();
        cuMemAlloc(p, bytes);
        return p;
    }

    /** A 2-D grid of 2-D blocks, then wait: errors surface here, attributed to this task. */
    private static void launch(jcuda.driver.CUfunction f, int gridX, int gridY, int blockX, int blockY, Pointer params) {
        cuLaunchKernel(f, gridX, gridY, 1, blockX, blockY, 1, 0, null, params, null);
        cuCtxSynchronize();
    }
}
