#include "reader_index.h"

#include <limits.h>
#include <stdbool.h>
#include <string.h>

#include "alloc.h"
#include "ir.h"

/* A reader of a tensor, and the tensor's next older entry (-1: none). */
typedef struct reader_entry {
    int node, next;
} reader_entry;

struct lo_reader_index {
    bool built;
    int *head; /* per tensor: its newest entry, -1 for none */
    int cap_tensors;
    reader_entry *entries;
    int num_entries, cap_entries;
    int *seen; /* per node: the last question that counted it */
    int cap_nodes;
    int question;
};

lo_reader_index *lo_reader_index_create(void)
{
    return lo_calloc(1, sizeof(lo_reader_index));
}

static void drop(lo_reader_index *index)
{
    lo_free(index->head);
    lo_free(index->entries);
    lo_free(index->seen);
    memset(index, 0, sizeof *index);
}

void lo_reader_index_free(lo_reader_index *index)
{
    if (!index) return;
    drop(index);
    lo_free(index);
}

/* Grows *array of *cap ints to hold `need`, new slots set to `fill`. */
static bool grow_ints(int **array, int *cap, int need, int fill)
{
    if (need <= *cap) return true;
    int cap_new = *cap ? *cap : 64;
    while (cap_new < need) {
        if (cap_new > (1 << 29)) return false;
        cap_new *= 2;
    }
    int *grown = lo_realloc(*array, (size_t)cap_new * sizeof **array);
    if (!grown) return false;
    for (int i = *cap; i < cap_new; i++)
        grown[i] = fill;
    *array = grown;
    *cap = cap_new;
    return true;
}

static bool grow_entries(lo_reader_index *index)
{
    if (index->num_entries < index->cap_entries) return true;
    if (index->cap_entries > (1 << 28)) return false;
    int cap = index->cap_entries ? 2 * index->cap_entries : 256;
    reader_entry *grown = lo_realloc(index->entries, (size_t)cap * sizeof *grown);
    if (!grown) return false;
    index->entries = grown;
    index->cap_entries = cap;
    return true;
}

void lo_reader_index_note(lo_reader_index *index, int tensor, int node)
{
    if (!index || !index->built || tensor < 0) return;
    if (!grow_ints(&index->head, &index->cap_tensors, tensor + 1, -1) || !grow_entries(index)) {
        drop(index); /* rebuilt on the next question */
        return;
    }
    const int e = index->num_entries++;
    index->entries[e].node = node;
    index->entries[e].next = index->head[tensor];
    index->head[tensor] = e;
}

static bool build(lo_reader_index *index, const lo_graph *graph)
{
    drop(index);
    index->built = true;
    if (!grow_ints(&index->head, &index->cap_tensors, graph->num_tensors + 1, -1)) {
        drop(index);
        return false;
    }
    for (int n = 0; n < graph->num_nodes && index->built; n++) {
        const lo_node *node = &graph->nodes[n];
        for (int i = 0; i < node->num_inputs && index->built; i++) {
            bool repeat = false;
            for (int j = 0; j < i && !repeat; j++)
                repeat = node->inputs[j] == node->inputs[i];
            if (!repeat) lo_reader_index_note(index, node->inputs[i], n);
        }
    }
    return index->built;
}

static bool reads(const lo_node *node, int tensor)
{
    for (int i = 0; i < node->num_inputs; i++)
        if (node->inputs[i] == tensor) return true;
    return false;
}

int lo_reader_index_count(lo_reader_index *index, const lo_graph *graph, int tensor, int *first)
{
    if (first) *first = -1;
    if (!index || (!index->built && !build(index, graph))) return -1;
    if (!grow_ints(&index->seen, &index->cap_nodes, graph->num_nodes + 1, 0)) return -1;
    if (index->question == INT_MAX) { /* forget every earlier question before wrapping */
        memset(index->seen, 0, (size_t)index->cap_nodes * sizeof *index->seen);
        index->question = 0;
    }
    index->question++;
    if (tensor < 0 || tensor >= index->cap_tensors) return 0;
    int count = 0;
    for (int e = index->head[tensor]; e >= 0; e = index->entries[e].next) {
        const int n = index->entries[e].node;
        if (n < 0 || n >= graph->num_nodes || index->seen[n] == index->question) continue;
        const lo_node *node = &graph->nodes[n];
        if (node->removed || !reads(node, tensor)) continue;
        index->seen[n] = index->question;
        count++;
        if (first && (*first < 0 || n < *first)) *first = n;
    }
    return count;
}
