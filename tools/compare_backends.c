#include "compare_backends.h"

#include <inttypes.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static lenet_onnx_status fail(lenet_onnx_error *err, lenet_onnx_status status, const char *what)
{
    if (err) {
        err->status = status;
        snprintf(err->message, sizeof err->message, "%s", what);
    }
    return status;
}

/* Creates a keep-intermediates session on `context` and runs it on the request's inputs. */
static lenet_onnx_status run_one(const lenet_onnx_api *api, const lo_compare_request *req,
                                 lenet_onnx_context *context, lenet_onnx_session **out,
                                 lenet_onnx_error *err)
{
    lenet_onnx_session_options options = {.batch_size = req->batch_size, .keep_intermediates = 1};
    lenet_onnx_status st = api->session_create(context, req->model, &options, out, err);
    if (st != LENET_ONNX_OK) return st;
    size_t outputs = api->session_io_count(*out, LENET_ONNX_OUTPUT);
    void **buffers = calloc(outputs ? outputs : 1, sizeof *buffers);
    if (!buffers) return fail(err, LENET_ONNX_ERROR_OUT_OF_MEMORY, "out of memory");
    for (size_t i = 0; st == LENET_ONNX_OK && i < outputs; i++) {
        lenet_onnx_tensor_info info;
        st = api->session_io_info(*out, LENET_ONNX_OUTPUT, i, &info, err);
        if (st == LENET_ONNX_OK && !(buffers[i] = malloc(info.size_bytes ? info.size_bytes : 1)))
            st = fail(err, LENET_ONNX_ERROR_OUT_OF_MEMORY, "out of memory");
    }
    if (st == LENET_ONNX_OK) st = api->session_run(*out, req->inputs, buffers, err);
    for (size_t i = 0; i < outputs; i++)
        free(buffers[i]);
    free(buffers);
    return st;
}

static double element(const void *data, lenet_onnx_dtype dtype, size_t i)
{
    switch ((int)dtype) {
    case LENET_ONNX_DTYPE_FLOAT32:
        return ((const float *)data)[i];
    case 2: /* uint8 (ONNX TensorProto.UINT8): MaxPool and copies of quantized images */
        return ((const unsigned char *)data)[i];
    case LENET_ONNX_DTYPE_INT32:
        return ((const int32_t *)data)[i];
    case LENET_ONNX_DTYPE_INT64:
        return (double)((const int64_t *)data)[i];
    }
    return NAN;
}

static size_t element_size(lenet_onnx_dtype dtype)
{
    switch ((int)dtype) {
    case 2:
        return 1;
    case LENET_ONNX_DTYPE_INT64:
        return 8;
    default:
        return 4;
    }
}

static void compare_step(const void *test, const void *ref, const lenet_onnx_tensor_info *info,
                         double atol, double rtol, lo_compare_step *out)
{
    size_t count = info->size_bytes / element_size(info->dtype);
    for (size_t i = 0; i < count; i++) {
        double a = element(test, info->dtype, i), b = element(ref, info->dtype, i);
        double diff = fabs(a - b);
        if (isnan(a) != isnan(b)) diff = INFINITY; /* a NaN on one side only is a divergence */
        if (isnan(diff)) diff = 0;                 /* NaN on both: the same value */
        if (diff > out->max_abs_err) out->max_abs_err = diff;
        if (b != 0 && diff / fabs(b) > out->max_rel_err) out->max_rel_err = diff / fabs(b);
        if (diff > atol + rtol * fabs(b)) out->past_tolerance++;
    }
}

lenet_onnx_status lo_compare_backends(const lenet_onnx_api *api, const lo_compare_request *req,
                                      lo_compare_report *report, lenet_onnx_error *err)
{
    memset(report, 0, sizeof *report);
    report->first_past_tolerance = -1;
    report->atol = req->atol >= 0 ? req->atol : 1e-5;
    report->rtol = req->rtol >= 0 ? req->rtol : 1e-3;
    if (api->struct_size < offsetof(lenet_onnx_api, session_read_step_output) + sizeof(void *))
        return fail(err, LENET_ONNX_ERROR_ABI,
                    "the loaded library predates per-step outputs (ABI 3 needed)");
    lenet_onnx_session *test = NULL, *ref = NULL;
    void *test_data = NULL, *ref_data = NULL;
    lenet_onnx_status st = api->context_describe(req->test, &report->test_device, err);
    if (st == LENET_ONNX_OK)
        st = api->context_describe(req->reference, &report->reference_device, err);
    if (st == LENET_ONNX_OK) st = run_one(api, req, req->test, &test, err);
    if (st == LENET_ONNX_OK) st = run_one(api, req, req->reference, &ref, err);
    lenet_onnx_session_stats test_stats, ref_stats;
    if (st == LENET_ONNX_OK) st = api->session_stats(test, &test_stats, err);
    if (st == LENET_ONNX_OK) st = api->session_stats(ref, &ref_stats, err);
    if (st == LENET_ONNX_OK) {
        report->step_count = test_stats.step_count;
        report->steps = calloc(report->step_count ? report->step_count : 1, sizeof *report->steps);
        if (!report->steps) st = fail(err, LENET_ONNX_ERROR_OUT_OF_MEMORY, "out of memory");
    }
    for (size_t k = 0; st == LENET_ONNX_OK && k < report->step_count; k++) {
        lo_compare_step *step = &report->steps[k];
        st = api->session_step_info(test, k, &step->info, err);
        if (st != LENET_ONNX_OK) break;
        /* The reference's step writing the same tensor. A backend may take an optional fusion
         * the other refuses (Conv+MaxPool): a tensor only one plan writes has no counterpart. */
        size_t r = 0;
        lenet_onnx_step_info ref_info;
        for (; st == LENET_ONNX_OK && r < ref_stats.step_count; r++) {
            st = api->session_step_info(ref, r, &ref_info, err);
            if (st == LENET_ONNX_OK && strcmp(ref_info.output.name, step->info.output.name) == 0)
                break;
        }
        if (st != LENET_ONNX_OK) break;
        size_t bytes = step->info.output.size_bytes;
        step->compared = r < ref_stats.step_count && bytes == ref_info.output.size_bytes;
        if (!step->compared) continue;
        free(test_data);
        free(ref_data);
        test_data = malloc(bytes ? bytes : 1);
        ref_data = malloc(bytes ? bytes : 1);
        if (!test_data || !ref_data) {
            st = fail(err, LENET_ONNX_ERROR_OUT_OF_MEMORY, "out of memory");
            break;
        }
        st = api->session_read_step_output(test, k, test_data, bytes, err);
        if (st == LENET_ONNX_OK) st = api->session_read_step_output(ref, r, ref_data, bytes, err);
        if (st != LENET_ONNX_OK) break;
        compare_step(test_data, ref_data, &step->info.output, report->atol, report->rtol, step);
        if (step->past_tolerance && report->first_past_tolerance < 0)
            report->first_past_tolerance = (long)k;
    }
    free(test_data);
    free(ref_data);
    api->session_release(test);
    api->session_release(ref);
    if (st != LENET_ONNX_OK) lo_compare_report_free(report);
    return st;
}

