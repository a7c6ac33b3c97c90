package dev.parallel.job.kernels;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The kernels' inner loops with the Vector API (jdk.incubator.vector), as gcc -O3 -march=native
 * vectorises bench/omp.c's. Loaded only when KernelPath chose them: without the module this class
 * does not link. Each loop gives exactly its scalar twin's results; the callers check interrupts
 * between calls.
 */
final class VectorLoops {
    private static final VectorSpecies<Long> L = LongVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_PREFERRED;
    private static final long G = SplitMix64.GOLDEN;
    /** Lane j holds j * GOLDEN: consecutive stream values in consecutive lanes. */
    private static final LongVector LANE_STEPS = LongVector.zero(L).addIndex(1).mul(G);

    private VectorLoops() {}

    static int longLanes() { return L.length(); }

    static String shape() {
        return L.vectorBitSize() + "-bit vectors: " + L.length() + " x long, " + D.length() + " x double";
    }

    /*
     * SplitMix64's finaliser (SplitMix64.mix) is written out in each loop, not called: a fresh JVM can compile a
     * mix(LongVector) method on its own before the loop that calls it, and C2 then does not inline that code
     * (too big) and boxes every vector crossing the call (measured: pi's loop 5x slower, allocating, for good).
     */
    private static final long M1 = 0xBF58476D1CE4E5B9L, M2 = 0x94D049BB133111EBL;

    /**
     * pi's hits among n samples whose first x value is mix(z): sample s's x is mix(z + 2s*G), its y
     * mix(z + (2s+1)*G) (mix: SplitMix64's finaliser). Lane j takes samples j, j+lanes, ...; the rest (under one vector) is the
     * caller's. Returns {hits, samples done}.
     */
    static long[] piHits(long z, int n) {
        LongVector lanes = LANE_STEPS.add(LANE_STEPS); // 2j * G: lane j's sample
        LongVector hits = LongVector.zero(L);
        int done = L.loopBound(n);
        long step = 2L * L.length() * G;
        for (int s = 0; s < done; s += L.length(), z += step) {
            LongVector x = lanes.add(z), y = x.add(G);
            x = x.lanewise(VectorOperators.XOR, x.lanewise(VectorOperators.LSHR, 30)).mul(M1);
            y = y.lanewise(VectorOperators.XOR, y.lanewise(VectorOperators.LSHR, 30)).mul(M1);
            x = x.lanewise(VectorOperators.XOR, x.lanewise(VectorOperators.LSHR, 27)).mul(M2);
            y = y.lanewise(VectorOperators.XOR, y.lanewise(VectorOperators.LSHR, 27)).mul(M2);
            x = x.lanewise(VectorOperators.XOR, x.lanewise(VectorOperators.LSHR, 31)).lanewise(VectorOperators.LSHR, 33);
            y = y.lanewise(VectorOperators.XOR, y.lanewise(VectorOperators.LSHR, 31)).lanewise(VectorOperators.LSHR, 33);
            // As the scalar loop: x*x + y*y - 2^62 is negative exactly on a hit; its sign bit counts.
            hits = hits.add(x.mul(x).add(y.mul(y)).sub(1L << 62).lanewise(VectorOperators.LSHR, 63));
        }
        return new long[] {hits.reduceLanes(VectorOperators.ADD), done};
    }

    /** out[i] = unitDouble(value(state, first + i)) for i below the last whole vector; returns how many. */
    static int fill(long state, long first, double[] out) {
        int done = L.loopBound(out.length);
        long z = state + (first + 1) * G;
        long step = L.length() * G;
        for (int i = 0; i < done; i += L.length(), z += step) {
            LongVector bits = LANE_STEPS.add(z);
            bits = bits.lanewise(VectorOperators.XOR, bits.lanewise(VectorOperators.LSHR, 30)).mul(M1);
            bits = bits.lanewise(VectorOperators.XOR, bits.lanewise(VectorOperators.LSHR, 27)).mul(M2);
            bits = bits.lanewise(VectorOperators.XOR, bits.lanewise(VectorOperators.LSHR, 31)).lanewise(VectorOperators.LSHR, 11);
            // 53-bit integers convert to double exactly, and * 2^-53 is exact: the scalar value.
            ((DoubleVector) bits.convert(VectorOperators.L2D, 0)).mul(0x1.0p-53).intoArray(out, i);
        }
        return done;
    }

