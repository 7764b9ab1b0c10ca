/* The per-node divergence report: one model run on two backends (the one under test and a
 * reference, usually "ref") on the same inputs, every step's output compared with the
 * reference's step writing the same tensor. Both sessions keep every intermediate (no arena
 * reuse); the core plans both alike, except optional fusions a backend refuses, whose inner
 * tensors then have no counterpart (reported, not compared). */
#ifndef LO_COMPARE_BACKENDS_H
#define LO_COMPARE_BACKENDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "lenet-onnx/lenet_onnx.h"

typedef struct lo_compare_step {
    lenet_onnx_step_info info;
    double max_abs_err;    /* max |test - reference| */
    double max_rel_err;    /* max |test - reference| / |reference| over elements with |ref| > 0 */
    size_t past_tolerance; /* elements where |test - ref| > atol + rtol * |ref| */
    bool compared;         /* false: the reference's plan has no step writing this tensor */
} lo_compare_step;

typedef struct lo_compare_report {
    lenet_onnx_device_desc test_device, reference_device;
    lo_compare_step *steps;
    size_t step_count;
    long first_past_tolerance; /* step index, or -1 when every step is within tolerance */
    double atol, rtol;
} lo_compare_report;

typedef struct lo_compare_request {
    const lenet_onnx_model *model;
    lenet_onnx_context *test;      /* the backend under test */
    lenet_onnx_context *reference; /* the oracle */
    uint32_t batch_size;           /* as session_options.batch_size */
    const void *const *inputs;     /* one buffer per model input, sized for batch_size */
    double atol, rtol;             /* negative: 1e-5 and 1e-3 */
} lo_compare_request;

/* Fills *report (free with lo_compare_report_free); the error names what failed. */
lenet_onnx_status lo_compare_backends(const lenet_onnx_api *api, const lo_compare_request *request,
                                      lo_compare_report *report, lenet_onnx_error *err);
void lo_compare_report_free(lo_compare_report *report);

/* The report as a table, or as one JSON object: {"model", "backend", "device",
 * "reference_backend", "reference_device", "atol", "rtol", "first_past_tolerance": int|null,
 * "steps": [{"step", "node", "op", "shape", "compared", and when compared "max_abs_err",
 * "max_rel_err", "past_tolerance"}]}. */
void lo_compare_print(FILE *out, const lo_compare_report *report, const char *model, bool json);

#endif