void lo_compare_report_free(lo_compare_report *report)
{
    free(report->steps);
    report->steps = NULL;
    report->step_count = 0;
}

static void shape_text(const lenet_onnx_tensor_info *t, char *buf, size_t size)
{
    size_t used = (size_t)snprintf(buf, size, "[");
    for (uint32_t d = 0; d < t->rank && d < LENET_ONNX_MAX_RANK && used < size; d++) {
        int n = snprintf(buf + used, size - used, "%s%" PRId64, d ? "," : "", t->dims[d]);
        if (n < 0) break;
        used += (size_t)n;
    }
    if (used < size) snprintf(buf + used, size - used, "]");
}

void lo_compare_print(FILE *out, const lo_compare_report *r, const char *model, bool json)
{
    char shape[160];
    if (!json) {
        fprintf(out, "%s: %s (%s) against %s (%s), tolerance |d| <= %g + %g * |ref|\n", model,
                r->test_device.backend, r->test_device.name, r->reference_device.backend,
                r->reference_device.name, r->atol, r->rtol);
        fprintf(out, "%4s  %-28s %-18s %-18s %12s %12s %10s\n", "step", "node", "op", "shape",
                "max_abs_err", "max_rel_err", "past_tol");
        for (size_t k = 0; k < r->step_count; k++) {
            const lo_compare_step *st = &r->steps[k];
            shape_text(&st->info.output, shape, sizeof shape);
            if (!st->compared) {
                fprintf(out, "%4zu  %-28s %-18s %-18s %36s\n", k, st->info.node_name,
                        st->info.op_type, shape, "(fused away in the reference's plan)");
                continue;
            }
            fprintf(out, "%4zu  %-28s %-18s %-18s %12.3g %12.3g %10zu%s\n", k, st->info.node_name,
                    st->info.op_type, shape, st->max_abs_err, st->max_rel_err, st->past_tolerance,
                    (long)k == r->first_past_tolerance ? "  <- first past tolerance" : "");
        }
        if (r->first_past_tolerance < 0) fprintf(out, "every step within tolerance\n");
        return;
    }
    fputs("{\"model\": ", out);
    cli_json_string(out, model);
    fputs(", \"backend\": ", out);
    cli_json_string(out, r->test_device.backend);
    fputs(", \"device\": ", out);
    cli_json_string(out, r->test_device.name);
    fputs(", \"reference_backend\": ", out);
    cli_json_string(out, r->reference_device.backend);
    fputs(", \"reference_device\": ", out);
    cli_json_string(out, r->reference_device.name);
    fputs(", \"atol\": ", out);
    cli_json_number(out, r->atol);
    fputs(", \"rtol\": ", out);
    cli_json_number(out, r->rtol);
    if (r->first_past_tolerance < 0)
        fputs(", \"first_past_tolerance\": null", out);
    else
        fprintf(out, ", \"first_past_tolerance\": %ld", r->first_past_tolerance);
    fputs(", \"steps\": [", out);
    for (size_t k = 0; k < r->step_count; k++) {
        const lo_compare_step *st = &r->steps[k];
        fprintf(out, "%s\n  {\"step\": %zu, \"node\": ", k ? "," : "", k);
        cli_json_string(out, st->info.node_name);
        fputs(", \"op\": ", out);
        cli_json_string(out, st->info.op_type);
        fputs(", \"shape\": [", out);
        for (uint32_t d = 0; d < st->info.output.rank && d < LENET_ONNX_MAX_RANK; d++)
            fprintf(out, "%s%" PRId64, d ? ", " : "", st->info.output.dims[d]);
        fprintf(out, "], \"compared\": %s", st->compared ? "true" : "false");
        if (st->compared) {
            fputs(", \"max_abs_err\": ", out);
            cli_json_number(out, st->max_abs_err);
            fputs(", \"max_rel_err\": ", out);
            cli_json_number(out, st->max_rel_err);
            fprintf(out, ", \"past_tolerance\": %zu", st->past_tolerance);
        }
        fputs("}", out);
    }
    fputs("\n]}\n", out);
}
