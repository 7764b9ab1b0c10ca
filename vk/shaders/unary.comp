#version 450
// Unary: y = act(x) element-wise; Clip's bounds come from push constants or, when only known at
// run time, from one-element inputs (bindings 2 and 3; bound to X when unused).
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
// After the work-group size: common.glsl reads gl_WorkGroupSize.
#include "common.glsl"
layout(std430, binding = 0) writeonly buffer Y { float y[]; };
layout(std430, binding = 1) readonly buffer X { float x[]; };
layout(std430, binding = 2) readonly buffer Lo { float lo_in[]; };
layout(std430, binding = 3) readonly buffer Hi { float hi_in[]; };
layout(push_constant) uniform Params {
    uint count;
    uint op;
    float alpha;
    float lo;
    float hi;
    uint lo_from_input;
    uint hi_from_input;
} p;

void main()
{
    uint i = flat_invocation();
    if (i >= p.count) return;
    float lo = p.lo_from_input != 0u ? lo_in[0] : p.lo;
    float hi = p.hi_from_input != 0u ? hi_in[0] : p.hi;
    y[i] = activate(p.op, x[i], p.alpha, lo, hi);
}
