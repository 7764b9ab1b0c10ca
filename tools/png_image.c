#include "png_image.h"

#include "file_read.h"

#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes of a PNG that reach the IHDR's width and height: signature, chunk length and type. */
#define PEEK_BYTES 24

image_status image_fail(image_error *err, image_status status, const char *fmt, ...)
{
    if (err) {
        va_list args;
        va_start(args, fmt);
        err->status = status;
        vsnprintf(err->message, sizeof err->message, fmt, args);
        va_end(args);
    }
    return status;
}

image_status image_alloc(image_f32 *out, uint32_t width, uint32_t height, uint32_t channels,
                         image_error *err)
{
    memset(out, 0, sizeof *out);
    if (width == 0 || height == 0 || (channels != 1 && channels != 3))
        return image_fail(err, IMAGE_ERR_ARGUMENT, "cannot make a %ux%u image of %u channels",
                          width, height, channels);
    size_t count = (size_t)width * height;
    if (count > SIZE_MAX / sizeof(float) / channels)
        return image_fail(err, IMAGE_ERR_NO_MEMORY, "a %ux%u image does not fit in memory", width,
                          height);
    out->data = calloc(count * channels, sizeof(float));
    if (!out->data)
        return image_fail(err, IMAGE_ERR_NO_MEMORY, "out of memory for a %ux%u image", width,
                          height);
    out->width = width;
    out->height = height;
    out->channels = channels;
    return IMAGE_OK;
}

void image_release(image_f32 *image)
{
    if (!image) return;
    free(image->data);
    memset(image, 0, sizeof *image);
}

/* What libpng's callbacks share with the decoder. */
typedef struct reader_state {
    FILE *fp;
    unsigned char peek[PEEK_BYTES]; /* bytes already read from fp, replayed to libpng first */
    size_t peek_size;
    size_t peek_pos;
    char read_error[128]; /* text handed to png_error by the read callback */
    char warning[128];    /* the last libpng warning */
    char message[384];    /* the last libpng error */
} reader_state;

static void on_png_error(png_structp png, png_const_charp message)
{
    reader_state *state = png_get_error_ptr(png);
    if (!message) message = "unknown error";
    /* libpng names what is wrong with an IHDR only in the warning it gives just before. */
    if (strcmp(message, "Invalid IHDR data") == 0 && state->warning[0])
        snprintf(state->message, sizeof state->message, "%s (%s)", message, state->warning);
    else
        snprintf(state->message, sizeof state->message, "%s", message);
    png_longjmp(png, 1);
}

/* Warnings (a bad ancillary chunk's CRC, a known-bad sRGB profile) do not stop decoding; they
 * are kept, not printed, so that the tool's stderr holds only real errors. */
static void on_png_warning(png_structp png, png_const_charp message)
{
    reader_state *state = png_get_error_ptr(png);
    snprintf(state->warning, sizeof state->warning, "%s", message ? message : "");
}

static void on_png_read(png_structp png, png_bytep out, size_t size)
{
    reader_state *state = png_get_io_ptr(png);
    size_t from_peek = state->peek_size - state->peek_pos;
    if (from_peek > size) from_peek = size;
    memcpy(out, state->peek + state->peek_pos, from_peek);
    state->peek_pos += from_peek;
    size_t rest = size - from_peek;
    if (rest == 0 || fread(out + from_peek, 1, rest, state->fp) == rest) return;
    if (ferror(state->fp))
        snprintf(state->read_error, sizeof state->read_error, "read error: %s", strerror(errno));
    else
        snprintf(state->read_error, sizeof state->read_error, "unexpected end of file");
    png_error(png, state->read_error);
}

static uint32_t read_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static image_status check_size(const char *path, uint32_t width, uint32_t height, image_error *err)
{
    if (width > IMAGE_MAX_SIDE || height > IMAGE_MAX_SIDE)
        return image_fail(err, IMAGE_ERR_INPUT, "%s: image is %ux%u, larger than the %ux%u limit",
                          path, width, height, IMAGE_MAX_SIDE, IMAGE_MAX_SIDE);
    uint64_t pixels = (uint64_t)width * height;
    if (pixels > IMAGE_MAX_PIXELS)
        return image_fail(err, IMAGE_ERR_INPUT,
                          "%s: image is %ux%u (%llu pixels), more than the %u-pixel limit", path,
                          width, height, (unsigned long long)pixels, IMAGE_MAX_PIXELS);
    return IMAGE_OK;
}

/* One decoded row (8 or 16 bits per sample, `channels` interleaved samples per pixel) into
 * row y of the planes; a trailing alpha sample is skipped. */
static void convert_row(const unsigned char *row, uint32_t y, const image_f32 *image,
                        unsigned channels, unsigned bit_depth)
{
    size_t bytes = bit_depth / 8;
    size_t plane = (size_t)image->width * image->height;
    float *dst = image->data + (size_t)y * image->width;
    for (uint32_t x = 0; x < image->width; x++) {
        for (uint32_t c = 0; c < image->channels; c++) {
            const unsigned char *s = row + ((size_t)x * channels + c) * bytes;
            dst[c * plane + x] =
                bytes == 2 ? (float)((unsigned)s[0] << 8 | s[1]) / 65535.0f : s[0] / 255.0f;
        }
    }
}

/* The libpng part: everything from png_create_read_struct to png_destroy_read_struct, so that
 * setjmp guards exactly the calls that can longjmp. */
