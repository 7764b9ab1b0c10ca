#version 450
// conv_pool_tiled_short.comp's shader computing two window positions per pass (as
// conv_pool_tiled_several.comp; four would need 34 KB of shared memory): 17.8 KB.
#extension GL_GOOGLE_include_directive : require
#define LX 32
#define LY 4
#define WM 4
#define WN 4
#define NPOS 2
#include "conv_pool_tiled.glsl"
