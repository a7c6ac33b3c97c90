package dev.parallel.job.results;

import dev.parallel.api.contract.DoneSet;
import dev.parallel.api.contract.ResultsContract;
import dev.parallel.api.tasks.Task;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads a part's done set (the results ConfigMap's {@code done-NNNNN}, mounted at {@code DONE_DIR}) at pod start.
 * Absent, malformed or for another block: nothing is done (every task runs; the operator de-duplicates), and the log
 * says which.
 */
public final class DoneTasks {
    private DoneTasks() {}

    /** The part's done set, or an empty one for the block {@code [first, first + size)}. */
    public static DoneSet read(Path dir, int part, long first, long size, PrintStream log) {
        Path file = dir.resolve(ResultsContract.doneKey(part));
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            log.println("done set " + file + ": absent, no task of this part recorded yet");
            return DoneSet.empty(first, size);
        } catch (IOException e) {
            log.println("done set " + file + ": unreadable (" + e.getMessage() + "), running every task");
            return DoneSet.empty(first, size);
        }
        if (text.isBlank()) return DoneSet.empty(first, size);
        try {
            DoneSet d = DoneSet.decode(text);
            if (d.first() != first || d.size() != size) {
                log.println("done set " + file + ": for tasks [" + d.first() + ", " + (d.first() + d.size())
                        + "), this part runs [" + first + ", " + (first + size) + "): ignored, running every task");
                return DoneSet.empty(first, size);
            }
            return d;
        } catch (IllegalArgumentException e) {
            log.println("done set " + file + ": " + e.getMessage() + "; running every task");
            return DoneSet.empty(first, size);
        }
    }

    /** The tasks of {@code block} not in {@code done}, in order. */
    public static List<Task> remaining(List<Task> block, DoneSet done) {
        if (done.count() == 0) return block;
        return block.stream().filter(t -> !done.contains(t.index())).toList();
    }

    /** For a block (possibly empty) read from {@code dir}: the tasks still to run, logging what is skipped. */
    public static List<Task> toRun(Path dir, int part, List<Task> block, PrintStream log) {
        long first = block.isEmpty() ? 0 : block.get(0).index();
        DoneSet done = read(dir, part, first, block.size(), log);
        List<Task> left = remaining(block, done);
        if (left.size() < block.size()) log.println("skipping " + (block.size() - left.size()) + " tasks already recorded");
        return left;
    }
}
