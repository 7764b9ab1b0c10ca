#version 450
// Conv for CPU-like devices (lavapipe), where work-group barriers are costly and shared memory
// buys nothing: each invocation keeps 8 output channels x 4 adjacent output pixels of one row
// in registers. The channel block and group come from the work-group's id, so the weight
// addresses are uniform (one load broadcast to every lane, not a gather); the lanes take
// consecutive pixel blocks. Bindings and push constants as conv.comp.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
// After the work-group size: common.glsl reads gl_WorkGroupSize.
#include "common.glsl"
layout(std430, binding = 0) writeonly buffer Y { float y[]; };
layout(std430, binding = 1) readonly buffer X { float x[]; };
layout(std430, binding = 2) readonly buffer W { float wt[]; };
layout(std430, binding = 3) readonly buffer B { float bias[]; };
layout(push_constant) uniform Params {
    uint c, h, w;
    uint m, oh, ow;
    uint pixels;
    uint cg, mg;
    uint kh, kw;
    uint sh, sw, dh, dw;
    int ph, pw;
    uint w_group, w_m, w_k;
    uint has_bias;
    uint act;
    float act_alpha, act_min, act_max; // LeakyRelu's alpha, Clip's bounds
} p;

void main()
{
    uint col_blocks = (p.ow + 3u) / 4u;
    uint rows = p.pixels / p.ow; // N * OH
    uint id = gl_WorkGroupID.x * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
    uint ob = gl_WorkGroupID.y, g = gl_WorkGroupID.z;
    if (id >= rows * col_blocks) return;
    uint bx = id % col_blocks, r = id / col_blocks;
    uint oy = r % p.oh, n = r / p.oh;

    uint ox0 = bx * 4u, oc0 = ob * 8u;
    uint w_at[8];
    for (uint j = 0u; j < 8u; j++)
        w_at[j] = g * p.w_group + min(oc0 + j, p.mg - 1u) * p.w_m;
    float acc[8][4];
    for (uint j = 0u; j < 8u; j++)
        for (uint q = 0u; q < 4u; q++)
            acc[j][q] = 0.0;
    int iy0 = int(oy * p.sh) - p.ph, ix0 = int(ox0 * p.sw) - p.pw;
    for (uint ci = 0u; ci < p.cg; ci++) {
        uint plane = (n * p.c + g * p.cg + ci) * p.h;
        for (uint a = 0u; a < p.kh; a++) {
            int iy = iy0 + int(a * p.dh);
            if (iy < 0 || iy >= int(p.h)) continue;
            uint row = (plane + uint(iy)) * p.w;
            for (uint b = 0u; b < p.kw; b++) {
                uint k = (ci * p.kh + a) * p.kw + b;
                float wv[8], xv[4];
                for (uint j = 0u; j < 8u; j++)
                    wv[j] = wt[w_at[j] + k * p.w_k];
                for (uint q = 0u; q < 4u; q++) {
                    int ix = ix0 + int(q * p.sw + b * p.dw);
                    xv[q] = ix >= 0 && ix < int(p.w) ? x[row + uint(ix)] : 0.0;
                }
                for (uint j = 0u; j < 8u; j++)
                    for (uint q = 0u; q < 4u; q++)
                        acc[j][q] = fma(wv[j], xv[q], acc[j][q]);
            }
        }
    }
    for (uint j = 0u; j < 8u; j++) {
        if (oc0 + j >= p.mg) break;
        uint gm = g * p.mg + oc0 + j;
        float bv = p.has_bias != 0u ? bias[gm] : 0.0;
        uint out_row = ((n * p.m + gm) * p.oh + oy) * p.ow;
        for (uint q = 0u; q < 4u; q++)
            if (ox0 + q < p.ow)
                y[out_row + ox0 + q] =
                    activate(p.act, acc[j][q] + bv, p.act_alpha, p.act_min, p.act_max);
    }
}
