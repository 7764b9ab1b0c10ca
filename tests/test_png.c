/* PNG decoding and image preparation of lenet-onnx-run (tools/png_image.c, tools/image_prep.c).
 *
 * usage: test_png FIXTURES_DIR   (the repository's tests/fixtures)
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image_prep.h"
#include "png_image.h"
#include "test_util.h"

static const char *fixtures = "tests/fixtures";

static void fixture_path(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", fixtures, name);
}

/* Decodes fixtures/name, reporting a failure; false when it did not decode. */
static bool load(const char *name, image_f32 *image)
{
    char path[1024];
    image_error err = {0};
    fixture_path(path, sizeof path, name);
    image_status status = image_load_png(path, image, &err);
    CHECK_MSG(status == IMAGE_OK, "%s: %s", name, err.message);
    return status == IMAGE_OK;
}

static bool planes_equal(const float *a, const float *b, size_t count)
{
    return memcmp(a, b, count * sizeof(float)) == 0;
}

/* Every format of the ankle-boot picture decodes to exactly gray8.png's values, in each of
 * its channels. */
static void test_identical_formats(void)
{
    static const char *const names[] = {
        "png/gray16.png",        "png/gray_alpha8.png", "png/rgb8.png",  "png/rgba8.png",
        "png/rgb16.png",         "png/palette8.png",    "png/gray8.png", "png/gray8_interlaced.png",
        "png/gray8_filters.png",
    };
    static const uint32_t channels[] = {1, 1, 3, 3, 3, 3, 1, 1, 1};
    image_f32 ref;
    if (!load("png/gray8.png", &ref)) return;
    CHECK(ref.width == 32 && ref.height == 32 && ref.channels == 1);
    bool has_mid_gray = false;
    for (size_t i = 0; i < 32 * 32; i++) {
        CHECK(ref.data[i] >= 0.0f && ref.data[i] <= 1.0f);
        has_mid_gray = has_mid_gray || (ref.data[i] > 0.0f && ref.data[i] < 1.0f);
    }
    CHECK(has_mid_gray);
    for (size_t n = 0; n < sizeof names / sizeof names[0]; n++) {
        image_f32 image;
        if (!load(names[n], &image)) continue;
        CHECK_MSG(image.width == 32 && image.height == 32 && image.channels == channels[n],
                  "%s: %ux%u, %u channels", names[n], image.width, image.height, image.channels);
        for (uint32_t c = 0; c < image.channels && image.width == 32 && image.height == 32; c++)
            CHECK_MSG(planes_equal(image.data + c * 32 * 32, ref.data, 32 * 32),
                      "%s channel %u differs from gray8.png", names[n], c);
        image_release(&image);
    }
    image_release(&ref);
}

/* A fixture decodes to 32x32 gray equal to the 8-bit values of an expected text file / 255. */
static void test_low_bit_depth(const char *png_name, const char *expected_name)
{
    char path[1024];
    fixture_path(path, sizeof path, expected_name);
    FILE *fp = fopen(path, "r");
    CHECK_MSG(fp != NULL, "cannot open %s", path);
    if (!fp) return;
    float expected[32 * 32];
    size_t count = 0;
    int value;
    while (count < 32 * 32 && fscanf(fp, "%d", &value) == 1)
        expected[count++] = value / 255.0f;
    fclose(fp);
    CHECK_MSG(count == 32 * 32, "%s: %zu values", expected_name, count);
    image_f32 image;
    if (!load(png_name, &image)) return;
    CHECK(image.width == 32 && image.height == 32 && image.channels == 1);
    if (count == 32 * 32 && image.width == 32 && image.height == 32)
        CHECK_MSG(planes_equal(image.data, expected, 32 * 32), "%s differs from %s", png_name,
                  expected_name);
    image_release(&image);
}

/* rgb8_64x48.png is an integer-formula gradient, as tools/train_lenet.py writes it (its README
 * rounds the blue divisor, W + H - 2 = 110, to 108). */
