/* What one planned step costs, counted from its description alone (kind, params, shapes):
 * the arithmetic a straightforward kernel does and the bytes it must move at least. Tools turn
 * it into GFLOP/s and a share of a machine's peak; it says nothing about how fast a backend is.
 *
 * Counting rules (one place for every tool and test):
 *   - a multiply-add is 2 FLOPs: Conv is 2 * N*M*OH*OW * (C/group)*KH*KW, Gemm 2*M*N*K,
 *     MatMul 2*batch*M*N*K;
 *   - a bias, a C term, an alpha or beta other than 1, and a fused activation each add 1 per
 *     output element;
 *   - MaxPool (also as a Conv epilogue) compares KH*KW - 1 times per output, AvgPool adds
 *     KH*KW - 1 times and divides once: the nominal window, padding and clipping ignored;
 *   - Unary and Binary: 1 per output element; BatchNorm 4 ((x - mean) / sd * scale + B);
 *     Softmax 5 (max, subtract, exp, sum, divide or log);
 *   - Copy, Pad, Concat and Transpose move data only: 0.
 * Bytes: every input read once (arena tensors and constants) and the output written once.
 * Sums saturate at UINT64_MAX. */
#ifndef LO_STEP_COST_H
#define LO_STEP_COST_H

#include <stdint.h>

#include "step.h"

typedef struct lo_step_cost {
    uint64_t flops;
    uint64_t bytes_read;
    uint64_t bytes_written;
} lo_step_cost;

lo_step_cost lo_step_cost_of(const lo_step *step);

#endif
