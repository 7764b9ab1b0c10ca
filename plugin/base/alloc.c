#include "alloc.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void *libc_malloc(void *user, size_t size)
{
    (void)user;
    return malloc(size);
}

static void *libc_realloc(void *user, void *ptr, size_t size)
{
    (void)user;
    return realloc(ptr, size);
}

static void libc_free(void *user, void *ptr)
{
    (void)user;
    free(ptr);
}

static struct {
    void *user;
    void *(*malloc_fn)(void *user, size_t size);
    void *(*realloc_fn)(void *user, void *ptr, size_t size);
    void (*free_fn)(void *user, void *ptr);
} hooks = {NULL, libc_malloc, libc_realloc, libc_free};

/* Counted so that set_host_hooks can refuse to swap allocators under live blocks. */
static atomic_long outstanding;

void *lo_malloc(size_t size)
{
    void *p = hooks.malloc_fn(hooks.user, size ? size : 1);
    if (p) atomic_fetch_add_explicit(&outstanding, 1, memory_order_relaxed);
    return p;
}

void *lo_calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size) return NULL;
    void *p = lo_malloc(count * size);
    if (p) memset(p, 0, count * size);
    return p;
}

void *lo_realloc(void *ptr, size_t size)
{
    if (!ptr) return lo_malloc(size);
    return hooks.realloc_fn(hooks.user, ptr, size ? size : 1);
}

void lo_free(void *ptr)
{
    if (!ptr) return;
    atomic_fetch_sub_explicit(&outstanding, 1, memory_order_relaxed);
    hooks.free_fn(hooks.user, ptr);
}

char *lo_strdup(const char *text)
{
    size_t n = strlen(text) + 1;
    char *copy = lo_malloc(n);
    if (copy) memcpy(copy, text, n);
    return copy;
}

long lo_alloc_outstanding(void)
{
    return atomic_load(&outstanding);
}

void lo_alloc_set(const lenet_onnx_host_hooks *h)
{
    bool custom = h && h->malloc_fn;
    hooks.user = custom ? h->alloc_user : NULL;
    hooks.malloc_fn = custom ? h->malloc_fn : libc_malloc;
    hooks.realloc_fn = custom ? h->realloc_fn : libc_realloc;
    hooks.free_fn = custom ? h->free_fn : libc_free;
}
