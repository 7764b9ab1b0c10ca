/* Planned steps to kernel launches: the dispatch per step kind (lo_cl_step_supported,
 * lo_cl_launch_prepare) and the helpers every family shares. Each family's support checks,
 * kernel choice, arguments and sizes are in cl_launch_<family>.c.
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

/* ---- validation, shared by supports() and prepare() ---- */

bool lo_cl_fits_int(int64_t value)
{
    return value >= 0 && value <= INT_MAX;
}

/* Every tensor of the step: known dtype, static shape, element count within int indexing. */
static lo_status check_tensors(const lo_step *step, lo_error *err)
{
    char buf[128];
    if (step->num_inputs < 0 || step->num_inputs > LO_STEP_MAX_INPUTS)
        return lo_cl_step_fail(err, step, LO_ERR_ARGUMENT, "%d inputs (at most %d)",
                               step->num_inputs, LO_STEP_MAX_INPUTS);
    for (int i = 0; i <= step->num_inputs; i++) {
        const lo_tensor_ref *ref = i < step->num_inputs ? &step->inputs[i] : &step->output;
        int64_t numel = lo_shape_numel(&ref->shape);
        if (numel < 0)
            return lo_cl_step_fail(err, step, LO_ERR_ARGUMENT, "%s %d has a non-static shape %s",
                                   i < step->num_inputs ? "input" : "output", i,
                                   lo_cl_shape_text(&ref->shape, buf, sizeof buf));
        if (!lo_cl_fits_int(numel))
            return lo_cl_step_fail(
                err, step, LO_ERR_UNSUPPORTED,
                "%s %d of shape %s has more elements than 32-bit indexing reaches",
                i < step->num_inputs ? "input" : "output", i,
                lo_cl_shape_text(&ref->shape, buf, sizeof buf));
    }
    return LO_OK;
}

lo_status lo_cl_check_dtype(const lo_step *step, const lo_tensor_ref *ref, const char *what,
                            bool allow_uint8, lo_error *err)
{
    if (ref->dtype == LO_DTYPE_FLOAT || (allow_uint8 && ref->dtype == LO_DTYPE_UINT8)) return LO_OK;
    return lo_cl_step_fail(err, step, LO_ERR_UNSUPPORTED, "%s is %s; the OpenCL kernel takes %s",
                           what, lo_dtype_name(ref->dtype),
                           allow_uint8 ? "float or uint8" : "float only");
}

lo_status lo_cl_check_activation(const lo_step *step, lo_activation act, lo_error *err)
{
    if (act == LO_ACT_NONE || act == LO_ACT_RELU) return LO_OK;
    return lo_cl_step_fail(err, step, LO_ERR_UNSUPPORTED, "activation %d has no OpenCL kernel",
                           (int)act);
}

/* Kernel, stride, dilation and pads of a 2-D window op: positive, non-negative, within int. */
lo_status lo_cl_check_window(const lo_step *step, const int64_t kernel[2], const int64_t stride[2],
                             const int64_t dilation[2], const int64_t pad_begin[2],
                             const int64_t pad_end[2], lo_error *err)
{
    for (int a = 0; a < 2; a++) {
        if (kernel[a] < 1 || stride[a] < 1 || dilation[a] < 1 || pad_begin[a] < 0 ||
            pad_end[a] < 0 || kernel[a] > INT_MAX / 4 || stride[a] > INT_MAX / 4 ||
            dilation[a] > INT_MAX / 4 || pad_begin[a] > INT_MAX / 4 || pad_end[a] > INT_MAX / 4)
            return lo_cl_step_fail(
                err, step, LO_ERR_ARGUMENT,
                "axis %d: kernel %lld, stride %lld, dilation %lld, pads %lld/%lld "
                "out of range",
                a, (long long)kernel[a], (long long)stride[a], (long long)dilation[a],
                (long long)pad_begin[a], (long long)pad_end[a]);
    }
    return LO_OK;
}

/* int arithmetic in the kernels on window coordinates must not overflow. */
bool lo_cl_window_fits_int(const int64_t out[2], const int64_t in[2], const int64_t kernel[2],
                           const int64_t stride[2], const int64_t dilation[2])
{
    for (int a = 0; a < 2; a++) {
        int64_t reach = out[a] * stride[a] + kernel[a] * dilation[a] + in[a];
        if (out[a] > INT_MAX || reach > INT_MAX / 2) return false;
    }
    return true;
}

lo_status lo_cl_check_all_float(const lo_step *step, lo_error *err)
{
    static const char *const names[LO_STEP_MAX_INPUTS] = {
        "input 0", "input 1", "input 2", "input 3", "input 4", "input 5", "input 6", "input 7"};
    lo_status status = LO_OK;
    for (int i = 0; i < step->num_inputs && status == LO_OK; i++)
        status = lo_cl_check_dtype(step, &step->inputs[i], names[i], false, err);
    if (status == LO_OK) status = lo_cl_check_dtype(step, &step->output, "Y", false, err);
    return status;
}

/* The furthest element `strides` reach over `dims` stays inside the input, and so within int. */
bool lo_cl_strides_fit(const lo_shape *input, int rank, const int64_t *dims, const int64_t *strides)
{
    int64_t reach = 0;
    for (int d = 0; d < rank; d++) {
        if (strides[d] < 0 || strides[d] > INT_MAX) return false;
        if (dims[d] > 0) reach += (dims[d] - 1) * strides[d];
        if (reach > INT_MAX) return false;
    }
    return lo_shape_numel(input) == 0 || reach < lo_shape_numel(input);
}

