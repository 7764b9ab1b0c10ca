/* make_jpeg IN.png OUT.jpg [QUALITY]: writes a PNG's pixels as a JPEG with libjpeg (baseline,
 * quality 95 unless given, gray stays gray), then decodes OUT.jpg through the tools' image
 * loader and checks it against the PNG: every sample within 16/255 and the mean error under
 * 1/255 (JPEG is lossy; a decoder that swapped channels, rows or scale would be far off).
 * Used by the CLI tests to make their JPEG inputs (tests/check_run_json.py jpeg). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "image_load.h"

static int write_jpeg(const image_f32 *image, const char *path, int quality)
{
    FILE *out = fopen(path, "wb");
    if (!out) return 1;
    struct jpeg_compress_struct cinfo;
    struct jpeg_error_mgr jerr;
    cinfo.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&cinfo);
    jpeg_stdio_dest(&cinfo, out);
    cinfo.image_width = image->width;
    cinfo.image_height = image->height;
    cinfo.input_components = (int)image->channels;
    cinfo.in_color_space = image->channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    size_t plane = (size_t)image->width * image->height;
    unsigned char *row = malloc((size_t)image->width * image->channels);
    while (row && cinfo.next_scanline < image->height) {
        size_t y = cinfo.next_scanline;
        for (size_t x = 0; x < image->width; x++)
            for (size_t c = 0; c < image->channels; c++)
                row[x * image->channels + c] =
                    (unsigned char)lroundf(image->data[c * plane + y * image->width + x] * 255.0f);
        JSAMPROW rows[1] = {row};
        jpeg_write_scanlines(&cinfo, rows, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    free(row);
    return fclose(out) != 0 || !row;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: make_jpeg IN.png OUT.jpg [QUALITY]\n");
        return 2;
    }
    int quality = argc > 3 ? atoi(argv[3]) : 95;
    image_f32 png, jpeg;
    image_error err;
    if (image_load(argv[1], &png, &err) != IMAGE_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    if (write_jpeg(&png, argv[2], quality)) {
        fprintf(stderr, "%s: cannot write\n", argv[2]);
        return 1;
    }
    if (image_load(argv[2], &jpeg, &err) != IMAGE_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    int rc = 0;
    if (jpeg.width != png.width || jpeg.height != png.height || jpeg.channels != png.channels) {
        fprintf(stderr, "%s: %ux%ux%u, the PNG is %ux%ux%u\n", argv[2], jpeg.width, jpeg.height,
                jpeg.channels, png.width, png.height, png.channels);
        rc = 1;
    } else {
        size_t n = (size_t)png.width * png.height * png.channels;
        double worst = 0, total = 0;
        for (size_t i = 0; i < n; i++) {
            double e = fabs((double)jpeg.data[i] - png.data[i]);
            total += e;
            if (e > worst) worst = e;
        }
        printf("%s: max error %.4f, mean %.5f\n", argv[2], worst, total / (double)n);
        if (worst > 16.0 / 255 || total / (double)n > 1.0 / 255) rc = 1;
    }
    image_release(&png);
    image_release(&jpeg);
    return rc;
}
