/* The plan's constants on the device, each uploaded once per context (cl_constant_cache.c:
 * plans of one model share it), in the layout the launches read it:
 *   - plain (row-major, as the model holds it): a read-only buffer of its own, keyed by the
 *     constant's id; a launch reads it as (that buffer, element offset 0);
 *   - blocked: the weights (and bias) of a blocked Conv and the B of a blocked Gemm are
 *     re-laid out by that launch (cl_launch_conv.c, cl_launch_gemm.c), keyed by the ids and
 *     the layout's parameters, and are not uploaded plain unless another launch reads them
 *     plain too.
 * Only constants some launch reads are uploaded; the host bytes are not kept.
 */
#include "cl_launch_internal.h"

#include <string.h>

#include "alloc.h"

/* Checks a step's reference against the constant it names: in range, same byte count. */
static lo_status check_reference(const lo_plan *plan, const lo_step *step, int input, lo_error *err)
{
    const lo_tensor_ref *ref = &step->inputs[input];
    if (ref->constant < 0 || ref->constant >= plan->num_constants)
        return lo_cl_step_fail(err, step, LO_ERR_ARGUMENT, "input %d names constant %d of %d",
                               input, ref->constant, plan->num_constants);
    const lo_plan_constant *c = &plan->constants[ref->constant];
    const size_t bytes = lo_tensor_ref_bytes(ref);
    if (c->bytes != bytes || (bytes > 0 && !c->data))
        return lo_cl_step_fail(err, step, LO_ERR_ARGUMENT,
                               "input %d reads %zu bytes of constant '%s', which holds %zu", input,
                               bytes, c->name ? c->name : "?", c->bytes);
    return LO_OK;
}

lo_status lo_cl_constants_read(const lo_backend_context *ctx, const lo_plan *plan, bool plain_only,
                               bool *read, lo_error *err)
{
    for (int c = 0; c < plan->num_constants; c++)
        read[c] = false;
    for (int s = 0; s < plan->num_steps; s++) {
        const lo_step *step = &plan->steps[s];
        for (int i = 0; i < step->num_inputs; i++) {
            if (step->inputs[i].buffer != LO_BUFFER_CONSTANT) continue;
            const lo_status status = check_reference(plan, step, i, err);
            if (status != LO_OK) return status;
            if (!plain_only || lo_cl_reads_plain(ctx, step, i))
                read[step->inputs[i].constant] = true;
        }
    }
    return LO_OK;
}

lo_status lo_cl_upload_constants(lo_backend_context *ctx, const lo_plan *plan, cl_mem *mems,
                                 lo_error *err)
{
    for (int c = 0; c < plan->num_constants; c++)
        mems[c] = NULL;
    bool *read = lo_calloc((size_t)plan->num_constants + 1, sizeof *read);
    if (!read) return lo_fail(err, LO_ERR_NO_MEMORY, "out of memory listing the plan's constants");
    lo_status status = lo_cl_constants_read(ctx, plan, true, read, err);
    for (int c = 0; c < plan->num_constants && status == LO_OK; c++) {
        const lo_plan_constant *constant = &plan->constants[c];
        /* Empty constants are never read: kernels get any buffer for them. */
        if (!read[c] || constant->bytes == 0) continue;
        if (constant->bytes > ctx->max_alloc_bytes) {
            status = lo_fail(err, LO_ERR_NO_MEMORY,
                             "constant '%s' (%zu bytes) exceeds the device's largest allocation "
                             "(CL_DEVICE_MAX_MEM_ALLOC_SIZE %llu)",
                             constant->name ? constant->name : "?", constant->bytes,
                             (unsigned long long)ctx->max_alloc_bytes);
            break;
        }
        const lo_cl_constant_key key = {{constant->id, 0}, "plain"};
        if (lo_cl_constant_acquire(ctx, &key, &mems[c])) continue;
        status = lo_cl_constant_add(ctx, &key, constant->data, constant->bytes, &mems[c], err);
        if (status != LO_OK)
            lo_fail_prefix(err, "constant '%s': ", constant->name ? constant->name : "?");
    }
    lo_free(read);
    return status;
}
