// The shared-memory implicit GEMM conv.comp and conv_pool_tiled.comp share (an include).
//
// A work-group of LX x LY invocations computes a TM x TN tile (TM = LY * WM output channels of
// one group, TN = LX * WN columns: pixels, or pooled pixels), staging TK-deep slabs of W and of
// X's im2col matrix in shared memory per step of the reduction k = (ci, a, b) over the group's
// input channels and the kernel's taps. Invocation (tx, ty) owns rows ty + LY * i and columns
// tx + LX * j in registers: neighbouring invocations read neighbouring words of the X slab
// (no bank conflicts) while the W slab's words are broadcast, and store neighbouring pixels.
// The slabs are reduction-major, [k][row] with each k's row padded by one word, so a slab
// staged along k (W in the model's own layout) spreads its stores over the banks too.
//
// Several (NPOS) tiles may share the W slab: the same rows over other columns (the positions of
// a pool window), each with its own X slab and accumulators, so that W is staged and the
// work-group synchronises once per slab for all of them.
//
// The including shader defines LX, LY, WM, WN (plain ints; LX * LY <= 256, a multiple of TN)
// and optionally NPOS (default 1), and declares buffers x (X) and wt (W) and push constants p with at least h, w (X's size),
// kh, kw, dh, dw (the kernel) and w_m, w_k (W's strides per output channel and per reduction
// step) before the include, which sets the work-group size.
#extension GL_GOOGLE_include_directive : require
#ifndef NPOS
#define NPOS 1
#endif
#if (LX * LY) > 256 || (LX * LY) % (LX * WN) != 0
#error "a work-group of at most 256 invocations, a multiple of the tile's columns"
#endif
layout(local_size_x = LX * LY) in;
// After the work-group size: common.glsl reads gl_WorkGroupSize.
#include "common.glsl"

const uint TK = 16u;
const uint TM = uint(LY * WM);
const uint TN = uint(LX * WN);
const uint GROUP_ITEMS = uint(LX * LY);
const uint W_STRIDE = TM + 1u;
const uint X_STRIDE = TN + 1u;

shared float w_slab[TK * W_STRIDE];
shared float x_slab[NPOS * TK * X_STRIDE];
// The taps of the slab being staged, decoded once per slab rather than per staged element
// (two integer divisions each): X's offset of step k from a window's top-left corner, and the
// corner's row and column distance; tap_dy < 0 past the reduction's end.
shared uint tap_offset[TK];
shared int tap_dy[TK];
shared int tap_dx[TK];

// Where the staging column reads: base, the element of X at its window's top-left corner
// (iy0, ix0) in its image's first channel of the group (modulo 2^32: the corner may lie in the
// padding); ok false for a column past the last pixel (it stages zeros).
struct patch_origin {
    uint base;
    int iy0, ix0;
    bool ok;
};

patch_origin make_origin(uint x_base, int iy0, int ix0, bool ok)
{
    patch_origin o;
    o.base = x_base + uint(iy0 * int(p.w) + ix0);
    o.iy0 = iy0;
    o.ix0 = ix0;
    o.ok = ok;
    return o;
}

// Decodes the taps of the slab starting at k0 (TK invocations write; a barrier must follow
// before stage_x reads them).
void decode_taps(uint k0, uint depth)
{
    uint kk = gl_LocalInvocationIndex;
    if (kk >= TK) return;
    uint k = k0 + kk, taps = p.kh * p.kw;
    int dy = -1, dx = 0;
    uint offset = 0u;
    if (k < depth) {
        uint ci = k / taps, tap = k - ci * taps;
        uint a = tap / p.kw, b = tap - a * p.kw;
        dy = int(a * p.dh);
        dx = int(b * p.dw);
        offset = (ci * p.h + a * p.dh) * p.w + b * p.dw;
    }
    tap_offset[kk] = offset;
    tap_dy[kk] = dy;
    tap_dx[kk] = dx;
}

// x_slab[t][kk][col] = X at the staging column's window of tile t, tap kk of the decoded slab
// (0 outside X).
void stage_x(patch_origin o[NPOS])
{
    uint lid = gl_LocalInvocationIndex, col = lid % TN;
    for (uint kk = lid / TN; kk < TK; kk += GROUP_ITEMS / TN) {
        int dy = tap_dy[kk], dx = tap_dx[kk];
        uint offset = tap_offset[kk];
        for (uint t = 0u; t < NPOS; t++) {
            int iy = o[t].iy0 + dy, ix = o[t].ix0 + dx;
            float v = 0.0;
            if (o[t].ok && dy >= 0 && iy >= 0 && iy < int(p.h) && ix >= 0 && ix < int(p.w))
                v = x[o[t].base + offset];
            x_slab[(t * TK + kk) * X_STRIDE + col] = v;
        }
    }
}

// w_slab[kk][r] = W[first_row + r, k0 + kk] (0 past `rows` rows and the reduction's end),
// consecutive invocations on W's contiguous axis so that the loads coalesce.
void stage_w(uint first_row, uint rows, uint k0, uint depth)
{
    bool k_fast = p.w_k == 1u;
    for (uint idx = gl_LocalInvocationIndex; idx < TM * TK; idx += GROUP_ITEMS) {
        uint kk = k_fast ? idx % TK : idx / TM;
        uint r = k_fast ? idx / TK : idx % TM;
        uint k = k0 + kk;
        w_slab[kk * W_STRIDE + r] =
            r < rows && k < depth ? wt[first_row + r * p.w_m + k * p.w_k] : 0.0;
    }
}

void sync_slabs()
{
    memoryBarrierShared();
    barrier();
}

// acc[t] = tile t's conv sums (no bias) over the whole reduction, for all NPOS tiles (no count
// to test in the inner loop): rows from W's element first_row (`rows` of them left in the
// group), columns from each staging column's origin o[t].
void conv_tiles(out float acc[NPOS][WM][WN], patch_origin o[NPOS], uint first_row, uint rows,
                uint depth, uint tx, uint ty)
{
    for (uint t = 0u; t < NPOS; t++)
        for (uint i = 0u; i < WM; i++)
            for (uint j = 0u; j < WN; j++)
                acc[t][i][j] = 0.0;
    decode_taps(0u, depth);
    sync_slabs();
    for (uint k0 = 0u; k0 < depth; k0 += TK) {
        stage_w(first_row, rows, k0, depth);
        stage_x(o);
        sync_slabs();
        // Every staging read of the taps is done: decode the next slab's while multiplying.
        decode_taps(k0 + TK, depth);
        for (uint kk = 0u; kk < TK; kk++) {
            float wv[WM];
            for (uint i = 0u; i < WM; i++)
                wv[i] = w_slab[kk * W_STRIDE + ty + LY * i];
            for (uint t = 0u; t < NPOS; t++) {
                float xv[WN];
                for (uint j = 0u; j < WN; j++)
                    xv[j] = x_slab[(t * TK + kk) * X_STRIDE + tx + LX * j];
                for (uint i = 0u; i < WM; i++)
                    for (uint j = 0u; j < WN; j++)
                        acc[t][i][j] = fma(wv[i], xv[j], acc[t][i][j]);
            }
        }
        sync_slabs();
    }
}
