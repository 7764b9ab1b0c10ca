#include "blob.h"

#include <stdalign.h>
#include <stdatomic.h>

#include "alloc.h"

/* The header sits right before the bytes; its size keeps the bytes max-aligned. */
typedef struct blob_header {
    alignas(max_align_t) atomic_long references;
    uint64_t id;
} blob_header;

static atomic_uint_fast64_t next_id = 1;

static blob_header *header_of(const void *bytes)
{
    return (blob_header *)((unsigned char *)bytes - sizeof(blob_header));
}

uint64_t lo_blob_id(const void *bytes)
{
    return bytes ? header_of(bytes)->id : 0;
}

void *lo_blob_alloc(size_t size)
{
    if (size > (size_t)-1 - sizeof(blob_header)) return NULL;
    blob_header *h = lo_malloc(sizeof *h + (size ? size : 1));
    if (!h) return NULL;
    atomic_init(&h->references, 1);
    h->id = atomic_fetch_add_explicit(&next_id, 1, memory_order_relaxed);
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
