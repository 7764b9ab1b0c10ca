/* Overflow-checked integer arithmetic for sizes and shapes.
 *
 * Every shape, window, element count and byte size that a model can influence goes through
 * these helpers: each returns false instead of wrapping (signed overflow is undefined
 * behaviour in C, and a wrapped size is a heap overflow waiting to happen). */
#ifndef LO_CHECKED_MATH_H
#define LO_CHECKED_MATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static inline bool lo_add_i64(int64_t a, int64_t b, int64_t *out)
{
    return !__builtin_add_overflow(a, b, out);
}

static inline bool lo_sub_i64(int64_t a, int64_t b, int64_t *out)
{
    return !__builtin_sub_overflow(a, b, out);
}

static inline bool lo_mul_i64(int64_t a, int64_t b, int64_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}

static inline bool lo_add_size(size_t a, size_t b, size_t *out)
{
    return !__builtin_add_overflow(a, b, out);
}

static inline bool lo_mul_size(size_t a, size_t b, size_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}

/* -a, false for INT64_MIN. */
static inline bool lo_neg_i64(int64_t a, int64_t *out)
{
    return !__builtin_sub_overflow((int64_t)0, a, out);
}

/* ceil(a / b) for b > 0 and any a, without forming a + b - 1. */
static inline int64_t lo_ceil_div_i64(int64_t a, int64_t b)
{
    int64_t q = a / b; /* truncates toward zero: already the ceiling when a <= 0 */
    return q + (a % b > 0 ? 1 : 0);
}

/* floor(a / b) for b > 0 and any a. */
static inline int64_t lo_floor_div_i64(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return q - (a % b < 0 ? 1 : 0);
}

#endif
