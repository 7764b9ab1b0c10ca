/* Tests of the arena planner: hand cases with exact offsets, the seed LeNet's activations, and
 * thousands of random graphs checked against an independent checker and a brute-force
 * reference placement written straight from the rule in planner.h. */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "planner.h"
#include "test_util.h"

#define MAX_BUFFERS 64

static lo_plan_buffer buf(size_t size, int first_use, int last_use)
{
    lo_plan_buffer b = {size, first_use, last_use, (size_t)-1};
    return b;
}

/* Plans with lo_plan_greedy and returns the arena, or SIZE_MAX when it refused. */
static size_t plan(lo_plan_buffer *buffers, size_t count, size_t alignment)
{
    int order[MAX_BUFFERS];
    size_t arena = 0;
    if (!lo_plan_greedy(buffers, count, alignment, order, &arena)) return SIZE_MAX;
    return arena;
}

/* ---- An independent checker: plain 64-bit arithmetic, no code shared with planner.c. ---- */

static uint64_t ref_aligned(size_t size, size_t alignment)
{
    uint64_t a = alignment ? alignment : 1;
    return ((uint64_t)size + a - 1) / a * a;
}

static bool ref_alive_together(const lo_plan_buffer *a, const lo_plan_buffer *b)
{
    return !(a->last_use < b->first_use || b->last_use < a->first_use);
}

static bool ref_overlap(const lo_plan_buffer *buffers, size_t count, size_t alignment)
{
    for (size_t i = 0; i < count; i++) {
        for (size_t j = 0; j < count; j++) {
            if (i == j || !ref_alive_together(&buffers[i], &buffers[j])) continue;
            uint64_t si = ref_aligned(buffers[i].size, alignment);
            uint64_t sj = ref_aligned(buffers[j].size, alignment);
            if (si == 0 || sj == 0) continue;
            uint64_t oi = buffers[i].offset, oj = buffers[j].offset;
            if (oi < oj + sj && oj < oi + si) return true;
        }
    }
    return false;
}

/* Peak by walking every step, unlike the library, which only looks at first uses. */
static uint64_t ref_peak(const lo_plan_buffer *buffers, size_t count, size_t alignment)
{
    if (count == 0) return 0;
    int lo = buffers[0].first_use, hi = buffers[0].last_use;
    for (size_t i = 1; i < count; i++) {
        if (buffers[i].first_use < lo) lo = buffers[i].first_use;
        if (buffers[i].last_use > hi) hi = buffers[i].last_use;
    }
    uint64_t peak = 0;
    for (int t = lo; t <= hi; t++) {
        uint64_t live = 0;
        for (size_t i = 0; i < count; i++)
            if (buffers[i].first_use <= t && t <= buffers[i].last_use)
                live += ref_aligned(buffers[i].size, alignment);
        if (live > peak) peak = live;
    }
    return peak;
}

static uint64_t ref_naive(const lo_plan_buffer *buffers, size_t count, size_t alignment)
{
    uint64_t total = 0;
    for (size_t i = 0; i < count; i++)
        total += ref_aligned(buffers[i].size, alignment);
    return total;
}

/* The rule of planner.h done the slow, obvious way: sort by size (selection sort picking the
 * lowest index among equals), then for each buffer collect 0 and the end of every
 * time-overlapping placed buffer, sort those candidates, and take the first that fits. */
