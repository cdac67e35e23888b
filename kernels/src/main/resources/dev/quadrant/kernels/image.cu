// image.cu -- image ops over channels-last float32 images x [N, H, W, C]: im2col and its adjoint col2im, max pooling
// (with the argmax) and average pooling (count_include_pad), forward and backward. The window (kernel kh x kw,
// stride sh x sw, zero padding ph x pw, dilation 1) and the output size Ho x Wo come from the launcher
// (dev.quadrant.kernels.ImageWindow, i.e. dev.quadrant.device.Window2d).
//
// Parallelisation and why:
//  - Every kernel is one thread per OUTPUT element in a grid-stride loop (256-thread blocks, the grid capped at a few
//    blocks per multiprocessor): each element is written by exactly one thread, so no thread races another and no
//    float atomics are needed; every sum runs in a fixed order inside one thread, so a run is bit-reproducible on
//    any GPU and grid (the Backend contract).
//  - im2col_f32: one thread per col [N * Ho * Wo, C * kh * kw] element. Consecutive threads write consecutive col
//    entries (coalesced writes); the reads are a gather from x (stride C between kernel columns), served mostly by
//    L1/L2 since neighbouring windows overlap. Memory-bound copy.
//  - col2im_f32, the adjoint, is a GATHER instead of the usual scatter-add: one thread per dx [N, H, W, C] element
//    visits the windows that contain it (oy, then ox increasing; each window holds the element at exactly one kernel
//    offset) and sums their col entries. A scatter with atomicAdd would be faster for large overlaps but its order
//    of additions varies from run to run.
//  - max_pool2d_forward_f32 / avg_pool2d_forward_f32: one thread per y [N, Ho, Wo, C] element, walking its window in
//    row-major order. Consecutive threads are consecutive channels of one pixel, so every x read is coalesced
//    (channels-last is what makes pooling cheap). Padding positions are skipped: in max pooling they never win, in
//    average pooling they count as zeros (the divisor is always kh * kw).
//  - max_pool2d_backward_f32 / avg_pool2d_backward_f32: gathers like col2im: one thread per dx element, over the
//    windows that contain it in the same fixed order; max pooling adds a window's dy only where that window's argmax
//    is this element, average pooling adds dy / (kh * kw) of every window.

// Element e of a channels-last [N, h, w, C] tensor as (n, y, x, c).
struct QdPixel {
    i64 n;
    int y, x, c;
};

__device__ __forceinline__ QdPixel qd_pixel(i64 e, int h, int w, int C) {
    QdPixel p;
    p.c = (int)(e % C);
    i64 pix = e / C;
    p.x = (int)(pix % w);
    i64 ny = pix / w;
    p.y = (int)(ny % h);
    p.n = ny / h;
    return p;
}

// The first and one-past-last output index o whose window [o * s - p, o * s - p + k) contains input position i,
// clipped to [0, out): o * s <= i + p < o * s + k.
__device__ __forceinline__ void qd_covering(int i, int k, int s, int p, int out, int* lo, int* hi) {
    int t = i + p - k + 1;   // o * s >= t
    int first = t <= 0 ? 0 : (t + s - 1) / s;
    int last = (i + p) / s + 1;
    *lo = first;
    *hi = last < out ? last : out;
}

// Input element e of [N, H, W, C] and the windows that contain it: outputs [oy0, oy1) x [ox0, ox1).
struct QdCover {
    QdPixel p;
    int oy0, oy1, ox0, ox1;
};

__device__ __forceinline__ QdCover qd_cover(i64 e, int H, int W, int C, int Ho, int Wo, int kh, int kw, int sh,
                                            int sw, int ph, int pw) {
    QdCover v;
    v.p = qd_pixel(e, H, W, C);
    qd_covering(v.p.y, kh, sh, ph, Ho, &v.oy0, &v.oy1);
    qd_covering(v.p.x, kw, sw, pw, Wo, &v.ox0, &v.ox1);
    return v;
}

// col[(n, oy, ox), (c * kh + ky) * kw + kx] = x[n, oy * sh - ph + ky, ox * sw - pw + kx, c], 0 outside the image.
extern "C" __global__ void im2col_f32(const float* x, float* col, i64 total, int H, int W, int C, int Ho, int Wo,
                                      int kh, int kw, int sh, int sw, int ph, int pw) {
    int kk = kh * kw;
    i64 cols = (i64)C * kk;
    for (i64 e = qd_global_thread(); e < total; e += qd_grid_stride()) {
        i64 row = e / cols;
        int j = (int)(e - row * cols);
        int c = j / kk;
        int ky = (j - c * kk) / kw;
        int kx = j - c * kk - ky * kw;
        int ox = (int)(row % Wo);
        i64 noy = row / Wo;
        int oy = (int)(noy % Ho);
        i64 n = noy / Ho;
        int iy = oy * sh - ph + ky;
        int ix = ox * sw - pw + kx;
        bool inside = iy >= 0 && iy < H && ix >= 0 && ix < W;
        col[e] = inside ? x[((n * H + iy) * W + ix) * C + c] : 0.0f;
    }
}

