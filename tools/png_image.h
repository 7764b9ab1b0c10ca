/* PNG decoding for lenet-onnx-run: any PNG file to float planes in [0,1].
 *
 * Every PNG colour type and bit depth is accepted (gray, gray+alpha, RGB, RGBA, palette with or
 * without tRNS, 1/2/4/8/16 bits, Adam7 interlaced). Gray files give 1 channel, colour and
 * palette files 3; alpha is dropped, not composited. Samples are raw values scaled so the
 * largest code maps to 1.0 (8-bit v/255, 16-bit v/65535 at full precision, 1/2/4-bit codes
 * widened by bit replication first); no gamma or colour-profile correction is applied.
 *
 * Images wider or taller than IMAGE_MAX_SIDE, or with more than IMAGE_MAX_PIXELS pixels, are
 * rejected from their IHDR, before any image memory is allocated: the float planes of the
 * largest accepted image take 384 MiB.
 */
#ifndef LENET_ONNX_TOOLS_PNG_IMAGE_H
#define LENET_ONNX_TOOLS_PNG_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define IMAGE_MAX_SIDE   16384u
#define IMAGE_MAX_PIXELS (32u * 1024u * 1024u)

typedef enum image_status {
    IMAGE_OK = 0,
    IMAGE_ERR_INPUT,     /* the file is missing, unreadable, not a PNG, corrupt or too large */
    IMAGE_ERR_ARGUMENT,  /* a caller passed an impossible size or channel count */
    IMAGE_ERR_NO_MEMORY, /* an allocation failed */
} image_status;

#define IMAGE_MESSAGE_SIZE 1024

typedef struct image_error {
    image_status status;
    char message[IMAGE_MESSAGE_SIZE];
} image_error;

/* Planar float image: channel c, row y, column x is data[(c * height + y) * width + x]. */
typedef struct image_f32 {
    uint32_t width;
    uint32_t height;
    uint32_t channels; /* 1 or 3 */
    float *data;
} image_f32;

/* Decodes the PNG file at `path` into *out (which the caller frees with image_release). On
 * failure *out is left empty and err (when not NULL) gets a message starting with the path,
 * e.g. "x.png: not a PNG file". */
image_status image_load_png(const char *path, image_f32 *out, image_error *err);

/* The same from an open stream at the start of the PNG data (the caller keeps the stream). */
image_status image_read_png(const char *path, FILE *fp, image_f32 *out, image_error *err);

/* Records status and a printf-style message in *err (when err is not NULL); returns status. */
#if defined(__GNUC__)
#define IMAGE_PRINTF_LIKE(fmt_index, args_index)                                                   \
    __attribute__((format(printf, fmt_index, args_index)))
#else
#define IMAGE_PRINTF_LIKE(fmt_index, args_index)
#endif
image_status image_fail(image_error *err, image_status status, const char *fmt, ...)
    IMAGE_PRINTF_LIKE(3, 4);

/* Allocates a zero-filled image. */
image_status image_alloc(image_f32 *out, uint32_t width, uint32_t height, uint32_t channels,
                         image_error *err);

/* Frees the pixels and empties the struct; safe on an empty or already released image. */
void image_release(image_f32 *image);

#endif
