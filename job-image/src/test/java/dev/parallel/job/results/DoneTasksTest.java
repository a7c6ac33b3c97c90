package dev.parallel.job.results;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parallel.api.contract.DoneSet;
import dev.parallel.api.contract.Json;
import dev.parallel.api.contract.ResultsContract;
import dev.parallel.api.tasks.Task;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DoneTasksTest {
    @TempDir
    Path dir;
    final ByteArrayOutputStream log = new ByteArrayOutputStream();
    final PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);

    static List<Task> block(long first, long size) {
        return LongStream.range(first, first + size).mapToObj(i -> new Task(i, "t" + i, Json.mapper().createObjectNode())).toList();
    }

    @Test
    void theDoneTasksOfThePartAreSkipped() throws Exception {
        DoneSet d = DoneSet.empty(100, 10);
        d.add(100);
        d.add(105);
        d.add(109);
        Files.writeString(dir.resolve(ResultsContract.doneKey(2)), d.encode());
        List<Task> left = DoneTasks.toRun(dir, 2, block(100, 10), out);
        assertThat(left).extracting(Task::index).containsExactly(101L, 102L, 103L, 104L, 106L, 107L, 108L);
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("skipping 3 tasks already recorded");
    }

    @Test
    void absentMalformedOrAnotherBlocksDoneSetMeansEveryTaskRunsAndTheLogSaysWhy() throws Exception {
        assertThat(DoneTasks.toRun(dir, 0, block(0, 5), out)).hasSize(5);
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("absent, no task of this part recorded yet");

        Files.writeString(dir.resolve(ResultsContract.doneKey(1)), "not a done set");
        assertThat(DoneTasks.toRun(dir, 1, block(5, 5), out)).hasSize(5);
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("malformed done set").contains("running every task");

        DoneSet other = DoneSet.empty(0, 5);
        other.add(0);
        Files.writeString(dir.resolve(ResultsContract.doneKey(3)), other.encode());
        assertThat(DoneTasks.toRun(dir, 3, block(10, 5), out)).hasSize(5);
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("for tasks [0, 5), this part runs [10, 15): ignored");
        assertThat(log.toString(StandardCharsets.UTF_8)).doesNotContain("skipping");
    }
}
