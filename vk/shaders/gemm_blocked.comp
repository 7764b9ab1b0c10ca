#version 450
// Gemm and batched MatMul for CPU-like devices (lavapipe): no shared memory; each invocation
// computes 8 adjacent columns of one row. The column block and the matrix come from the
// work-group's id, so B's addresses are uniform (loads broadcast, not gathered); the lanes take
// consecutive rows. Bindings and push constants as gemm.comp.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
// After the work-group size: common.glsl reads gl_WorkGroupSize.
#include "common.glsl"
layout(std430, binding = 0) writeonly buffer Y { float y[]; };
layout(std430, binding = 1) readonly buffer A { float a[]; };
layout(std430, binding = 2) readonly buffer B { float b[]; };
layout(std430, binding = 3) readonly buffer C { float c[]; };
layout(std430, binding = 4) readonly buffer Offsets { uint batch_offsets[]; };
layout(push_constant) uniform Params {
    uint m, n, k;
    uint a_m, a_k;
    uint b_k, b_n;
    uint c_m, c_n;
    uint has_c;
    float alpha, beta;
    uint act;
    uint batched;
    uint batches; // matrices in the grid (1 unless batched)
    float act_alpha, act_min, act_max; // LeakyRelu's alpha, Clip's bounds
} p;

void main()
{
    uint row = gl_WorkGroupID.x * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
    uint cb = gl_WorkGroupID.y, z = gl_WorkGroupID.z;
    if (row >= p.m) return;
    uint a_base = p.batched != 0u ? batch_offsets[2u * z] : 0u;
    uint b_base = p.batched != 0u ? batch_offsets[2u * z + 1u] : 0u;
    uint col0 = cb * 8u;
    uint b_at[8];
    for (uint j = 0u; j < 8u; j++)
        b_at[j] = b_base + min(col0 + j, p.n - 1u) * p.b_n;
    float acc[8];
    for (uint j = 0u; j < 8u; j++)
        acc[j] = 0.0;
    uint a_at = a_base + row * p.a_m;
    for (uint kk = 0u; kk < p.k; kk++) {
        float av = a[a_at + kk * p.a_k];
        for (uint j = 0u; j < 8u; j++)
            acc[j] = fma(av, b[b_at[j] + kk * p.b_k], acc[j]);
    }
    uint y_base = z * p.m * p.n;
    for (uint j = 0u; j < 8u; j++) {
        uint col = col0 + j;
        if (col >= p.n) break;
        float v = p.alpha * acc[j];
        if (p.has_c != 0u) v += p.beta * c[row * p.c_m + col * p.c_n];
        y[y_base + row * p.n + col] = activate(p.act, v, p.act_alpha, p.act_min, p.act_max);
    }
}
