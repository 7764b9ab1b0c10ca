/* Any image file lenet-onnx-run reads, by its content (not its name): PNG or JPEG. */
#ifndef LENET_ONNX_TOOLS_IMAGE_LOAD_H
#define LENET_ONNX_TOOLS_IMAGE_LOAD_H

#include "png_image.h"

/* Decodes a regular file of at most FILE_MAX_IMAGE_BYTES (file_read.h) into *out. */
image_status image_load(const char *path, image_f32 *out, image_error *err);

#endif
