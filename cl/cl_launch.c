/* Planned steps to kernel launches: the dispatch per step kind (lo_cl_launch_prepare,
 * lo_cl_reads_plain) and the helpers every family shares. Each family's kernel choice,
 * arguments and sizes are in cl_launch_<family>.c; steps arrive validated by the core and
 * accepted by cl_supports.c, so nothing here re-checks them.
 */
#include "cl_launch_internal.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- sizes ---- */

const char *lo_cl_shape_text(const lo_shape *shape, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    used += (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < shape->rank && i < LO_MAX_RANK && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%lld", i ? "," : "",
                                 (long long)shape->dims[i]);
    if (used < size) snprintf(buf + used, size - used, "]");
    return buf;
}

/* ---- messages ---- */

/* "node 'conv1' (Conv+Relu): " + the formatted text. */
lo_status lo_cl_step_fail(lo_error *err, const lo_step *step, lo_status status, const char *fmt,
                          ...)
{
    char text[LENET_ONNX_MESSAGE_SIZE];
    va_list args;
    va_start(args, fmt);
    vsnprintf(text, sizeof text, fmt, args);
    va_end(args);
    return lo_fail(err, status, "node '%s' (%s): %s", step->node_name ? step->node_name : "?",
                   step->label, text);
}

bool lo_cl_fits_int(int64_t value)
{
    return value >= 0 && value <= INT_MAX;
}

/* ---- argument binding ---- */

void lo_cl_arg_raw(lo_cl_args *args, size_t size, const void *value)
{
    if (args->rc == CL_SUCCESS) {
        args->rc = clSetKernelArg(args->kernel, args->next, size, value);
        if (args->rc != CL_SUCCESS) args->failed = args->next;
    }
    args->next++;
}

void lo_cl_arg_mem(lo_cl_args *args, cl_mem mem)
{
    lo_cl_arg_raw(args, sizeof mem, &mem);
}

void lo_cl_arg_int(lo_cl_args *args, int64_t value)
{
    cl_int v = (cl_int)value; /* callers checked the range */
    lo_cl_arg_raw(args, sizeof v, &v);
}

void lo_cl_arg_float(lo_cl_args *args, float value)
{
    cl_float v = value;
    lo_cl_arg_raw(args, sizeof v, &v);
}

void lo_cl_arg_activation(lo_cl_args *args, lo_activation act, const lo_activation_args *a)
{
    const cl_float4 v = {{(cl_float)act, a->alpha, a->min, a->max}};
    lo_cl_arg_raw(args, sizeof v, &v);
}

lo_status lo_cl_place_tensor(const lo_step *step, const lo_cl_buffers *buffers,
                             const lo_tensor_ref *ref, const char *what, lo_cl_tensor *out,
                             lo_error *err)
{
    const bool constant = ref->buffer == LO_BUFFER_CONSTANT;
    const size_t esize = lo_dtype_size(ref->dtype);
    const size_t bytes = lo_tensor_ref_bytes(ref);
    size_t offset = ref->offset, capacity = buffers->arena_bytes;
    cl_mem mem = buffers->arena;
    if (constant) {
        offset = 0;
        capacity = buffers->plan->constants[ref->constant].bytes;
        /* An empty constant was not uploaded: any buffer will do, nothing reads it. */
        if (buffers->constant_mems[ref->constant])
            mem = buffers->constant_mems[ref->constant];
        else if (capacity > 0) /* a bug of lo_cl_reads_plain, never the model's */
            return lo_cl_step_fail(err, step, LO_ERR_ARGUMENT,
                                   "%s: constant %d was not uploaded in its plain layout", what,
                                   ref->constant);
    }
    if (esize == 0 || offset % esize != 0)
        return lo_cl_step_fail(err, step, LO_ERR_ARGUMENT,
                               "%s at byte offset %zu is not aligned to its %zu-byte elements",
                               what, offset, esize);
    if (bytes > 0 && (offset > capacity || bytes > capacity - offset))
        return lo_cl_step_fail(err, step, LO_ERR_ARGUMENT,
                               "%s (%zu bytes at offset %zu) runs past the %s buffer (%zu bytes)",
                               what, bytes, offset, constant ? "constants" : "arena", capacity);
    const uint64_t end = offset / esize + bytes / esize;
    if (end > INT_MAX)
        return lo_cl_step_fail(err, step, LO_ERR_UNSUPPORTED,
                               "%s ends at element %llu, past 32-bit indexing", what,
                               (unsigned long long)end);
    out->mem = mem;
    out->offset = (int64_t)(offset / esize);
    return LO_OK;
}

