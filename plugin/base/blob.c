#include "blob.h"

#include <stdalign.h>
#include <stdatomic.h>

#include "alloc.h"

/* The header sits right before the bytes; its size keeps the bytes max-aligned. */
typedef struct blob_header {
    alignas(max_align_t) atomic_long references;
} blob_header;

static blob_header *header_of(void *bytes)
{
    return (blob_header *)((unsigned char *)bytes - sizeof(blob_header));
}

void *lo_blob_alloc(size_t size)
{
    if (size > (size_t)-1 - sizeof(blob_header)) return NULL;
    blob_header *h = lo_malloc(sizeof *h + (size ? size : 1));
    if (!h) return NULL;
    atomic_init(&h->references, 1);
    return (unsigned char *)h + sizeof *h;
}

void *lo_blob_retain(void *bytes)
{
    if (bytes) atomic_fetch_add_explicit(&header_of(bytes)->references, 1, memory_order_relaxed);
    return bytes;
}

void lo_blob_release(void *bytes)
{
    if (!bytes) return;
    blob_header *h = header_of(bytes);
    if (atomic_fetch_sub_explicit(&h->references, 1, memory_order_acq_rel) == 1) lo_free(h);
}