static image_status decode(const char *path, reader_state *state, image_f32 *out, image_error *err)
{
    png_structp png =
        png_create_read_struct(PNG_LIBPNG_VER_STRING, state, on_png_error, on_png_warning);
    if (!png) return image_fail(err, IMAGE_ERR_NO_MEMORY, "%s: out of memory for libpng", path);
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        return image_fail(err, IMAGE_ERR_NO_MEMORY, "%s: out of memory for libpng", path);
    }
    /* Assigned after setjmp and read after a longjmp back to it: volatile (C11 7.13.2.1). */
    unsigned char *volatile raw = NULL;
    float *volatile pixels = NULL;
    if (setjmp(png_jmpbuf(png))) {
        free(raw);
        free(pixels);
        png_destroy_read_struct(&png, &info, NULL);
        return image_fail(err, IMAGE_ERR_INPUT, "%s: truncated or corrupt PNG data: %s", path,
                          state->message);
    }
    png_set_user_limits(png, IMAGE_MAX_SIDE, IMAGE_MAX_SIDE);
    png_set_read_fn(png, state, on_png_read);
    png_read_info(png, info);

    png_uint_32 width = png_get_image_width(png, info);
    png_uint_32 height = png_get_image_height(png, info);
    int color_type = png_get_color_type(png, info);
    /* The IHDR peek normally caught this already; libpng's user limits check sides only. */
    if (check_size(path, width, height, err) != IMAGE_OK) {
        png_destroy_read_struct(&png, &info, NULL);
        return IMAGE_ERR_INPUT;
    }
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color_type == PNG_COLOR_TYPE_GRAY && png_get_bit_depth(png, info) < 8)
        png_set_expand_gray_1_2_4_to_8(png); /* replicates bits: the top code becomes 255 */
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);
    /* After the transforms: 1 to 4 interleaved samples of 8 or 16 bits (tRNS may add alpha). */
    unsigned channels = png_get_channels(png, info);
    unsigned bit_depth = png_get_bit_depth(png, info);
    size_t row_bytes = png_get_rowbytes(png, info);
    if (channels < 1 || channels > 4 || (bit_depth != 8 && bit_depth != 16) ||
        row_bytes < (size_t)width * channels * (bit_depth / 8))
        png_error(png, "unexpected pixel format after expansion");

    image_f32 image = {width, height, channels >= 3 ? 3 : 1, NULL};
    /* An interlaced image is only complete after the last pass, so it needs every row. */
    size_t raw_rows = passes > 1 ? height : 1;
    raw = calloc(raw_rows, row_bytes);
    pixels = malloc((size_t)width * height * image.channels * sizeof(float));
    if (!raw || !pixels) {
        free(raw);
        free(pixels);
        png_destroy_read_struct(&png, &info, NULL);
        return image_fail(err, IMAGE_ERR_NO_MEMORY, "%s: out of memory for a %ux%u image", path,
                          (unsigned)width, (unsigned)height);
    }
    image.data = pixels;
    for (int pass = 0; pass < passes; pass++) {
        for (png_uint_32 y = 0; y < height; y++) {
            unsigned char *row = raw + (passes > 1 ? (size_t)y * row_bytes : 0);
            png_read_row(png, row, NULL);
            if (passes == 1) convert_row(row, y, &image, channels, bit_depth);
        }
    }
    if (passes > 1)
        for (png_uint_32 y = 0; y < height; y++)
            convert_row(raw + (size_t)y * row_bytes, y, &image, channels, bit_depth);
    png_read_end(png, NULL); /* checks the CRCs and chunks after the image data */

    free(raw);
    png_destroy_read_struct(&png, &info, NULL);
    *out = image;
    return IMAGE_OK;
}

image_status image_load_png(const char *path, image_f32 *out, image_error *err)
{
    memset(out, 0, sizeof *out);
    char message[IMAGE_MESSAGE_SIZE];
    FILE *fp;
    if (file_open_regular(path, FILE_MAX_IMAGE_BYTES, "image", &fp, NULL, message, sizeof message))
        return image_fail(err, IMAGE_ERR_INPUT, "%s", message);
    image_status status = image_read_png(path, fp, out, err);
    fclose(fp);
    return status;
}

image_status image_read_png(const char *path, FILE *fp, image_f32 *out, image_error *err)
{
    memset(out, 0, sizeof *out);
    reader_state state;
    memset(&state, 0, sizeof state);
    state.fp = fp;

    image_status status = IMAGE_OK;
    state.peek_size = fread(state.peek, 1, sizeof state.peek, state.fp);
    if (ferror(state.fp)) {
        status = image_fail(err, IMAGE_ERR_INPUT, "%s: cannot read: %s", path, strerror(errno));
    } else if (state.peek_size == 0) {
        status = image_fail(err, IMAGE_ERR_INPUT, "%s: not a PNG file (the file is empty)", path);
    } else if (state.peek_size < 8 || png_sig_cmp(state.peek, 0, 8) != 0) {
        status = image_fail(err, IMAGE_ERR_INPUT, "%s: not a PNG file", path);
    } else if (state.peek_size == PEEK_BYTES && memcmp(state.peek + 12, "IHDR", 4) == 0) {
        /* Checked here, before libpng, whose own limit check would only say "Invalid IHDR". */
        status = check_size(path, read_be32(state.peek + 16), read_be32(state.peek + 20), err);
    }
    if (status == IMAGE_OK) status = decode(path, &state, out, err);
    return status;
}
