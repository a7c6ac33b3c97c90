package dev.parallel.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.parallel.api.tasks.Partition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PartitionTest {
    @ParameterizedTest
    @CsvSource({"0,1", "1,1", "1,5", "7,3", "10,10", "100,7", "1000003,64", "5,8"})
    void everyTaskExactlyOnceInContiguousBalancedBlocks(long n, int p) {
        long next = 0;
        long min = Long.MAX_VALUE, max = 0;
        for (int i = 0; i < p; i++) {
            Partition.Block b = Partition.block(n, p, i);
            assertThat(b.start()).as("block %d starts where %d ended", i, i - 1).isEqualTo(next);
            next = b.end();
            min = Math.min(min, b.size());
            max = Math.max(max, b.size());
        }
        assertThat(next).isEqualTo(n);
        assertThat(max - min).isLessThanOrEqualTo(1);
    }

    @Test
    void firstPartsGetTheRemainderLikeDistributeTasks() {
        // mpi4py's distribute_tasks(10, 3): [0,4), [4,7), [7,10)
        assertThat(Partition.block(10, 3, 0)).isEqualTo(new Partition.Block(0, 4));
        assertThat(Partition.block(10, 3, 1)).isEqualTo(new Partition.Block(4, 7));
        assertThat(Partition.block(10, 3, 2)).isEqualTo(new Partition.Block(7, 10));
    }

    @Test
    void morePartsThanTasksGivesEmptyTailBlocksButPlanningAvoidsThem() {
        assertThat(Partition.block(2, 4, 3).size()).isZero();
        assertThat(Partition.parts(2, 4, null, 2)).isEqualTo(2);
        assertThat(Partition.parts(100, null, 30, 2)).isEqualTo(4);
        assertThat(Partition.parts(100, null, null, 3)).isEqualTo(3);
        assertThat(Partition.parts(0, null, null, 3)).isEqualTo(1);
    }

    @Test
    void rejectsBadArguments() {
        assertThatThrownBy(() -> Partition.block(3, 0, 0)).hasMessageContaining("parts");
        assertThatThrownBy(() -> Partition.block(3, 2, 2)).hasMessageContaining("part index 2");
    }
}