const void *lo_cl_constant_host(const lo_cl_buffers *buffers, const lo_tensor_ref *ref)
{
    return buffers->plan->constants[ref->constant].data;
}

lo_status lo_cl_make_kernel(lo_backend_context *ctx, const lo_step *step, const char *program_name,
                            const char *options, const char *kernel_name, cl_kernel *out,
                            lo_error *err)
{
    /* Each program is built for its one kernel (-DLO_KERNEL_<name>=1; every kernel in
     * cl/kernels sits under `#if LO_KERNEL_<name>`): the binary cache asks the driver for the
     * program's binary, and PoCL then compiles every kernel in it, which was 2.3x the compile
     * time of a cold kernel test when a program carried its siblings. */
    char program_options[512];
    int length = snprintf(program_options, sizeof program_options, "%s%sLO_KERNEL_%s=1", options,
                          options[0] ? " -D" : "-D", kernel_name);
    if (length < 0 || (size_t)length >= sizeof program_options)
        return lo_cl_step_fail(err, step, LO_ERR_DEVICE,
                               "OpenCL build options for kernel %s too long: %s", kernel_name,
                               options);
    cl_program program = NULL;
    lo_status status = lo_cl_get_program(ctx, program_name, program_options, &program, err);
    if (status != LO_OK) {
        lo_fail_prefix(err, "node '%s' (%s): ", step->node_name ? step->node_name : "?",
                       step->label);
        return status;
    }
    cl_int rc = CL_SUCCESS;
    *out = clCreateKernel(program, kernel_name, &rc);
    if (rc != CL_SUCCESS) {
        *out = NULL;
        return lo_cl_step_fail(err, step, lo_cl_status_of(rc), "clCreateKernel(%s) failed: %s",
                               kernel_name, lo_cl_error_name(rc));
    }
    return LO_OK;
}

static size_t round_up(size_t value, size_t multiple)
{
    return (value + multiple - 1) / multiple * multiple;
}

/* The launch's local size along dimension 0 (1 along the others), within the kernel's limit,
 * and its global size rounded up to it; the kernels skip the work-items past the end. */
lo_status lo_cl_set_sizes(const lo_backend_context *ctx, const lo_step *step, lo_cl_launch *launch,
                          cl_uint dims, const size_t items[3], size_t want_local, lo_error *err)
{
    size_t max_group = 0;
    cl_ulong local_mem = 0;
    cl_int rc = clGetKernelWorkGroupInfo(launch->kernel, ctx->device, CL_KERNEL_WORK_GROUP_SIZE,
                                         sizeof max_group, &max_group, NULL);
    if (rc == CL_SUCCESS)
        rc = clGetKernelWorkGroupInfo(launch->kernel, ctx->device, CL_KERNEL_LOCAL_MEM_SIZE,
                                      sizeof local_mem, &local_mem, NULL);
    if (rc != CL_SUCCESS)
        return lo_cl_step_fail(err, step, LO_ERR_DEVICE, "clGetKernelWorkGroupInfo failed: %s",
                               lo_cl_error_name(rc));
    if (local_mem > ctx->local_mem_bytes)
        return lo_cl_step_fail(err, step, LO_ERR_UNSUPPORTED,
                               "kernel needs %llu bytes of local memory, the device has %llu",
                               (unsigned long long)local_mem,
                               (unsigned long long)ctx->local_mem_bytes);
    size_t local = want_local;
    if (local > max_group) local = max_group;
    if (local > ctx->max_work_group_size) local = ctx->max_work_group_size;
    if (local < 1) local = 1;
    launch->dims = dims;
    launch->empty = false;
    for (cl_uint d = 0; d < 3; d++) {
        launch->local[d] = d == 0 ? local : 1;
        launch->global[d] = d < dims ? round_up(items[d], launch->local[d]) : 1;
        if (d < dims && items[d] == 0) launch->empty = true;
    }
    return LO_OK;
}

