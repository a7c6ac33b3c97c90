package dev.parallel.api.v1alpha1;

/**
 * The ParallelJob's lifecycle phase, shown by kubectl get pj. Queued: its Workload waits for Kueue's
 * admission (label kueue.x-k8s.io/queue-name), or Kueue evicted it and its pods are being stopped.
 */
public enum Phase {
    Pending, Queued, Running, Suspended, Succeeded, Failed;

    public boolean isTerminal() { return this == Succeeded || this == Failed; }
}
