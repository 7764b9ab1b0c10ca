/* A loaded model's self-description through the ABI: strings point into the model's IR. */
#include "api_metadata.h"

#include <string.h>

#include "model_info.h"
#include "session.h"

static const char *text_or_empty(const char *text)
{
    return text ? text : "";
}

lenet_onnx_status lo_api_model_describe(const lenet_onnx_model *model,
                                        lenet_onnx_model_description *out, lenet_onnx_error *err)
{
    lo_error_clear(err);
    if (!model || !out) return lo_fail(err, LO_ERR_ARGUMENT, "model_describe: NULL argument");
    const lo_graph *graph = model->graph;
    const lo_model_info *info = graph->info;
    lenet_onnx_model_description d;
    memset(&d, 0, sizeof d);
    d.struct_size = sizeof d;
    d.producer_name = text_or_empty(info ? info->producer_name : NULL);
    d.producer_version = text_or_empty(info ? info->producer_version : NULL);
    d.domain = text_or_empty(info ? info->domain : NULL);
    d.graph_name = text_or_empty(graph->name);
    d.doc_string = text_or_empty(info ? info->doc_string : NULL);
    d.graph_doc_string = text_or_empty(info ? info->graph_doc_string : NULL);
    d.model_version = info ? info->model_version : 0;
    d.ir_version = graph->ir_version;
    d.opset = graph->opset;
    d.metadata_count = info ? info->num_props : 0;
    /* An older host's smaller struct gets the fields it knows. */
    size_t n = out->struct_size == 0 || out->struct_size > sizeof d ? sizeof d : out->struct_size;
    memcpy(out, &d, n);
    return LO_OK;
}

lenet_onnx_status lo_api_model_metadata(const lenet_onnx_model *model, const char *key,
                                        const char **value, lenet_onnx_error *err)
{
    lo_error_clear(err);
    if (!model || !key || !value)
        return lo_fail(err, LO_ERR_ARGUMENT, "model_metadata: NULL argument");
    *value = lo_model_info_find(model->graph->info, key);
    return LO_OK;
}

lenet_onnx_status lo_api_model_metadata_at(const lenet_onnx_model *model, size_t index,
                                           const char **key, const char **value,
                                           lenet_onnx_error *err)
{
    lo_error_clear(err);
    if (!model || !key || !value)
        return lo_fail(err, LO_ERR_ARGUMENT, "model_metadata_at: NULL argument");
    const lo_model_info *info = model->graph->info;
    size_t count = info ? info->num_props : 0;
    if (index >= count)
        return lo_fail(err, LO_ERR_ARGUMENT,
                       "model_metadata_at: index %zu out of range (the model has %zu entries)",
                       index, count);
    *key = info->keys[index];
    *value = info->values[index];
    return LO_OK;
}

lenet_onnx_status lo_api_model_io_name(const lenet_onnx_model *model, lenet_onnx_io_kind kind,
                                       size_t index, const char **name, lenet_onnx_error *err)
{
    lo_error_clear(err);
    if (!model || !name) return lo_fail(err, LO_ERR_ARGUMENT, "model_io_name: NULL argument");
    if (kind != LENET_ONNX_INPUT && kind != LENET_ONNX_OUTPUT)
        return lo_fail(err, LO_ERR_ARGUMENT, "model_io_name: unknown io kind %d", (int)kind);
    const lo_graph *graph = model->graph;
    int count = kind == LENET_ONNX_INPUT ? graph->num_inputs : graph->num_outputs;
    const int *list = kind == LENET_ONNX_INPUT ? graph->inputs : graph->outputs;
    if (index >= (size_t)count)
        return lo_fail(err, LO_ERR_ARGUMENT, "model_io_name: %s index %zu out of range (%d)",
                       kind == LENET_ONNX_INPUT ? "input" : "output", index, count);
    *name = graph->tensors[list[index]].name;
    return LO_OK;
}