    /** Zero bytes among seg[0, len). */
    static int zeros(byte[] seg, int len) {
        int count = 0;
        int i = 0;
        for (int up = B.loopBound(len); i < up; i += B.length()) {
            count += ByteVector.fromArray(B, seg, i).compare(VectorOperators.EQ, (byte) 0).trueCount();
        }
        for (; i < len; i++) if (seg[i] == 0) count++;
        return count;
    }

    /** Rows of C one panel pass computes: 4 rows x 2 vectors = 8 accumulators, enough to hide FMA latency. */
    private static final int ROWS = 4;

    /**
     * Columns [j0, j0 + 2 * lanes) of C = A * B for rows [i0, i1), each element the fused multiply-add
     * chain over k = 0..n-1 in order, as MatmulKernel's scalar loop. {@code panel} holds those columns
     * of B packed row after row (2 * lanes doubles per k): contiguous loads, no 4 KiB-stride aliasing.
     */
    static void panel(double[] a, double[] panel, double[] c, int n, int j0, int i0, int i1) {
        int w = D.length();
        int i = i0;
        for (; i + ROWS <= i1; i += ROWS) {
            DoubleVector c00 = DoubleVector.zero(D), c01 = c00, c10 = c00, c11 = c00;
            DoubleVector c20 = c00, c21 = c00, c30 = c00, c31 = c00;
            int a0 = i * n, a1 = a0 + n, a2 = a1 + n, a3 = a2 + n;
            for (int k = 0; k < n; k++) {
                DoubleVector b0 = DoubleVector.fromArray(D, panel, 2 * w * k);
                DoubleVector b1 = DoubleVector.fromArray(D, panel, 2 * w * k + w);
                DoubleVector x = DoubleVector.broadcast(D, a[a0 + k]);
                c00 = x.fma(b0, c00);
                c01 = x.fma(b1, c01);
                x = DoubleVector.broadcast(D, a[a1 + k]);
                c10 = x.fma(b0, c10);
                c11 = x.fma(b1, c11);
                x = DoubleVector.broadcast(D, a[a2 + k]);
                c20 = x.fma(b0, c20);
                c21 = x.fma(b1, c21);
                x = DoubleVector.broadcast(D, a[a3 + k]);
                c30 = x.fma(b0, c30);
                c31 = x.fma(b1, c31);
            }
            c00.intoArray(c, a0 + j0);
            c01.intoArray(c, a0 + j0 + w);
            c10.intoArray(c, a1 + j0);
            c11.intoArray(c, a1 + j0 + w);
            c20.intoArray(c, a2 + j0);
            c21.intoArray(c, a2 + j0 + w);
            c30.intoArray(c, a3 + j0);
            c31.intoArray(c, a3 + j0 + w);
        }
        for (; i < i1; i++) {
            DoubleVector c0 = DoubleVector.zero(D), c1 = c0;
            int ai = i * n;
            for (int k = 0; k < n; k++) {
                DoubleVector x = DoubleVector.broadcast(D, a[ai + k]);
                c0 = x.fma(DoubleVector.fromArray(D, panel, 2 * w * k), c0);
                c1 = x.fma(DoubleVector.fromArray(D, panel, 2 * w * k + w), c1);
            }
            c0.intoArray(c, ai + j0);
            c1.intoArray(c, ai + j0 + w);
        }
    }

    /** Columns a panel covers: two vectors. */
    static int panelWidth() { return 2 * D.length(); }
}