static void ref_place(lo_plan_buffer *buffers, size_t count, size_t alignment)
{
    bool placed[MAX_BUFFERS] = {false};
    for (size_t round = 0; round < count; round++) {
        size_t pick = SIZE_MAX;
        for (size_t i = 0; i < count; i++)
            if (!placed[i] && (pick == SIZE_MAX || buffers[i].size > buffers[pick].size)) pick = i;
        lo_plan_buffer *cur = &buffers[pick];
        uint64_t size = ref_aligned(cur->size, alignment);
        uint64_t cand[MAX_BUFFERS + 1];
        size_t ncand = 0;
        cand[ncand++] = 0;
        for (size_t j = 0; j < count; j++)
            if (placed[j] && ref_alive_together(cur, &buffers[j]))
                cand[ncand++] = buffers[j].offset + ref_aligned(buffers[j].size, alignment);
        for (size_t a = 1; a < ncand; a++)
            for (size_t b = a; b > 0 && cand[b - 1] > cand[b]; b--) {
                uint64_t t = cand[b];
                cand[b] = cand[b - 1];
                cand[b - 1] = t;
            }
        uint64_t offset = 0;
        for (size_t c = 0; c < ncand && size != 0; c++) {
            bool fits = true;
            for (size_t j = 0; j < count && fits; j++) {
                if (!placed[j] || !ref_alive_together(cur, &buffers[j])) continue;
                uint64_t oj = buffers[j].offset, sj = ref_aligned(buffers[j].size, alignment);
                if (sj != 0 && cand[c] < oj + sj && oj < cand[c] + size) fits = false;
            }
            if (fits) {
                offset = cand[c];
                break;
            }
        }
        cur->offset = (size_t)offset;
        placed[pick] = true;
    }
}

/* Every property a plan must have, checked independently of the library. */
static void check_plan(const lo_plan_buffer *buffers, size_t count, size_t alignment, size_t arena,
                       const char *what)
{
    uint64_t a = alignment ? alignment : 1;
    uint64_t end = 0;
    for (size_t i = 0; i < count; i++) {
        CHECK_MSG(buffers[i].offset % a == 0, "%s: buffer %zu at %zu, alignment %zu", what, i,
                  buffers[i].offset, alignment);
        if (buffers[i].size == 0)
            CHECK_MSG(buffers[i].offset == 0, "%s: empty buffer %zu at %zu", what, i,
                      buffers[i].offset);
        uint64_t e = buffers[i].offset + ref_aligned(buffers[i].size, alignment);
        if (e > end) end = e;
    }
    CHECK_MSG(!ref_overlap(buffers, count, alignment), "%s: overlap", what);
    CHECK_MSG(!lo_plan_find_overlap(buffers, count, alignment, NULL, NULL), "%s: overlap", what);
    CHECK_MSG(arena == end, "%s: arena %zu, furthest end %" PRIu64, what, arena, end);
    CHECK_MSG(arena >= ref_peak(buffers, count, alignment), "%s: arena %zu below peak", what,
              arena);
    CHECK_MSG(arena <= ref_naive(buffers, count, alignment), "%s: arena %zu above naive", what,
              arena);
}

/* ---- Hand cases ---- */

static void test_align_up(void)
{
    CHECK(lo_align_up(0, 128) == 0);
    CHECK(lo_align_up(1, 128) == 128);
    CHECK(lo_align_up(128, 128) == 128);
    CHECK(lo_align_up(129, 128) == 256);
    CHECK(lo_align_up(10, 3) == 12);
    CHECK(lo_align_up(7, 1) == 7);
    CHECK(lo_align_up(7, 0) == 7);
    CHECK(lo_align_up(SIZE_MAX, 1) == SIZE_MAX);
    CHECK(lo_align_up(SIZE_MAX - 127, 128) == SIZE_MAX - 127); /* 2^k - 128: a multiple */
    CHECK(lo_align_up(SIZE_MAX - 130, 128) == SIZE_MAX - 127);
    CHECK(lo_align_up(SIZE_MAX - 126, 128) == 0); /* would wrap: reported as 0 */
    CHECK(lo_align_up(SIZE_MAX, 256) == 0);
}

static void test_chain(void)
{
    /* a -> b -> c: a and c never live together, so both sit at 0 and b goes above them. */
    lo_plan_buffer b[3] = {buf(300, 0, 1), buf(200, 1, 2), buf(300, 2, 3)};
    size_t arena = plan(b, 3, 1);
    CHECK(arena == 500);
    CHECK(b[0].offset == 0 && b[1].offset == 300 && b[2].offset == 0);
    check_plan(b, 3, 1, arena, "chain");
    CHECK(lo_plan_peak_live_bytes(b, 3, 1) == 500);
    CHECK(lo_plan_naive(b, 3, 1) == 800);
    CHECK(b[0].offset == 0 && b[1].offset == 300 && b[2].offset == 500);
}

