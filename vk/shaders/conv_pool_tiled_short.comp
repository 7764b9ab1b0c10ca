#version 450
// conv_pool_tiled.comp's shader with a tile of 16 output channels x 128 pooled pixels per
// work-group of 128 (4 x 4 per invocation), for groups of at most 16 output channels (LeNet's
// conv1 has 16), which the 32-channel tile would half waste.
#extension GL_GOOGLE_include_directive : require
#define LX 32
#define LY 4
#define WM 4
#define WN 4
#include "conv_pool_tiled.glsl"
