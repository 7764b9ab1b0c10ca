#version 450
// Gemm and batched MatMul: Y[z] = act(alpha * A[z] @ B[z] + beta * C), A, B and C read through
// strides (transposes and broadcasts are strides; C's may be 0). A work-group of 64 computes a
// 32 x 32 tile of Y (4 x 4 per invocation) from 16-deep slices of A and B staged in shared
// memory; each slice is loaded along whichever axis is contiguous in memory. For MatMul,
// binding 4 holds each batch's (A, B) element offsets, made at prepare.
#extension GL_GOOGLE_include_directive : require
#define TILE 32u
#define TILE_K 16u
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
    uint a_m, a_k;   // A's strides along M and K
    uint b_k, b_n;   // B's strides along K and N
    uint c_m, c_n;   // C's strides (0: broadcast)
    uint has_c;
    float alpha, beta;
    uint act;
    uint batched;
    uint batches; // matrices in the grid (1 unless batched)
    float act_alpha, act_min, act_max; // LeakyRelu's alpha, Clip's bounds
} p;

shared float a_tile[TILE_K][TILE];
shared float b_tile[TILE_K][TILE];

void main()
{
    uint tid = gl_LocalInvocationID.x, tx = tid & 7u, ty = tid >> 3u;
    uint z = gl_WorkGroupID.z, m0 = gl_WorkGroupID.y * TILE, n0 = gl_WorkGroupID.x * TILE;
    uint a_base = p.batched != 0u ? batch_offsets[2u * z] : 0u;
    uint b_base = p.batched != 0u ? batch_offsets[2u * z + 1u] : 0u;
    bool a_k_fast = p.a_k == 1u, b_k_fast = p.b_k == 1u;

    float acc[4][4];
    for (uint i = 0u; i < 4u; i++)
        for (uint j = 0u; j < 4u; j++)
            acc[i][j] = 0.0;

    for (uint k0 = 0u; k0 < p.k; k0 += TILE_K) {
        for (uint r = 0u; r < 8u; r++) {
            uint e = tid + 64u * r;
            uint ka = a_k_fast ? e % TILE_K : e / TILE, ia = a_k_fast ? e / TILE_K : e % TILE;
            uint kb = b_k_fast ? e % TILE_K : e / TILE, jb = b_k_fast ? e / TILE_K : e % TILE;
            uint row = m0 + ia, col = n0 + jb;
            a_tile[ka][ia] = row < p.m && k0 + ka < p.k ? a[a_base + row * p.a_m + (k0 + ka) * p.a_k] : 0.0;
            b_tile[kb][jb] = col < p.n && k0 + kb < p.k ? b[b_base + (k0 + kb) * p.b_k + col * p.b_n] : 0.0;
        }
        barrier();
        for (uint kk = 0u; kk < TILE_K; kk++) {
            float av[4], bv[4];
            for (uint i = 0u; i < 4u; i++) {
                av[i] = a_tile[kk][ty + 8u * i];
                bv[i] = b_tile[kk][tx + 8u * i];
            }
            for (uint i = 0u; i < 4u; i++)
                for (uint j = 0u; j < 4u; j++)
                    acc[i][j] = fma(av[i], bv[j], acc[i][j]);
        }
        barrier();
    }

    uint y_base = z * p.m * p.n;
    for (uint i = 0u; i < 4u; i++) {
        uint row = m0 + ty + 8u * i;
        if (row >= p.m) continue;
        for (uint j = 0u; j < 4u; j++) {
            uint col = n0 + tx + 8u * j;
            if (col >= p.n) continue;
            float v = p.alpha * acc[i][j];
            if (p.has_c != 0u) v += p.beta * c[row * p.c_m + col * p.c_n];
            y[y_base + row * p.n + col] = activate(p.act, v, p.act_alpha, p.act_min, p.act_max);
        }
    }
}
