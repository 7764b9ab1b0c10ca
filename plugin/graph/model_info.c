/* Lookup and release of a model's self-description (filled by the ONNX loader). */
#include "model_info.h"

#include <string.h>

#include "alloc.h"

void lo_model_info_free(lo_model_info *info)
{
    if (!info) return;
    lo_free(info->producer_name);
    lo_free(info->producer_version);
    lo_free(info->domain);
    lo_free(info->doc_string);
    lo_free(info->graph_doc_string);
    for (size_t i = 0; i < info->num_props; i++) {
        lo_free(info->keys[i]);
        lo_free(info->values[i]);
    }
    lo_free(info->keys);
    lo_free(info->values);
    lo_free(info);
}

const char *lo_model_info_find(const lo_model_info *info, const char *key)
{
    if (!info || !key) return NULL;
    for (size_t i = 0; i < info->num_props; i++)
        if (strcmp(info->keys[i], key) == 0) return info->values[i];
    return NULL;
}
