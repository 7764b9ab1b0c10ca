/* floatv: a float vector of VEC lanes (-DVEC=8|16, default 16) with its load and store, for
 * the blocked kernels. Not a program of its own: embed_kernels.cmake inlines it where a kernel
 * source says #include "floatv.cl" (embedded programs build from one string, with no files).
 */
#ifndef LO_FLOATV_CL
#define LO_FLOATV_CL
#ifndef VEC
#define VEC 16
#endif

#if VEC == 16
typedef float16 floatv;
#define VLOAD  vload16
#define VSTORE vstore16
#elif VEC == 8
typedef float8 floatv;
#define VLOAD  vload8
#define VSTORE vstore8
#else
#error "VEC must be 8 or 16"
#endif
#endif
