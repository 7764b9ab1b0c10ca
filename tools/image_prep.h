/* Turning a decoded image into one slot of a model's input batch: channel conversion,
 * bilinear resize, per-channel normalisation and the NCHW or NHWC layout.
 */
#ifndef LENET_ONNX_TOOLS_IMAGE_PREP_H
#define LENET_ONNX_TOOLS_IMAGE_PREP_H

#include <stdbool.h>

#include "png_image.h"

typedef enum image_layout {
    IMAGE_LAYOUT_NCHW = 1, /* slot[(c * H + y) * W + x] */
    IMAGE_LAYOUT_NHWC = 2, /* slot[(y * W + x) * C + c] */
} image_layout;

/* What the model's input expects of one image. */
typedef struct image_prep_spec {
    uint32_t channels; /* 1 or 3 */
    uint32_t height;
    uint32_t width;
    image_layout layout;
    float mean[3]; /* per channel: slot = (x - mean) / std */
    float std[3];
} image_prep_spec;

/* How a model wants colour, from its metadata (docs/model-metadata.md). */
typedef struct image_prep_color {
    bool bgr;    /* 3 channels in B, G, R order (ONNX's Image.BitmapPixelFormat Bgr8) */
    bool linear; /* x made linear from sRGB first (Image.ColorSpaceGamma Linear) */
} image_prep_color;

/* The sRGB transfer function inverted (IEC 61966-2-1), for values in [0,1]. */
float image_srgb_to_linear(float v);

/* ITU-R BT.601 luma, the weights PIL's convert("L") and OpenCV's RGB2GRAY use. */
float image_luma_bt601(float r, float g, float b);

/* A new image with `channels` channels: gray to RGB replicates the plane, RGB to gray takes
 * BT.601 luma, equal counts copy. */
image_status image_convert_channels(const image_f32 *in, uint32_t channels, image_f32 *out,
                                    image_error *err);

/* A new image of width x height, bilinear with half-pixel centres (align_corners=false) and no
 * antialiasing when shrinking: source coordinate (x + 0.5) * in_w / out_w - 0.5 clamped to the
 * image, the same as OpenCV's INTER_LINEAR and PyTorch's interpolate(mode="bilinear",
 * align_corners=False, antialias=False). PIL's BILINEAR differs when shrinking: it widens its
 * filter (antialiases). Equal sizes copy. */
image_status image_resize_bilinear(const image_f32 *in, uint32_t width, uint32_t height,
                                   image_f32 *out, image_error *err);

/* Converts, resizes when the size differs, normalises and writes spec->channels * height *
 * width floats to `slot` in spec->layout. */
image_status image_prepare(const image_f32 *in, const image_prep_spec *spec, float *slot,
                           image_error *err);

/* The same for a model that wants BGR order or linear values (color NULL: neither). */
image_status image_prepare_color(const image_f32 *in, const image_prep_spec *spec,
                                 const image_prep_color *color, float *slot, image_error *err);

#endif