static void test_alive_together(void)
{
    lo_plan_buffer b[2] = {buf(100, 0, 2), buf(50, 1, 1)};
    size_t arena = plan(b, 2, 1);
    CHECK(arena == 150);
    CHECK(b[0].offset == 0 && b[1].offset == 100);
    check_plan(b, 2, 1, arena, "alive together");

    /* Touching at one step counts as alive together. */
    lo_plan_buffer c[2] = {buf(64, 0, 1), buf(64, 1, 2)};
    CHECK(plan(c, 2, 1) == 128);
    CHECK(c[0].offset == 0 && c[1].offset == 64);
}

static void test_tie_break(void)
{
    lo_plan_buffer b[3] = {buf(64, 0, 0), buf(64, 0, 0), buf(64, 0, 0)};
    CHECK(plan(b, 3, 1) == 192);
    CHECK(b[0].offset == 0 && b[1].offset == 64 && b[2].offset == 128);

    /* Larger first, equal sizes in index order: 1, 2, 0, 3. */
    lo_plan_buffer c[4] = {buf(10, 0, 0), buf(20, 0, 0), buf(20, 0, 0), buf(10, 0, 0)};
    CHECK(plan(c, 4, 1) == 60);
    CHECK(c[1].offset == 0 && c[2].offset == 20 && c[0].offset == 40 && c[3].offset == 50);
}

static void test_alignment_128(void)
{
    /* Ordered by requested size (129, 128, 1); each takes whole 128-byte blocks. */
    lo_plan_buffer b[3] = {buf(1, 0, 0), buf(129, 0, 0), buf(128, 0, 0)};
    size_t arena = plan(b, 3, 128);
    CHECK(arena == 512);
    CHECK(b[1].offset == 0 && b[2].offset == 256 && b[0].offset == 384);
    check_plan(b, 3, 128, arena, "alignment 128");
    CHECK(lo_plan_peak_live_bytes(b, 3, 128) == 512);
    CHECK(lo_plan_naive(b, 3, 128) == 512);
}

static void test_zero_sized(void)
{
    lo_plan_buffer b[4] = {buf(0, 0, 5), buf(100, 0, 5), buf(0, 2, 3), buf(10, 1, 1)};
    size_t arena = plan(b, 4, 128);
    CHECK(arena == 256);
    CHECK(b[0].offset == 0 && b[1].offset == 0 && b[2].offset == 0 && b[3].offset == 128);
    check_plan(b, 4, 128, arena, "zero sized");
    CHECK(lo_plan_peak_live_bytes(b, 4, 128) == 256);
    CHECK(lo_plan_naive(b, 4, 128) == 256);
    CHECK(b[0].offset == 0 && b[2].offset == 0 && b[3].offset == 128);

    lo_plan_buffer z[2] = {buf(0, 0, 0), buf(0, 0, 0)};
    CHECK(plan(z, 2, 128) == 0);
    CHECK(z[0].offset == 0 && z[1].offset == 0);
}

static void test_gap(void)
{
    /* m stays alive throughout; j dies at step 0 and leaves a hole at 100 that l reuses. */
    lo_plan_buffer b[4] = {buf(100, 0, 2), buf(100, 0, 0), buf(100, 0, 1), buf(40, 1, 1)};
    size_t arena = plan(b, 4, 1);
    CHECK(arena == 300);
    CHECK(b[0].offset == 0 && b[1].offset == 100 && b[2].offset == 200 && b[3].offset == 100);
    check_plan(b, 4, 1, arena, "gap");
}

