#version 450
// Conv as an implicit GEMM per group (conv_tile.glsl): Y[oc, pixel] = sum over k = (c, kh, kw)
// of W[oc, k] * X[c, pixel's window at (kh, kw)], with zero padding, then bias and activation.
// A work-group of 64 computes a tile of 32 output channels x 32 pixels (4 x 4 per invocation).
// W is read through strides (group, channel, k): prepare transposes constant weights to
// [group][k][oc] so the staging loads are contiguous.
#extension GL_GOOGLE_include_directive : require
#define LX 8
#define LY 8
#define WM 4
#define WN 4
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
    float act_alpha, act_min, act_max; // LeakyRelu's alpha, Clip's bounds
} p;
#include "conv_tile.glsl"

void main()
{
    uint lid = gl_LocalInvocationIndex, tx = lid % LX, ty = lid / LX;
    uint g = gl_WorkGroupID.z, m0 = gl_WorkGroupID.y * TM, p0 = gl_WorkGroupID.x * TN;
    uint depth = p.cg * p.kh * p.kw, plane = p.oh * p.ow;
    uint first_row = g * p.w_group + m0 * p.w_m, rows = p.mg - m0;

    // The staging column's pixel.
    uint sp = p0 + lid % TN;
    bool s_ok = sp < p.pixels;
    uint spc = s_ok ? sp : 0u, n = spc / plane, spot = spc % plane;
    patch_origin o[1];
    o[0] = make_origin((n * p.c + g * p.cg) * p.h * p.w, int((spot / p.ow) * p.sh) - p.ph,
                       int((spot % p.ow) * p.sw) - p.pw, s_ok);
    float acc[1][WM][WN];
    conv_tiles(acc, o, first_row, rows, depth, tx, ty);

    for (uint i = 0u; i < WM; i++) {
        uint r = ty + LY * i;
        if (r >= rows) continue;
        uint gm = g * p.mg + m0 + r;
        float b = p.has_bias != 0u ? bias[gm] : 0.0;
        for (uint j = 0u; j < WN; j++) {
            uint q = p0 + tx + LX * j;
            if (q >= p.pixels) continue;
            y[((q / plane) * p.m + gm) * plane + q % plane] =
                activate(p.act, acc[0][i][j] + b, p.act_alpha, p.act_min, p.act_max);
        }
    }
}
