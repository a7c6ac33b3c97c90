package dev.parallel.job.cuda;

import dev.parallel.api.contract.TaskResult;
import dev.parallel.api.tasks.Task;
import dev.parallel.api.v1alpha1.Kernel;
import dev.parallel.job.exec.ExecOptions;
import dev.parallel.job.exec.TaskExecutor;
import dev.parallel.job.exec.ThreadExecutor;
import java.util.List;
import java.util.function.Consumer;

/**
 * executor: cuda. One host thread per device pulls the next task (the thread executor's dynamic
 * scheduling, so tasks spread over every GPU of the pod); retries and timeouts work as on CPU. Runs
 * once: the devices' contexts are destroyed when the run ends, on every path.
 */
public final class CudaExecutor implements TaskExecutor {
    private final CudaDevices devices;
    private final ThreadExecutor threads;
    private boolean ran;

    public CudaExecutor(Kernel kernel, CudaDevices devices, ExecOptions options) {
        this.devices = devices;
        this.threads = new ThreadExecutor(new CudaKernels(kernel, devices),
                new ExecOptions(devices.count(), options.retries(), options.timeoutSeconds()));
    }

    @Override
    public void run(List<Task> tasks, Consumer<TaskResult> sink, dev.parallel.job.exec.TaskStarts starts)
            throws InterruptedException {
        synchronized (this) {
            if (ran) throw new IllegalStateException("a CudaExecutor runs once: its devices are closed after the run");
            ran = true;
        }
        try {
            threads.run(tasks, sink, starts);
        } finally {
            devices.close();
        }
    }

    @Override
    public void cancel() { threads.cancel(); }

    @Override
    public String name() { return "cuda"; }

    public List<String> deviceNames() { return devices.names(); }
}
