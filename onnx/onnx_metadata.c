/* Copies a ModelProto's self-description out of the protobuf message, so that it outlives the
 * decoding and hosts can read it (model_describe, model_metadata in the ABI). */
#include "onnx_metadata.h"

#include <string.h>

#include "alloc.h"

/* A copy of a protobuf string, "" for an absent one. */
static char *copy_text(const char *text)
{
    return lo_strdup(text ? text : "");
}

lo_status lo_onnx_read_metadata(const Onnx__ModelProto *model, const char *source,
                                lo_model_info **out, lo_error *err)
{
    lo_status status = LO_OK;
    lo_model_info *info = lo_calloc(1, sizeof *info);
    if (!info) goto no_memory;
    info->producer_name = copy_text(model->producer_name);
    info->producer_version = copy_text(model->producer_version);
    info->domain = copy_text(model->domain);
    info->doc_string = copy_text(model->doc_string);
    info->graph_doc_string = copy_text(model->graph ? model->graph->doc_string : NULL);
    info->model_version = model->has_model_version ? model->model_version : 0;
    if (!info->producer_name || !info->producer_version || !info->domain || !info->doc_string ||
        !info->graph_doc_string)
        goto no_memory;
    size_t n = model->n_metadata_props;
    if (n > 0) {
        info->keys = lo_calloc(n, sizeof *info->keys);
        info->values = lo_calloc(n, sizeof *info->values);
        if (!info->keys || !info->values) goto no_memory;
    }
    for (size_t i = 0; i < n; i++) {
        const Onnx__StringStringEntryProto *entry = model->metadata_props[i];
        if (!entry || !entry->key || !*entry->key) {
            status =
                lo_fail(err, LO_ERR_MODEL, "%s: metadata_props entry #%zu has no key", source, i);
            goto done;
        }
        if (lo_model_info_find(info, entry->key)) {
            status = lo_fail(err, LO_ERR_MODEL, "%s: metadata_props key '%s' is given twice",
                             source, entry->key);
            goto done;
        }
        info->keys[i] = copy_text(entry->key);
        info->values[i] = copy_text(entry->value);
        if (!info->keys[i] || !info->values[i]) {
            lo_free(info->keys[i]);
            lo_free(info->values[i]);
            goto no_memory;
        }
        info->num_props = i + 1;
    }
    *out = info;
    info = NULL;
    goto done;
no_memory:
    status =
        lo_fail(err, LO_ERR_NO_MEMORY, "%s: out of memory copying the model's metadata", source);
done:
    lo_model_info_free(info);
    return status;
}
