package dev.quadrant.device.cpu;

import static dev.quadrant.device.cpu.CpuBackend.off;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

import dev.quadrant.device.Tensor;
import dev.quadrant.device.Window2d;
import dev.quadrant.device.checks.ImageOpChecks;
import dev.quadrant.device.checks.ImageOpChecks.Geometry;

/**
 * The convolution of {@link CpuBackend}, a few images at a time in cache. The generic path unfolds the whole batch
 * into {@code col} (ResNet's first stage at batch 128: 58 MB per convolution) and streams it through memory five
 * times (im2col writes it, the forward GEMM and the weight gradient read it, the input gradient's GEMM writes
 * {@code dcol}, col2im reads it). Here the batch is cut into <em>chunks</em> of whole images whose column matrix
 * fits in {@link #TILE_FLOATS}; each chunk is unfolded into a per-thread tile ({@link ConvLoops}, tap order),
 * multiplied right away by one single-threaded GEMM call ({@link CpuBlas}), and, in the backward, unfolded again (recomputing is
 * cheaper than a trip to memory) for the weight gradient, while {@code dy W} goes into a second tile that col2im
 * folds into {@code dx}. {@code col} and {@code dcol} are never touched. A forward of few input channels at stride 1
 * (a first layer) skips the columns and the GEMM altogether: {@link DirectConv}.
 *
 * <p>Parallel over chunks on the backend's pool. The chunk size is a function of the image geometry alone, never of
 * the thread count, and each chunk's weight and bias gradients go to a slice of their own that the calling thread
 * then adds up in chunk order: so the results are the same bit for bit on every run and for every thread count.
 * They differ from the generic path by GEMM rounding (the taps are summed in another order, in other blocks).
 * Same thread-safety as the backend (one replica thread at a time; the scratch buffers are per backend and per
 * pool thread).
 */
final class CpuConvOps {
    /** Floats of one chunk's column tile: a quarter of a typical 1 MiB L2, leaving room for the second tile. */
    static final int TILE_FLOATS = 64 * 1024;

    private static final ThreadLocal<Tiles> TILES = ThreadLocal.withInitial(Tiles::new);

    private final CpuBackend be;
    private final CpuPool pool;
    private FloatBuffer tapWeight = direct(0);    // [out, taps] in tap order
    private FloatBuffer partials = direct(0);     // [chunks, out, taps] then [chunks, out]

    CpuConvOps(CpuBackend be, CpuPool pool) {
        this.be = be;
        this.pool = pool;
    }

    /** Images per chunk for this geometry: as many as fit {@link #TILE_FLOATS}, at least one. */
    static int imagesPerChunk(Geometry g) {
        long perImage = (long) g.ho() * g.wo() * g.colWidth();
        return (int) Math.max(1, Math.min(Math.max(1, g.n()), TILE_FLOATS / Math.max(1, perImage)));
    }

    void forward(Tensor x, Window2d w, Tensor weight, Tensor bias, Tensor col, Tensor y) {
        String op = "conv2dForward";
        FloatBuffer xb = be.f(op, "x", x);
        FloatBuffer wb = be.f(op, "weight", weight);
        FloatBuffer bb = bias == null ? null : be.f(op, "bias", bias);
        if (col != null) {
            be.f(op, "col", col);
        }
        FloatBuffer yb = be.f(op, "y", y);
        Geometry g = ImageOpChecks.conv2dForward(x, w, weight, bias, col, y);
        if (g.rows() == 0) {
            return;
        }
        int out = weight.dim(0);
        int taps = g.colWidth();
        FloatBuffer wp = tapWeight(g, out, wb, off(weight));
        float[] biasValues = null;
        if (bb != null) {
            biasValues = new float[out];
            bb.get(off(bias), biasValues, 0, out);
        }
        float[] bv = biasValues;
        int per = imagesPerChunk(g);
        int chunks = (g.n() + per - 1) / per;
        int positions = g.ho() * g.wo();
        int xo = off(x);
        CpuBlas blas = be.blas();
        int yo = off(y);
        if (DirectConv.applies(g, out)) {   // few channels: no columns, no GEMM (see DirectConv)
            float[] wv = new float[out * taps];
            wb.get(off(weight), wv, 0, wv.length);
            pool.parallelFor(chunks, 1, (p, from, to) -> {
                Tiles s = TILES.get().fitDirect(g, out);
                for (int q = from; q < to; q++) {
                    int n0 = q * per;
                    DirectConv.forward(g, xb, xo, n0, Math.min(g.n(), n0 + per), wv, bv, out, yb,
                            yo + (long) n0 * positions * out, s.image, s.shifted, s.acc, s.rows);
                }
            });
            return;
        }
        pool.parallelFor(chunks, 1, (p, from, to) -> {
            Tiles s = TILES.get().fit(g, per, out);
            for (int q = from; q < to; q++) {
                int n0 = q * per;
                int n1 = Math.min(g.n(), n0 + per);
                int rows = (n1 - n0) * positions;
                ConvLoops.im2col(g, xb, xo, n0, n1, s.tile, s.band, s.rows);
                long yAt = yo + (long) n0 * positions * out;
                blas.sgemm(false, true, rows, out, taps, 1f, s.tile, 0, taps, wp, 0, taps, 0f, yb, yAt, out);
                if (bv != null) {
                    addBias(yb, (int) yAt, rows, out, bv, s.rows);
                }
            }
        });
    }

