/* The context's device copies of constants, shared by every plan prepared on it: one upload
 * per (constant id, layout), reference-counted by the launches and plans that read it, and
 * released with the last of them. Sessions of one model on one context thus share one copy of
 * each weight, in each layout its kernels read. Contexts are shared between threads: every
 * access holds the cache's lock; the upload itself (clCreateBuffer with COPY_HOST_PTR, which
 * copies before it returns) runs outside it, and of two threads racing on one key the second
 * keeps the first's copy and drops its own.
 */
#include "cl_internal.h"

#include <string.h>

#include "alloc.h"

void lo_cl_constant_cache_init(lo_cl_constant_cache *cache)
{
    memset(cache, 0, sizeof *cache);
    pthread_mutex_init(&cache->lock, NULL);
}

/* Every plan has released its constants by the time the context closes; what is left is a
 * leak of a plan, released here so the device memory goes with the context. */
void lo_cl_constant_cache_release(lo_cl_constant_cache *cache)
{
    for (size_t i = 0; i < cache->count; i++)
        clReleaseMemObject(cache->entries[i].mem);
    lo_free(cache->entries);
    pthread_mutex_destroy(&cache->lock);
    memset(cache, 0, sizeof *cache);
}

static bool same_key(const lo_cl_constant_key *a, const lo_cl_constant_key *b)
{
    return memcmp(a->ids, b->ids, sizeof a->ids) == 0 && strcmp(a->layout, b->layout) == 0;
}

/* Index of the shareable entry for key (ids[0] 0: an unknown constant, never shared), or -1.
 * Under the lock. */
static long find_locked(const lo_cl_constant_cache *cache, const lo_cl_constant_key *key)
{
    if (key->ids[0] == 0) return -1;
    for (size_t i = 0; i < cache->count; i++)
        if (cache->entries[i].shared && same_key(&cache->entries[i].key, key)) return (long)i;
    return -1;
}

static bool grow_locked(lo_cl_constant_cache *cache)
{
    const size_t capacity = cache->capacity ? 2 * cache->capacity : 16;
    lo_cl_constant_entry *entries = lo_realloc(cache->entries, capacity * sizeof *entries);
    if (!entries) return false;
    cache->entries = entries;
    cache->capacity = capacity;
    return true;
}

bool lo_cl_constant_acquire(lo_backend_context *ctx, const lo_cl_constant_key *key, cl_mem *out)
{
    lo_cl_constant_cache *cache = &ctx->constants;
    pthread_mutex_lock(&cache->lock);
    const long i = find_locked(cache, key);
    if (i >= 0) {
        cache->entries[i].refs++;
        *out = cache->entries[i].mem;
    }
    pthread_mutex_unlock(&cache->lock);
    return i >= 0;
}

lo_status lo_cl_constant_add(lo_backend_context *ctx, const lo_cl_constant_key *key,
                             const void *data, size_t bytes, cl_mem *out, lo_error *err)
{
    *out = NULL;
    cl_int rc = CL_SUCCESS;
    cl_mem mem = clCreateBuffer(ctx->context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, bytes,
                                (void *)data, &rc);
    if (rc != CL_SUCCESS)
        return lo_fail(err, lo_cl_status_of(rc),
                       "clCreateBuffer (%zu bytes of constant data, layout %s) failed: %s", bytes,
                       key->layout, lo_cl_error_name(rc));
    lo_cl_constant_cache *cache = &ctx->constants;
    lo_status status = LO_OK;
    pthread_mutex_lock(&cache->lock);
    cache->uploads++;
    const long i = find_locked(cache, key);
    if (i >= 0) { /* another thread uploaded it meanwhile: keep one copy */
        cache->entries[i].refs++;
        *out = cache->entries[i].mem;
    } else if (cache->count == cache->capacity && !grow_locked(cache)) {
        status = lo_fail(err, LO_ERR_NO_MEMORY, "out of memory listing device constants");
    } else {
        lo_cl_constant_entry *e = &cache->entries[cache->count++];
        e->key = *key;
        e->mem = mem;
        e->refs = 1;
        e->shared = key->ids[0] != 0;
        *out = mem;
        mem = NULL;
    }
    pthread_mutex_unlock(&cache->lock);
    if (mem) clReleaseMemObject(mem);
    return status;
}

void lo_cl_constant_release(lo_backend_context *ctx, cl_mem mem)
{
    if (!mem) return;
    lo_cl_constant_cache *cache = &ctx->constants;
    cl_mem last = NULL;
    pthread_mutex_lock(&cache->lock);
    for (size_t i = 0; i < cache->count; i++) {
        if (cache->entries[i].mem != mem) continue;
        if (--cache->entries[i].refs == 0) {
            last = mem;
            cache->entries[i] = cache->entries[--cache->count];
        }
        break;
    }
    pthread_mutex_unlock(&cache->lock);
    if (last) clReleaseMemObject(last);
}

size_t lo_cl_constant_uploads(lo_backend_context *ctx)
{
    pthread_mutex_lock(&ctx->constants.lock);
    const size_t uploads = ctx->constants.uploads;
    pthread_mutex_unlock(&ctx->constants.lock);
    return uploads;
}