static void test_bad_input(void)
{
    int order[4];
    size_t arena = 123;
    CHECK(lo_plan_greedy(NULL, 0, 128, NULL, &arena) && arena == 0);

    lo_plan_buffer b[2] = {buf(10, 0, 1), buf(10, 2, 1)};
    arena = 123;
    CHECK(!lo_plan_greedy(b, 2, 128, order, &arena) && arena == 0);
    b[1].first_use = 1;
    CHECK(!lo_plan_greedy(b, 2, 128, NULL, &arena));
    CHECK(!lo_plan_greedy(NULL, 2, 128, order, &arena));
    CHECK(lo_plan_greedy(b, 2, 128, order, NULL));
    CHECK(lo_plan_greedy(b, 2, 0, order, &arena) && arena == 20); /* 0 acts as 1 */

    /* A size that cannot be aligned, and two halves of the address space alive together. */
    lo_plan_buffer big[2] = {buf(SIZE_MAX - 5, 0, 0), buf(1, 0, 0)};
    CHECK(!lo_plan_greedy(big, 2, 128, order, &arena) && arena == 0);
    size_t half = SIZE_MAX / 2 + 1;
    lo_plan_buffer halves[2] = {buf(half, 0, 1), buf(half, 1, 2)};
    CHECK(!lo_plan_greedy(halves, 2, 1, order, &arena));
    halves[1].first_use = 2;
    CHECK(lo_plan_greedy(halves, 2, 1, order, &arena) && arena == half);
    CHECK(halves[0].offset == 0 && halves[1].offset == 0);

    /* The helpers saturate rather than wrap. */
    halves[1].first_use = 1;
    CHECK(lo_plan_naive(halves, 2, 1) == SIZE_MAX);
    CHECK(lo_plan_peak_live_bytes(halves, 2, 1) == SIZE_MAX);
    CHECK(lo_plan_naive(big, 2, 128) == SIZE_MAX);
}

/* ---- The seed LeNet, as the runtime plans it after fusion ---- */

enum { LENET_BUFFERS = 8 };

/* fp32 activations; step s reads its input and writes its output. The Reshape to [N,800] is a
 * view of the last MaxPool's output, so it adds no buffer. */
static void lenet_buffers(lo_plan_buffer *b, size_t n)
{
    const size_t f = sizeof(float);
    b[0] = buf(n * 3 * 32 * 32 * f, 0, 0);  /* input, written before step 0 */
    b[1] = buf(n * 16 * 28 * 28 * f, 0, 1); /* Conv+Relu */
    b[2] = buf(n * 16 * 14 * 14 * f, 1, 2); /* MaxPool */
    b[3] = buf(n * 32 * 10 * 10 * f, 2, 3); /* Conv+Relu */
    b[4] = buf(n * 32 * 5 * 5 * f, 3, 4);   /* MaxPool; Reshape views it */
    b[5] = buf(n * 120 * f, 4, 5);          /* Gemm+Relu */
    b[6] = buf(n * 84 * f, 5, 6);           /* Gemm+Relu */
    b[7] = buf(n * 10 * f, 6, 6);           /* Gemm: the output, alive to the end */
}

static void test_lenet(size_t batch, size_t expect_arena, size_t expect_naive)
{
    char what[32];
    snprintf(what, sizeof what, "lenet batch %zu", batch);
    lo_plan_buffer b[LENET_BUFFERS];
    lenet_buffers(b, batch);
    size_t peak = lo_plan_peak_live_bytes(b, LENET_BUFFERS, 128);
    CHECK(peak == ref_peak(b, LENET_BUFFERS, 128));
    size_t arena = plan(b, LENET_BUFFERS, 128);
    check_plan(b, LENET_BUFFERS, 128, arena, what);
    CHECK_MSG(arena <= lo_align_up(peak, 128), "%s: arena %zu, peak %zu", what, arena, peak);
    CHECK(arena == expect_arena);

    lo_plan_buffer naive[LENET_BUFFERS];
    lenet_buffers(naive, batch);
    size_t naive_bytes = lo_plan_naive(naive, LENET_BUFFERS, 128);
    CHECK(naive_bytes == expect_naive);
    CHECK(!lo_plan_find_overlap(naive, LENET_BUFFERS, 128, NULL, NULL));
    printf("%s: arena %zu bytes, peak live %zu, naive %zu (%.1f%% of naive)\n", what, arena, peak,
           naive_bytes, 100.0 * (double)arena / (double)naive_bytes);
}