    void backward(Tensor x, Tensor dy, Window2d w, Tensor weight, Tensor col, Tensor dcol, Tensor dWeight,
                  Tensor dBias, Tensor dx) {
        String op = "conv2dBackward";
        FloatBuffer xb = be.f(op, "x", x);
        FloatBuffer dyb = be.f(op, "dy", dy);
        FloatBuffer wb = be.f(op, "weight", weight);
        if (col != null) {
            be.f(op, "col", col);
        }
        FloatBuffer dwb = be.f(op, "dWeight", dWeight);
        FloatBuffer dbb = dBias == null ? null : be.f(op, "dBias", dBias);
        FloatBuffer dxb = dx == null ? null : be.f(op, "dx", dx);
        if (dx != null && dcol != null) {
            be.f(op, "dcol", dcol);
        }
        Geometry g = ImageOpChecks.conv2dBackward(x, dy, w, weight, col, dcol, dWeight, dBias, dx);
        if (g.rows() == 0) {
            return;
        }
        int out = weight.dim(0);
        int taps = g.colWidth();
        Geometry gt = dxb == null ? null : ConvLoops.transposed(g, out);
        FloatBuffer wp = dxb == null ? null : gt != null ? transposedWeight(g, out, wb, off(weight))
                : tapWeight(g, out, wb, off(weight));
        boolean direct = dxb == null && DirectConv.applies(g, out);   // a first layer: see DirectConv
        int per = direct ? DirectConv.imagesPerChunk(g, 2 * TILE_FLOATS) : imagesPerChunk(g);
        int chunks = (g.n() + per - 1) / per;
        int positions = g.ho() * g.wo();
        int weightFloats = out * taps;
        FloatBuffer part = partials(chunks, weightFloats + out);   // [chunks, out, taps], then [chunks, out]
        int xo = off(x);
        CpuBlas blas = be.blas();
        int dyo = off(dy);
        int dxo = dx == null ? 0 : off(dx);
        if (direct) {   // its partials come in the Backend's order
            pool.parallelFor(chunks, 1, (p, from, to) -> {
                Tiles s = TILES.get().fitDirectBackward(g, per, out);
                for (int q = from; q < to; q++) {
                    int n0 = q * per;
                    int n1 = Math.min(g.n(), n0 + per);
                    long dyAt = dyo + (long) n0 * positions * out;
                    DirectConv.weightGradient(blas, g, xb, xo, n0, n1, dyb, dyAt, out, s.tile, s.dtile, s.image,
                            s.rows, s.band, s.small, part, (long) q * weightFloats);
                    if (dbb != null) {
                        columnSums(dyb, (int) dyAt, (n1 - n0) * positions, out, part, chunks * weightFloats + q * out,
                                s.rows);
                    }
                }
            });
            sumChunks(part, chunks, weightFloats, out, true, g, dwb, off(dWeight), dbb,
                    dBias == null ? 0 : off(dBias));
            return;
        }
        pool.parallelFor(chunks, 1, (p, from, to) -> {
            Tiles s = TILES.get().fit(g, per, out).fit(gt, per, g.c());
            for (int q = from; q < to; q++) {
                int n0 = q * per;
                int n1 = Math.min(g.n(), n0 + per);
                int rows = (n1 - n0) * positions;
                long dyAt = dyo + (long) n0 * positions * out;
                ConvLoops.im2col(g, xb, xo, n0, n1, s.tile, s.band, s.rows);
                blas.sgemm(true, false, out, taps, rows, 1f, dyb, dyAt, out, s.tile, 0, taps, 0f, part,
                        (long) q * weightFloats, taps);
                if (dbb != null) {
                    columnSums(dyb, (int) dyAt, rows, out, part, chunks * weightFloats + q * out, s.rows);
                }
                if (gt != null) {   // stride 1: dx = the transposed convolution of dy, one GEMM straight into dx
                    int inRows = (n1 - n0) * g.h() * g.w();
                    int tTaps = gt.colWidth();
                    ConvLoops.im2col(gt, dyb, dyo, n0, n1, s.dtile, s.band, s.rows);
                    blas.sgemm(false, true, inRows, g.c(), tTaps, 1f, s.dtile, 0, tTaps, wp, 0, tTaps, 0f, dxb,
                            dxo + (long) n0 * g.h() * g.w() * g.c(), g.c());
                } else if (dxb != null) {
                    blas.sgemm(false, false, rows, taps, out, 1f, dyb, dyAt, out, wp, 0, taps, 0f, s.dtile, 0,
                            taps);
                    ConvLoops.col2im(g, s.dtile, n0, n1, dxb, dxo, s.image, s.rows);
                }
            }
        });
        sumChunks(part, chunks, weightFloats, out, false, g, dwb, off(dWeight), dbb,
                dBias == null ? 0 : off(dBias));
    }

