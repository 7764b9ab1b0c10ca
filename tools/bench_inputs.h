/* What lenet-onnx-bench feeds a session: uniform [0,1) pseudo-random floats from a fixed seed
 * (every run of the tool feeds the same), or one input file repeated over the batch: a PNG or
 * JPEG image (scaled to [0,1], converted and resized to the model's input, no normalisation) or
 * a raw tensor (.pb, .npy) of one image or of the whole batch. */
#ifndef LENET_ONNX_TOOLS_BENCH_INPUTS_H
#define LENET_ONNX_TOOLS_BENCH_INPUTS_H

#include <stddef.h>

#include "lenet-onnx/lenet_onnx.h"

/* Fills `buffer` (info->size_bytes) for the session input `info`. Integer inputs are zeros.
 * path NULL: random. Nonzero with a message on failure. */
int bench_inputs_fill(const char *path, const lenet_onnx_tensor_info *info, void *buffer,
                      char *message, size_t size);

#endif
