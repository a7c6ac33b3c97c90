package dev.parallel.api.v1alpha1;

/** The ParallelJob's lifecycle phase, shown by kubectl get pj. */
public enum Phase {
    Pending, Running, Suspended, Succeeded, Failed;

    public boolean isTerminal() { return this == Succeeded || this == Failed; }
}
