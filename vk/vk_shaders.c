/* The shaders of shaders/<name>.comp as SPIR-V words, compiled by glslc at build time (see
 * CMakeLists.txt: each becomes generated/<name>.spv.inc, an initializer list). */
#include "vk_internal.h"

#define LO_VK_SPIRV(name) static const uint32_t lo_vk_spv_##name[] =

LO_VK_SPIRV(unary)
#include "unary.spv.inc"
    ;
LO_VK_SPIRV(batchnorm)
#include "batchnorm.spv.inc"
    ;
LO_VK_SPIRV(softmax)
#include "softmax.spv.inc"
    ;
LO_VK_SPIRV(softmax_wide)
#include "softmax_wide.spv.inc"
    ;
LO_VK_SPIRV(binary)
#include "binary.spv.inc"
    ;
LO_VK_SPIRV(pad)
#include "pad.spv.inc"
    ;
LO_VK_SPIRV(transpose)
#include "transpose.spv.inc"
    ;
LO_VK_SPIRV(concat)
#include "concat.spv.inc"
    ;
LO_VK_SPIRV(pool)
#include "pool.spv.inc"
    ;
LO_VK_SPIRV(maxpool_u8)
#include "maxpool_u8.spv.inc"
    ;
LO_VK_SPIRV(conv)
#include "conv.spv.inc"
    ;
LO_VK_SPIRV(gemm)
#include "gemm.spv.inc"
    ;
LO_VK_SPIRV(conv_blocked)
#include "conv_blocked.spv.inc"
    ;
LO_VK_SPIRV(gemm_blocked)
#include "gemm_blocked.spv.inc"
    ;
LO_VK_SPIRV(conv_pool_tiled)
#include "conv_pool_tiled.spv.inc"
    ;
LO_VK_SPIRV(conv_pool_tiled_short)
#include "conv_pool_tiled_short.spv.inc"
    ;
LO_VK_SPIRV(conv_pool_tiled_several)
#include "conv_pool_tiled_several.spv.inc"
    ;
LO_VK_SPIRV(conv_pool_tiled_short_several)
#include "conv_pool_tiled_short_several.spv.inc"
    ;
LO_VK_SPIRV(conv_pool_direct)
#include "conv_pool_direct.spv.inc"
    ;

/* Bindings and push-constant bytes as each shader declares them. */
#define LO_VK_ROW(name, bindings, push_words)                                                      \
    {                                                                                              \
#name, lo_vk_spv_##name, sizeof lo_vk_spv_##name, bindings, 4u * (push_words)              \
    }

static const lo_vk_shader_info shaders[LO_VK_NUM_SHADERS] = {
    [LO_VK_SHADER_UNARY] = LO_VK_ROW(unary, 4, 7),
    [LO_VK_SHADER_BATCHNORM] = LO_VK_ROW(batchnorm, 6, 4),
    [LO_VK_SHADER_SOFTMAX] = LO_VK_ROW(softmax, 2, 4),
    [LO_VK_SHADER_SOFTMAX_WIDE] = LO_VK_ROW(softmax_wide, 2, 4),
    [LO_VK_SHADER_BINARY] = LO_VK_ROW(binary, 3, 3 + 3 * 8),
    [LO_VK_SHADER_PAD] = LO_VK_ROW(pad, 2, 3 + 3 * 8),
    [LO_VK_SHADER_TRANSPOSE] = LO_VK_ROW(transpose, 2, 2 + 2 * 8),
    [LO_VK_SHADER_CONCAT] = LO_VK_ROW(concat, 2, 4),
    [LO_VK_SHADER_POOL] = LO_VK_ROW(pool, 2, 16),
    [LO_VK_SHADER_MAXPOOL_U8] = LO_VK_ROW(maxpool_u8, 2, 13),
    [LO_VK_SHADER_CONV] = LO_VK_ROW(conv, 4, 25),
    [LO_VK_SHADER_GEMM] = LO_VK_ROW(gemm, 5, 18),
    [LO_VK_SHADER_CONV_BLOCKED] = LO_VK_ROW(conv_blocked, 4, 25),
    [LO_VK_SHADER_GEMM_BLOCKED] = LO_VK_ROW(gemm_blocked, 5, 18),
    [LO_VK_SHADER_CONV_POOL] = LO_VK_ROW(conv_pool_tiled, 4, 32),
    [LO_VK_SHADER_CONV_POOL_SHORT] = LO_VK_ROW(conv_pool_tiled_short, 4, 32),
    [LO_VK_SHADER_CONV_POOL_SEVERAL] = LO_VK_ROW(conv_pool_tiled_several, 4, 32),
    [LO_VK_SHADER_CONV_POOL_SHORT_SEVERAL] = LO_VK_ROW(conv_pool_tiled_short_several, 4, 32),
    [LO_VK_SHADER_CONV_POOL_DIRECT] = LO_VK_ROW(conv_pool_direct, 4, 32),
};

const lo_vk_shader_info *lo_vk_shader_get(lo_vk_shader shader)
{
    return &shaders[shader];
}
