#version 450
// MaxPool and AveragePool over X [N*C, H, W] -> Y [N*C, OH, OW], one output per invocation.
// Window positions outside X are skipped (padding never wins a max); an average divides by the
// positions inside the padded input (count_include_pad) or inside X.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
// After the work-group size: common.glsl reads gl_WorkGroupSize.
#include "common.glsl"
layout(std430, binding = 0) writeonly buffer Y { float y[]; };
layout(std430, binding = 1) readonly buffer X { float x[]; };
layout(push_constant) uniform Params {
    uint count;
    uint mode; // 0 max, 1 average including padding, 2 average of X's positions only
    uint h, w, oh, ow;
    uint kh, kw;
    uint sh, sw;
    uint dh, dw;
    int ph, pw;      // padding before
    int pe_h, pe_w;  // padding after
} p;

void main()
{
    uint i = flat_invocation();
    if (i >= p.count) return;
    uint j = i % p.ow, t = i / p.ow;
    uint r0 = t % p.oh, plane = t / p.oh;
    int top = int(r0 * p.sh) - p.ph, left = int(j * p.sw) - p.pw;
    uint base = plane * p.h * p.w;
    float best = uintBitsToFloat(0xff800000u), sum = 0.0;
    uint counted = 0u;
    for (uint a = 0u; a < p.kh; a++) {
        int r = top + int(a * p.dh);
        bool row_in = r >= 0 && r < int(p.h);
        bool row_padded = r >= -p.ph && r < int(p.h) + p.pe_h;
        for (uint b = 0u; b < p.kw; b++) {
            int q = left + int(b * p.dw);
            bool in_x = row_in && q >= 0 && q < int(p.w);
            if (in_x) {
                float v = x[base + uint(r) * p.w + uint(q)];
                best = max(best, v);
                sum += v;
            }
            bool in_padded = row_padded && q >= -p.pw && q < int(p.w) + p.pe_w;
            if (p.mode == 1u ? in_padded : in_x) counted++;
        }
    }
    y[i] = p.mode == 0u ? best : (counted > 0u ? sum / float(counted) : 0.0);
}
