package dev.parallel.job.cuda;

import static jcuda.driver.JCudaDriver.cuCtxCreate;
import static jcuda.driver.JCudaDriver.cuCtxDestroy;
import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLongArray;
import jcuda.CudaException;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.JCudaDriver;

/**
 * The pod's GPUs through the CUDA driver API (JCuda): one context per visible device with our PTX
 * loaded, lent to one task at a time. Opening is also the probe: whatever is missing (the driver
 * library, a device, a new enough driver) becomes {@link Unavailable} with a message that names it.
 */
public final class CudaDevices implements AutoCloseable {
    /** The PTX the build put into the jar (hack/ptx.py). */
    public static final String PTX_RESOURCE = "/cuda/kernels.ptx";
    /** Our PTX is ISA 8.0 (NVRTC 12.0): drivers older than CUDA 12.0 cannot JIT it. */
    static final int MIN_DRIVER_VERSION = 12000;

    /** One device, its context and the kernels' entry points. */
    public record Device(int ordinal, String name, int multiprocessors, CUcontext context, CUfunction piHits,
                         CUfunction matmulFill, CUfunction matmulTiled, CUfunction primesCount) {}

    /** No usable GPU, and why, in words for the pod summary and the ParallelJob's condition. */
    public static final class Unavailable extends Exception {
        public Unavailable(String message) { super(message); }
    }

    private final List<Device> devices;
    private final BlockingQueue<Device> idle;
    /** Tasks each device ran: the pod's log shows how the work spread over its GPUs. */
    private final AtomicLongArray lent;

    private CudaDevices(List<Device> devices) {
        this.devices = List.copyOf(devices);
        this.idle = new ArrayBlockingQueue<>(devices.size(), false, devices);
        this.lent = new AtomicLongArray(devices.size());
    }

    /** Why the driver library did not load: a class fails to initialise once, later tries say less. */
    private static volatile String loadFailure;

    public static CudaDevices open() throws Unavailable {
        if (loadFailure != null) throw new Unavailable(loadFailure);
        try {
            JCudaDriver.setExceptionsEnabled(true); // loads libJCudaDriver, which links libcuda.so.1
        } catch (LinkageError e) {
            loadFailure = driverMissing(e);
            throw new Unavailable(loadFailure);
        }
        List<Device> opened = new ArrayList<>();
        try {
            cuInit(0);
            int[] version = {0};
            cuDriverGetVersion(version);
            if (version[0] < MIN_DRIVER_VERSION) {
                throw new Unavailable("the NVIDIA driver supports CUDA " + version[0] / 1000 + "." + version[0] % 1000 / 10
                        + "; executor cuda needs a driver for CUDA 12.0 or newer");
            }
            int[] count = {0};
            cuDeviceGetCount(count);
            if (count[0] == 0) throw new Unavailable(noDevice("the driver reports 0 devices"));
            byte[] ptx = ptx();
            for (int i = 0; i < count[0]; i++) opened.add(open(i, ptx));
            return new CudaDevices(opened);
        } catch (CudaException e) {
            opened.forEach(d -> cuCtxDestroy(d.context()));
            throw new Unavailable(e.getMessage() != null && e.getMessage().contains("NO_DEVICE")
                    ? noDevice(e.getMessage()) : "the CUDA driver failed: " + e.getMessage());
        }
    }

    private static Device open(int ordinal, byte[] ptx) {
        CUdevice dev = new CUdevice();
        cuDeviceGet(dev, ordinal);
        byte[] name = new byte[256];
        cuDeviceGetName(name, name.length, dev);
        int[] sms = {0};
        cuDeviceGetAttribute(sms, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, dev);
        CUcontext ctx = new CUcontext();
        cuCtxCreate(ctx, 0, dev);
        try {
            CUmodule module = new CUmodule();
            cuModuleLoadData(module, ptx);
            return new Device(ordinal, cString(name), Math.max(1, sms[0]), ctx,
                    function(module, "pi_hits"), function(module, "matmul_fill"), function(module, "matmul_tiled"),
                    function(module, "primes_count"));
        } catch (CudaException e) {
            cuCtxDestroy(ctx); // the module goes with its context
            throw e;
        }
    }

    private static CUfunction function(CUmodule module, String entry) {
        CUfunction f = new CUfunction();
        cuModuleGetFunction(f, module, entry);
        return f;
    }

    /** The PTX text, NUL-terminated as cuModuleLoadData wants it. */
    static byte[] ptx() {
        try (InputStream in = CudaDevices.class.getResourceAsStream(PTX_RESOURCE)) {
            if (in == null) throw new IllegalStateException(PTX_RESOURCE + " is not in the jar: the build did not run hack/ptx.py");
            byte[] text = in.readAllBytes();
            return Arrays.copyOf(text, text.length + 1);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + PTX_RESOURCE, e);
        }
    }

    /** Why JCuda's native library did not load; the usual cause is a pod without the NVIDIA driver mounted. */
    static String driverMissing(Throwable e) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) all.append(t.getMessage()).append(' ');
        if (all.indexOf("libcuda") >= 0) {
            return "no NVIDIA driver in the container: libcuda.so.1 cannot be loaded (the node needs the NVIDIA driver "
                    + "and the pod the NVIDIA container runtime; set gpu.runtimeClassName where it is not the default)";
        }
        return "the CUDA driver library did not load: " + e;
    }

    private static String noDevice(String detail) {
        return "no CUDA device visible to the container (" + detail + "): check that the pod got its GPU limit "
                + "and that the device plugin set NVIDIA_VISIBLE_DEVICES";
    }

    private static String cString(byte[] b) {
        int n = 0;
        while (n < b.length && b[n] != 0) n++;
        return new String(b, 0, n, StandardCharsets.UTF_8);
    }

    public int count() { return devices.size(); }

    public List<String> names() { return devices.stream().map(d -> d.ordinal() + ": " + d.name()).toList(); }

    /** Waits for an idle device and makes its context current in this thread. */
    Device take() throws InterruptedException {
        Device d = idle.take();
        cuCtxSetCurrent(d.context());
        lent.incrementAndGet(d.ordinal());
        return d;
    }

    void give(Device d) { idle.add(d); }

    /** Tasks run per device so far, by ordinal. */
    public long[] tasksPerDevice() {
        long[] out = new long[lent.length()];
        for (int i = 0; i < out.length; i++) out[i] = lent.get(i);
        return out;
    }

    /** Free device memory in bytes per device (cuMemGetInfo in each context), between runs: shows leaks. */
    public long[] freeMemory() throws InterruptedException {
        List<Device> all = new ArrayList<>();
        try {
            for (int i = 0; i < devices.size(); i++) all.add(idle.take()); // every device, none in use
            long[] out = new long[devices.size()];
            for (Device d : all) {
                cuCtxSetCurrent(d.context());
                long[] free = {0}, total = {0};
                jcuda.driver.JCudaDriver.cuMemGetInfo(free, total);
                out[d.ordinal()] = free[0];
            }
            return out;
        } finally {
            idle.addAll(all);
        }
    }

    /** Destroys every context, which frees whatever device memory and modules were left in it. */
    @Override
    public void close() {
        for (Device d : devices) cuCtxDestroy(d.context());
    }
}
