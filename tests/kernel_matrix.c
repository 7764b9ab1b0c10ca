/* Random Gemm and MatMul steps: every transpose, every broadcast of C, classifier-sized
 * products, sizes at the edges of tiles, batched and broadcast matrix products with 1-D promotion.
 */
#include "kernel_harness.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int64_t gemm_dim(void)
{
    const int64_t r = rint_(0, 9);
    return r == 0 ? 1 : r == 1 ? 70 : rint_(1, 70);
}

/* A size at a tile edge of blocked and tiled kernels: a power of two from 8 to 128, or one
 * more or one less. */
static int64_t tile_edge_dim(void)
{
    return ((int64_t)8 << rint_(0, 4)) + rint_(-1, 1);
}

void gen_gemm(batch *b, int index)
{
    pending pc;
    memset(&pc, 0, sizeof pc);
    lo_gemm_params *p = &pc.st.params.gemm;
    pc.st.kind = LO_STEP_GEMM;
    /* Some cases are the size of a classifier layer (LeNet's first is 400 -> 120). */
    const bool large = index % 8 == 7;
    /* Some at the edges of tiles: whole tiles, and one row, column or step past or short. */
    const bool edges = !large && chance(0.15);
    /* Some with a K past two of the CPU kernels' slabs (PyTorch's MNIST example: 9216). */
    const bool long_k = index % 16 == 15;
    const int64_t m = edges ? tile_edge_dim() : long_k ? rint_(24, 60) : gemm_dim();
    const int64_t n = edges ? tile_edge_dim() : large ? rint_(70, 130) : gemm_dim();
    const int64_t k = edges    ? tile_edge_dim()
                      : long_k ? rint_(1030, 2600)
                      : large  ? rint_(100, 512)
                               : gemm_dim();
    p->trans_a = index & 1;
    p->trans_b = (index >> 1) & 1;
    p->alpha = chance(0.3) ? 1.0f : ref_rng_float(&rng, -2.0f, 2.0f);
    p->beta = chance(0.3) ? 1.0f : chance(0.05) ? 0.0f : ref_rng_float(&rng, -2.0f, 2.0f);
    p->activation = random_fused_activation(&p->activation_args);
    step_label(&pc.st, "Gemm", p->activation);
    const lo_shape as = p->trans_a ? ref_shape2(k, m) : ref_shape2(m, k);
    const lo_shape bs = p->trans_b ? ref_shape2(n, k) : ref_shape2(k, n);
    set_input(&pc, 0, LO_DTYPE_FLOAT, as, random_f32(b, m * k, -1, 1), 0.8);
    set_input(&pc, 1, LO_DTYPE_FLOAT, bs, random_f32(b, k * n, -1, 1), 0.25);
    lo_shape cs;
    memset(&cs, 0, sizeof cs);
    switch ((index / 4) % 8) {
    case 0:
        cs.rank = -1; /* no C */
        break;
    case 1:
        cs = ref_shape(0, NULL);
        break;
    case 2:
        cs = ref_shape1(n);
        break;
    case 3:
        cs = ref_shape2(1, n);
        break;
    case 4:
        cs = ref_shape2(m, 1);
        break;
    case 5:
        cs = ref_shape2(m, n);
        break;
    case 6:
        cs = ref_shape1(1);
        break;
    default:
        cs = ref_shape2(1, 1);
        break;
    }
    p->has_c = cs.rank >= 0;
    if (p->has_c) set_input(&pc, 2, LO_DTYPE_FLOAT, cs, random_f32(b, ref_numel(&cs), -1, 1), 0.25);
    pc.st.output.dtype = LO_DTYPE_FLOAT;
    pc.st.output.shape = ref_shape2(m, n);
    batch_add(b, &pc);
}

/* A classifier head as one step: 1 to 3 layers (LeNet's is 800 -> 120 -> 84 -> 10), up to
 * LO_GEMM_CHAIN_MAX_ROWS rows, every form of C the chain takes, B and C constants. */
