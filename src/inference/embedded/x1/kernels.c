/*
 * The x1 engine's numeric kernels (decoder.ts calls them; build-kernels.sh compiles this file to
 * kernels.wasm). Every loop over tensor elements is here, in wasm, so a fresh isolate runs them at
 * the baseline compiler's speed from its first call instead of interpreting JavaScript until V8
 * optimises it; and the module is a few kilobytes, so optimising it takes milliseconds.
 *
 * Arithmetic follows decoder.onnx as onnxruntime runs it: float32 tensors, the quantized products
 * in exact integer arithmetic (as floats whose partial sums stay below 2^24), round half to even
 * when quantizing. Norms and the softmax accumulate in doubles; products in float32.
 * No libc: exp and erf are defined below.
 */
#include <stdint.h>
#include <wasm_simd128.h>

typedef float f32;
#define EXPORT(name) __attribute__((export_name(#name)))

/* exp(x) to double precision: x = n·ln2 + r, |r| <= ln2/2, a degree-12 Taylor polynomial in r. */
static double exp_d(double x) {
  if (x < -708.0) return 0.0;
  if (x > 709.0) return __builtin_inf();
  double n = __builtin_floor(x * 1.4426950408889634 + 0.5);
  double r = (x - n * 6.93147180369123816490e-01) - n * 1.90821492927058770002e-10;
  double p = 1.0 / 479001600.0;
  static const double inv_fact[12] = {1.0 / 39916800.0, 1.0 / 3628800.0, 1.0 / 362880.0, 1.0 / 40320.0,
                                      1.0 / 5040.0,     1.0 / 720.0,     1.0 / 120.0,    1.0 / 24.0,
                                      1.0 / 6.0,        0.5,             1.0,            1.0};
  for (int i = 0; i < 12; i++) p = p * r + inv_fact[i];
  int64_t bits = (int64_t)(n + 1023.0) << 52;
  double scale;
  __builtin_memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

/* erf(x), |error| < 1.2e-7 (Numerical Recipes' erfc, a Chebyshev fit). */
static double erf_d(double x) {
  double z = x < 0 ? -x : x;
  double t = 1.0 / (1.0 + 0.5 * z);
  double erfc =
      t * exp_d(-z * z - 1.26551223 +
                t * (1.00002368 +
                     t * (0.37409196 +
                          t * (0.09678418 +
                               t * (-0.18628806 +
                                    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? 1.0 - erfc : erfc - 1.0;
}

/* One row of out = a · b (a row of K, b is K×N): sixteen columns per pass in four f32x4 sums. */
static void gemm_row(const f32 *arow, const f32 *b, f32 *orow, int K, int N) {
  int n16 = N & ~15, n4 = N & ~3, n = 0;
  for (; n < n16; n += 16) {
    v128_t c0 = wasm_f32x4_splat(0), c1 = c0, c2 = c0, c3 = c0;
    const f32 *bp = b + n;
    for (int k = 0; k < K; k++, bp += N) {
      v128_t s = wasm_f32x4_splat(arow[k]);
      c0 = wasm_f32x4_add(c0, wasm_f32x4_mul(s, wasm_v128_load(bp)));
      c1 = wasm_f32x4_add(c1, wasm_f32x4_mul(s, wasm_v128_load(bp + 4)));
      c2 = wasm_f32x4_add(c2, wasm_f32x4_mul(s, wasm_v128_load(bp + 8)));
      c3 = wasm_f32x4_add(c3, wasm_f32x4_mul(s, wasm_v128_load(bp + 12)));
    }
    wasm_v128_store(orow + n, c0);
    wasm_v128_store(orow + n + 4, c1);
    wasm_v128_store(orow + n + 8, c2);
    wasm_v128_store(orow + n + 12, c3);
  }
  for (; n < n4; n += 4) {
    v128_t c = wasm_f32x4_splat(0);
    const f32 *bp = b + n;
    for (int k = 0; k < K; k++, bp += N) c = wasm_f32x4_add(c, wasm_f32x4_mul(wasm_f32x4_splat(arow[k]), wasm_v128_load(bp)));
    wasm_v128_store(orow + n, c);
  }
  for (; n < N; n++) {
    f32 c = 0;
    const f32 *bp = b + n;
    for (int k = 0; k < K; k++, bp += N) c += arow[k] * *bp;
    orow[n] = c;
  }
}

/*
 * out = a · b for row-major a (M×K) and b (K×N). Rows go in pairs that share each load of b (a
 * batch of decoding candidates reads the weights half as often); an odd last row goes alone. Each
 * lane sums its products in order of k, so integer-valued operands (the quantized layers) give
 * exact results while every partial sum stays below 2^24.
 */
EXPORT(gemm) void gemm(const f32 *a, const f32 *b, f32 *out, int M, int K, int N) {
  int m = 0, n8 = N & ~7;
  for (; m + 1 < M; m += 2) {
    const f32 *a0 = a + m * K, *a1 = a0 + K;
    f32 *o0 = out + m * N, *o1 = o0 + N;
    int n = 0;
    for (; n < n8; n += 8) {
      v128_t c00 = wasm_f32x4_splat(0), c01 = c00, c10 = c00, c11 = c00;
      const f32 *bp = b + n;
      for (int k = 0; k < K; k++, bp += N) {
        v128_t b0 = wasm_v128_load(bp), b1 = wasm_v128_load(bp + 4);
        v128_t s0 = wasm_f32x4_splat(a0[k]), s1 = wasm_f32x4_splat(a1[k]);
        c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(s0, b0));
        c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(s0, b1));
        c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(s1, b0));
        c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(s1, b1));
      }
      wasm_v128_store(o0 + n, c00);
      wasm_v128_store(o0 + n + 4, c01);
      wasm_v128_store(o1 + n, c10);
      wasm_v128_store(o1 + n + 4, c11);
    }
    for (; n < N; n++) {
      f32 c0 = 0, c1 = 0;
      const f32 *bp = b + n;
      for (int k = 0; k < K; k++, bp += N) {
        c0 += a0[k] * *bp;
        c1 += a1[k] * *bp;
      }
      o0[n] = c0;
      o1[n] = c1;
    }
  }
  if (m < M) gemm_row(a + m * K, b, out + m * N, K, N);
}

/* LayerNormalization over the last axis (D) of rows × D. */
EXPORT(layer_norm) void layer_norm(const f32 *x, int rows, int D, const f32 *g, const f32 *b, f32 eps, f32 *out) {
  for (int r = 0; r < rows; r++) {
    const f32 *xr = x + r * D;
    double mean = 0, var = 0;
    for (int i = 0; i < D; i++) mean += xr[i];
    mean /= D;
    for (int i = 0; i < D; i++) {
      double d = xr[i] - mean;
      var += d * d;
    }
    double inv = 1.0 / __builtin_sqrt(var / D + eps);
    for (int i = 0; i < D; i++) out[r * D + i] = (f32)((xr[i] - mean) * inv * g[i] + b[i]);
  }
}

/*
 * DynamicQuantizeLinear of all n values, written back as (quantized − zero point) floats, ready
 * for gemm with the int8 weights. Returns the scale.
 */
EXPORT(quantize) f32 quantize(const f32 *x, int n, f32 *q) {
  f32 lo = 0, hi = 0;
  for (int i = 0; i < n; i++) {
    if (x[i] < lo) lo = x[i];
    if (x[i] > hi) hi = x[i];
  }
  f32 scale = (f32)(((double)hi - (double)lo) / 255.0);
  if (scale == 0) {
    for (int i = 0; i < n; i++) q[i] = 0;
    return 0;
  }
  double zero = -(double)(f32)((double)lo / scale);
  zero = __builtin_rint(zero < 0 ? 0 : zero > 255 ? 255 : zero);
  for (int i = 0; i < n; i++) {
    double v = __builtin_rint((double)(f32)((double)x[i] / scale)) + zero;
    q[i] = (f32)((v < 0 ? 0 : v > 255 ? 255 : v) - zero);
  }
  return scale;
}

/* The integer product's rows × N result scaled back: out · (scale · column scale) + bias (bias may be 0). */
EXPORT(dequantize) void dequantize(f32 *out, int rows, int N, f32 scale, const f32 *col_scale, const f32 *bias) {
  for (int n = 0; n < N; n++) {
    f32 s = (f32)((double)scale * col_scale[n]);
    f32 add = bias ? bias[n] : 0;
    for (int r = 0; r < rows; r++) out[r * N + n] = (f32)(out[r * N + n] * s) + add;
  }
}

/*
 * The qkv product (B·T rows × 3·H·Dh) split into heads, (B, H, T, Dh) each, with rotary positions
 * (half-split form) applied to queries and keys; cos_t and sin_t are (B·T) × Dh/2.
 */
EXPORT(split_heads) void split_heads(const f32 *qkv, int B, int T, int H, int Dh, const f32 *cos_t, const f32 *sin_t,
                                     f32 *q, f32 *k, f32 *v) {
  int D = H * Dh, half = Dh / 2;
  for (int b = 0; b < B; b++)
    for (int t = 0; t < T; t++) {
      int r = b * T + t;
      for (int h = 0; h < H; h++) {
        const f32 *src = qkv + r * 3 * D + h * Dh;
        int dst = ((b * H + h) * T + t) * Dh;
        for (int j = 0; j < half; j++) {
          f32 c = cos_t[r * half + j], s = sin_t[r * half + j];
          f32 q1 = src[j], q2 = src[j + half], k1 = src[D + j], k2 = src[D + j + half];
          q[dst + j] = (f32)(q1 * c) - (f32)(q2 * s);
          q[dst + j + half] = (f32)(q1 * s) + (f32)(q2 * c);
          k[dst + j] = (f32)(k1 * c) - (f32)(k2 * s);
          k[dst + j + half] = (f32)(k1 * s) + (f32)(k2 * c);
        }
        for (int j = 0; j < Dh; j++) v[dst + j] = src[2 * D + j];
      }
    }
}

/*
 * Attention of the new tokens' queries q (B, H, T, Dh) over three key ranges: the shared prefix
 * (1, H, S, Dh), each row's own past, token-major (P, B, H, Dh), and the new tokens (B, H, T, Dh),
 * under key_valid (B, S+P+T) and the causal order. y is (B·T) × (H·Dh); scores holds S+P+T doubles.
 * Dot products and the weighted sum of values run four lanes at a time in float32, as onnxruntime's
 * MatMul does (Dh a multiple of 4); the softmax runs in doubles.
 */
EXPORT(attention) void attention(const f32 *q, int B, int T, int H, int Dh, int S, int P, const f32 *prefix_k,
                                 const f32 *prefix_v, const f32 *past_k, const f32 *past_v, const f32 *new_k,
                                 const f32 *new_v, const int32_t *key_valid, f32 scale, f32 *y, double *scores) {
  int W = S + P + T;
  for (int b = 0; b < B; b++)
    for (int h = 0; h < H; h++)
      for (int t = 0; t < T; t++) {
        const f32 *qv = q + ((b * H + h) * T + t) * Dh;
        int last = S + P + t;
        double max = -__builtin_inf();
        for (int w = 0; w <= last; w++) {
          if (!key_valid[b * W + w]) {
            scores[w] = -__builtin_inf();
            continue;
          }
          const f32 *kv = w < S       ? prefix_k + (h * S + w) * Dh
                          : w < S + P ? past_k + (((w - S) * B + b) * H + h) * Dh
                                      : new_k + ((b * H + h) * T + (w - S - P)) * Dh;
          v128_t d = wasm_f32x4_splat(0);
          for (int j = 0; j < Dh; j += 4) d = wasm_f32x4_add(d, wasm_f32x4_mul(wasm_v128_load(qv + j), wasm_v128_load(kv + j)));
          f32 dot = (wasm_f32x4_extract_lane(d, 0) + wasm_f32x4_extract_lane(d, 1)) +
                    (wasm_f32x4_extract_lane(d, 2) + wasm_f32x4_extract_lane(d, 3));
          f32 s = dot * scale;
          scores[w] = s;
          if (s > max) max = s;
        }
        double sum = 0;
        for (int w = 0; w <= last; w++) {
          double e = scores[w] == -__builtin_inf() ? 0 : exp_d(scores[w] - max);
          scores[w] = e;
          sum += e;
        }
        f32 *yr = y + (b * T + t) * H * Dh + h * Dh;
        for (int j = 0; j < Dh; j += 4) wasm_v128_store(yr + j, wasm_f32x4_splat(0));
        for (int w = 0; w <= last; w++) {
          f32 p = (f32)(scores[w] / sum);
          if (p == 0) continue;
          const f32 *vv = w < S       ? prefix_v + (h * S + w) * Dh
                          : w < S + P ? past_v + (((w - S) * B + b) * H + h) * Dh
                                      : new_v + ((b * H + h) * T + (w - S - P)) * Dh;
          v128_t pv = wasm_f32x4_splat(p);
          for (int j = 0; j < Dh; j += 4)
            wasm_v128_store(yr + j, wasm_f32x4_add(wasm_v128_load(yr + j), wasm_f32x4_mul(pv, wasm_v128_load(vv + j))));
        }
      }
}

/* GELU in place, the erf form: x · (1 + erf(x / √2)) / 2. */
EXPORT(gelu) void gelu(f32 *x, int n) {
  for (int i = 0; i < n; i++) {
    double v = x[i];
    x[i] = (f32)(0.5 * v * (1.0 + erf_d((f32)(v / 1.4142135623730951))));
  }
}

/* erf of n values in place (the vision graph's GELU; its other element-wise steps stay in the interpreter). */
EXPORT(erf_inplace) void erf_inplace(f32 *x, int n) {
  for (int i = 0; i < n; i++) x[i] = (f32)erf_d(x[i]);
}

/*
 * A 2-D convolution of one C×H×W image by M filters of C×KH×KW (group 1) into M×OH×OW: the image's
 * patches as a (C·KH·KW) × (OH·OW) matrix in `cols` (zero outside the image: padding), then one
 * product with the filters, which are already the M × (C·KH·KW) matrix it needs, then the bias.
 */
EXPORT(conv2d) void conv2d(const f32 *x, int C, int H, int W, const f32 *w, const f32 *bias, int M, int KH, int KW, int sy,
                           int sx, int py, int px, int dy, int dx, int OH, int OW, f32 *cols, f32 *out) {
  int plane = OH * OW;
  for (int c = 0; c < C; c++)
    for (int ky = 0; ky < KH; ky++)
      for (int kx = 0; kx < KW; kx++) {
        f32 *row = cols + ((c * KH + ky) * KW + kx) * plane;
        for (int oy = 0; oy < OH; oy++) {
          int iy = oy * sy - py + ky * dy;
          for (int ox = 0; ox < OW; ox++) {
            int ix = ox * sx - px + kx * dx;
            row[oy * OW + ox] = iy < 0 || iy >= H || ix < 0 || ix >= W ? 0 : x[(c * H + iy) * W + ix];
          }
        }
      }
  gemm(w, cols, out, M, C * KH * KW, plane);
  if (bias)
    for (int m = 0; m < M; m++)
      for (int i = 0; i < plane; i++) out[m * plane + i] += bias[m];
}

/*
 * out = a (op) b for n floats, b either n floats or one (a scalar): the vision graph's element-wise
 * steps on whole feature maps. op: 0 add, 1 subtract, 2 multiply, 3 divide.
 */
EXPORT(binary) void binary(int op, const f32 *a, const f32 *b, f32 *out, int n, int b_count) {
  if (b_count == 1) {
    f32 v = b[0];
    switch (op) {
      case 0: for (int i = 0; i < n; i++) out[i] = a[i] + v; break;
      case 1: for (int i = 0; i < n; i++) out[i] = a[i] - v; break;
      case 2: for (int i = 0; i < n; i++) out[i] = a[i] * v; break;
      default: for (int i = 0; i < n; i++) out[i] = a[i] / v; break;
    }
    return;
  }
  switch (op) {
    case 0: for (int i = 0; i < n; i++) out[i] = a[i] + b[i]; break;
    case 1: for (int i = 0; i < n; i++) out[i] = a[i] - b[i]; break;
    case 2: for (int i = 0; i < n; i++) out[i] = a[i] * b[i]; break;
    default: for (int i = 0; i < n; i++) out[i] = a[i] / b[i]; break;
  }
}
