package dev.parallel.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.parallel.api.contract.DoneSet;
import dev.parallel.api.contract.ResultsContract;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DoneSetTest {
    @Test
    void roundTripsAndCountsEachTaskOnce() {
        DoneSet d = DoneSet.empty(1000, 500);
        assertThat(d.add(1000)).isTrue();
        assertThat(d.add(1000)).as("a duplicate record").isFalse();
        assertThat(d.add(999)).as("outside the block").isFalse();
        assertThat(d.add(1500)).as("outside the block").isFalse();
        assertThat(d.add(1499)).isTrue();
        DoneSet back = DoneSet.decode(d.encode());
        assertThat(back.count()).isEqualTo(2);
        assertThat(back.contains(1000)).isTrue();
        assertThat(back.contains(1001)).isFalse();
        assertThat(back.contains(1499)).isTrue();
        assertThat(back.first()).isEqualTo(1000);
        assertThat(back.size()).isEqualTo(500);
        assertThat(back.complete()).isFalse();
    }

    @Test
    void aMillionTasksDoneInOrderEncodeSmall() {
        DoneSet d = DoneSet.empty(0, 1_000_000);
        for (long i = 0; i < 1_000_000; i++) d.add(i);
        String text = d.encode();
        assertThat(text.length()).isLessThan(1024);
        assertThat(DoneSet.decode(text).complete()).isTrue();
    }

    @Test
    void randomSetsRoundTrip() {
        Random r = new Random(7);
        DoneSet d = DoneSet.empty(5, 100_000);
        for (int i = 0; i < 30_000; i++) d.add(5 + r.nextInt(100_000));
        DoneSet back = DoneSet.decode(d.encode());
        assertThat(back.count()).isEqualTo(d.count());
        for (long i = 5; i < 100_005; i++) assertThat(back.contains(i)).isEqualTo(d.contains(i));
    }

    @Test
    void emptyRoundTripsAndMalformedIsNamed() {
        assertThat(DoneSet.decode(DoneSet.empty(3, 10).encode()).count()).isZero();
        assertThatThrownBy(() -> DoneSet.decode("nonsense")).hasMessageContaining("malformed done set");
        assertThatThrownBy(() -> DoneSet.decode("1:2:%%%")).hasMessageContaining("malformed done set");
    }

    @Test
    void flushIntervalKeepsAJobUnderItsWriteBudget() {
        assertThat(ResultsContract.flushMillis(2, 5, 5000)).isEqualTo(1000);
        assertThat(ResultsContract.flushMillis(10, 5, 5000)).isEqualTo(2000);
        assertThat(ResultsContract.flushMillis(1000, 5, 5000)).isEqualTo(5000);
        assertThat(ResultsContract.batchName("pi-0-abcde", 7)).isEqualTo("pi-0-abcde.000007");
        assertThat(ResultsContract.doneKey(3)).isEqualTo("done-00003");
    }
}
