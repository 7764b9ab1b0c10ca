/* libjpeg's error manager longjmps back here instead of exiting the process. */
#include "jpeg_image.h"

#include <jpeglib.h>

#include <jerror.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

typedef struct jpeg_failure {
    struct jpeg_error_mgr manager;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
} jpeg_failure;

static void on_jpeg_error(j_common_ptr cinfo)
{
    jpeg_failure *failure = (jpeg_failure *)cinfo->err;
    cinfo->err->format_message(cinfo, failure->message);
    longjmp(failure->jump, 1);
}

/* Warnings are not printed (stderr keeps real errors only) and most are let pass (many camera
 * files have a stray byte before a marker), but the end of the data before the image's end is
 * an error: libjpeg would fill the rest with gray, as if the image were whole. */
static void on_jpeg_message(j_common_ptr cinfo, int level)
{
    if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) {
        jpeg_failure *failure = (jpeg_failure *)cinfo->err;
        cinfo->err->format_message(cinfo, failure->message);
        longjmp(failure->jump, 1);
    }
}

image_status image_read_jpeg(const char *path, FILE *fp, image_f32 *out, image_error *err)
{
    memset(out, 0, sizeof *out);
    struct jpeg_decompress_struct cinfo;
    jpeg_failure failure;
    cinfo.err = jpeg_std_error(&failure.manager);
    failure.manager.error_exit = on_jpeg_error;
    failure.manager.emit_message = on_jpeg_message;
    failure.message[0] = '\0';
    /* Assigned after setjmp and read after a longjmp back to it: volatile (C11 7.13.2.1). */
    unsigned char *volatile row = NULL;
    float *volatile pixels = NULL;
    if (setjmp(failure.jump)) {
        free(row);
        free(pixels);
        jpeg_destroy_decompress(&cinfo);
        return image_fail(err, IMAGE_ERR_INPUT, "%s: truncated or corrupt JPEG data: %s", path,
                          failure.message);
    }
    jpeg_create_decompress(&cinfo);
    jpeg_stdio_src(&cinfo, fp);
    jpeg_read_header(&cinfo, TRUE);
    if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
        jpeg_destroy_decompress(&cinfo);
        return image_fail(err, IMAGE_ERR_INPUT, "%s: CMYK JPEG images are not supported", path);
    }
    uint32_t width = cinfo.image_width, height = cinfo.image_height;
    if (width == 0 || height == 0 || width > IMAGE_MAX_SIDE || height > IMAGE_MAX_SIDE ||
        (uint64_t)width * height > IMAGE_MAX_PIXELS) {
        jpeg_destroy_decompress(&cinfo);
        return image_fail(err, IMAGE_ERR_INPUT,
                          "%s: a %ux%u JPEG image is larger than the %ux%u / %u pixels allowed",
                          path, (unsigned)width, (unsigned)height, IMAGE_MAX_SIDE, IMAGE_MAX_SIDE,
                          IMAGE_MAX_PIXELS);
    }
    uint32_t channels = cinfo.num_components == 1 ? 1 : 3;
    cinfo.out_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&cinfo);
    if (cinfo.output_components != (int)channels)
        longjmp(failure.jump, 1); /* unreachable with the colour spaces above */
    size_t plane = (size_t)width * height;
    row = malloc((size_t)width * channels);
    pixels = malloc(plane * channels * sizeof(float));
    if (!row || !pixels) {
        free(row);
        free(pixels);
        jpeg_destroy_decompress(&cinfo);
        return image_fail(err, IMAGE_ERR_NO_MEMORY, "%s: out of memory for a %ux%u image", path,
                          (unsigned)width, (unsigned)height);
    }
    while (cinfo.output_scanline < height) {
        uint32_t y = cinfo.output_scanline;
        JSAMPROW rows[1] = {row};
        jpeg_read_scanlines(&cinfo, rows, 1);
        for (uint32_t x = 0; x < width; x++)
            for (uint32_t c = 0; c < channels; c++)
                pixels[c * plane + (size_t)y * width + x] = row[(size_t)x * channels + c] / 255.0f;
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    free(row);
    out->width = width;
    out->height = height;
    out->channels = channels;
    out->data = pixels;
    return IMAGE_OK;
}
