#version 450
// Conv (+ activation) with a MaxPool epilogue (step.h: lo_conv_params.has_pool) as an implicit
// GEMM per group whose columns are pooled pixels (conv_tile.glsl): for each position of the
// pool window, the tile of conv values under it is computed from shared-memory slabs and
// max-reduced in registers, so the conv output is never stored. A position outside the conv
// output (the pool's padding) never wins; an empty window yields -inf. Overlapping windows
// recompute the conv pixels they share. Bindings as conv.comp: Y (pooled), X, W, B.
// Its body is conv_pool_tiled.glsl; conv_pool_tiled_short.comp is the same for groups of at
// most 16 output channels, conv_pool_tiled*_several.comp compute several window positions per
// pass, for small grids.
#extension GL_GOOGLE_include_directive : require
// 32 output channels x 64 pooled pixels per work-group of 128, 4 x 4 per invocation, one
// window position per pass.
#define LX 16
#define LY 8
#define WM 4
#define WN 4
#include "conv_pool_tiled.glsl"