// dx[n, iy, ix, c] = the sum of the col entries im2col copies from it, by window (oy, then ox) increasing.
extern "C" __global__ void col2im_f32(const float* col, float* dx, i64 total, int H, int W, int C, int Ho, int Wo,
                                      int kh, int kw, int sh, int sw, int ph, int pw) {
    i64 cols = (i64)C * kh * kw;
    for (i64 e = qd_global_thread(); e < total; e += qd_grid_stride()) {
        QdCover v = qd_cover(e, H, W, C, Ho, Wo, kh, kw, sh, sw, ph, pw);
        i64 n = v.p.n;
        int iy = v.p.y, ix = v.p.x, c = v.p.c;
        float s = 0.0f;
        for (int oy = v.oy0; oy < v.oy1; oy++) {
            int ky = iy + ph - oy * sh;
            for (int ox = v.ox0; ox < v.ox1; ox++) {
                int kx = ix + pw - ox * sw;
                s += col[((n * Ho + oy) * Wo + ox) * cols + ((i64)c * kh + ky) * kw + kx];
            }
        }
        dx[e] = s;
    }
}

// y[n, oy, ox, c] = the maximum of the window over the image (padding never wins), the first one in row-major window
// order, a NaN beating every number (the first NaN); argmax[...] = iy * W + ix of that element. A window of padding
// only (possible only when a padding is >= its kernel) gives -inf and argmax -1.
extern "C" __global__ void max_pool2d_forward_f32(const float* x, float* y, int* argmax, i64 total, int H, int W,
                                                  int C, int Ho, int Wo, int kh, int kw, int sh, int sw, int ph,
                                                  int pw) {
    for (i64 e = qd_global_thread(); e < total; e += qd_grid_stride()) {
        QdPixel q = qd_pixel(e, Ho, Wo, C);
        i64 n = q.n;
        int oy = q.y, ox = q.x, c = q.c;
        const float* img = x + n * H * W * C + c;
        float best = QD_NEG_INF;
        int at = -1;
        for (int ky = 0; ky < kh; ky++) {
            int iy = oy * sh - ph + ky;
            if (iy < 0 || iy >= H) continue;
            for (int kx = 0; kx < kw; kx++) {
                int ix = ox * sw - pw + kx;
                if (ix < 0 || ix >= W) continue;
                float v = img[((i64)iy * W + ix) * C];
                bool vn = v != v, bn = best != best;
                if (at < 0 || (!bn && (vn || v > best))) {
                    best = v;
                    at = iy * W + ix;
                }
            }
        }
        y[e] = best;
        argmax[e] = at;
    }
}

// dx[n, iy, ix, c] = the sum of dy over the windows (oy, then ox increasing) whose argmax is (iy, ix).
extern "C" __global__ void max_pool2d_backward_f32(const float* dy, const int* argmax, float* dx, i64 total, int H,
                                                   int W, int C, int Ho, int Wo, int kh, int kw, int sh, int sw,
                                                   int ph, int pw) {
    for (i64 e = qd_global_thread(); e < total; e += qd_grid_stride()) {
        QdCover v = qd_cover(e, H, W, C, Ho, Wo, kh, kw, sh, sw, ph, pw);
        i64 n = v.p.n;
        int c = v.p.c, self = v.p.y * W + v.p.x;
        float s = 0.0f;
        for (int oy = v.oy0; oy < v.oy1; oy++) {
            for (int ox = v.ox0; ox < v.ox1; ox++) {
                i64 o = ((n * Ho + oy) * Wo + ox) * C + c;
                if (argmax[o] == self) s += dy[o];
            }
        }
        dx[e] = s;
    }
}

// y[n, oy, ox, c] = (the sum of the window's entries inside the image, row-major) / (kh * kw).
extern "C" __global__ void avg_pool2d_forward_f32(const float* x, float* y, i64 total, int H, int W, int C, int Ho,
                                                  int Wo, int kh, int kw, int sh, int sw, int ph, int pw) {
    float div = (float)(kh * kw);
    for (i64 e = qd_global_thread(); e < total; e += qd_grid_stride()) {
        QdPixel q = qd_pixel(e, Ho, Wo, C);
        i64 n = q.n;
        int oy = q.y, ox = q.x, c = q.c;
        const float* img = x + n * H * W * C + c;
        float s = 0.0f;
        for (int ky = 0; ky < kh; ky++) {
            int iy = oy * sh - ph + ky;
            if (iy < 0 || iy >= H) continue;
            for (int kx = 0; kx < kw; kx++) {
                int ix = ox * sw - pw + kx;
                if (ix >= 0 && ix < W) s += img[((i64)iy * W + ix) * C];
            }
        }
        y[e] = s / div;
    }
}

// dx[n, iy, ix, c] = (the sum of dy over the windows containing (iy, ix), oy then ox increasing) / (kh * kw).
extern "C" __global__ void avg_pool2d_backward_f32(const float* dy, float* dx, i64 total, int H, int W, int C, int Ho,
                                                   int Wo, int kh, int kw, int sh, int sw, int ph, int pw) {
    float div = (float)(kh * kw);
    for (i64 e = qd_global_thread(); e < total; e += qd_grid_stride()) {
        QdCover v = qd_cover(e, H, W, C, Ho, Wo, kh, kw, sh, sw, ph, pw);
        i64 n = v.p.n;
        int c = v.p.c;
        float s = 0.0f;
        for (int oy = v.oy0; oy < v.oy1; oy++) {
            for (int ox = v.ox0; ox < v.ox1; ox++) s += dy[((n * Ho + oy) * Wo + ox) * C + c];
        }
        dx[e] = s / div;
    }
}
