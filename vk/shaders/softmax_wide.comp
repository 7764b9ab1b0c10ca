#version 450
// (Log-)softmax of X viewed as [outer, len, inner] for long lines: one work-group per line, its
// invocations striding over the line and reducing the max and the sum in shared memory. (One
// invocation per line, softmax.comp, is better for short lines; lavapipe also caps the loop
// iterations of one invocation at 65535, which long lines would pass.)
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
// After the work-group size: common.glsl reads gl_WorkGroupSize.
#include "common.glsl"
layout(std430, binding = 0) writeonly buffer Y { float y[]; };
layout(std430, binding = 1) readonly buffer X { float x[]; };
layout(push_constant) uniform Params {
    uint outer;
    uint len;
    uint inner;
    uint log_softmax;
} p;

shared float partial[64];

// The max (is_max) or sum of every invocation's value; every invocation gets it.
float reduce(float value, bool is_max)
{
    uint lane = gl_LocalInvocationID.x;
    partial[lane] = value;
    barrier();
    for (uint step = 32u; step > 0u; step >>= 1u) {
        if (lane < step) {
            float other = partial[lane + step];
            partial[lane] = is_max ? max(partial[lane], other) : partial[lane] + other;
        }
        barrier();
    }
    float result = partial[0];
    barrier();
    return result;
}

void main()
{
    uint line = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
    if (line >= p.outer * p.inner) return; // the whole work-group alike
    uint base = (line / p.inner) * p.len * p.inner + line % p.inner;
    uint lane = gl_LocalInvocationID.x;
    float top = uintBitsToFloat(0xff800000u);
    for (uint k = lane; k < p.len; k += 64u)
        top = max(top, x[base + k * p.inner]);
    top = reduce(top, true);
    float sum = 0.0;
    for (uint k = lane; k < p.len; k += 64u)
        sum += exp(x[base + k * p.inner] - top);
    sum = reduce(sum, false);
    float log_sum = log(sum);
    for (uint k = lane; k < p.len; k += 64u) {
        float shifted = x[base + k * p.inner] - top;
        y[base + k * p.inner] = p.log_softmax != 0u ? shifted - log_sum : exp(shifted) / sum;
    }
}
