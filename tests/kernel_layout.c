/* Random layout steps: Pad (growing and cropping), Concat of 1 to 8 inputs along any axis, and
 * Transpose of ranks 1 to 6. */
#include "kernel_harness.h"

#include <stdio.h>
#include <string.h>

void gen_pad(batch *b)
{
    pending pc;
    memset(&pc, 0, sizeof pc);
    pc.st.kind = LO_STEP_PAD;
    snprintf(pc.st.label, sizeof pc.st.label, "Pad");
    lo_pad_params *p = &pc.st.params.pad;
    const int rank = (int)rint_(1, 5);
    const lo_shape xs = small_shape(rank, rank > 3 ? 6 : 12);
    lo_shape ys = xs;
    for (int d = 0; d < rank; d++) {
        /* Mostly growth; now and then cropping (negative pads), never below one element. */
        p->pad_begin[d] = chance(0.2) ? -rint_(0, xs.dims[d] - 1) : rint_(0, 3);
        p->pad_end[d] = chance(0.2) ? -rint_(0, xs.dims[d] - 1) : rint_(0, 3);
        if (xs.dims[d] + p->pad_begin[d] + p->pad_end[d] < 1) p->pad_end[d] = -p->pad_begin[d];
        ys.dims[d] = xs.dims[d] + p->pad_begin[d] + p->pad_end[d];
    }
    p->value = chance(0.5) ? 0.0f : ref_rng_float(&rng, -5.0f, 5.0f);
    set_input(&pc, 0, LO_DTYPE_FLOAT, xs, random_f32(b, ref_numel(&xs), -1, 1), 0.85);
    pc.st.output.dtype = LO_DTYPE_FLOAT;
    pc.st.output.shape = ys;
    batch_add(b, &pc);
}

void gen_concat(batch *b)
{
    pending pc;
    memset(&pc, 0, sizeof pc);
    pc.st.kind = LO_STEP_CONCAT;
    snprintf(pc.st.label, sizeof pc.st.label, "Concat");
    const int rank = (int)rint_(1, 4);
    const int axis = (int)rint_(0, rank - 1);
    const int count = (int)rint_(1, LO_STEP_MAX_INPUTS);
    lo_shape ys = small_shape(rank, rank > 2 ? 7 : 12);
    ys.dims[axis] = 0;
    pc.st.params.concat.axis = axis;
    for (int i = 0; i < count; i++) {
        lo_shape xs = ys;
        xs.dims[axis] = rint_(1, 6);
        ys.dims[axis] += xs.dims[axis];
        set_input(&pc, i, LO_DTYPE_FLOAT, xs, random_f32(b, ref_numel(&xs), -1, 1), 0.8);
    }
    pc.st.output.dtype = LO_DTYPE_FLOAT;
    pc.st.output.shape = ys;
    batch_add(b, &pc);
}

void gen_transpose(batch *b)
{
    pending pc;
    memset(&pc, 0, sizeof pc);
    pc.st.kind = LO_STEP_TRANSPOSE;
    snprintf(pc.st.label, sizeof pc.st.label, "Transpose");
    const int rank = (int)rint_(1, 6);
    const lo_shape xs = small_shape(rank, rank > 4 ? 4 : rank > 2 ? 8 : 20);
    int *perm = pc.st.params.transpose.perm;
    for (int d = 0; d < rank; d++)
        perm[d] = d;
    for (int d = rank - 1; d > 0; d--) { /* Fisher-Yates */
        const int j = (int)rint_(0, d), t = perm[d];
        perm[d] = perm[j];
        perm[j] = t;
    }
    /* A third are what converters emit, NHWC <-> NCHW (a batched 2-D transpose for OpenCL). */
    if (rank == 4 && chance(0.33)) {
        const int to_nchw[4] = {0, 3, 1, 2}, to_nhwc[4] = {0, 2, 3, 1};
        memcpy(perm, chance(0.5) ? to_nchw : to_nhwc, sizeof to_nchw);
    }
    lo_shape ys = xs;
    for (int d = 0; d < rank; d++)
        ys.dims[d] = xs.dims[perm[d]];
    set_input(&pc, 0, LO_DTYPE_FLOAT, xs, random_f32(b, ref_numel(&xs), -1, 1), 0.85);
    pc.st.output.dtype = LO_DTYPE_FLOAT;
    pc.st.output.shape = ys;
    batch_add(b, &pc);
}