static void test_rgb_gradient(void)
{
    image_f32 image;
    if (!load("png/rgb8_64x48.png", &image)) return;
    CHECK(image.width == 64 && image.height == 48 && image.channels == 3);
    if (image.width != 64 || image.height != 48 || image.channels != 3) {
        image_release(&image);
        return;
    }
    int mismatches = 0;
    for (int y = 0; y < 48; y++) {
        for (int x = 0; x < 64; x++) {
            int rgb[3] = {(255 * x + 31) / 63, (255 * y + 23) / 47,
                          255 - (255 * (x + y) + 55) / 110};
            for (int c = 0; c < 3; c++)
                mismatches += image.data[(c * 48 + y) * 64 + x] != rgb[c] / 255.0f;
        }
    }
    CHECK_MSG(mismatches == 0, "%d samples differ from the gradient formula", mismatches);

    /* Halving is a 2x2 average with half-pixel centres: each output sits between 4 inputs. */
    image_f32 half;
    image_error err;
    CHECK_OK(image_resize_bilinear(&image, 32, 24, &half, &err), &err);
    float worst = 0;
    for (uint32_t c = 0; c < 3 && half.data; c++) {
        for (uint32_t y = 0; y < 24; y++) {
            for (uint32_t x = 0; x < 32; x++) {
                const float *p = image.data + (c * 48 + 2 * y) * 64 + 2 * x;
                float mean = (p[0] + p[1] + p[64] + p[65]) / 4;
                float d = fabsf(half.data[(c * 24 + y) * 32 + x] - mean);
                if (d > worst) worst = d;
            }
        }
    }
    CHECK_MSG(worst < 1e-6f, "halving differs from the 2x2 mean by %g", worst);
    image_release(&half);
    image_release(&image);
}

static void test_resize(void)
{
    image_error err;
    image_f32 constant, out;
    CHECK_OK(image_alloc(&constant, 7, 5, 3, &err), &err);
    for (size_t i = 0; i < 7 * 5 * 3; i++)
        constant.data[i] = 0.3f + (i >= 35) * 0.2f + (i >= 70) * 0.1f; /* per channel */
    static const uint32_t sizes[][2] = {{32, 32}, {3, 2}, {7, 9}, {1, 1}, {100, 3}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        CHECK_OK(image_resize_bilinear(&constant, sizes[s][0], sizes[s][1], &out, &err), &err);
        size_t plane = (size_t)sizes[s][0] * sizes[s][1];
        int changed = 0;
        for (uint32_t c = 0; c < 3 && out.data; c++)
            for (size_t i = 0; i < plane; i++)
                changed += out.data[c * plane + i] != constant.data[c * 35];
        CHECK_MSG(changed == 0, "constant image resized to %ux%u: %d values changed", sizes[s][0],
                  sizes[s][1], changed);
        image_release(&out);
    }

    /* The same size is an exact copy. */
    for (size_t i = 0; i < 7 * 5 * 3; i++)
        constant.data[i] = (float)i / 104.0f;
    CHECK_OK(image_resize_bilinear(&constant, 7, 5, &out, &err), &err);
    CHECK(out.data && planes_equal(out.data, constant.data, 7 * 5 * 3));
    image_release(&out);
    image_release(&constant);

    /* 2x2 -> 4x4 by hand: along an axis the 4 outputs sample source coordinates -0.25 (clamped
     * to 0), 0.25, 0.75 and 1.25 (clamped to 1), so weights [1,0] [.75,.25] [.25,.75] [0,1].
     * With input [[0,1],[2,3]] the output is x-weight + 2 * y-weight. */
    image_f32 small;
    CHECK_OK(image_alloc(&small, 2, 2, 1, &err), &err);
    if (small.data) {
        for (int i = 0; i < 4; i++)
            small.data[i] = (float)i;
        static const float expected[16] = {0.0f, 0.25f, 0.75f, 1.0f, 0.5f, 0.75f, 1.25f, 1.5f,
                                           1.5f, 1.75f, 2.25f, 2.5f, 2.0f, 2.25f, 2.75f, 3.0f};
        CHECK_OK(image_resize_bilinear(&small, 4, 4, &out, &err), &err);
        CHECK(out.data && planes_equal(out.data, expected, 16));
        image_release(&out);
    }
    image_release(&small);

    /* 4x4 -> 2x2: each output is the mean of its 2x2 block. */
    CHECK_OK(image_alloc(&small, 4, 4, 1, &err), &err);
    if (small.data) {
        for (int i = 0; i < 16; i++)
            small.data[i] = (float)i;
        static const float expected[4] = {2.5f, 4.5f, 10.5f, 12.5f};
        CHECK_OK(image_resize_bilinear(&small, 2, 2, &out, &err), &err);
        CHECK(out.data && planes_equal(out.data, expected, 4));
        image_release(&out);
    }
    image_release(&small);
}