static void test_lenet_batch1_offsets(void)
{
    lo_plan_buffer b[LENET_BUFFERS];
    lenet_buffers(b, 1);
    CHECK(plan(b, LENET_BUFFERS, 128) == 62720);
    /* conv1 out, then conv2 out on its dead bytes; pool1 and the input above conv1 out. */
    const size_t expect[LENET_BUFFERS] = {50176, 0, 50176, 0, 12800, 0, 512, 0};
    for (size_t i = 0; i < LENET_BUFFERS; i++)
        CHECK_MSG(b[i].offset == expect[i], "buffer %zu at %zu, expected %zu", i, b[i].offset,
                  expect[i]);
}

static void test_find_overlap_detects_corruption(void)
{
    lo_plan_buffer b[LENET_BUFFERS];
    lenet_buffers(b, 1);
    plan(b, LENET_BUFFERS, 128);
    size_t x = 99, y = 99;
    CHECK(!lo_plan_find_overlap(b, LENET_BUFFERS, 128, &x, &y));
    CHECK(x == 99 && y == 99);

    /* Pool1's output moved one block down, into conv1's output, which is alive at step 1. */
    b[2].offset -= 128;
    CHECK(lo_plan_find_overlap(b, LENET_BUFFERS, 128, &x, &y));
    CHECK(x == 1 && y == 2);
    CHECK(ref_overlap(b, LENET_BUFFERS, 128));
    b[2].offset += 128;

    /* The output moved onto the last hidden layer: they share one 128-byte block. */
    b[7].offset = b[6].offset + lo_align_up(b[6].size, 128) - 128;
    CHECK(lo_plan_find_overlap(b, LENET_BUFFERS, 128, &x, &y));
    CHECK(x == 6 && y == 7);

    /* Corruption that is harmless: buffers never alive together may share bytes. */
    lenet_buffers(b, 1);
    plan(b, LENET_BUFFERS, 128);
    b[5].offset = b[1].offset;
    CHECK(!lo_plan_find_overlap(b, LENET_BUFFERS, 128, NULL, NULL));

    /* Byte-exact edges, in both orders: sharing one byte overlaps, touching does not. */
    lo_plan_buffer e[2] = {buf(10, 0, 0), buf(7, 0, 0)};
    for (int flip = 0; flip < 2; flip++) {
        lo_plan_buffer *lo = &e[flip], *hi = &e[1 - flip];
        lo->offset = 0;
        hi->offset = lo->size - 1;
        CHECK(lo_plan_find_overlap(e, 2, 1, &x, &y) && x == 0 && y == 1);
        hi->offset = lo->size;
        CHECK(!lo_plan_find_overlap(e, 2, 1, NULL, NULL));
        hi->offset = 0;
        CHECK(lo_plan_find_overlap(e, 2, 1, NULL, NULL));
    }

    /* An offset near the top of the address space must not wrap around into a false answer. */
    lo_plan_buffer w[2] = {buf(256, 0, 0), buf(256, 0, 0)};
    w[0].offset = 0;
    w[1].offset = SIZE_MAX - 127;
    CHECK(!lo_plan_find_overlap(w, 2, 1, NULL, NULL));
    w[0].offset = SIZE_MAX - 200;
    CHECK(lo_plan_find_overlap(w, 2, 1, NULL, NULL));
}

/* ---- Random graphs ---- */

static uint64_t rng_state;

static uint64_t rng_next(void) /* splitmix64: tiny and the same everywhere */
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static size_t rng_below(size_t n)
{
    return (size_t)(rng_next() % n);
}

static size_t random_size(const size_t *pool)
{
    switch (rng_below(6)) {
    case 0:
        return 0;
    case 1:
        return 1 + rng_below(300); /* small and often odd */
    case 2:
        return pool[rng_below(4)]; /* repeated sizes exercise the tie-break */
    case 3:
        return 1 + rng_below(1u << 20);
    default:
        return 1 + rng_below(1u << 14);
    }
}

