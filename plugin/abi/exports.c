/* The plugin's exported entry point. The symbol is the only one with default visibility; the
 * linker version script hides anything else that would leak from the static core. */
#include "lenet-onnx/lenet_onnx.h"

#include "api.h"

__attribute__((visibility("default"))) const lenet_onnx_api *
lenet_onnx_get_api(uint32_t abi_version)
{
    return lo_api_table(abi_version);
}
