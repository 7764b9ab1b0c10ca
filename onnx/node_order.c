#include "node_order.h"

#include <stdbool.h>

#include "alloc.h"

static void heap_push(int *heap, int *size, int value)
{
    int i = (*size)++;
    heap[i] = value;
    while (i > 0 && heap[(i - 1) / 2] > heap[i]) {
        int parent = (i - 1) / 2, t = heap[parent];
        heap[parent] = heap[i];
        heap[i] = t;
        i = parent;
    }
}

static int heap_pop(int *heap, int *size)
{
    int top = heap[0];
    heap[0] = heap[--(*size)];
    for (int i = 0;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < *size && heap[l] < heap[m]) m = l;
        if (r < *size && heap[r] < heap[m]) m = r;
        if (m == i) break;
        int t = heap[m];
        heap[m] = heap[i];
        heap[i] = t;
        i = m;
    }
    return top;
}

lo_status lo_node_order(int n, const int *dep_start, const int *deps, int *order, int *cycle_node)
{
    lo_status status = LO_OK;
    int edges = dep_start[n];
    int *indegree = lo_calloc((size_t)n + 1, sizeof(int));
    int *edge_start = lo_calloc((size_t)n + 2, sizeof(int));
    int *edge_to = lo_malloc(((size_t)edges + 1) * sizeof(int));
    int *heap = lo_malloc(((size_t)n + 1) * sizeof(int));
    bool *done_node = lo_calloc((size_t)n + 1, sizeof(bool));
    if (!indegree || !edge_start || !edge_to || !heap || !done_node) {
        status = LO_ERR_NO_MEMORY;
        goto done;
    }
    /* Edges producer -> consumer, one per dependency, grouped by producer. */
    for (int c = 0; c < n; c++) {
        for (int k = dep_start[c]; k < dep_start[c + 1]; k++) {
            int p = deps[k];
            if (p < 0) continue;
            indegree[c]++;
            edge_start[p + 1]++;
        }
    }
    for (int p = 0; p < n; p++)
        edge_start[p + 1] += edge_start[p];
    int *fill = heap; /* borrowed as per-producer cursors until the sort starts */
    for (int p = 0; p < n; p++)
        fill[p] = edge_start[p];
    for (int c = 0; c < n; c++)
        for (int k = dep_start[c]; k < dep_start[c + 1]; k++)
            if (deps[k] >= 0) edge_to[fill[deps[k]]++] = c;
    int heap_size = 0, emitted = 0;
    for (int c = 0; c < n; c++)
        if (indegree[c] == 0) heap_push(heap, &heap_size, c);
    while (heap_size > 0) {
        int p = heap_pop(heap, &heap_size);
        order[emitted++] = p;
        done_node[p] = true;
        for (int e = edge_start[p]; e < edge_start[p + 1]; e++)
            if (--indegree[edge_to[e]] == 0) heap_push(heap, &heap_size, edge_to[e]);
    }
    if (emitted < n) {
        /* Every node left waits on another node left; walking back n steps from any of them
         * must end on a cycle. */
        int cur = 0;
        while (done_node[cur])
            cur++;
        for (int step = 0; step < n; step++) {
            for (int k = dep_start[cur]; k < dep_start[cur + 1]; k++) {
                if (deps[k] >= 0 && !done_node[deps[k]]) {
                    cur = deps[k];
                    break;
                }
            }
        }
        *cycle_node = cur;
        status = LO_ERR_MODEL;
    }
done:
    lo_free(indegree);
    lo_free(edge_start);
    lo_free(edge_to);
    lo_free(heap);
    lo_free(done_node);
    return status;
}
