package dev.parallel.operator.gather;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the fold remembers across passes besides the parts (the results ConfigMap's {@code stats} key): a histogram of
 * task durations (four buckets per doubling, so p50/p95 are within about 10%), throughput samples (cumulative recorded
 * tasks over time, the last {@link #WINDOW_MILLIS} and one before), and the cluster store's record counts. Immutable.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record FoldStats(Map<Integer, Long> durations, List<long[]> samples, long records, long recordsDropped,
                        long recordBytes) {
    /** Throughput is measured over the last minute. */
    public static final long WINDOW_MILLIS = 60_000;
    /** Samples closer than this to the previous one replace it (a pass every few seconds keeps ~30). */
    static final long SAMPLE_SPACING_MILLIS = 2_000;

    public static final FoldStats EMPTY = new FoldStats(Map.of(), List.of(), 0, 0, 0);

    public FoldStats {
        durations = durations == null ? Map.of() : Map.copyOf(durations);
        samples = samples == null ? List.of() : List.copyOf(samples);
    }

    /** The histogram bucket of a duration: 0 for 0 ms, else 1 + floor(4 log2 ms). */
    static int bucket(long millis) {
        if (millis <= 0) return 0;
        return 1 + (int) Math.floor(4 * (Math.log(millis) / Math.log(2)));
    }

    /** A bucket's geometric middle in milliseconds (what a quantile in it reports: within 10% of any duration in it). */
    static long middle(int bucket) { return bucket == 0 ? 0 : Math.round(Math.pow(2, (bucket - 0.5) / 4.0)); }

    /** These stats with more task durations. */
    public FoldStats withDurations(List<Long> millis) {
        if (millis.isEmpty()) return this;
        Map<Integer, Long> h = new TreeMap<>(durations);
        for (long m : millis) h.merge(bucket(m), 1L, Long::sum);
        return new FoldStats(h, samples, records, recordsDropped, recordBytes);
    }

    public FoldStats withRecords(long kept, long dropped, long bytes) {
        return new FoldStats(durations, samples, records + kept, recordsDropped + dropped, recordBytes + bytes);
    }

    /** A sample "{@code recorded} tasks recorded at {@code nowMillis}"; samples older than the window (but one) go. */
    public FoldStats withSample(long nowMillis, long recorded) {
        List<long[]> s = new ArrayList<>(samples);
        if (!s.isEmpty() && s.get(s.size() - 1)[1] == recorded) return this; // a step function: no change, no sample
        if (!s.isEmpty() && nowMillis - s.get(s.size() - 1)[0] < SAMPLE_SPACING_MILLIS && s.size() > 1) s.remove(s.size() - 1);
        s.add(new long[] {nowMillis, recorded});
        while (s.size() > 2 && s.get(1)[0] <= nowMillis - WINDOW_MILLIS) s.remove(0);
        return new FoldStats(durations, s, records, recordsDropped, recordBytes);
    }

    /** The duration at quantile {@code q} (0..1), or null with no durations. */
    public Long quantileMillis(double q) {
        long n = durations.values().stream().mapToLong(Long::longValue).sum();
        if (n == 0) return null;
        long rank = Math.max(1, (long) Math.ceil(q * n));
        long seen = 0;
        for (var e : new TreeMap<>(durations).entrySet()) {
            seen += e.getValue();
            if (seen >= rank) return middle(e.getKey());
        }
        return null;
    }

    /**
     * Tasks recorded per second over the last minute at {@code nowMillis}: the recorded count is a step function of
     * the samples, so a run that stopped recording decays to 0 within the window. Null before two samples.
     */
    public Double tasksPerSecond(long nowMillis) {
        if (samples.isEmpty()) return null;
        long[] last = samples.get(samples.size() - 1);
        long from = nowMillis - WINDOW_MILLIS;
        long[] first = samples.get(0);
        long start = Math.max(from, first[0]);
        long base = first[1];
        for (long[] s : samples) if (s[0] <= start) base = s[1];
        long span = nowMillis - start;
        if (span < 1000) return null;
        double rate = (last[1] - base) * 1000.0 / span;
        return Math.round(rate * 100) / 100.0;
    }
}
