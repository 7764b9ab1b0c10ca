/* The plan's constants on the device. Each is uploaded once per prepared plan, in the layout
 * the launches read it:
 *   - plain (row-major, as the model holds it): packed one after another into one read-only
 *     buffer owned by the prepared plan, each at an offset aligned to the device's base address
 *     alignment; a launch reads it as (that buffer, element offset), like an arena tensor;
 *   - blocked: the weights (and bias) of a blocked Conv and the B of a blocked Gemm are
 *     re-laid out by that launch into a buffer of its own (cl_launch_conv.c, cl_launch_gemm.c)
 *     and are not uploaded plain unless another launch reads them plain too.
 * Only constants some launch reads are uploaded; the host bytes are not kept.
 */
#include "cl_launch_internal.h"

#include <string.h>

static size_t round_up(size_t value, size_t multiple)
{
    return (value + multiple - 1) / multiple * multiple;
}

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

lo_status lo_cl_upload_constants(lo_backend_context *ctx, cl_command_queue queue,
                                 const lo_plan *plan, size_t *offsets, cl_mem *out, size_t *bytes,
                                 lo_error *err)
{
    *out = NULL;
    *bytes = 0;
    for (int c = 0; c < plan->num_constants; c++)
        offsets[c] = SIZE_MAX;
    /* Which constants a launch reads plain, and where each goes. */
    size_t end = 0;
    for (int s = 0; s < plan->num_steps; s++) {
        const lo_step *step = &plan->steps[s];
        for (int i = 0; i < step->num_inputs; i++) {
            if (step->inputs[i].buffer != LO_BUFFER_CONSTANT) continue;
            lo_status status = check_reference(plan, step, i, err);
            if (status != LO_OK) return status;
            const int c = step->inputs[i].constant;
            if (offsets[c] != SIZE_MAX || !lo_cl_reads_plain(ctx, step, i)) continue;
            const size_t size = plan->constants[c].bytes;
            offsets[c] = round_up(end, ctx->alignment);
            if (offsets[c] < end || size > SIZE_MAX - offsets[c])
                return lo_fail(err, LO_ERR_NO_MEMORY, "the plan's constants overflow size_t");
            end = offsets[c] + size;
        }
    }
    if (end == 0) return LO_OK; /* none, or only empty ones: kernels never read those */
    if (end > ctx->max_alloc_bytes)
        return lo_fail(err, LO_ERR_NO_MEMORY,
                       "the plan's constants (%zu bytes) exceed the device's largest allocation "
                       "(CL_DEVICE_MAX_MEM_ALLOC_SIZE %llu)",
                       end, (unsigned long long)ctx->max_alloc_bytes);
    cl_int rc = CL_SUCCESS;
    cl_mem mem = clCreateBuffer(ctx->context, CL_MEM_READ_ONLY, end, NULL, &rc);
    if (rc != CL_SUCCESS)
        return lo_fail(err, lo_cl_status_of(rc),
                       "clCreateBuffer (%zu bytes of constants) failed: %s", end,
                       lo_cl_error_name(rc));
    for (int c = 0; c < plan->num_constants; c++) {
        const lo_plan_constant *constant = &plan->constants[c];
        if (offsets[c] == SIZE_MAX || constant->bytes == 0) continue;
        rc = clEnqueueWriteBuffer(queue, mem, CL_FALSE, offsets[c], constant->bytes, constant->data,
                                  0, NULL, NULL);
        if (rc != CL_SUCCESS) {
            clFinish(queue); /* the writes already enqueued read the host bytes */
            clReleaseMemObject(mem);
            return lo_fail(err, lo_cl_status_of(rc),
                           "constant '%s': clEnqueueWriteBuffer (%zu bytes) failed: %s",
                           constant->name ? constant->name : "?", constant->bytes,
                           lo_cl_error_name(rc));
        }
    }
    *out = mem;
    *bytes = end;
    return LO_OK;
}
