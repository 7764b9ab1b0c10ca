/* What every backend's table slots share (backend.h). */
#include "backend.h"

lo_status lo_backend_check_copy(bool present, size_t size, size_t offset, size_t bytes,
                                const void *data, const char *what, lo_error *err)
{
    if (!present || (bytes > 0 && !data))
        return lo_fail(err, LO_ERR_ARGUMENT, "%s: NULL buffer or data", what);
    if (offset > size || bytes > size - offset)
        return lo_fail(err, LO_ERR_ARGUMENT,
                       "%s: %zu bytes at offset %zu run past the buffer's %zu", what, bytes, offset,
                       size);
    return LO_OK;
}
