/* lenet-onnx-run --info: what a model is and how it would run, without running it. */
#ifndef LENET_ONNX_TOOLS_RUN_INFO_H
#define LENET_ONNX_TOOLS_RUN_INFO_H

#include <stdio.h>

#include "cli.h"

/* Producer, versions, opset, inputs and outputs (shapes, layout), metadata_props, then the plan
 * of a session of `batch` (0: the model's own, or 1): the rewritten graph as steps with arena
 * offsets, and its memory; on stdout as text or one JSON object (docs/cli.md). A model that
 * cannot be planned is described all the same, with the reason in place of the plan, and the
 * reason is returned as the error. */
int run_info(const lenet_onnx_api *api, const char *model_path, const cli_device_choice *device,
             uint32_t batch, bool json, cli_error *err);

/* The session's plan text (session_describe_plan) on `out`. */
void run_info_print_plan(FILE *out, const lenet_onnx_api *api, const lenet_onnx_session *session);

/* The plan text, malloc'd, or NULL with the reason in err. */
char *run_info_plan_text(const lenet_onnx_api *api, const lenet_onnx_session *session,
                         cli_error *err);

#endif
