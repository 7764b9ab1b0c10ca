#version 450
// Inference BatchNormalization of X viewed as [outer, channels, inner].
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
// After the work-group size: common.glsl reads gl_WorkGroupSize.
#include "common.glsl"
layout(std430, binding = 0) writeonly buffer Y { float y[]; };
layout(std430, binding = 1) readonly buffer X { float x[]; };
layout(std430, binding = 2) readonly buffer Scale { float scale[]; };
layout(std430, binding = 3) readonly buffer Bias { float bias[]; };
layout(std430, binding = 4) readonly buffer Mean { float mean[]; };
layout(std430, binding = 5) readonly buffer Var { float var_[]; };
layout(push_constant) uniform Params {
    uint count;
    uint channels;
    uint inner;
    float epsilon;
} p;

void main()
{
    uint i = flat_invocation();
    if (i >= p.count) return;
    uint c = (i / p.inner) % p.channels;
    y[i] = (x[i] - mean[c]) * inversesqrt(var_[c] + p.epsilon) * scale[c] + bias[c];
}
