/* The cl/kernels/<name>.cl sources, embedded at build time (see embed_kernels.cmake). */
#include "cl_internal.h"

#include <string.h>

#include "cl_kernel_sources.h"

const char *lo_cl_kernel_source(const char *name, size_t *length)
{
    for (size_t i = 0; i < sizeof lo_cl_embedded / sizeof lo_cl_embedded[0]; i++) {
        if (strcmp(lo_cl_embedded[i].name, name) == 0) {
            *length = lo_cl_embedded[i].length;
            return lo_cl_embedded[i].text;
        }
    }
    *length = 0;
    return NULL;
}
