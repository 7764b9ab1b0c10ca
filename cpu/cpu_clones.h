/* Compiling a function once per x86-64 level (GCC's and clang's target_clones, resolved
 * when the library loads), so one binary runs AVX-512 where the CPU has it and plain SSE2
 * where it has nothing newer. */
#ifndef LO_CPU_CLONES_H
#define LO_CPU_CLONES_H

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(LO_CPU_NO_CLONES)
#define LO_CPU_KERNEL __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define LO_CPU_KERNEL
#endif

#define LO_CPU_INLINE static inline __attribute__((always_inline))

#endif
