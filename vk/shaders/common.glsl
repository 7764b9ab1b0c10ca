// Shared by every shader: the flat invocation index of a dispatch folded into two dimensions
// (group counts are limited per dimension) and the activations Unary runs and Conv/Gemm fuse.
#define LO_ACT_NONE 0u
#define LO_ACT_RELU 1u
#define LO_ACT_SIGMOID 2u
#define LO_ACT_TANH 3u
#define LO_ACT_LEAKY_RELU 4u
#define LO_ACT_CLIP 5u

uint flat_invocation()
{
    return (gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x) * gl_WorkGroupSize.x +
           gl_LocalInvocationID.x;
}

float activate(uint op, float v, float alpha, float lo, float hi)
{
    if (op == LO_ACT_RELU) return max(v, 0.0);
    if (op == LO_ACT_SIGMOID) return 1.0 / (1.0 + exp(-v));
    if (op == LO_ACT_TANH) {
        // tanh() of large |v| overflows exp() inside some drivers' tanh: clamp first.
        return tanh(clamp(v, -15.0, 15.0));
    }
    if (op == LO_ACT_LEAKY_RELU) return v < 0.0 ? alpha * v : v;
    if (op == LO_ACT_CLIP) return min(max(v, lo), hi);
    return v;
}
