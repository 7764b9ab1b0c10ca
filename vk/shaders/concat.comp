#version 450
// One input of a Concat: X viewed as [outer, row] lands in Y viewed as [outer, out_row] at
// column out_start (row = the input's axis length times the inner size).
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
// After the work-group size: common.glsl reads gl_WorkGroupSize.
#include "common.glsl"
layout(std430, binding = 0) writeonly buffer Y { float y[]; };
layout(std430, binding = 1) readonly buffer X { float x[]; };
layout(push_constant) uniform Params {
    uint count;
    uint row;
    uint out_row;
    uint out_start;
} p;

void main()
{
    uint i = flat_invocation();
    if (i >= p.count) return;
    y[(i / p.row) * p.out_row + p.out_start + i % p.row] = x[i];
}
