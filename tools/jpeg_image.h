/* JPEG decoding for lenet-onnx-run through libjpeg(-turbo): baseline and progressive files,
 * gray or colour (YCbCr, RGB), 8 bits per sample, to float planes in [0,1] (v/255); data that
 * ends before the image does is an error, other warnings of libjpeg are not. Gray files
 * give 1 channel, colour files 3. CMYK/YCCK files are refused. The size limits of PNG apply
 * (IMAGE_MAX_SIDE, IMAGE_MAX_PIXELS), checked from the header before any pixel memory. */
#ifndef LENET_ONNX_TOOLS_JPEG_IMAGE_H
#define LENET_ONNX_TOOLS_JPEG_IMAGE_H

#include <stdio.h>

#include "png_image.h"

/* Decodes the JPEG data of an open stream (the caller keeps the stream). */
image_status image_read_jpeg(const char *path, FILE *fp, image_f32 *out, image_error *err);

#endif
