#include "name_index.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"

/* Names come from the model, so uthash's default (unkeyed Jenkins) hash would let a crafted
 * model put every name in one bucket and make loading quadratic again. SipHash-1-3 under a
 * per-process random key keeps the buckets balanced whatever the names. */
static uint64_t hash_key[2];
static pthread_once_t hash_key_once = PTHREAD_ONCE_INIT;

static void make_hash_key(void)
{
    uint64_t key[2] = {0, 0};
    FILE *random = fopen("/dev/urandom", "rb");
    if (!random || fread(key, sizeof key, 1, random) != 1) {
        /* No entropy source: the clock and an address still differ between processes. */
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        key[0] = (uint64_t)now.tv_nsec ^ ((uint64_t)now.tv_sec << 32) ^ (uint64_t)getpid();
        key[1] = (uint64_t)(uintptr_t)&hash_key ^ 0x9e3779b97f4a7c15u;
    }
    if (random) fclose(random);
    hash_key[0] = key[0];
    hash_key[1] = key[1];
}

static uint64_t rotl(uint64_t x, int b)
{
    return (x << b) | (x >> (64 - b));
}

#define SIP_ROUND(v0, v1, v2, v3)                                                                  \
    do {                                                                                           \
        v0 += v1;                                                                                  \
        v1 = rotl(v1, 13) ^ v0;                                                                    \
        v0 = rotl(v0, 32);                                                                         \
        v2 += v3;                                                                                  \
        v3 = rotl(v3, 16) ^ v2;                                                                    \
        v0 += v3;                                                                                  \
        v3 = rotl(v3, 21) ^ v0;                                                                    \
        v2 += v1;                                                                                  \
        v1 = rotl(v1, 17) ^ v2;                                                                    \
        v2 = rotl(v2, 32);                                                                         \
    } while (0)

/* SipHash-1-3 of the name's bytes, folded to uthash's 32 bits. */
static unsigned name_hash(const void *key, size_t length)
{
    pthread_once(&hash_key_once, make_hash_key);
    const unsigned char *bytes = key;
    uint64_t v0 = hash_key[0] ^ 0x736f6d6570736575u, v1 = hash_key[1] ^ 0x646f72616e646f6du;
    uint64_t v2 = hash_key[0] ^ 0x6c7967656e657261u, v3 = hash_key[1] ^ 0x7465646279746573u;
    size_t whole = length - length % 8;
    for (size_t i = 0; i < whole; i += 8) {
        uint64_t m = 0;
        for (int b = 0; b < 8; b++)
            m |= (uint64_t)bytes[i + (size_t)b] << (8 * b);
        v3 ^= m;
        SIP_ROUND(v0, v1, v2, v3);
        v0 ^= m;
    }
    uint64_t last = (uint64_t)length << 56;
    for (size_t i = whole; i < length; i++)
        last |= (uint64_t)bytes[i] << (8 * (i - whole));
    v3 ^= last;
    SIP_ROUND(v0, v1, v2, v3);
    v0 ^= last;
    v2 ^= 0xff;
    SIP_ROUND(v0, v1, v2, v3);
    SIP_ROUND(v0, v1, v2, v3);
    SIP_ROUND(v0, v1, v2, v3);
    const uint64_t h = v0 ^ v1 ^ v2 ^ v3;
    return (unsigned)(h ^ (h >> 32));
}

/* uthash allocates through the library's allocator (the host's hooks) and reports a failed
 * allocation instead of exiting the host's process. */
#define uthash_malloc(size)                  lo_malloc(size)
#define uthash_free(ptr, size)               lo_free(ptr)
#define HASH_NONFATAL_OOM                    1
#define uthash_nonfatal_oom(elt)             (out_of_memory = true)
#define HASH_FUNCTION(keyptr, keylen, hashv) ((hashv) = name_hash((keyptr), (size_t)(keylen)))
#include <uthash.h>

typedef struct name_entry {
    const char *name;
    int value;
    UT_hash_handle hh;
} name_entry;

struct lo_name_index {
    name_entry *entries; /* uthash's head */
};

lo_name_index *lo_name_index_create(void)
{
    return lo_calloc(1, sizeof(lo_name_index));
}

void lo_name_index_free(lo_name_index *index)
{
    if (!index) return;
    name_entry *entry, *next;
    HASH_ITER(hh, index->entries, entry, next)
    {
        HASH_DEL(index->entries, entry);
        lo_free(entry);
    }
    lo_free(index);
}

static name_entry *find(const lo_name_index *index, const char *name)
{
    name_entry *entry = NULL;
    HASH_FIND(hh, index->entries, name, strlen(name), entry);
    return entry;
}

bool lo_name_index_put(lo_name_index *index, const char *name, int value)
{
    name_entry *entry = find(index, name);
    if (entry) {
        entry->value = value;
        return true;
    }
    entry = lo_calloc(1, sizeof *entry);
    if (!entry) return false;
    entry->name = name;
    entry->value = value;
    bool out_of_memory = false;
    HASH_ADD_KEYPTR(hh, index->entries, entry->name, strlen(entry->name), entry);
    if (out_of_memory) {
        lo_free(entry);
        return false;
    }
    return true;
}

int lo_name_index_get(const lo_name_index *index, const char *name)
{
    if (!index || !name) return -1;
    const name_entry *entry = find(index, name);
    return entry ? entry->value : -1;
}
