/* Models from files: the whole of a regular file, bounded, read before decoding; external
 * data then resolves in the file's folder. */
#include "onnx_loader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "onnx_external.h"

/* Reads the whole of a regular file of at most max_bytes. Pipes, FIFOs, devices and
 * directories are refused before any read: they could block or never end. */
static lo_status read_file(const char *path, uint64_t max_bytes, unsigned char **data, size_t *size,
                           lo_error *err)
{
    lo_status status = LO_OK;
    unsigned char *buffer = NULL;
    /* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        status = lo_fail(err, LO_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
        goto done;
    }
    struct stat info;
    if (fstat(fd, &info) != 0) {
        status = lo_fail(err, LO_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
        goto done;
    }
    if (!S_ISREG(info.st_mode)) {
        status = lo_fail(err, LO_ERR_IO, "%s: not a regular file", path);
        goto done;
    }
    if (info.st_size < 0 || (uint64_t)info.st_size > max_bytes ||
        (uint64_t)info.st_size > SIZE_MAX - 1) {
        status = lo_fail(err, LO_ERR_LIMIT,
                         "%s: the model has %lld bytes, more than max_model_bytes (%llu)", path,
                         (long long)info.st_size, (unsigned long long)max_bytes);
        goto done;
    }
    size_t length = (size_t)info.st_size;
    buffer = lo_malloc(length ? length : 1);
    if (!buffer) {
        status = lo_fail(err, LO_ERR_NO_MEMORY, "%s: out of memory reading the file", path);
        goto done;
    }
    for (size_t done_bytes = 0; done_bytes < length;) {
        ssize_t got = read(fd, buffer + done_bytes, length - done_bytes);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            status = lo_fail(err, LO_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
            goto done;
        }
        if (got == 0) {
            status = lo_fail(err, LO_ERR_IO, "%s: the file shrank while being read", path);
            goto done;
        }
        done_bytes += (size_t)got;
    }
    *data = buffer;
    *size = length;
    buffer = NULL;
done:
    lo_free(buffer);
    if (fd >= 0) close(fd);
    return status;
}

lo_status lo_onnx_load_file(const char *path, lo_graph **out, lo_error *err)
{
    return lo_onnx_load_file_limited(path, NULL, out, err);
}

lo_status lo_onnx_load_file_limited(const char *path, const lo_limits *limits, lo_graph **out,
                                    lo_error *err)
{
    lo_status status = LO_OK;
    unsigned char *data = NULL;
    char *folder = NULL;
    size_t size = 0;
    const lo_limits bounds = limits ? *limits : lo_limits_default();
    if (!path || !out) {
        status = lo_fail(err, LO_ERR_ARGUMENT, "lo_onnx_load_file: path or out is NULL");
        goto done;
    }
    *out = NULL;
    status = read_file(path, bounds.model_bytes, &data, &size, err);
    if (status != LO_OK) goto done;
    if (size == 0) {
        status = lo_fail(err, LO_ERR_MODEL, "%s: empty file, not an ONNX model", path);
        goto done;
    }
    status = lo_onnx_external_base(path, &folder, err);
    if (status == LO_OK) status = lo_onnx_load(data, size, path, folder, &bounds, out, err);
done:
    lo_free(folder);
    lo_free(data);
    return status;
}