void gen_gemm_chain(batch *b, int index)
{
    pending pc;
    memset(&pc, 0, sizeof pc);
    pc.st.kind = LO_STEP_GEMM_CHAIN;
    lo_gemm_chain_params *p = &pc.st.params.gemm_chain;
    p->layers = 1 + index % LO_GEMM_CHAIN_MAX_LAYERS;
    const bool large = index % 5 == 4;
    const int64_t m = chance(0.3) ? 1 : rint_(1, LO_GEMM_CHAIN_MAX_ROWS);
    int64_t width = large ? rint_(400, 900) : rint_(1, 70);
    set_input(&pc, 0, LO_DTYPE_FLOAT, ref_shape2(m, width), random_f32(b, m * width, -1, 1), 0.8);
    int next = 1, used = 0;
    for (int l = 0; l < p->layers; l++) {
        lo_gemm_params *g = &p->layer[l];
        const int64_t n = large && l == 0 ? rint_(70, 130) : rint_(1, 40);
        g->trans_b = chance(0.5);
        g->alpha = chance(0.5) ? 1.0f : ref_rng_float(&rng, -2.0f, 2.0f);
        g->beta = chance(0.5) ? 1.0f : ref_rng_float(&rng, -2.0f, 2.0f);
        g->activation = random_fused_activation(&g->activation_args);
        p->b_input[l] = next;
        /* Weights of a trained layer's scale (1/sqrt(K)) keep every layer's values near 1, so
         * the comparison's tolerance means the same after three layers as after one. */
        const float scale = 1.0f / sqrtf((float)width);
        const lo_shape bs = g->trans_b ? ref_shape2(n, width) : ref_shape2(width, n);
        set_input(&pc, next++, LO_DTYPE_FLOAT, bs, random_f32(b, width * n, -scale, scale), 0.0);
        const int form = (int)rint_(0, 4);
        g->has_c = form != 0;
        if (g->has_c) {
            const lo_shape cs = form == 1   ? ref_shape1(n)
                                : form == 2 ? ref_shape2(1, n)
                                : form == 3 ? ref_shape(0, NULL)
                                            : ref_shape2(1, 1);
            p->c_input[l] = next;
            set_input(&pc, next++, LO_DTYPE_FLOAT, cs, random_f32(b, ref_numel(&cs), -1, 1), 0.0);
        }
        used += snprintf(pc.st.label + used, sizeof pc.st.label - (size_t)used, "%sGemm%s%s",
                         l ? ">" : "", g->activation ? "+" : "",
                         g->activation ? lo_activation_name(g->activation) : "");
        width = n;
    }
    pc.st.output.dtype = LO_DTYPE_FLOAT;
    pc.st.output.shape = ref_shape2(m, width);
    batch_add(b, &pc);
}

/* A random shape of the given rank whose element count is exactly numel. */

void gen_matmul(batch *b)
{
    pending pc;
    memset(&pc, 0, sizeof pc);
    pc.st.kind = LO_STEP_MATMUL;
    lo_matmul_params *p = &pc.st.params.matmul;
    snprintf(pc.st.label, sizeof pc.st.label, "MatMul");
    const int ra = (int)rint_(1, 5), rb = (int)rint_(1, 5);
    p->m = ra == 1 ? 1 : rint_(1, 20);
    p->k = rint_(1, 40);
    p->n = rb == 1 ? 1 : rint_(1, 20);
    /* Batch dims of the output; each operand takes a suffix of them, some set to 1. */
    const int abr = ra > 2 ? ra - 2 : 0, bbr = rb > 2 ? rb - 2 : 0;
    p->batch_rank = abr > bbr ? abr : bbr;
    for (int d = 0; d < p->batch_rank; d++)
        p->batch_dims[d] = rint_(1, 4);
    int64_t ad[LO_MAX_RANK], bd[LO_MAX_RANK];
    for (int d = 0; d < abr; d++)
        ad[d] = chance(0.3) ? 1 : p->batch_dims[p->batch_rank - abr + d];
    for (int d = 0; d < bbr; d++)
        bd[d] = chance(0.3) ? 1 : p->batch_dims[p->batch_rank - bbr + d];
    /* Where both operands have a 1 (or lack the axis), so does the output. */
    for (int d = 0; d < p->batch_rank; d++) {
        const int da = d - (p->batch_rank - abr), db = d - (p->batch_rank - bbr);
        const int64_t x = da >= 0 ? ad[da] : 1, z = db >= 0 ? bd[db] : 1;
        p->batch_dims[d] = x == 1 ? z : x;
    }
    const lo_shape ab = ref_shape(abr, ad), bb = ref_shape(bbr, bd);
    test_strides(&ab, p->batch_rank - abr, p->a_strides);
    test_strides(&bb, p->batch_rank - bbr, p->b_strides);
    for (int d = 0; d < p->batch_rank; d++) {
        p->a_strides[d] *= p->m * p->k;
        p->b_strides[d] *= p->k * p->n;
    }
    lo_shape as = ab, bs = bb, ys = ref_shape(p->batch_rank, p->batch_dims);
    if (ra > 1) as.dims[as.rank++] = p->m;
    as.dims[as.rank++] = p->k;
    bs.dims[bs.rank++] = p->k;
    if (rb > 1) bs.dims[bs.rank++] = p->n;
    if (ra > 1) ys.dims[ys.rank++] = p->m;
    if (rb > 1) ys.dims[ys.rank++] = p->n;
    set_input(&pc, 0, LO_DTYPE_FLOAT, as, random_f32(b, ref_numel(&as), -1, 1), 0.8);
    set_input(&pc, 1, LO_DTYPE_FLOAT, bs, random_f32(b, ref_numel(&bs), -1, 1), 0.5);
    pc.st.output.dtype = LO_DTYPE_FLOAT;
    pc.st.output.shape = ys;
    batch_add(b, &pc);
}