static void test_channels(void)
{
    CHECK(image_luma_bt601(1, 0, 0) == 0.299f);
    CHECK(image_luma_bt601(0, 1, 0) == 0.587f);
    CHECK(image_luma_bt601(0, 0, 1) == 0.114f);
    CHECK(fabsf(image_luma_bt601(1, 1, 1) - 1.0f) < 1e-6f);

    image_error err;
    image_f32 rgb, gray, back;
    CHECK_OK(image_alloc(&rgb, 3, 1, 3, &err), &err);
    if (!rgb.data) return;
    /* pixel 0 red, 1 green, 2 blue */
    rgb.data[0] = rgb.data[4] = rgb.data[8] = 1.0f;
    CHECK_OK(image_convert_channels(&rgb, 1, &gray, &err), &err);
    CHECK(gray.channels == 1 && gray.data && gray.data[0] == 0.299f && gray.data[1] == 0.587f &&
          gray.data[2] == 0.114f);
    CHECK_OK(image_convert_channels(&gray, 3, &back, &err), &err);
    CHECK(back.channels == 3 && back.data && planes_equal(back.data, gray.data, 3) &&
          planes_equal(back.data + 3, gray.data, 3) && planes_equal(back.data + 6, gray.data, 3));
    image_release(&back);
    image_release(&gray);
    image_release(&rgb);
}

/* image_prepare on a 2x1 RGB image: conversions, normalisation and both layouts. */
static void test_prepare(void)
{
    image_error err;
    image_f32 rgb;
    CHECK_OK(image_alloc(&rgb, 2, 1, 3, &err), &err);
    if (!rgb.data) return;
    static const float planes[6] = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f}; /* R R G G B B */
    memcpy(rgb.data, planes, sizeof planes);

    image_prep_spec spec = {3, 1, 2, IMAGE_LAYOUT_NCHW, {0.5f, 0.25f, 0.0f}, {0.5f, 2.0f, 1.0f}};
    float slot[6];
    CHECK_OK(image_prepare(&rgb, &spec, slot, &err), &err);
    for (int c = 0; c < 3; c++)
        for (int x = 0; x < 2; x++)
            CHECK(slot[c * 2 + x] == (planes[c * 2 + x] - spec.mean[c]) / spec.std[c]);

    spec.layout = IMAGE_LAYOUT_NHWC;
    CHECK_OK(image_prepare(&rgb, &spec, slot, &err), &err);
    for (int c = 0; c < 3; c++)
        for (int x = 0; x < 2; x++)
            CHECK(slot[x * 3 + c] == (planes[c * 2 + x] - spec.mean[c]) / spec.std[c]);

    /* RGB to gray */
    image_prep_spec gray = {1, 1, 2, IMAGE_LAYOUT_NCHW, {0.5f}, {0.5f}};
    CHECK_OK(image_prepare(&rgb, &gray, slot, &err), &err);
    for (int x = 0; x < 2; x++)
        CHECK(slot[x] == (image_luma_bt601(planes[x], planes[2 + x], planes[4 + x]) - 0.5f) / 0.5f);

    /* Gray to RGB with a resize: 1x1 gray to 2x2 RGB NHWC replicates everywhere. */
    image_f32 one;
    CHECK_OK(image_alloc(&one, 1, 1, 1, &err), &err);
    if (one.data) {
        one.data[0] = 0.75f;
        image_prep_spec up = {3, 2, 2, IMAGE_LAYOUT_NHWC, {0, 0, 0.5f}, {1, 1, 0.25f}};
        float big[12];
        CHECK_OK(image_prepare(&one, &up, big, &err), &err);
        for (int i = 0; i < 12; i++)
            CHECK(big[i] == (i % 3 == 2 ? 1.0f : 0.75f));
    }
    image_release(&one);
    image_release(&rgb);
}

