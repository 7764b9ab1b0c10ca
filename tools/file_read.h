/* How the tools read their input files: only regular files, each kind with a size limit, and
 * read errors reported as errors (not taken for the end of the file).
 *
 * A FIFO, a device (/dev/zero, /dev/urandom), a socket or a folder is refused before anything
 * is read, so no input can block the tools or make them allocate without bound. The limits are
 * documented in docs/cli.md; every one is far above what a LeNet-family model or its images
 * need. */
#ifndef LENET_ONNX_TOOLS_FILE_READ_H
#define LENET_ONNX_TOOLS_FILE_READ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Limits per kind of file, in bytes. */
#define FILE_MAX_MODEL_BYTES  (2047ull * 1024 * 1024) /* protobuf's own 2 GiB ceiling */
#define FILE_MAX_IMAGE_BYTES  (256ull * 1024 * 1024)  /* PNG, JPEG, .npy, .pb inputs */
#define FILE_MAX_LABELS_BYTES (16ull * 1024 * 1024)

/* Opens `path` for reading when it is a regular file of at most max_bytes: *out is the open
 * stream and *size its size. Otherwise returns nonzero with a message starting with the path
 * ("x: not a regular file (a FIFO)", "x: 3000000000 bytes, more than the 2146435072 allowed
 * for a model"); `what` names the kind in that message. The check is made on the opened file
 * (fstat), and the open never blocks. */
int file_open_regular(const char *path, uint64_t max_bytes, const char *what, FILE **out,
                      uint64_t *size, char *message, size_t message_size);

/* Checks without keeping it open (the model, which the library opens itself). */
int file_check_regular(const char *path, uint64_t max_bytes, const char *what, char *message,
                       size_t message_size);

/* The whole file, malloc'd with a terminating NUL after *size bytes. */
int file_read_all(const char *path, uint64_t max_bytes, const char *what, unsigned char **data,
                  size_t *size, char *message, size_t message_size);

#endif
