/* Included first by the files of plain C loops (cpu_*_ops.c): GCC's -O2 (the project's
 * RelWithDebInfo) vectorises only loops whose trip count needs no scalar remainder (the
 * "very-cheap" cost model), which leaves nearly every loop over a row scalar: Relu ran 50x
 * slower. The dynamic cost model vectorises them with a remainder loop, as -O3 would. Clang
 * vectorises these loops at -O2 already.
 */
#ifndef LO_CPU_VECTORIZE_H
#define LO_CPU_VECTORIZE_H

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("tree-vectorize", "vect-cost-model=dynamic")
#endif

#endif
