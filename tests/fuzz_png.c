/* libFuzzer target for PNG bytes through lenet-onnx-run's decoder (tools/png_image.c,
 * compiled in unchanged). It reads files, so each input goes through an in-memory file. */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "png_image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz_png", 0);
    if (fd < 0) return 0;
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(fd, data + done, size - done);
        if (n <= 0) break;
        done += (size_t)n;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    image_f32 image = {0};
    image_error err;
    if (done == size && image_load_png(path, &image, &err) == IMAGE_OK) image_release(&image);
    close(fd);
    return 0;
}
