/* Immutable, reference-counted byte blocks: constant tensor data shared by a model and every
 * session cloned from it, so a session costs its plan, not another copy of the weights.
 * A blob is written only between lo_blob_alloc and its first lo_blob_retain; after that it is
 * read-only and may be shared between threads. */
#ifndef LO_BLOB_H
#define LO_BLOB_H

#include <stddef.h>
#include <stdint.h>

/* `size` writable bytes (at least 1 allocated), aligned for any scalar; NULL when out of
 * memory. The caller holds the one reference. */
void *lo_blob_alloc(size_t size);
/* Another reference to the blob holding `bytes` (NULL passes through). */
void *lo_blob_retain(void *bytes);
/* The blob's identity: unique in the process for its lifetime and never reused after (0 for
 * NULL), so a backend may key uploads of constants by it across sessions. */
uint64_t lo_blob_id(const void *bytes);
/* Drops one reference; the last frees the block. NULL is ignored. */
void lo_blob_release(void *bytes);

#endif
