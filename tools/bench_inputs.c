/* Random or file-backed inputs for the benchmark. */
#include "bench_inputs.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "image_load.h"
#include "image_prep.h"
#include "tensor_file.h"

/* xorshift64*: fixed seed, so every run of the tool feeds the same inputs. */
static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

/* Copies one slot of `slot_floats` over every slot of the batch. */
static void repeat_slot(float *data, size_t slot_floats, size_t total_floats)
{
    for (size_t at = slot_floats; at + slot_floats <= total_floats; at += slot_floats)
        memcpy(data + at, data, slot_floats * sizeof(float));
}

static int fill_from_image(const char *path, const lenet_onnx_tensor_info *info, float *data,
                           char *message, size_t size)
{
    const int64_t *d = info->dims;
    if (info->rank != 4) {
        snprintf(message, size, "%s: the model input '%s' is not an image [N,C,H,W] / [N,H,W,C]",
                 path, info->name);
        return 1;
    }
    bool nhwc = info->layout == LENET_ONNX_LAYOUT_NHWC;
    image_prep_spec spec = {0};
    spec.channels = (uint32_t)(nhwc ? d[3] : d[1]);
    spec.height = (uint32_t)(nhwc ? d[1] : d[2]);
    spec.width = (uint32_t)(nhwc ? d[2] : d[3]);
    spec.layout = nhwc ? IMAGE_LAYOUT_NHWC : IMAGE_LAYOUT_NCHW;
    for (int c = 0; c < 3; c++)
        spec.std[c] = 1.0f;
    image_f32 image;
    image_error err;
    image_status status = image_load(path, &image, &err);
    if (status == IMAGE_OK) status = image_prepare(&image, &spec, data, &err);
    image_release(&image);
    if (status != IMAGE_OK) {
        snprintf(message, size, "%s", err.message);
        return 1;
    }
    size_t slot = (size_t)spec.channels * spec.height * spec.width;
    repeat_slot(data, slot, (size_t)(info->size_bytes / sizeof(float)));
    return 0;
}

static int fill_from_tensor(const char *path, const lenet_onnx_tensor_info *info, float *data,
                            char *message, size_t size)
{
    tensor_file t;
    if (tensor_file_load(path, &t, message, size)) return 1;
    size_t total = (size_t)(info->size_bytes / sizeof(float));
    size_t batch = info->rank > 0 && info->dims[0] > 0 ? (size_t)info->dims[0] : 1;
    size_t slot = total / batch;
    int rc = 0;
    if (t.numel == total) {
        memcpy(data, t.data, total * sizeof(float));
    } else if (t.numel == slot) {
        memcpy(data, t.data, slot * sizeof(float));
        repeat_slot(data, slot, total);
    } else {
        snprintf(message, size,
                 "%s: %zu values; the model input '%s' takes %zu per image (%zu per batch)", path,
                 t.numel, info->name, slot, total);
        rc = 1;
    }
    tensor_file_release(&t);
    return rc;
}

int bench_inputs_fill(const char *path, const lenet_onnx_tensor_info *info, void *buffer,
                      char *message, size_t size)
{
    size_t bytes = (size_t)info->size_bytes;
    memset(buffer, 0, bytes);
    if (info->dtype != LENET_ONNX_DTYPE_FLOAT32) return 0;
    if (path && tensor_file_is_raw(path))
        return fill_from_tensor(path, info, buffer, message, size);
    if (path) return fill_from_image(path, info, buffer, message, size);
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    float *f = buffer;
    for (size_t j = 0; j < bytes / sizeof(float); j++)
        f[j] = (float)(rng_next(&seed) >> 40) * (1.0f / 16777216.0f);
    return 0;
}
