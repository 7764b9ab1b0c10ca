/* Regular files only, opened without blocking and checked on the descriptor. */
#define _GNU_SOURCE /* O_CLOEXEC */
#include "file_read.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *file_kind(mode_t mode)
{
    if (S_ISDIR(mode)) return "a folder";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    return "not a plain file";
}

int file_open_regular(const char *path, uint64_t max_bytes, const char *what, FILE **out,
                      uint64_t *size, char *message, size_t message_size)
{
    *out = NULL;
    /* O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        snprintf(message, message_size, "%s: cannot open: %s", path, strerror(errno));
        return 1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(message, message_size, "%s: cannot read: %s", path, strerror(errno));
        close(fd);
        return 1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(message, message_size, "%s: %s, not a regular file (the %s must be one)", path,
                 file_kind(st.st_mode), what);
        close(fd);
        return 1;
    }
    if ((uint64_t)st.st_size > max_bytes) {
        snprintf(message, message_size,
                 "%s: %" PRIu64 " bytes, more than the %" PRIu64 " allowed for a %s", path,
                 (uint64_t)st.st_size, max_bytes, what);
        close(fd);
        return 1;
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0) fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        snprintf(message, message_size, "%s: cannot open: %s", path, strerror(errno));
        close(fd);
        return 1;
    }
    *out = f;
    if (size) *size = (uint64_t)st.st_size;
    return 0;
}

int file_check_regular(const char *path, uint64_t max_bytes, const char *what, char *message,
                       size_t message_size)
{
    FILE *f;
    int rc = file_open_regular(path, max_bytes, what, &f, NULL, message, message_size);
    if (!rc) fclose(f);
    return rc;
}

int file_read_all(const char *path, uint64_t max_bytes, const char *what, unsigned char **data,
                  size_t *size, char *message, size_t message_size)
{
    FILE *f;
    uint64_t length;
    *data = NULL;
    *size = 0;
    if (file_open_regular(path, max_bytes, what, &f, &length, message, message_size)) return 1;
    unsigned char *buffer = malloc((size_t)length + 1);
    if (!buffer) {
        snprintf(message, message_size, "%s: out of memory for %" PRIu64 " bytes", path, length);
        fclose(f);
        return 1;
    }
    /* The file may change under us: read what the size promised, and refuse a short read. */
    size_t got = fread(buffer, 1, (size_t)length, f);
    int failed = ferror(f) != 0 || got != length;
    if (failed)
        snprintf(message, message_size, "%s: cannot read: %s", path,
                 ferror(f) ? strerror(errno) : "the file shrank while it was read");
    fclose(f);
    if (failed) {
        free(buffer);
        return 1;
    }
    buffer[length] = '\0';
    *data = buffer;
    *size = (size_t)length;
    return 0;
}