lo_status lo_cl_set_sizes_preferred(const lo_backend_context *ctx, const lo_step *step,
                                    lo_cl_launch *launch, cl_uint dims, const size_t items[3],
                                    lo_error *err)
{
    size_t multiple = 8;
    clGetKernelWorkGroupInfo(launch->kernel, ctx->device,
                             CL_KERNEL_PREFERRED_WORK_GROUP_SIZE_MULTIPLE, sizeof multiple,
                             &multiple, NULL);
    return lo_cl_set_sizes(ctx, step, launch, dims, items, multiple, err);
}

lo_status lo_cl_create_constant_buffer(lo_backend_context *ctx, const lo_step *step,
                                       const lo_cl_constant_key *key, const float *data,
                                       size_t count, cl_mem *out, lo_error *err)
{
    lo_status status = lo_cl_constant_add(ctx, key, data, count * sizeof(float), out, err);
    if (status != LO_OK)
        lo_fail_prefix(err, "node '%s' (%s): ", step->node_name ? step->node_name : "?",
                       step->label);
    return status;
}

int lo_cl_vector_width(const lo_backend_context *ctx)
{
    return ctx->preferred_float_width >= 16 ? 16 : 8;
}

/* The blocked kernels pay off where the device prefers float vectors (CPUs); GPUs, which
 * report a preferred width of 1, run the tiled kernels for Conv and Gemm (ctx->tiled, which
 * also wins where both apply) and the direct kernels' one item per output for the rest. */
bool lo_cl_blocked_allowed(const lo_backend_context *ctx)
{
    return !ctx->generic_only && ctx->preferred_float_width >= 8;
}

/* ---- one work-item per output ---- */

/* Dims and strides right-aligned in 8 axes, the leading ones size 1 and stride 0. */
void lo_cl_arg_axes8(lo_cl_args *args, int rank, const int64_t *values, cl_int fill)
{
    cl_int8 v;
    for (int d = 0; d < 8; d++) {
        const int src = d - (8 - rank);
        v.s[d] = src >= 0 ? (cl_int)values[src] : fill;
    }
    lo_cl_arg_raw(args, sizeof v, &v);
}

/* Places inputs 0..count-1 and the output, binding each as (buffer, element offset). */
lo_status lo_cl_bind_tensors(const lo_step *step, const lo_cl_buffers *buffers, int count,
                             lo_cl_args *args, lo_error *err)
{
    static const char *const names[LO_STEP_MAX_INPUTS] = {
        "input 0", "input 1", "input 2", "input 3", "input 4", "input 5", "input 6", "input 7"};
    lo_cl_tensor t = {NULL, 0};
    for (int i = 0; i <= count; i++) {
        const bool out = i == count;
        lo_status status = lo_cl_place_tensor(step, buffers, out ? &step->output : &step->inputs[i],
                                              out ? "Y" : names[i], &t, err);
        if (status != LO_OK) return status;
        lo_cl_arg_mem(args, t.mem);
        lo_cl_arg_int(args, t.offset);
    }
    return LO_OK;
}

/* Sizes a one-item-per-element launch and reports a failed argument binding. */
lo_status lo_cl_finish_flat(lo_backend_context *ctx, const lo_step *step, lo_cl_launch *launch,
                            const lo_cl_args *args, const char *name, int64_t items, lo_error *err)
{
    launch->variant = name;
    const size_t sizes[3] = {(size_t)items, 1, 1};
    lo_status status = lo_cl_set_sizes(ctx, step, launch, 1, sizes, LO_CL_FLAT_LOCAL, err);
    if (status == LO_OK && args->rc != CL_SUCCESS)
        status = lo_cl_step_fail(err, step, LO_ERR_DEVICE, "clSetKernelArg(%s, %u) failed: %s",
                                 name, (unsigned)args->failed, lo_cl_error_name(args->rc));
    return status;
}

