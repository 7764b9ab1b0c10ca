/* libFuzzer target for the ONNX loader: any bytes must give a graph or an error, never a
 * crash, a leak or undefined behaviour. Built by tests/fuzz.cmake (LENET_ONNX_FUZZ), or by hand:
 *     ./fuzz_loader -max_len=65536 tests/fixtures/models
 */
#include <stddef.h>
#include <stdint.h>

#include "ir.h"
#include "onnx_loader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lo_graph *graph = NULL;
    lo_graph *clone = NULL;
    lo_error err = {0};
    if (lo_onnx_load_bytes(data, size, NULL, &graph, &err) == LO_OK) {
        /* Exercise what later stages read: clones and use counts walk every tensor. */
        if (lo_graph_clone(graph, &clone, &err) == LO_OK)
            for (int t = 0; t < clone->num_tensors; t++)
                (void)lo_graph_use_count(clone, t);
    }
    lo_graph_free(clone);
    lo_graph_free(graph);
    return 0;
}
