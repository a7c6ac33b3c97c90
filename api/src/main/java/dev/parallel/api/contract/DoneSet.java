package dev.parallel.api.contract;

import java.io.ByteArrayOutputStream;
import java.util.Base64;
import java.util.BitSet;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * Which tasks of one part are recorded: a bit per task of the part's block {@code [first, first + size)},
 * deflated and base64-encoded ({@code <first>:<size>:<base64>}), so a part of a million tasks done in order
 * takes a few hundred bytes. Written by the operator into the results ConfigMap ({@link ResultsContract#doneKey});
 * read by the part's next pod, which skips those tasks. Not thread-safe.
 */
public final class DoneSet {
    private final long first;
    private final long size;
    private final BitSet bits;

    private DoneSet(long first, long size, BitSet bits) {
        if (size > Integer.MAX_VALUE) throw new IllegalArgumentException("a part holds at most 2^31-1 tasks");
        this.first = first;
        this.size = size;
        this.bits = bits;
    }

    /** Nothing done yet, for the block starting at task {@code first} with {@code size} tasks. */
    public static DoneSet empty(long first, long size) { return new DoneSet(first, size, new BitSet()); }

    public long first() { return first; }

    public long size() { return size; }

    /** Marks task {@code index} done; false when it already was (a duplicate record) or lies outside the block. */
    public boolean add(long index) {
        if (!inBlock(index)) return false;
        int i = (int) (index - first);
        if (bits.get(i)) return false;
        bits.set(i);
        return true;
    }

    public boolean contains(long index) { return inBlock(index) && bits.get((int) (index - first)); }

    public boolean inBlock(long index) { return index >= first && index - first < size; }

    /** How many tasks of the block are done. */
    public long count() { return bits.cardinality(); }

    public boolean complete() { return count() == size; }

    public String encode() {
        byte[] raw = bits.toByteArray();
        Deflater d = new Deflater(Deflater.BEST_COMPRESSION);
        d.setInput(raw);
        d.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(16, raw.length / 8));
        byte[] buf = new byte[8192];
        while (!d.finished()) out.write(buf, 0, d.deflate(buf));
        d.end();
        return first + ":" + size + ":" + Base64.getEncoder().encodeToString(out.toByteArray());
    }

    /** The inverse of {@link #encode}; a malformed text is an error that says so. */
    public static DoneSet decode(String text) {
        String[] f = text == null ? new String[0] : text.strip().split(":", 3);
        if (f.length != 3) throw new IllegalArgumentException("malformed done set: expected <first>:<size>:<base64>");
        try {
            byte[] packed = Base64.getDecoder().decode(f[2]);
            Inflater inf = new Inflater();
            inf.setInput(packed);
            ByteArrayOutputStream out = new ByteArrayOutputStream(packed.length * 4 + 16);
            byte[] buf = new byte[8192];
            while (!inf.finished()) {
                int n = inf.inflate(buf);
                if (n == 0 && (inf.needsInput() || inf.needsDictionary())) break;
                out.write(buf, 0, n);
            }
            inf.end();
            return new DoneSet(Long.parseLong(f[0]), Long.parseLong(f[1]), BitSet.valueOf(out.toByteArray()));
        } catch (IllegalArgumentException | DataFormatException e) {
            throw new IllegalArgumentException("malformed done set: " + e.getMessage(), e);
        }
    }
}
