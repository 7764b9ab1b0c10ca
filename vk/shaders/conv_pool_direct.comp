#version 450
// Conv (+ activation) with a MaxPool epilogue (step.h: lo_conv_params.has_pool): one invocation
// per pooled output; it computes the convolution at each of its pool window's taps inside the
// convolution's output and keeps the largest, so the convolution's full output is never
// stored. Bindings and push constants as conv_pool_tiled.glsl's: Y (the pooled output), X, W, B.
// It runs the grids too small for tiles (vk_internal.h: LO_VK_POOL_DIRECT_BELOW), where its
// many short invocations beat a few work-groups' long chains of slabs.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
// After the work-group size: common.glsl reads gl_WorkGroupSize.
#include "common.glsl"
layout(std430, binding = 0) writeonly buffer Y { float y[]; };
layout(std430, binding = 1) readonly buffer X { float x[]; };
layout(std430, binding = 2) readonly buffer W { float wt[]; };
layout(std430, binding = 3) readonly buffer B { float bias[]; };
layout(push_constant) uniform Params {
    uint c, h, w;      // X: [N, c, h, w]
    uint m, oh, ow;    // the convolution's output [N, m, oh, ow], never stored
    uint py, px;       // Y: [N, m, py, px]
    uint pixels;       // pooled pixels: N * py * px (Y has pixels * m elements)
    uint cg, mg;       // channels per group in and out
    uint kh, kw;
    uint sh, sw, dh, dw;
    int ph, pw;        // the convolution's begin pads
    uint w_group, w_m, w_k; // W's strides per group, output channel and (ci, a, b) tap
    uint has_bias;
    uint act;
    float act_alpha, act_min, act_max; // LeakyRelu's alpha, Clip's bounds
    uint pk, ps, pd;   // the pool's window, stride, dilation: height | width << 16
    int pph, ppw;      // the pool's begin pads
} p;
#define pkh (p.pk & 0xffffu)
#define pkw (p.pk >> 16)
#define psh (p.ps & 0xffffu)
#define psw (p.ps >> 16)
#define pdh (p.pd & 0xffffu)
#define pdw (p.pd >> 16)

float conv_at(uint n, uint g, uint mo, uint oy, uint ox)
{
    uint w_base = g * p.w_group + (mo - g * p.mg) * p.w_m;
    int iy0 = int(oy * p.sh) - p.ph, ix0 = int(ox * p.sw) - p.pw;
    float acc = 0.0;
    for (uint ci = 0u; ci < p.cg; ci++) {
        uint plane = (n * p.c + g * p.cg + ci) * p.h;
        for (uint a = 0u; a < p.kh; a++) {
            int iy = iy0 + int(a * p.dh);
            if (iy < 0 || iy >= int(p.h)) continue;
            uint row = (plane + uint(iy)) * p.w;
            for (uint b = 0u; b < p.kw; b++) {
                int ix = ix0 + int(b * p.dw);
                if (ix < 0 || ix >= int(p.w)) continue;
                acc = fma(wt[w_base + ((ci * p.kh + a) * p.kw + b) * p.w_k], x[row + uint(ix)],
                          acc);
            }
        }
    }
    float bv = p.has_bias != 0u ? bias[mo] : 0.0;
    return activate(p.act, acc + bv, p.act_alpha, p.act_min, p.act_max);
}

void main()
{
    uint i = flat_invocation();
    if (i >= p.pixels * p.m) return;
    uint qx = i % p.px, t = i / p.px;
    uint qy = t % p.py;
    t /= p.py;
    uint mo = t % p.m, n = t / p.m;
    uint g = mo / p.mg;
    float best = uintBitsToFloat(0xff800000u); // -inf: what an empty window yields
    for (uint a = 0u; a < pkh; a++) {
        int oy = int(qy * psh + a * pdh) - p.pph;
        if (oy < 0 || oy >= int(p.oh)) continue;
        for (uint b = 0u; b < pkw; b++) {
            int ox = int(qx * psw + b * pdw) - p.ppw;
            if (ox < 0 || ox >= int(p.ow)) continue;
            best = max(best, conv_at(n, g, mo, uint(oy), uint(ox)));
        }
    }
    y[i] = best;
}
