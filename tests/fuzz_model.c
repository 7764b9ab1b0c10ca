/* libFuzzer target for model bytes through everything a model load does before a device is
 * involved: decoding (under the load limits), op checks, passes, shape inference and the
 * trial schedule and arena plan (lo_model_validate, as model_load_bytes runs it). Any bytes
 * must give a graph or an error: never a crash, a hang, a leak or undefined behaviour.
 * Built by tests/fuzz.cmake in a clang tree of its own (LENET_ONNX_FUZZ). */
#include <stddef.h>
#include <stdint.h>

#include "ir.h"
#include "onnx_loader.h"
#include "session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Smaller than the defaults so one input cannot take the fuzzer's memory: the work is
     * bounded by the limits, which is what this target checks. */
    lo_limits limits = lo_limits_default();
    limits.tensor_elements = (uint64_t)1 << 22;
    limits.weight_bytes = (uint64_t)64 << 20;
    limits.arena_bytes = (uint64_t)256 << 20;
    lo_graph *graph = NULL, *clone = NULL;
    lo_error err = {0};
    if (lo_onnx_load(data, size, "<fuzz>", NULL, &limits, &graph, &err) == LO_OK &&
        lo_model_validate(graph, &err) == LO_OK && lo_graph_clone(graph, &clone, &err) == LO_OK)
        for (int t = 0; t < clone->num_tensors; t++)
            (void)lo_graph_use_count(clone, t);
    lo_graph_free(clone);
    lo_graph_free(graph);
    return 0;
}
