/* The arena planner, after TFLite Micro's greedy memory planner: every buffer has a size and
 * a first and last step of use; buffers are placed largest first (by requested size; ties:
 * lower index first) at the lowest offset that no buffer alive at an overlapping time uses. The
 * arena size is the largest offset + aligned size.
 *
 * A pure module: no allocation, no I/O. Callers pass scratch space.
 */
#ifndef LO_PLANNER_H
#define LO_PLANNER_H

#include <stdbool.h>
#include <stddef.h>

typedef struct lo_plan_buffer {
    size_t size;   /* bytes; 0-sized buffers get offset 0 and take no space */
    int first_use; /* step index where the buffer is written first */
    int last_use;  /* step index where it is read last (>= first_use) */
    size_t offset; /* out: bytes from the start of the arena, a multiple of the alignment */
} lo_plan_buffer;

/* Rounds size up to a multiple of alignment (a power of two or any positive value; 0 acts as
 * 1). Returns 0 when the result would not fit in a size_t: a non-zero size never rounds to 0
 * otherwise. */
size_t lo_align_up(size_t size, size_t alignment);

/* Places every buffer. `order` is scratch for `count` ints. Sizes are rounded up to
 * `alignment` (>= 1) when placed. Sets *arena_bytes (may be NULL; 0 on failure). Returns false
 * when count > 0 and buffers or order is NULL, a buffer's first_use > last_use, or a size or
 * the arena does not fit in a size_t. Deterministic: equal inputs give equal offsets. */
bool lo_plan_greedy(lo_plan_buffer *buffers, size_t count, size_t alignment, int *order,
                    size_t *arena_bytes);

/* The baseline: every buffer after the previous one, nothing reused. Sets offsets too
 * (0-sized buffers get 0). The total saturates at SIZE_MAX. */
size_t lo_plan_naive(lo_plan_buffer *buffers, size_t count, size_t alignment);

/* The lower bound no placement can beat: the largest sum of (aligned) sizes of buffers alive
 * at one step. Saturates at SIZE_MAX. */
size_t lo_plan_peak_live_bytes(const lo_plan_buffer *buffers, size_t count, size_t alignment);

/* The same in O(count + steps): every buffer's uses lie in [0, steps); `scratch` holds
 * 2 * (steps + 1) size_t. */
size_t lo_plan_peak_live_bytes_swept(const lo_plan_buffer *buffers, size_t count, size_t alignment,
                                     int steps, size_t *scratch);

/* True when two buffers alive at a common step overlap in memory; *a and *b (may be NULL)
 * receive the first such pair. */
bool lo_plan_find_overlap(const lo_plan_buffer *buffers, size_t count, size_t alignment, size_t *a,
                          size_t *b);

#endif
