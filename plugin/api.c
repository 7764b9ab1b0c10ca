/* placeholder: not written yet */
#include "api.h"
const lenet_onnx_api *lo_api_table(uint32_t abi_version)
{
    (void)abi_version;
    return 0;
}
