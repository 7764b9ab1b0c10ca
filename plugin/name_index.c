#include "name_index.h"

#include <string.h>

#include "alloc.h"

/* uthash allocates through the library's allocator (the host's hooks) and reports a failed
 * allocation instead of exiting the host's process. */
#define uthash_malloc(size)      lo_malloc(size)
#define uthash_free(ptr, size)   lo_free(ptr)
#define HASH_NONFATAL_OOM        1
#define uthash_nonfatal_oom(elt) (out_of_memory = true)
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
