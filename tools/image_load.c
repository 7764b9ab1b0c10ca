/* Chooses the decoder from the file's first bytes. */
#include "image_load.h"

#include <string.h>

#include "file_read.h"
#include "jpeg_image.h"

image_status image_load(const char *path, image_f32 *out, image_error *err)
{
    memset(out, 0, sizeof *out);
    char message[IMAGE_MESSAGE_SIZE];
    FILE *fp;
    if (file_open_regular(path, FILE_MAX_IMAGE_BYTES, "image", &fp, NULL, message, sizeof message))
        return image_fail(err, IMAGE_ERR_INPUT, "%s", message);
    unsigned char magic[8] = {0};
    size_t got = fread(magic, 1, sizeof magic, fp);
    image_status status;
    if (ferror(fp)) {
        status = image_fail(err, IMAGE_ERR_INPUT, "%s: cannot read the file", path);
    } else if (fseek(fp, 0, SEEK_SET) != 0) {
        status = image_fail(err, IMAGE_ERR_INPUT, "%s: cannot rewind the file", path);
    } else if (got >= 3 && magic[0] == 0xFF && magic[1] == 0xD8 && magic[2] == 0xFF) {
        status = image_read_jpeg(path, fp, out, err);
    } else if (got >= 8 && memcmp(magic, "\x89PNG\r\n\x1a\n", 8) == 0) {
        status = image_read_png(path, fp, out, err);
    } else if (got >= 2 && magic[0] == 0x08 && magic[1] < 0x80) {
        /* A ModelProto starts with ir_version (field 1, a small varint). */
        status = image_fail(err, IMAGE_ERR_INPUT,
                            "%s: not a PNG or JPEG image (it looks like an ONNX model; the model "
                            "comes first)",
                            path);
    } else {
        status = image_fail(err, IMAGE_ERR_INPUT, "%s: not a PNG or JPEG image%s", path,
                            got == 0 ? " (the file is empty)" : "");
    }
    fclose(fp);
    return status;
}