    /**
     * Adds the chunks' weight gradients ({@code [chunks, out, taps]} in tap order, or in the Backend's order when
     * {@code backendOrder}) and bias gradients ({@code [chunks, out]} after them) in chunk order onto
     * {@code dWeight} and {@code dBias} (null: none).
     */
    private static void sumChunks(FloatBuffer part, int chunks, int weightFloats, int out, boolean backendOrder,
                                  Geometry g, FloatBuffer dwb, int dwo, FloatBuffer dbb, int dbo) {
        float[] sum = new float[weightFloats];
        float[] piece = new float[weightFloats];
        part.get(0, sum, 0, weightFloats);
        for (int q = 1; q < chunks; q++) {
            part.get(q * weightFloats, piece, 0, weightFloats);
            for (int i = 0; i < weightFloats; i++) {
                sum[i] += piece[i];
            }
        }
        float[] acc = new float[weightFloats];
        dwb.get(dwo, acc, 0, weightFloats);
        if (backendOrder) {
            for (int i = 0; i < weightFloats; i++) {
                acc[i] += sum[i];
            }
        } else {
            ConvLoops.addFromTapOrder(g, out, sum, acc);
        }
        dwb.put(dwo, acc, 0, weightFloats);
        if (dbb != null) {
            float[] db = new float[out];
            float[] b = new float[out];
            int at = chunks * weightFloats;
            part.get(at, db, 0, out);
            for (int q = 1; q < chunks; q++) {
                part.get(at + q * out, b, 0, out);
                for (int i = 0; i < out; i++) {
                    db[i] += b[i];
                }
            }
            dbb.get(dbo, b, 0, out);
            for (int i = 0; i < out; i++) {
                b[i] += db[i];
            }
            dbb.put(dbo, b, 0, out);
        }
    }

    /** The weight in tap order, in this backend's buffer. */
    private FloatBuffer tapWeight(Geometry g, int out, FloatBuffer wb, int wo) {
        return permutedWeight(g, out, wb, wo, ConvLoops::toTapOrder);
    }

    /** The weight of the transposed convolution ({@link ConvLoops#toTransposedTapOrder}), in this backend's buffer. */
    private FloatBuffer transposedWeight(Geometry g, int out, FloatBuffer wb, int wo) {
        return permutedWeight(g, out, wb, wo, ConvLoops::toTransposedTapOrder);
    }

    /** A permutation of a weight's {@code out * C * kh * kw} floats. */
    private interface Permutation {
        void apply(Geometry g, int out, float[] from, float[] to);
    }

    private FloatBuffer permutedWeight(Geometry g, int out, FloatBuffer wb, int wo, Permutation p) {
        int n = out * g.colWidth();
        float[] from = new float[n];
        float[] to = new float[n];
        wb.get(wo, from, 0, n);
        p.apply(g, out, from, to);
        if (tapWeight.capacity() < n) {
            tapWeight = direct(n);
        }
        tapWeight.put(0, to, 0, n);
        return tapWeight;
    }

    private FloatBuffer partials(int chunks, int perChunk) {
        int n = Math.multiplyExact(chunks, perChunk);
        if (partials.capacity() < n) {
            partials = direct(n);
        }
        return partials;
    }

