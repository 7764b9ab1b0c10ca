#version 450
// Conv as an implicit GEMM per group: Y[oc, pixel] = sum over k = (c, kh, kw) of
// W[oc, k] * X[c, pixel's window at (kh, kw)], with zero padding, then bias and activation.
// A work-group of 64 computes a tile of 32 output channels x 32 pixels (4 x 4 per invocation),
// staging 16-deep slices of W and of the im2col matrix of X in shared memory.
// W is read through strides (group, channel, k): prepare transposes constant weights to
// [group][k][oc] so the staging loads are contiguous.
#extension GL_GOOGLE_include_directive : require
#define TILE_M 32u
#define TILE_P 32u
#define TILE_K 16u
layout(local_size_x = 64) in;
// After the work-group size: common.glsl reads gl_WorkGroupSize.
#include "common.glsl"
layout(std430, binding = 0) writeonly buffer Y { float y[]; };
layout(std430, binding = 1) readonly buffer X { float x[]; };
layout(std430, binding = 2) readonly buffer W { float wt[]; };
layout(std430, binding = 3) readonly buffer B { float bias[]; };
layout(push_constant) uniform Params {
    uint c, h, w;     // X's channels and size
    uint m, oh, ow;   // Y's channels and size
    uint pixels;      // N * OH * OW
    uint cg, mg;      // channels per group, in and out
    uint kh, kw;
    uint sh, sw, dh, dw;
    int ph, pw;
    uint w_group, w_m, w_k; // W's strides
    uint has_bias;
    uint act;
} p;

shared float w_tile[TILE_K][TILE_M];
shared float x_tile[TILE_K][TILE_P];

void main()
{
    uint tid = gl_LocalInvocationID.x, tx = tid & 7u, ty = tid >> 3u;
    uint g = gl_WorkGroupID.z, m0 = gl_WorkGroupID.y * TILE_M, p0 = gl_WorkGroupID.x * TILE_P;
    uint taps = p.kh * p.kw, depth = p.cg * taps, plane = p.oh * p.ow;

    // Staging role: one column of each tile, rows lane_row + 2 * r.
    uint col = tid & 31u, lane_row = tid >> 5u;
    uint pix = p0 + col;
    bool pix_ok = pix < p.pixels;
    uint n = pix / plane, spot = pix % plane;
    int iy0 = int((spot / p.ow) * p.sh) - p.ph, ix0 = int((spot % p.ow) * p.sw) - p.pw;
    uint x_base = (n * p.c + g * p.cg) * p.h * p.w;
    uint oc_load = m0 + col;
    bool oc_ok = oc_load < p.mg;
    uint w_base = g * p.w_group + oc_load * p.w_m;

    float acc[4][4];
    for (uint i = 0u; i < 4u; i++)
        for (uint j = 0u; j < 4u; j++)
            acc[i][j] = 0.0;

    for (uint k0 = 0u; k0 < depth; k0 += TILE_K) {
        for (uint r = 0u; r < 8u; r++) {
            uint row = lane_row + 2u * r, k = k0 + row;
            float xv = 0.0, wv = 0.0;
            if (k < depth) {
                if (pix_ok) {
                    uint ci = k / taps, tap = k % taps;
                    int iy = iy0 + int((tap / p.kw) * p.dh), ix = ix0 + int((tap % p.kw) * p.dw);
                    if (iy >= 0 && iy < int(p.h) && ix >= 0 && ix < int(p.w))
                        xv = x[x_base + (ci * p.h + uint(iy)) * p.w + uint(ix)];
                }
                if (oc_ok) wv = wt[w_base + k * p.w_k];
            }
            x_tile[row][col] = xv;
            w_tile[row][col] = wv;
        }
        barrier();
        for (uint kk = 0u; kk < TILE_K; kk++) {
            float wv[4], xv[4];
            for (uint i = 0u; i < 4u; i++) {
                wv[i] = w_tile[kk][ty + 8u * i];
                xv[i] = x_tile[kk][tx + 8u * i];
            }
            for (uint i = 0u; i < 4u; i++)
                for (uint j = 0u; j < 4u; j++)
                    acc[i][j] = fma(wv[i], xv[j], acc[i][j]);
        }
        barrier();
    }

    for (uint i = 0u; i < 4u; i++) {
        uint oc = m0 + ty + 8u * i;
        if (oc >= p.mg) continue;
        uint gm = g * p.mg + oc;
        float b = p.has_bias != 0u ? bias[gm] : 0.0;
        for (uint j = 0u; j < 4u; j++) {
            uint q = p0 + tx + 8u * j;
            if (q >= p.pixels) continue;
            y[((q / plane) * p.m + gm) * plane + q % plane] = activate(p.act, acc[i][j] + b, 0.0, 0.0, 0.0);
        }
    }
}
