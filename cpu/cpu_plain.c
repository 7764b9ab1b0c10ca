/* The plain step kinds of the CPU backend: which ones it runs, the dispatch to their files, and
 * how a step is cut into units for the thread team. */
#include "cpu_plain.h"

#include "cpu_plain_ops.h"

int lo_cpu_units(const lo_cpu_threads *threads, int64_t items, int64_t item_bytes)
{
    const int64_t count = lo_cpu_threads_count(threads);
    if (count <= 1 || items <= 1 || item_bytes < 1) return 1;
    /* Whole units of at least LO_CPU_UNIT_BYTES, at most 4 per thread, never past the items. */
    int64_t units = items * item_bytes / LO_CPU_UNIT_BYTES;
    if (units > 4 * count) units = 4 * count;
    if (units > items) units = items;
    return units < 2 ? 1 : (int)units;
}

void lo_cpu_for(lo_cpu_threads *threads, lo_cpu_unit_fn fn, void *task, int units)
{
    if (units <= 1)
        fn(task, 0);
    else
        lo_cpu_threads_run(threads, fn, task, units);
}

static bool all_float(const lo_step *step)
{
    for (int i = 0; i < step->num_inputs; i++)
        if (step->inputs[i].dtype != LO_DTYPE_FLOAT) return false;
    return step->output.dtype == LO_DTYPE_FLOAT;
}

bool lo_cpu_plain_handles(const lo_step *step)
{
    switch (step->kind) {
    case LO_STEP_MAXPOOL:
        return (step->output.dtype == LO_DTYPE_FLOAT || step->output.dtype == LO_DTYPE_UINT8) &&
               step->inputs[0].dtype == step->output.dtype;
    case LO_STEP_COPY:
        return lo_dtype_size(step->output.dtype) > 0 &&
               lo_dtype_size(step->inputs[0].dtype) == lo_dtype_size(step->output.dtype);
    case LO_STEP_UNARY:
        return step->params.unary.op >= LO_ACT_NONE && step->params.unary.op <= LO_ACT_CLIP &&
               all_float(step);
    case LO_STEP_BINARY:
        return step->params.binary.op >= LO_BIN_ADD && step->params.binary.op <= LO_BIN_PRELU &&
               all_float(step);
    case LO_STEP_AVGPOOL:
    case LO_STEP_PAD:
    case LO_STEP_CONCAT:
    case LO_STEP_TRANSPOSE:
    case LO_STEP_SOFTMAX:
    case LO_STEP_BATCHNORM:
        return all_float(step);
    default:
        return false;
    }
}

lo_status lo_cpu_run_plain(lo_cpu_threads *threads, const lo_step *step, const void *const *inputs,
                           void *output, lo_error *err)
{
    if (!lo_cpu_plain_handles(step))
        return lo_fail(err, LO_ERR_UNSUPPORTED, "cpu: step '%s' (%s) is not one of the plain kinds",
                       step->node_name ? step->node_name : "", step->label);
    const float *const *floats = (const float *const *)inputs;
    switch (step->kind) {
    case LO_STEP_MAXPOOL:
    case LO_STEP_AVGPOOL:
        lo_cpu_pool(threads, step, inputs[0], output);
        break;
    case LO_STEP_COPY:
        lo_cpu_copy(threads, step, inputs[0], output);
        break;
    case LO_STEP_PAD:
        lo_cpu_pad(threads, step, floats[0], output);
        break;
    case LO_STEP_CONCAT:
        lo_cpu_concat(threads, step, floats, output);
        break;
    case LO_STEP_TRANSPOSE:
        lo_cpu_transpose(threads, step, floats[0], output);
        break;
    case LO_STEP_UNARY:
        lo_cpu_unary(threads, step, floats, output);
        break;
    case LO_STEP_BINARY:
        lo_cpu_binary(threads, step, floats[0], floats[1], output);
        break;
    case LO_STEP_SOFTMAX:
        lo_cpu_softmax(threads, step, floats[0], output);
        break;
    case LO_STEP_BATCHNORM:
        lo_cpu_batchnorm(threads, step, floats, output);
        break;
    default:
        break;
    }
    return LO_OK;
}
