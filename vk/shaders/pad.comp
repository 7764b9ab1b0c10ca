#version 450
// Constant Pad: y[i] = x[i - pad_begin] where that lies inside x, else value (negative pads
// crop). Shapes are rank <= 8; unused axes are 1.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
// After the work-group size: common.glsl reads gl_WorkGroupSize.
#include "common.glsl"
layout(std430, binding = 0) writeonly buffer Y { float y[]; };
layout(std430, binding = 1) readonly buffer X { float x[]; };
layout(push_constant) uniform Params {
    uint count;
    uint rank;
    float value;
    uint out_dims[8];
    uint in_dims[8];
    int pad_begin[8];
} p;

void main()
{
    uint i = flat_invocation();
    if (i >= p.count) return;
    uint rest = i, at = 0u, scale = 1u;
    bool inside = true;
    for (int d = int(p.rank) - 1; d >= 0; d--) {
        int idx = int(rest % p.out_dims[d]) - p.pad_begin[d];
        rest /= p.out_dims[d];
        inside = inside && idx >= 0 && idx < int(p.in_dims[d]);
        at += uint(max(idx, 0)) * scale;
        scale *= p.in_dims[d];
    }
    y[i] = inside ? x[at] : p.value;
}
