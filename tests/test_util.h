/* Minimal assertions for the C test programs: a failed check prints where and why, the test
 * keeps going, and main returns lo_test_exit_code(). */
#ifndef LO_TEST_UTIL_H
#define LO_TEST_UTIL_H

#include <math.h>
#include <stdio.h>

static int lo_test_failures;
static int lo_test_checks;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        lo_test_checks++;                                                                          \
        if (!(cond)) {                                                                             \
            lo_test_failures++;                                                                    \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

#define CHECK_MSG(cond, ...)                                                                       \
    do {                                                                                           \
        lo_test_checks++;                                                                          \
        if (!(cond)) {                                                                             \
            lo_test_failures++;                                                                    \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond);               \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)

/* Checks that a call returned LO_OK, printing the error message otherwise. */
#define CHECK_OK(call, errp)                                                                       \
    do {                                                                                           \
        lo_test_checks++;                                                                          \
        int check_ok_status_ = (int)(call);                                                        \
        if (check_ok_status_ != 0) {                                                               \
            lo_test_failures++;                                                                    \
            fprintf(stderr, "%s:%d: %s returned %d: %s\n", __FILE__, __LINE__, #call,              \
                    check_ok_status_, (errp)->message);                                            \
        }                                                                                          \
    } while (0)

static inline int lo_test_exit_code(void)
{
    printf("%d checks, %d failed\n", lo_test_checks, lo_test_failures);
    return lo_test_failures ? 1 : 0;
}

#endif
