package dev.parallel.operator.gather;

import dev.parallel.api.v1alpha1.ParallelJobStatus;
import dev.parallel.operator.plan.Plan;

/**
 * A results store outside the cluster (spec.results.store: s3): the operator writes each folded batch's new
 * records there before it records the fold in the results ConfigMap, so a crash between the two repeats the same
 * write. The in-cluster store needs no such class: its records go into the results ConfigMap in the fold's one
 * update.
 */
public interface ExternalStore {
    /**
     * Writes the records (JSON lines, each a task recorded for the first time) that the batch {@code batch} of part
     * {@code part} added, under a key derived from the batch name only, so that repeating it overwrites the same
     * object. An empty {@code jsonLines} removes that key if it exists (a re-fold after a crash may find every
     * record of a batch already recorded by another).
     */
    void put(Plan plan, int part, String batch, String jsonLines);

    /** Whether {@code plan}'s records go to this store (its spec.results, else the operator's default store). */
    boolean handles(Plan plan);

    /** Where this ParallelJob's records are, for status.results. */
    ParallelJobStatus.ResultsLocation location(Plan plan);
}
