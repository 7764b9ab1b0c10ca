#version 450
// (Log-)softmax of X viewed as [outer, len, inner] along the middle axis: one invocation per
// (outer, inner) line, max subtracted first.
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

void main()
{
    uint line = flat_invocation();
    if (line >= p.outer * p.inner) return;
    uint base = (line / p.inner) * p.len * p.inner + line % p.inner;
    float top = uintBitsToFloat(0xff800000u);
    for (uint k = 0u; k < p.len; k++)
        top = max(top, x[base + k * p.inner]);
    float sum = 0.0;
    for (uint k = 0u; k < p.len; k++)
        sum += exp(x[base + k * p.inner] - top);
    float log_sum = log(sum);
    for (uint k = 0u; k < p.len; k++) {
        float shifted = x[base + k * p.inner] - top;
        y[base + k * p.inner] = p.log_softmax != 0u ? shifted - log_sum : exp(shifted) / sum;
    }
}
