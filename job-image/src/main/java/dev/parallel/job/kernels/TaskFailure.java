package dev.parallel.job.kernels;

/** A task failed for a reason worth showing the user as is (bad parameter, non-zero exit, ...). */
public class TaskFailure extends Exception {
    public TaskFailure(String message) { super(message); }
}
