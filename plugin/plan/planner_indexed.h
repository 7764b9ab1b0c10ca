/* lo_plan_greedy's placement in O((n + c) log n) time for n buffers with c pairs of placed
 * buffers alive at the same time, instead of O(n^2): a segment tree over the buffers ordered by
 * first use finds the placed buffers whose lifetimes meet the one being placed, without
 * walking the others. The offsets are exactly lo_plan_greedy's (same order, same lowest gap).
 *
 * Hostile graphs can make c quadratic (100,000 outputs alive together): past
 * LO_PLAN_CONFLICT_BUDGET conflicts the remaining buffers are stacked after the arena's end,
 * which is valid (nothing overlaps) though not compact, so the work stays bounded.
 */
#ifndef LO_PLANNER_INDEXED_H
#define LO_PLANNER_INDEXED_H

#include "planner.h"

#define LO_PLAN_CONFLICT_BUDGET ((size_t)1 << 24)

/* How many ints of scratch lo_plan_greedy_indexed needs for `count` buffers (0 when that
 * does not fit a size_t). */
size_t lo_plan_indexed_scratch_ints(size_t count);

/* As lo_plan_greedy, with `scratch` of lo_plan_indexed_scratch_ints(count) ints. */
bool lo_plan_greedy_indexed(lo_plan_buffer *buffers, size_t count, size_t alignment, int *scratch,
                            size_t *arena_bytes);

#endif