lo_status lo_cl_finish_grid(lo_backend_context *ctx, const lo_step *step, lo_cl_launch *launch,
                            const lo_cl_args *args, const char *name, const size_t items[3],
                            lo_error *err)
{
    launch->variant = name;
    /* A group along the first axis, no longer than it. */
    const size_t local = items[0] < LO_CL_FLAT_LOCAL ? items[0] : LO_CL_FLAT_LOCAL;
    lo_status status = lo_cl_set_sizes(ctx, step, launch, 3, items, local ? local : 1, err);
    if (status == LO_OK && args->rc != CL_SUCCESS)
        status = lo_cl_step_fail(err, step, LO_ERR_DEVICE, "clSetKernelArg(%s, %u) failed: %s",
                                 name, (unsigned)args->failed, lo_cl_error_name(args->rc));
    return status;
}

/* ---- entry points ---- */

bool lo_cl_reads_plain(const lo_backend_context *ctx, const lo_step *step, int input)
{
    switch (step->kind) {
    case LO_STEP_CONV:
        return lo_cl_conv_reads_plain(ctx, step, input);
    case LO_STEP_GEMM:
        return input != 1 || !lo_cl_gemm_blocked(ctx, step);
    case LO_STEP_GEMM_CHAIN: /* B and C only through the packed copy */
        return input == 0;
    case LO_STEP_UNARY: /* X, and Clip's bounds known only at run time */
        return input == 0 || input == step->params.unary.min_input ||
               input == step->params.unary.max_input;
    default:
        return true;
    }
}

lo_status lo_cl_launch_prepare(lo_backend_context *ctx, const lo_step *step,
                               const lo_cl_buffers *buffers, lo_cl_launch *out, lo_error *err)
{
    memset(out, 0, sizeof *out);
    snprintf(out->node_name, sizeof out->node_name, "%s", step->node_name ? step->node_name : "?");
    snprintf(out->label, sizeof out->label, "%s", step->label);
    lo_status status;
    switch (step->kind) {
    case LO_STEP_CONV:
        status = lo_cl_prepare_conv(ctx, step, buffers, out, err);
        break;
    case LO_STEP_MAXPOOL:
        status = lo_cl_prepare_pool(ctx, step, buffers, out, err);
        break;
    case LO_STEP_AVGPOOL:
        status = lo_cl_prepare_avgpool(ctx, step, buffers, out, err);
        break;
    case LO_STEP_PAD:
    case LO_STEP_CONCAT:
    case LO_STEP_TRANSPOSE:
        status = lo_cl_prepare_layout(ctx, step, buffers, out, err);
        break;
    case LO_STEP_GEMM:
        status = lo_cl_prepare_gemm(ctx, step, buffers, out, err);
        break;
    case LO_STEP_UNARY:
    case LO_STEP_COPY:
        status = lo_cl_prepare_elementwise(ctx, step, buffers, out, err);
        break;
    case LO_STEP_BINARY:
        status = lo_cl_prepare_binary(ctx, step, buffers, out, err);
        break;
    case LO_STEP_SOFTMAX:
        status = lo_cl_prepare_softmax(ctx, step, buffers, out, err);
        break;
    case LO_STEP_BATCHNORM:
        status = lo_cl_prepare_batchnorm(ctx, step, buffers, out, err);
        break;
    case LO_STEP_MATMUL:
        status = lo_cl_prepare_matmul(ctx, step, buffers, out, err);
        break;
    case LO_STEP_GEMM_CHAIN:
        status = lo_cl_prepare_chain(ctx, step, buffers, out, err);
        break;
    default: /* validated steps never get here */
        status = lo_cl_step_fail(err, step, LO_ERR_UNSUPPORTED, "step kind %d has no OpenCL kernel",
                                 (int)step->kind);
        break;
    }
    if (status == LO_OK)
        lo_trace("opencl: node '%s' (%s): %s, global %zux%zux%zu, local %zux%zux%zu%s",
                 out->node_name, out->label, out->variant, out->global[0], out->global[1],
                 out->global[2], out->local[0], out->local[1], out->local[2],
                 out->empty ? " (empty: skipped)" : "");
    if (status != LO_OK) lo_cl_launch_release(ctx, out);
    return status;
}

void lo_cl_launch_release(lo_backend_context *ctx, lo_cl_launch *launch)
{
    if (launch->kernel) clReleaseKernel(launch->kernel);
    lo_cl_constant_release(ctx, launch->extra);
    launch->kernel = NULL;
    launch->extra = NULL;
}
