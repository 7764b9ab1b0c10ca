#version 450
// Binary: y[i] = op(a[a_off(i)], b[b_off(i)]), each offset the sum of index * stride over the
// output's axes (stride 0 along a broadcast axis).
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
// After the work-group size: common.glsl reads gl_WorkGroupSize.
#include "common.glsl"
layout(std430, binding = 0) writeonly buffer Y { float y[]; };
layout(std430, binding = 1) readonly buffer A { float a[]; };
layout(std430, binding = 2) readonly buffer B { float b[]; };
layout(push_constant) uniform Params {
    uint count;
    uint rank;
    uint op; // 1 add, 2 sub, 3 mul, 4 div, 5 prelu (lo_binary_op)
    uint dims[8];
    uint a_strides[8];
    uint b_strides[8];
} p;

void main()
{
    uint i = flat_invocation();
    if (i >= p.count) return;
    uint rest = i, ai = 0u, bi = 0u;
    for (int d = int(p.rank) - 1; d >= 0; d--) {
        uint idx = rest % p.dims[d];
        rest /= p.dims[d];
        ai += idx * p.a_strides[d];
        bi += idx * p.b_strides[d];
    }
    float av = a[ai], bv = b[bi], v;
    if (p.op == 1u) v = av + bv;
    else if (p.op == 2u) v = av - bv;
    else if (p.op == 3u) v = av * bv;
    else if (p.op == 4u) v = av / bv;
    else v = av < 0.0 ? bv * av : av;
    y[i] = v;
}