    /** Adds {@code bias} to each of {@code rows} rows of {@code out} floats at {@code at}, through {@code scratch}. */
    private static void addBias(FloatBuffer y, int at, int rows, int out, float[] bias, float[] scratch) {
        int perPass = Math.max(1, scratch.length / out);
        float[] tiled = Lanes.tiled(bias, out, perPass);   // a bias per element: one loop at one index vectorises
        for (int r = 0; r < rows; r += perPass) {
            int k = Math.min(perPass, rows - r) * out;
            int o = at + r * out;
            y.get(o, scratch, 0, k);
            for (int t = 0; t < k; t++) {
                scratch[t] += tiled[t];
            }
            y.put(o, scratch, 0, k);
        }
    }

    /** Column sums of {@code rows} rows of {@code out} floats at {@code at}, in row order, into {@code sums} at {@code so}. */
    private static void columnSums(FloatBuffer dy, int at, int rows, int out, FloatBuffer sums, int so,
                                   float[] scratch) {
        if (out <= Scratch.CHUNK) {   // whole rows per tile: vectorised lanes (see Lanes)
            double[] sum = new double[out];
            ReductionLoops.narrowColumnSums(dy, at, out, 0, rows, sum);
            float[] f = new float[out];
            for (int j = 0; j < out; j++) {
                f[j] = (float) sum[j];
            }
            sums.put(so, f, 0, out);
            return;
        }
        float[] acc = new float[out];
        int perPass = Math.max(1, scratch.length / out);
        for (int r = 0; r < rows; r += perPass) {
            int k = Math.min(perPass, rows - r);
            dy.get(at + r * out, scratch, 0, k * out);
            for (int i = 0; i < k; i++) {
                for (int j = 0; j < out; j++) {
                    acc[j] += scratch[i * out + j];
                }
            }
        }
        sums.put(so, acc, 0, out);
    }

    private static FloatBuffer direct(int floats) {
        return ByteBuffer.allocateDirect(Math.multiplyExact(Math.max(1, floats), Float.BYTES))
                .order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    /** One pool thread's scratch: two direct tiles for the GEMM library and the heap arrays of {@link ConvLoops}. */
    private static final class Tiles {
        FloatBuffer tile = direct(0);
        FloatBuffer dtile = direct(0);
        FloatBuffer small = direct(0);   // DirectConv's [taps, out] weight gradient of a chunk
        float[] band = new float[0];
        float[] rows = new float[0];
        float[] image = new float[0];
        float[] shifted = new float[0];  // DirectConv's shifted image
        float[][] acc = new float[0][];  // DirectConv's accumulators, one per filter

        /** Room for chunks of {@code per} images of {@code g} (null: nothing more) with {@code out} filters. */
        Tiles fit(Geometry g, int per, int out) {
            if (g == null) {
                return this;
            }
            int tileFloats = Math.multiplyExact(per * g.ho() * g.wo(), g.colWidth());
            if (tile.capacity() < tileFloats) {
                tile = direct(tileFloats);
            }
            if (dtile.capacity() < tileFloats) {
                dtile = direct(tileFloats);
            }
            band = grow(band, ConvLoops.bandFloats(g));
            rows = grow(rows, Math.max(ConvLoops.rowFloats(g), out));
            image = grow(image, g.h() * g.w() * g.c());
            return this;
        }

        /** Room for {@link DirectConv#weightGradient} over chunks of {@code per} images of {@code g}. */
        Tiles fitDirectBackward(Geometry g, int per, int out) {
            int[] floats = DirectConv.weightGradientFloats(g, per, out);
            if (tile.capacity() < floats[0]) {
                tile = direct(floats[0]);
            }
            if (dtile.capacity() < floats[1]) {
                dtile = direct(floats[1]);
            }
            if (small.capacity() < g.colWidth() * out) {
                small = direct(g.colWidth() * out);
            }
            image = grow(image, DirectConv.imageFloats(g));
            rows = grow(rows, DirectConv.rowFloats(g, out));
            band = grow(band, (g.w() + 2 * g.win().pw()) * out);   // here one dy row at padded width
            return this;
        }

        /** Room for {@link DirectConv} over {@code g} with {@code out} filters. */
        Tiles fitDirect(Geometry g, int out) {
            image = grow(image, DirectConv.imageFloats(g));
            shifted = grow(shifted, DirectConv.accFloats(g));
            rows = grow(rows, DirectConv.rowFloats(g, out));
            if (acc.length < out) {
                acc = java.util.Arrays.copyOf(acc, out);
            }
            for (int o = 0; o < out; o++) {
                acc[o] = grow(acc[o] == null ? new float[0] : acc[o], DirectConv.accFloats(g));
            }
            return this;
        }

        private static float[] grow(float[] a, int n) {
            return a.length >= n ? a : new float[n];
        }
    }
}