static void test_random(uint64_t seed)
{
    static const size_t alignments[] = {1, 4, 64, 128, 256};
    const int graphs = 5000;
    rng_state = seed;
    int mismatches = 0;
    double saved = 0;
    for (int g = 0; g < graphs; g++) {
        size_t count = rng_below(MAX_BUFFERS + 1);
        int steps = 1 + (int)rng_below(40);
        size_t alignment = alignments[rng_below(sizeof alignments / sizeof alignments[0])];
        size_t pool[4];
        for (int i = 0; i < 4; i++)
            pool[i] = 1 + rng_below(5000);
        lo_plan_buffer b[MAX_BUFFERS], ref[MAX_BUFFERS], naive[MAX_BUFFERS];
        for (size_t i = 0; i < count; i++) {
            int first = (int)rng_below((size_t)steps);
            /* Mostly short lifetimes, as in a real schedule, with some long-lived ones. */
            int span = rng_below(4) ? (int)rng_below(4) : (int)rng_below((size_t)steps);
            int last = first + span < steps ? first + span : steps - 1;
            b[i] = buf(random_size(pool), first, last);
        }
        memcpy(ref, b, sizeof(lo_plan_buffer) * count);
        memcpy(naive, b, sizeof(lo_plan_buffer) * count);

        char what[64];
        snprintf(what, sizeof what, "graph %d (%zu buffers, alignment %zu)", g, count, alignment);
        size_t arena = plan(b, count, alignment);
        CHECK_MSG(arena != SIZE_MAX, "%s: refused", what);
        check_plan(b, count, alignment, arena, what);
        size_t peak = lo_plan_peak_live_bytes(b, count, alignment);
        CHECK_MSG(peak == ref_peak(b, count, alignment), "%s: peak %zu", what, peak);
        size_t sweep[2 * (40 + 1)];
        size_t swept = lo_plan_peak_live_bytes_swept(b, count, alignment, steps, sweep);
        CHECK_MSG(swept == peak, "%s: swept peak %zu, peak %zu", what, swept, peak);
        size_t naive_bytes = lo_plan_naive(naive, count, alignment);
        CHECK_MSG(naive_bytes == ref_naive(b, count, alignment), "%s: naive %zu", what,
                  naive_bytes);
        CHECK_MSG(!lo_plan_find_overlap(naive, count, alignment, NULL, NULL), "%s: naive", what);
        if (naive_bytes) saved += 1.0 - (double)arena / (double)naive_bytes;

        /* Exactly the offsets the rule in planner.h gives. */
        ref_place(ref, count, alignment);
        for (size_t i = 0; i < count; i++) {
            if (b[i].offset == ref[i].offset) continue;
            if (mismatches++ < 5)
                fprintf(stderr, "%s: buffer %zu at %zu, reference %zu\n", what, i, b[i].offset,
                        ref[i].offset);
        }

        /* Corrupt one offset: the library's checker must agree with the independent one. */
        if (count >= 2) {
            size_t i = rng_below(count);
            size_t j = rng_below(count);
            b[i].offset = rng_below(2) ? b[j].offset : lo_align_up(rng_below(arena + 1), alignment);
            size_t x = 0, y = 0;
            bool found = lo_plan_find_overlap(b, count, alignment, &x, &y);
            CHECK_MSG(found == ref_overlap(b, count, alignment), "%s: corrupted", what);
            if (found) {
                lo_plan_buffer pair[2] = {b[x], b[y]};
                CHECK_MSG(x < y && ref_overlap(pair, 2, alignment), "%s: pair %zu %zu", what, x, y);
            }
        }
    }
    CHECK_MSG(mismatches == 0, "%d offsets differ from the reference placement", mismatches);
    printf("random: %d graphs, seed 0x%016" PRIx64 ", arena %.1f%% smaller than naive on average\n",
           graphs, seed, 100.0 * saved / graphs);
}

int main(int argc, char **argv)
{
    /* A fixed seed keeps the test deterministic; pass another to explore. */
    uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 0x5eed1e7e70417a11u;
    printf("seed 0x%016" PRIx64 "\n", seed);

    test_align_up();
    test_chain();
    test_alive_together();
    test_tie_break();
    test_alignment_128();
    test_zero_sized();
    test_gap();
    test_bad_input();
    test_lenet_batch1_offsets();
    test_lenet(1, 62720, 92032);
    test_lenet(64, 4014080, 5879296);
    test_find_overlap_detects_corruption();
    test_random(seed);
    return lo_test_exit_code();
}
