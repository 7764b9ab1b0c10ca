/* The function table behind the public ABI. */
#ifndef LO_API_H
#define LO_API_H

#include "lenet-onnx/lenet_onnx.h"

const lenet_onnx_api *lo_api_table(uint32_t abi_version);

#endif