lo_status lo_cl_step_supported(const lo_backend_context *ctx, const lo_step *step, lo_error *err)
{
    (void)ctx; /* no kernel uses local memory or needs a device feature beyond OpenCL 1.2 */
    lo_status status = check_tensors(step, err);
    if (status != LO_OK) return status;
    switch (step->kind) {
    case LO_STEP_CONV:
        return lo_cl_check_conv(step, err);
    case LO_STEP_MAXPOOL:
    case LO_STEP_AVGPOOL:
        return lo_cl_check_pool(step, err);
    case LO_STEP_PAD:
        return lo_cl_check_pad(step, err);
    case LO_STEP_CONCAT:
        return lo_cl_check_concat(step, err);
    case LO_STEP_TRANSPOSE:
        return lo_cl_check_transpose(step, err);
    case LO_STEP_GEMM:
        return lo_cl_check_gemm(step, err);
    case LO_STEP_UNARY:
        return lo_cl_check_unary(step, err);
    case LO_STEP_COPY:
        return lo_cl_check_elementwise(step, true, 1, err);
    case LO_STEP_BINARY:
        return lo_cl_check_binary(step, err);
    case LO_STEP_SOFTMAX:
        return lo_cl_check_softmax(step, err);
    case LO_STEP_BATCHNORM:
        return lo_cl_check_batchnorm(step, err);
    case LO_STEP_MATMUL:
        return lo_cl_check_matmul(step, err);
    }
    return lo_cl_step_fail(err, step, LO_ERR_UNSUPPORTED, "step kind %d has no OpenCL kernel",
                           (int)step->kind);
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

lo_status lo_cl_place_tensor(const lo_step *step, const lo_cl_buffers *buffers,
                             const lo_tensor_ref *ref, const char *what, lo_cl_tensor *out,
                             lo_error *err)
{
    const bool in_weights = ref->buffer == LO_BUFFER_WEIGHTS;
    if (ref->buffer != LO_BUFFER_ARENA && !in_weights)
        return lo_cl_step_fail(err, step, LO_ERR_ARGUMENT, "%s names buffer %d", what,
                               (int)ref->buffer);
    const size_t esize = lo_dtype_size(ref->dtype);
    const size_t bytes = lo_tensor_ref_bytes(ref);
    const size_t capacity = in_weights ? buffers->weights_bytes : buffers->arena_bytes;
    if (ref->offset % esize != 0)
        return lo_cl_step_fail(err, step, LO_ERR_ARGUMENT,
                               "%s at byte offset %zu is not aligned to its %zu-byte elements",
                               what, ref->offset, esize);
    if (ref->offset > capacity || bytes > capacity - ref->offset)
        return lo_cl_step_fail(err, step, LO_ERR_ARGUMENT,
                               "%s (%zu bytes at offset %zu) runs past the %s buffer (%zu bytes)",
                               what, bytes, ref->offset, in_weights ? "weights" : "arena",
                               capacity);
    const uint64_t end = ref->offset / esize + bytes / esize;
    if (end > INT_MAX)
        return lo_cl_step_fail(err, step, LO_ERR_UNSUPPORTED,
                               "%s ends at element %llu, past 32-bit indexing", what,
                               (unsigned long long)end);
    out->mem = in_weights ? buffers->weights : buffers->arena;
    out->offset = (int64_t)(ref->offset / esize);
    return LO_OK;
}

lo_status lo_cl_make_kernel(lo_backend_context *ctx, const lo_step *step, const char *program_name,
                            const char *options, const char *kernel_name, cl_kernel *out,
                            lo_error *err)
{
    cl_program program = NULL;
    lo_status status = lo_cl_get_program(ctx, program_name, options, &program, err);
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

lo_status lo_cl_create_constant_buffer(lo_backend_context *ctx, const lo_step *step,
                                       const float *data, size_t count, cl_mem *out, lo_error *err)
{
    cl_int rc = CL_SUCCESS;
    *out = clCreateBuffer(ctx->context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
                          count * sizeof(float), (void *)data, &rc);
    if (rc != CL_SUCCESS) {
        *out = NULL;
        return lo_cl_step_fail(err, step, lo_cl_status_of(rc),
                               "clCreateBuffer (%zu bytes of re-laid-out weights) failed: %s",
                               count * sizeof(float), lo_cl_error_name(rc));
    }
    return LO_OK;
}

int lo_cl_vector_width(const lo_backend_context *ctx)
{
    return ctx->preferred_float_width >= 16 ? 16 : 8;
}

/* The blocked kernels pay off where the device prefers float vectors (CPUs); GPUs, which
 * report a preferred width of 1, run the direct kernels' one item per output. */
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
    lo_cl_tensor t;
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

/* ---- entry points ---- */

lo_status lo_cl_launch_prepare(lo_backend_context *ctx, const lo_step *step,
                               const lo_cl_buffers *buffers, lo_cl_launch *out, lo_error *err)
{
    memset(out, 0, sizeof *out);
    snprintf(out->node_name, sizeof out->node_name, "%s", step->node_name ? step->node_name : "?");
    snprintf(out->label, sizeof out->label, "%s", step->label);
    lo_status status = lo_cl_step_supported(ctx, step, err);
    if (status != LO_OK) goto done;
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
    }
    if (status == LO_OK)
        lo_trace("opencl: node '%s' (%s): %s, global %zux%zux%zu, local %zux%zux%zu%s",
                 out->node_name, out->label, out->variant, out->global[0], out->global[1],
                 out->global[2], out->local[0], out->local[1], out->local[2],
                 out->empty ? " (empty: skipped)" : "");
done:
    if (status != LO_OK) lo_cl_launch_release(out);
    return status;
}

void lo_cl_launch_release(lo_cl_launch *launch)
{
    if (launch->kernel) clReleaseKernel(launch->kernel);
    if (launch->extra) clReleaseMemObject(launch->extra);
    launch->kernel = NULL;
    launch->extra = NULL;
}