/* Malformed files fail with IMAGE_ERR_INPUT, a message naming the file, and no image. */
static void expect_failure(const char *name, const char *fragment)
{
    char path[1024];
    fixture_path(path, sizeof path, name);
    image_f32 image = {7, 7, 1, (float *)&image}; /* garbage the call must clear */
    image_error err = {0};
    image_status status = image_load_png(path, &image, &err);
    CHECK_MSG(status == IMAGE_ERR_INPUT, "%s: status %d", name, (int)status);
    CHECK_MSG(err.status == status, "%s: err.status %d", name, (int)err.status);
    CHECK_MSG(strncmp(err.message, path, strlen(path)) == 0 &&
                  strncmp(err.message + strlen(path), ": ", 2) == 0,
              "%s: message does not start with the path: %s", name, err.message);
    CHECK_MSG(strstr(err.message, fragment) != NULL, "%s: message lacks '%s': %s", name, fragment,
              err.message);
    CHECK_MSG(strchr(err.message, '\n') == NULL, "%s: message has a newline", name);
    CHECK(image.data == NULL && image.width == 0 && image.height == 0);
    image_release(&image);
}

static void test_bad_files(void)
{
    expect_failure("bad/does_not_exist.png", "cannot open: No such file or directory");
    expect_failure("bad", "a folder, not a regular file"); /* never opened, so never read */
    expect_failure("bad/not_a_png.png", "not a PNG file");
    expect_failure("bad/empty.png", "not a PNG file (the file is empty)");
    expect_failure("bad/signature_only.png", "truncated or corrupt PNG data: unexpected end");
    expect_failure("bad/truncated.png", "truncated or corrupt PNG data: unexpected end of file");
    expect_failure("bad/huge_header.png",
                   "image is 100000x100000, larger than the 16384x16384 limit");
    expect_failure("bad/too_many_pixels.png",
                   "image is 16000x16000 (256000000 pixels), more than the 33554432-pixel limit");
    expect_failure("bad/bad_crc.png", "truncated or corrupt PNG data: IDAT: CRC error");
    expect_failure("bad/bad_zlib.png", "truncated or corrupt PNG data: ");
    expect_failure("bad/bad_ihdr.png", "truncated or corrupt PNG data: Invalid IHDR data (");
    expect_failure("bad/zero_width.png",
                   "truncated or corrupt PNG data: Invalid IHDR data (Image width is zero");

    /* The message of the one exact case the command-line contract quotes. */
    char path[1024], expected[1100];
    image_f32 image;
    image_error err;
    fixture_path(path, sizeof path, "bad/not_a_png.png");
    snprintf(expected, sizeof expected, "%s: not a PNG file", path);
    image_load_png(path, &image, &err);
    CHECK_MSG(strcmp(err.message, expected) == 0, "got '%s'", err.message);
}

int main(int argc, char **argv)
{
    if (argc > 1) fixtures = argv[1];
    test_identical_formats();
    test_low_bit_depth("png/gray1.png", "png/gray1_expected.txt");
    test_low_bit_depth("png/gray4.png", "png/gray4_expected.txt");
    test_rgb_gradient();
    test_resize();
    test_channels();
    test_prepare();
    test_bad_files();
    return lo_test_exit_code();
}
