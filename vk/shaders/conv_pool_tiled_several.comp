#version 450
// conv_pool_tiled.comp's shader computing four window positions per pass (a 2x2 window in one),
// sharing each W slab and barrier: a shorter chain of slabs for grids too small to fill the
// device, at the cost of registers and shared memory (18.9 KB) that larger grids pay for.
#extension GL_GOOGLE_include_directive : require
#define LX 16
#define LY 8
#define WM 4
#define WN 4
#define NPOS 4
#include "conv_pool_tiled.glsl"
