/* The bounds every model is held to, decided before the work they bound is done.
 *
 * A model comes from someone else: without these, a few hundred bytes could ask for a
 * terabyte tensor or a million-deep protobuf. The host sets them per load through
 * lenet_onnx_load_options (0 keeps a default); the defaults are far above any LeNet. */
#ifndef LO_LOAD_LIMITS_H
#define LO_LOAD_LIMITS_H

#include <stdint.h>

#include "lenet-onnx/lenet_onnx.h"

typedef struct lo_limits {
    uint64_t model_bytes;     /* size of the serialised model */
    uint32_t nesting_depth;   /* protobuf messages nested inside each other */
    uint64_t nodes;           /* nodes in the graph */
    uint32_t rank;            /* dims of any tensor (never above LENET_ONNX_MAX_RANK) */
    uint64_t tensor_elements; /* elements of any one tensor */
    uint64_t weight_bytes;    /* every constant of a plan together */
    uint64_t arena_bytes;     /* the activation arena of a plan */
} lo_limits;

#define LO_DEFAULT_MODEL_BYTES     ((uint64_t)1 << 30) /* 1 GiB */
#define LO_DEFAULT_NESTING_DEPTH   64u
#define LO_MAX_NESTING_DEPTH       1000u /* protobuf-c recurses this deep: keep it in a stack */
#define LO_DEFAULT_NODES           ((uint64_t)1000000)
#define LO_DEFAULT_TENSOR_ELEMENTS ((uint64_t)1 << 28) /* 1 GiB of floats */
#define LO_DEFAULT_WEIGHT_BYTES    ((uint64_t)1 << 30)
#define LO_DEFAULT_ARENA_BYTES     ((uint64_t)4 << 30)

/* The defaults above. */
lo_limits lo_limits_default(void);

/* The limits a host's options ask for: each 0 field takes its default; rank is capped at
 * LENET_ONNX_MAX_RANK. options may be NULL (every default). */
lo_limits lo_limits_from_options(const lenet_onnx_load_options *options);

#endif
