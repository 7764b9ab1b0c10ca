#include "image_prep.h"

#include <math.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

float image_luma_bt601(float r, float g, float b)
{
    return 0.299f * r + 0.587f * g + 0.114f * b;
}

image_status image_convert_channels(const image_f32 *in, uint32_t channels, image_f32 *out,
                                    image_error *err)
{
    image_status status = image_alloc(out, in->width, in->height, channels, err);
    if (status != IMAGE_OK) return status;
    size_t plane = (size_t)in->width * in->height;
    if (in->channels == channels) {
        memcpy(out->data, in->data, plane * channels * sizeof(float));
    } else if (in->channels == 1) {
        for (uint32_t c = 0; c < channels; c++)
            memcpy(out->data + c * plane, in->data, plane * sizeof(float));
    } else if (in->channels == 3 && channels == 1) {
        const float *r = in->data, *g = r + plane, *b = g + plane;
        for (size_t i = 0; i < plane; i++)
            out->data[i] = image_luma_bt601(r[i], g[i], b[i]);
    } else {
        image_release(out);
        return image_fail(err, IMAGE_ERR_ARGUMENT, "cannot convert %u channels to %u", in->channels,
                          channels);
    }
    return IMAGE_OK;
}

/* For each output coordinate along one axis: the two source indices and the weight of the
 * second, from half-pixel centres clamped to the edges. */
static void resize_axis(uint32_t in_size, uint32_t out_size, uint32_t *lo, uint32_t *hi,
                        float *frac)
{
    double scale = (double)in_size / out_size;
    for (uint32_t i = 0; i < out_size; i++) {
        double src = ((double)i + 0.5) * scale - 0.5;
        if (src < 0) src = 0;
        if (src > in_size - 1) src = in_size - 1;
        uint32_t i0 = (uint32_t)src;
        lo[i] = i0;
        hi[i] = i0 + 1 < in_size ? i0 + 1 : i0;
        frac[i] = (float)(src - i0);
    }
}

/* a + t * (b - a), not (1 - t) * a + t * b: equal ends give exactly that value back. */
static float lerp(float a, float b, float t)
{
    return a + t * (b - a);
}

image_status image_resize_bilinear(const image_f32 *in, uint32_t width, uint32_t height,
                                   image_f32 *out, image_error *err)
{
    image_status status = image_alloc(out, width, height, in->channels, err);
    if (status != IMAGE_OK) return status;
    if (in->width == 0 || in->height == 0 || !in->data) {
        image_release(out);
        return image_fail(err, IMAGE_ERR_ARGUMENT, "cannot resize an empty image");
    }
    size_t in_plane = (size_t)in->width * in->height;
    size_t out_plane = (size_t)width * height;
    if (in->width == width && in->height == height) {
        memcpy(out->data, in->data, in_plane * in->channels * sizeof(float));
        return IMAGE_OK;
    }
    uint32_t *x_lo = malloc(width * sizeof *x_lo), *x_hi = malloc(width * sizeof *x_hi);
    uint32_t *y_lo = malloc(height * sizeof *y_lo), *y_hi = malloc(height * sizeof *y_hi);
    float *x_frac = malloc(width * sizeof *x_frac), *y_frac = malloc(height * sizeof *y_frac);
    if (!x_lo || !x_hi || !y_lo || !y_hi || !x_frac || !y_frac) {
        image_release(out);
        status =
            image_fail(err, IMAGE_ERR_NO_MEMORY, "out of memory resizing to %ux%u", width, height);
        goto done;
    }
    resize_axis(in->width, width, x_lo, x_hi, x_frac);
    resize_axis(in->height, height, y_lo, y_hi, y_frac);
    for (uint32_t c = 0; c < in->channels; c++) {
        const float *src = in->data + c * in_plane;
        float *dst = out->data + c * out_plane;
        for (uint32_t y = 0; y < height; y++) {
            const float *top = src + (size_t)y_lo[y] * in->width;
            const float *bottom = src + (size_t)y_hi[y] * in->width;
            for (uint32_t x = 0; x < width; x++) {
                float t = lerp(top[x_lo[x]], top[x_hi[x]], x_frac[x]);
                float b = lerp(bottom[x_lo[x]], bottom[x_hi[x]], x_frac[x]);
                dst[(size_t)y * width + x] = lerp(t, b, y_frac[y]);
            }
        }
    }
done:
    free(x_lo);
    free(x_hi);
    free(y_lo);
    free(y_hi);
    free(x_frac);
    free(y_frac);
    return status;
}

float image_srgb_to_linear(float v)
{
    return v <= 0.04045f ? v / 12.92f : powf((v + 0.055f) / 1.055f, 2.4f);
}

image_status image_prepare(const image_f32 *in, const image_prep_spec *spec, float *slot,
                           image_error *err)
{
    return image_prepare_color(in, spec, NULL, slot, err);
}

image_status image_prepare_color(const image_f32 *in, const image_prep_spec *spec,
                                 const image_prep_color *color, float *slot, image_error *err)
{
    image_prep_color plain = {false, false};
    if (!color) color = &plain;
    if ((spec->channels != 1 && spec->channels != 3) || spec->width == 0 || spec->height == 0 ||
        (spec->layout != IMAGE_LAYOUT_NCHW && spec->layout != IMAGE_LAYOUT_NHWC))
        return image_fail(err, IMAGE_ERR_ARGUMENT, "bad image preparation spec");
    image_f32 converted = {0}, resized = {0};
    const image_f32 *cur = in;
    bool size_differs = in->width != spec->width || in->height != spec->height;
    /* Resize at the smaller channel count: gray is resized before it is replicated. */
    bool convert_first = spec->channels < in->channels;
    image_status status = IMAGE_OK;
    if (convert_first) {
        status = image_convert_channels(cur, spec->channels, &converted, err);
        if (status != IMAGE_OK) goto done;
        cur = &converted;
    }
    if (size_differs) {
        status = image_resize_bilinear(cur, spec->width, spec->height, &resized, err);
        if (status != IMAGE_OK) goto done;
        cur = &resized;
    }
    if (cur->channels != spec->channels) {
        status = image_convert_channels(cur, spec->channels, &converted, err);
        if (status != IMAGE_OK) goto done;
        cur = &converted;
    }

    size_t plane = (size_t)spec->width * spec->height;
    for (uint32_t c = 0; c < spec->channels; c++) {
        /* Model channel c takes image channel c, or 2 - c when the model wants BGR. */
        uint32_t from = color->bgr && spec->channels == 3 ? 2 - c : c;
        const float *src = cur->data + from * plane;
        float mean = spec->mean[c], std = spec->std[c];
        for (size_t i = 0; i < plane; i++) {
            float v = color->linear ? image_srgb_to_linear(src[i]) : src[i];
            size_t at = spec->layout == IMAGE_LAYOUT_NCHW ? c * plane + i : i * spec->channels + c;
            slot[at] = (v - mean) / std;
        }
    }
done:
    image_release(&converted);
    image_release(&resized);
    return status;
}
