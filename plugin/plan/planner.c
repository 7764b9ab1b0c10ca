/* The arena planner: greedy placement, largest buffer first, in the manner of TFLite Micro's
 * greedy memory planner. No allocation: the caller's `order` array is the only scratch. */
#include "planner.h"

#include <limits.h>
#include <stdint.h>

size_t lo_align_up(size_t size, size_t alignment)
{
    if (alignment <= 1) return size;
    size_t rem = size % alignment;
    if (rem == 0) return size;
    size_t pad = alignment - rem;
    /* 0 marks overflow: a non-zero size never rounds to 0 otherwise. */
    if (size > SIZE_MAX - pad) return 0;
    return size + pad;
}

/* The space a buffer takes; SIZE_MAX when aligning overflows, so sums saturate and such a
 * buffer still overlaps everything (lo_plan_greedy rejects it before placing anything). */
static size_t aligned_size(const lo_plan_buffer *b, size_t alignment)
{
    size_t size = lo_align_up(b->size, alignment);
    return b->size != 0 && size == 0 ? SIZE_MAX : size;
}

static bool lifetimes_intersect(const lo_plan_buffer *a, const lo_plan_buffer *b)
{
    return a->first_use <= b->last_use && b->first_use <= a->last_use;
}

/* [ao, ao+as) and [bo, bo+bs) share a byte; written with differences so that no end is ever
 * computed, which keeps it exact for any offsets, even corrupted ones near SIZE_MAX. */
static bool ranges_intersect(size_t ao, size_t as, size_t bo, size_t bs)
{
    if (as == 0 || bs == 0) return false;
    return ao <= bo ? bo - ao < as : ao - bo < bs;
}

static size_t add_saturating(size_t a, size_t b)
{
    return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

/* Largest raw size first; equal sizes keep index order, so the plan is the same on every
 * platform (qsort would not promise that). */
static bool placed_before(const lo_plan_buffer *buffers, int a, int b)
{
    if (buffers[a].size != buffers[b].size) return buffers[a].size > buffers[b].size;
    return a < b;
}

bool lo_plan_greedy(lo_plan_buffer *buffers, size_t count, size_t alignment, int *order,
                    size_t *arena_bytes)
{
    if (arena_bytes) *arena_bytes = 0;
    if (count == 0) return true;
    if (!buffers || !order || count > (size_t)INT_MAX) return false;
    if (alignment == 0) alignment = 1;
    for (size_t i = 0; i < count; i++) {
        if (buffers[i].first_use > buffers[i].last_use) return false;
        if (buffers[i].size != 0 && lo_align_up(buffers[i].size, alignment) == 0) return false;
    }

    /* Insertion sort: stable, in place, and n is the number of tensors in a graph. */
    for (size_t i = 0; i < count; i++) {
        int idx = (int)i;
        size_t j = i;
        while (j > 0 && placed_before(buffers, idx, order[j - 1])) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = idx;
    }

    /* order[0..k) holds the placed buffers sorted by offset, order[k..count) the ones still to
     * place, largest first. Keeping the placed prefix sorted lets one sweep find the lowest
     * gap: the first candidate (0 or the end of a conflicting buffer, ascending) that fits. */
    size_t arena = 0;
    for (size_t k = 0; k < count; k++) {
        int idx = order[k];
        lo_plan_buffer *cur = &buffers[idx];
        size_t size = aligned_size(cur, alignment);
        size_t offset = 0;
        if (size != 0) {
            for (size_t p = 0; p < k; p++) {
                const lo_plan_buffer *other = &buffers[order[p]];
                size_t other_size = aligned_size(other, alignment);
                if (other_size == 0 || !lifetimes_intersect(cur, other)) continue;
                if (offset > SIZE_MAX - size) return false;
                if (other->offset >= offset + size) break; /* the gap below `other` fits */
                size_t other_end = other->offset + other_size;
                if (other_end > offset) offset = other_end;
            }
            if (offset > SIZE_MAX - size) return false;
            if (offset + size > arena) arena = offset + size;
        }
        cur->offset = offset;

        /* Move the new buffer into offset order within the placed prefix. */
        size_t j = k;
        while (j > 0 && buffers[order[j - 1]].offset > offset) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = idx;
    }
    if (arena_bytes) *arena_bytes = arena;
    return true;
}

size_t lo_plan_naive(lo_plan_buffer *buffers, size_t count, size_t alignment)
{
    size_t total = 0;
    if (!buffers) return 0;
    for (size_t i = 0; i < count; i++) {
        size_t size = aligned_size(&buffers[i], alignment);
        buffers[i].offset = size == 0 ? 0 : total;
        total = add_saturating(total, size);
    }
    return total;
}

size_t lo_plan_peak_live_bytes(const lo_plan_buffer *buffers, size_t count, size_t alignment)
{
    size_t peak = 0;
    if (!buffers) return 0;
    /* The live set only grows at some buffer's first use, so the peak is at one of those. */
    for (size_t i = 0; i < count; i++) {
        int step = buffers[i].first_use;
        if (step > buffers[i].last_use) continue;
        size_t live = 0;
        for (size_t j = 0; j < count; j++) {
            if (buffers[j].first_use > step || buffers[j].last_use < step) continue;
            size_t size = aligned_size(&buffers[j], alignment);
            live = add_saturating(live, size);
        }
        if (live > peak) peak = live;
    }
    return peak;
}

size_t lo_plan_peak_live_bytes_swept(const lo_plan_buffer *buffers, size_t count, size_t alignment,
                                     int steps, size_t *scratch)
{
    if (!buffers || !scratch || steps < 0) return 0;
    /* Bytes starting at and ending just before each step; any sum past SIZE_MAX means some
     * step held at least that much alive, so the peak saturates. */
    size_t *starts = scratch, *ends = scratch + steps + 1;
    for (int t = 0; t <= steps; t++)
        starts[t] = ends[t] = 0;
    for (size_t i = 0; i < count; i++) {
        const lo_plan_buffer *b = &buffers[i];
        if (b->first_use > b->last_use || b->first_use < 0 || b->last_use >= steps) continue;
        size_t size = aligned_size(b, alignment);
        if (__builtin_add_overflow(starts[b->first_use], size, &starts[b->first_use]) ||
            __builtin_add_overflow(ends[b->last_use + 1], size, &ends[b->last_use + 1]))
            return SIZE_MAX;
    }
    size_t live = 0, peak = 0;
    for (int t = 0; t < steps; t++) {
        if (__builtin_add_overflow(live, starts[t], &live)) return SIZE_MAX;
        live -= ends[t]; /* never below 0: those bytes were added at earlier steps */
        if (live > peak) peak = live;
    }
    return peak;
}

bool lo_plan_find_overlap(const lo_plan_buffer *buffers, size_t count, size_t alignment, size_t *a,
                          size_t *b)
{
    if (!buffers) return false;
    for (size_t i = 0; i < count; i++) {
        size_t si = aligned_size(&buffers[i], alignment);
        for (size_t j = i + 1; j < count; j++) {
            if (!lifetimes_intersect(&buffers[i], &buffers[j])) continue;
            size_t sj = aligned_size(&buffers[j], alignment);
            if (!ranges_intersect(buffers[i].offset, si, buffers[j].offset, sj)) continue;
            if (a) *a = i;
            if (b) *b = j;
            return true;
        }
    }
    return false;
}
