/* What a loaded model says about itself: producer, versions, documentation and ONNX's
 * metadata_props. Hosts read it through the ABI (model_describe, model_metadata); nothing in
 * the planner or the backends depends on it. */
#ifndef LO_MODEL_INFO_H
#define LO_MODEL_INFO_H

#include <stddef.h>
#include <stdint.h>

typedef struct lo_model_info {
    char *producer_name; /* "" when the model leaves a string out */
    char *producer_version;
    char *domain;
    char *doc_string;
    char *graph_doc_string;
    int64_t model_version;
    size_t num_props;
    char **keys; /* metadata_props in model order; keys are unique */
    char **values;
} lo_model_info;

void lo_model_info_free(lo_model_info *info);

/* The value of `key`, or NULL. */
const char *lo_model_info_find(const lo_model_info *info, const char *key);

#endif
