/* Host memory of the library, through the allocator a host may install (set_host_hooks).
 *
 * Every host allocation of plugin/, onnx/ and cl/ goes through these, so a host that installs
 * its own allocator sees all of it. The hooks are process-wide and may change only while no
 * block is outstanding (lo_alloc_outstanding() == 0), so every block is freed by the allocator
 * that made it.
 */
#ifndef LO_ALLOC_H
#define LO_ALLOC_H

#include <stddef.h>

#include "lenet-onnx/lenet_onnx.h"

void *lo_malloc(size_t size);
void *lo_calloc(size_t count, size_t size);
/* Like realloc; a size of 0 is treated as 1, so NULL always means failure. */
void *lo_realloc(void *ptr, size_t size);
void lo_free(void *ptr);
char *lo_strdup(const char *text);

/* Blocks allocated and not yet freed. */
long lo_alloc_outstanding(void);

/* Installs the host's allocator from hooks (NULL functions: the C library's). The caller has
 * checked that nothing is outstanding. */
void lo_alloc_set(const lenet_onnx_host_hooks *hooks);

#endif
