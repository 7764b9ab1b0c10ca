#version 450
// MaxPool of uint8 X [N*C, H, W] -> Y [N*C, OH, OW]. Storage is read and written as 32-bit
// words (no 8-bit storage needed): each invocation computes the four bytes of one output word;
// the word holding the tensor's last bytes keeps the bytes past its end.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
// After the work-group size: common.glsl reads gl_WorkGroupSize.
#include "common.glsl"
layout(std430, binding = 0) buffer Y { uint yw[]; };
layout(std430, binding = 1) readonly buffer X { uint xw[]; };
layout(push_constant) uniform Params {
    uint count; // output bytes
    uint h, w, oh, ow;
    uint kh, kw;
    uint sh, sw;
    uint dh, dw;
    int ph, pw;
} p;

uint load_byte(uint at)
{
    return (xw[at >> 2] >> ((at & 3u) * 8u)) & 0xffu;
}

uint pooled(uint i)
{
    uint j = i % p.ow, t = i / p.ow;
    uint r0 = t % p.oh, plane = t / p.oh;
    int top = int(r0 * p.sh) - p.ph, left = int(j * p.sw) - p.pw;
    uint base = plane * p.h * p.w, best = 0u;
    for (uint a = 0u; a < p.kh; a++) {
        int r = top + int(a * p.dh);
        if (r < 0 || r >= int(p.h)) continue;
        for (uint b = 0u; b < p.kw; b++) {
            int q = left + int(b * p.dw);
            if (q >= 0 && q < int(p.w)) best = max(best, load_byte(base + uint(r) * p.w + uint(q)));
        }
    }
    return best;
}

void main()
{
    uint word = flat_invocation();
    uint first = word * 4u;
    if (first >= p.count) return;
    uint value = 0u, mask = 0u;
    for (uint k = 0u; k < 4u && first + k < p.count; k++) {
        value |= pooled(first + k) << (k * 8u);
        mask |= 0xffu << (k * 8u);
    }
    yw[word] = mask == 0xffffffffu ? value : (yw[word] & ~mask) | value;
}
