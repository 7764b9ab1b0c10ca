#include "planner_indexed.h"

#include <limits.h>
#include <stdint.h>

static size_t aligned(const lo_plan_buffer *b, size_t alignment)
{
    size_t size = lo_align_up(b->size, alignment);
    return b->size != 0 && size == 0 ? SIZE_MAX : size;
}

/* Strict total orders on buffer indices (ties broken by index), so any correct sort gives
 * one result. */
typedef bool (*before_fn)(const lo_plan_buffer *buffers, int a, int b);

static bool largest_first(const lo_plan_buffer *buffers, int a, int b)
{
    if (buffers[a].size != buffers[b].size) return buffers[a].size > buffers[b].size;
    return a < b;
}

static bool earliest_first(const lo_plan_buffer *buffers, int a, int b)
{
    if (buffers[a].first_use != buffers[b].first_use)
        return buffers[a].first_use < buffers[b].first_use;
    return a < b;
}

static bool lowest_offset_first(const lo_plan_buffer *buffers, int a, int b)
{
    if (buffers[a].offset != buffers[b].offset) return buffers[a].offset < buffers[b].offset;
    return a < b;
}

static void sift_down(int *items, size_t root, size_t n, const lo_plan_buffer *buffers,
                      before_fn before)
{
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n) return;
        if (child + 1 < n && before(buffers, items[child], items[child + 1])) child++;
        if (!before(buffers, items[root], items[child])) return;
        int swap = items[root];
        items[root] = items[child];
        items[child] = swap;
        root = child;
    }
}

/* Heapsort: in place, O(n log n) whatever the input. */
static void sort_items(int *items, size_t n, const lo_plan_buffer *buffers, before_fn before)
{
    for (size_t i = n / 2; i-- > 0;)
        sift_down(items, i, n, buffers, before);
    for (size_t end = n; end > 1; end--) {
        int top = items[0];
        items[0] = items[end - 1];
        items[end - 1] = top;
        sift_down(items, 0, end - 1, buffers, before);
    }
}

/* A node of the segment tree and the by_first positions [begin, end) below it. */
typedef struct tree_range {
    size_t node, begin, end;
} tree_range;

static size_t leaves_for(size_t count)
{
    size_t leaves = 1;
    while (leaves < count)
        leaves *= 2;
    return leaves;
}

size_t lo_plan_indexed_scratch_ints(size_t count)
{
    if (count > (size_t)INT_MAX) return 0;
    return 4 * count + 2 * leaves_for(count);
}

bool lo_plan_greedy_indexed(lo_plan_buffer *buffers, size_t count, size_t alignment, int *scratch,
                            size_t *arena_bytes)
{
    if (arena_bytes) *arena_bytes = 0;
    if (count == 0) return true;
    if (!buffers || !scratch || count > (size_t)INT_MAX) return false;
    if (alignment == 0) alignment = 1;
    for (size_t i = 0; i < count; i++) {
        if (buffers[i].first_use > buffers[i].last_use) return false;
        if (buffers[i].size != 0 && lo_align_up(buffers[i].size, alignment) == 0) return false;
    }
    const size_t leaves = leaves_for(count);
    int *order = scratch, *by_first = order + count, *position = by_first + count;
    int *hits = position + count, *latest = hits + count; /* latest: the tree, 2 * leaves */
    for (size_t i = 0; i < count; i++)
        order[i] = by_first[i] = (int)i;
    sort_items(order, count, buffers, largest_first);
    sort_items(by_first, count, buffers, earliest_first);
    for (size_t i = 0; i < count; i++)
        position[by_first[i]] = (int)i;
    /* latest[node]: the latest last_use among placed buffers under node, INT_MIN if none. */
    for (size_t i = 0; i < 2 * leaves; i++)
        latest[i] = INT_MIN;

    size_t arena = 0, conflicts = 0;
    for (size_t k = 0; k < count; k++) {
        lo_plan_buffer *cur = &buffers[order[k]];
        const size_t size = aligned(cur, alignment);
        cur->offset = 0;
        if (size == 0) continue; /* takes no space, conflicts with nothing */
        if (conflicts > LO_PLAN_CONFLICT_BUDGET) {
            if (arena > SIZE_MAX - size) return false;
            cur->offset = arena;
            arena += size;
            continue;
        }
        /* Placed buffers starting at or before cur's last use (a prefix of by_first) that end
         * at or after its first use: a depth-first walk of the subtrees that hold any. */
        size_t lo = 0, hi = count;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (buffers[by_first[mid]].first_use <= cur->last_use)
                lo = mid + 1;
            else
                hi = mid;
        }
        const size_t prefix = lo;
        size_t found = 0;
        tree_range stack[2 * (sizeof(size_t) * CHAR_BIT + 1)];
        size_t depth = 0;
        stack[depth++] = (tree_range){1, 0, leaves};
        while (depth > 0) {
            const size_t node = stack[depth - 1].node, begin = stack[depth - 1].begin,
                         end = stack[depth - 1].end;
            depth--;
            if (begin >= prefix || latest[node] < cur->first_use) continue;
            if (end - begin == 1) {
                hits[found++] = by_first[begin];
                continue;
            }
            const size_t mid = begin + (end - begin) / 2;
            stack[depth++] = (tree_range){2 * node + 1, mid, end};
            stack[depth++] = (tree_range){2 * node, begin, mid};
        }
        conflicts += found;
        sort_items(hits, found, buffers, lowest_offset_first);
        /* The lowest gap among them, as lo_plan_greedy sweeps it. */
        size_t offset = 0;
        for (size_t h = 0; h < found; h++) {
            const lo_plan_buffer *other = &buffers[hits[h]];
            if (offset > SIZE_MAX - size) return false;
            if (other->offset >= offset + size) break;
            size_t other_end = other->offset + aligned(other, alignment);
            if (other_end > offset) offset = other_end;
        }
        if (offset > SIZE_MAX - size) return false;
        if (offset + size > arena) arena = offset + size;
        cur->offset = offset;
        for (size_t node = leaves + (size_t)position[order[k]]; node >= 1; node /= 2)
            if (latest[node] < cur->last_use) latest[node] = cur->last_use;
    }
    if (arena_bytes) *arena_bytes = arena;
    return true;
}
