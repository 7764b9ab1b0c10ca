#version 450
// Transpose (and any strided gather): y[i] = x[sum of index(i, d) * strides[d]] over the
// output's axes, strides[d] being X's stride along axis perm[d].
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
// After the work-group size: common.glsl reads gl_WorkGroupSize.
#include "common.glsl"
layout(std430, binding = 0) writeonly buffer Y { float y[]; };
layout(std430, binding = 1) readonly buffer X { float x[]; };
layout(push_constant) uniform Params {
    uint count;
    uint rank;
    uint out_dims[8];
    uint in_strides[8];
} p;

void main()
{
    uint i = flat_invocation();
    if (i >= p.count) return;
    uint rest = i, at = 0u;
    for (int d = int(p.rank) - 1; d >= 0; d--) {
        at += (rest % p.out_dims[d]) * p.in_strides[d];
        rest /= p.out_dims[d];
    }
    y[i] = x[at];
}
