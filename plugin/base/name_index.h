/* Names to indices in expected constant time (uthash), so that graphs of any size load and
 * look up their tensors in linear total time. The index borrows the name strings: they must
 * outlive it and never change while indexed. */
#ifndef LO_NAME_INDEX_H
#define LO_NAME_INDEX_H

#include <stdbool.h>

typedef struct lo_name_index lo_name_index;

/* An empty index, or NULL when out of memory. */
lo_name_index *lo_name_index_create(void);
void lo_name_index_free(lo_name_index *index);

/* Maps name to value (replacing an earlier value of the same name). False when out of
 * memory; the index is then unchanged. */
bool lo_name_index_put(lo_name_index *index, const char *name, int value);

/* The value of name, or -1 when absent (or index is NULL). */
int lo_name_index_get(const lo_name_index *index, const char *name);

#endif
