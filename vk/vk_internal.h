/* Shared declarations of the Vulkan backend (vk/). Only files of this folder include it: it is
 * the one place that pulls in the Vulkan headers, without prototypes, because libvulkan.so.1 is
 * opened at run time and every function is fetched through vkGet*ProcAddr (the library links
 * no Vulkan at all, so it loads on machines without a Vulkan loader).
 */
#ifndef LO_VK_INTERNAL_H
#define LO_VK_INTERNAL_H

#define VK_NO_PROTOTYPES
#include <vulkan/vulkan.h>

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"

/* ---- vk_loader.c: the loader and every function the backend calls ---- */

#define LO_VK_INSTANCE_FUNCTIONS(X)                                                                \
    X(vkDestroyInstance)                                                                           \
    X(vkEnumeratePhysicalDevices)                                                                  \
    X(vkGetPhysicalDeviceProperties)                                                               \
    X(vkGetPhysicalDeviceMemoryProperties)                                                         \
    X(vkGetPhysicalDeviceQueueFamilyProperties)                                                    \
    X(vkEnumerateDeviceExtensionProperties)                                                        \
    X(vkCreateDevice)                                                                              \
    X(vkGetDeviceProcAddr)

/* Present only with Vulkan 1.1 instances or the debug-utils extension: may be NULL. */
#define LO_VK_OPTIONAL_INSTANCE_FUNCTIONS(X)                                                       \
    X(vkGetPhysicalDeviceProperties2)                                                              \
    X(vkCreateDebugUtilsMessengerEXT)                                                              \
    X(vkDestroyDebugUtilsMessengerEXT)

#define LO_VK_DEVICE_FUNCTIONS(X)                                                                  \
    X(vkDestroyDevice)                                                                             \
    X(vkGetDeviceQueue)                                                                            \
    X(vkDeviceWaitIdle)                                                                            \
    X(vkCreateBuffer)                                                                              \
    X(vkDestroyBuffer)                                                                             \
    X(vkGetBufferMemoryRequirements)                                                               \
    X(vkAllocateMemory)                                                                            \
    X(vkFreeMemory)                                                                                \
    X(vkBindBufferMemory)                                                                          \
    X(vkMapMemory)                                                                                 \
    X(vkUnmapMemory)                                                                               \
    X(vkCreateShaderModule)                                                                        \
    X(vkDestroyShaderModule)                                                                       \
    X(vkCreatePipelineCache)                                                                       \
    X(vkDestroyPipelineCache)                                                                      \
    X(vkGetPipelineCacheData)                                                                      \
    X(vkCreateComputePipelines)                                                                    \
    X(vkDestroyPipeline)                                                                           \
    X(vkCreatePipelineLayout)                                                                      \
    X(vkDestroyPipelineLayout)                                                                     \
    X(vkCreateDescriptorSetLayout)                                                                 \
    X(vkDestroyDescriptorSetLayout)                                                                \
    X(vkCreateDescriptorPool)                                                                      \
    X(vkDestroyDescriptorPool)                                                                     \
    X(vkAllocateDescriptorSets)                                                                    \
    X(vkUpdateDescriptorSets)                                                                      \
    X(vkCreateCommandPool)                                                                         \
    X(vkDestroyCommandPool)                                                                        \
    X(vkAllocateCommandBuffers)                                                                    \
    X(vkFreeCommandBuffers)                                                                        \
    X(vkBeginCommandBuffer)                                                                        \
    X(vkEndCommandBuffer)                                                                          \
    X(vkCmdBindPipeline)                                                                           \
    X(vkCmdBindDescriptorSets)                                                                     \
    X(vkCmdPushConstants)                                                                          \
    X(vkCmdDispatch)                                                                               \
    X(vkCmdPipelineBarrier)                                                                        \
    X(vkCmdCopyBuffer)                                                                             \
    X(vkCmdWriteTimestamp)                                                                         \
    X(vkCmdResetQueryPool)                                                                         \
    X(vkCreateQueryPool)                                                                           \
    X(vkDestroyQueryPool)                                                                          \
    X(vkGetQueryPoolResults)                                                                       \
    X(vkCreateFence)                                                                               \
    X(vkDestroyFence)                                                                              \
    X(vkResetFences)                                                                               \
    X(vkWaitForFences)                                                                             \
    X(vkQueueSubmit)

#define LO_VK_DECLARE(name) PFN_##name name;

/* The functions of one instance and its device. */
typedef struct lo_vk_api {
    LO_VK_INSTANCE_FUNCTIONS(LO_VK_DECLARE)
    LO_VK_OPTIONAL_INSTANCE_FUNCTIONS(LO_VK_DECLARE)
    LO_VK_DEVICE_FUNCTIONS(LO_VK_DECLARE)
} lo_vk_api;

/* "VK_ERROR_OUT_OF_DEVICE_MEMORY" for that code; "VkResult(n)" for others (static storage). */
const char *lo_vk_result_name(VkResult result);
/* LO_ERR_NO_MEMORY for the out-of-memory results, LO_ERR_DEVICE for the rest. */
lo_status lo_vk_status_of(VkResult result);
/* lo_fail with "vulkan: <what> failed: <result name>". */
lo_status lo_vk_fail(lo_error *err, VkResult result, const char *what);

/* Creates an instance (with the Khronos validation layer when `validation` and present) and
 * fills api's instance functions. LO_ERR_DEVICE naming why when there is no loader or driver;
 * *loader_missing then says whether the loader itself is absent. */
lo_status lo_vk_create_instance(bool validation, lo_vk_api *api, VkInstance *out, bool *debug_utils,
                                bool *loader_missing, lo_error *err);
/* Fills api's device functions for `device`. */
lo_status lo_vk_load_device(lo_vk_api *api, VkDevice device, lo_error *err);

/* ---- vk_shaders.c: SPIR-V compiled from shaders/<name>.comp at build time ---- */

typedef enum lo_vk_shader {
    LO_VK_SHADER_UNARY = 0,
    LO_VK_SHADER_BATCHNORM,
    LO_VK_SHADER_SOFTMAX,
    LO_VK_SHADER_SOFTMAX_WIDE, /* a work-group per line, for long lines */
    LO_VK_SHADER_BINARY,
    LO_VK_SHADER_PAD,
    LO_VK_SHADER_TRANSPOSE,
    LO_VK_SHADER_CONCAT,
    LO_VK_SHADER_POOL,
    LO_VK_SHADER_MAXPOOL_U8,
    LO_VK_SHADER_CONV,
    LO_VK_SHADER_GEMM,
    LO_VK_SHADER_CONV_BLOCKED, /* register-blocked variants for CPU devices */
    LO_VK_SHADER_GEMM_BLOCKED,
    LO_VK_SHADER_CONV_POOL,         /* Conv with a MaxPool epilogue, tiled (GPU shaders only) */
    LO_VK_SHADER_CONV_POOL_SHORT,   /* the same for groups of at most 16 output channels */
    LO_VK_SHADER_CONV_POOL_SEVERAL, /* the two, several pool-window positions per pass */
    LO_VK_SHADER_CONV_POOL_SHORT_SEVERAL,
    LO_VK_SHADER_CONV_POOL_DIRECT, /* one invocation per output, for tiny grids */
    LO_VK_NUM_SHADERS,
    /* Not a shader: a COPY step is vkCmdCopyBuffer. */
    LO_VK_BUFFER_COPY = LO_VK_NUM_SHADERS,
} lo_vk_shader;

typedef struct lo_vk_shader_info {
    const char *name;
    const uint32_t *code;
    size_t bytes;
    uint32_t bindings;   /* storage buffers 0..bindings-1; 0 is the output */
    uint32_t push_bytes; /* size of its push-constant block */
} lo_vk_shader_info;

const lo_vk_shader_info *lo_vk_shader_get(lo_vk_shader shader);

/* Invocations per work-group of the one-output-per-invocation shaders; tiles of conv and gemm. */
#define LO_VK_GROUP_SIZE 64u
#define LO_VK_TILE       32u
/* conv_pool_tiled.comp's tile: LO_VK_TILE channels x 64 pooled pixels; for groups of at most
 * 16 output channels conv_pool_tiled_short.comp's: 16 x 128. */
#define LO_VK_POOL_TILE       64u
#define LO_VK_POOL_SHORT_ROWS 16u
#define LO_VK_POOL_SHORT_TILE 128u
/* Their *_several variants, several window positions per pass, run grids of fewer work-groups
 * than this (measured on an H200, LeNet: conv2 at batch 64 and 256, 25 and 100 work-groups,
 * 0.145 ms against 0.185 in one position per pass; conv1 at batch 256, 392 work-groups, 0.109
 * against 0.070; at 4096 both convs 1.1-1.3 ms against 0.75), where the device has the
 * shared memory they declare (the most: 18.9 KB, past Vulkan's guaranteed 16 KiB). */
#define LO_VK_POOL_SEVERAL_BELOW        256u
#define LO_VK_POOL_SEVERAL_SHARED_BYTES 18944u
/* Grids of fewer tiles than this run conv_pool_direct.comp, one invocation per output (H200,
 * LeNet at batch 1: conv1 in 2 tiles 0.057 ms against 0.028, conv2 in 1 tile 0.145 against
 * 0.123; at batch 64, 98 and 25 tiles, the tiles were as fast or faster). */
#define LO_VK_POOL_DIRECT_BELOW 16u

/* How a Conv+MaxPool runs: by its grid as above, or as LENET_ONNX_VK_POOL_FORM=direct, one or
 * several forces (the tests run each). */
typedef enum lo_vk_pool_form {
    LO_VK_POOL_BY_GRID,
    LO_VK_POOL_DIRECT,
    LO_VK_POOL_ONE,
    LO_VK_POOL_SEVERAL
} lo_vk_pool_form;
/* Softmax lines at least this long take a work-group each. */
#define LO_VK_WIDE_SOFTMAX 256

/* ---- the context (vk_device.c) ---- */

#define LO_VK_MAX_BINDINGS 8 /* Conv/Gemm 5, BatchNorm 6; a Concat runs one input at a time */
#define LO_VK_PUSH_BYTES   128u
#define LO_VK_PUSH_WORDS   (LO_VK_PUSH_BYTES / 4u)

struct lo_backend_context {
    lo_vk_api api;
    VkInstance instance;
    VkDebugUtilsMessengerEXT messenger; /* LENET_ONNX_VK_VALIDATION only */
    VkPhysicalDevice physical;
    VkPhysicalDeviceProperties properties;
    VkPhysicalDeviceMemoryProperties memory;
    VkDevice device;
    VkQueue queue;
    uint32_t queue_family;
    uint32_t timestamp_bits; /* 0: the queue cannot time steps */
    lenet_onnx_device_desc desc;
    size_t alignment;
    /* Conv and Gemm as shared-memory tiles (GPUs) or register blocks without barriers (CPU
     * devices such as lavapipe); LENET_ONNX_VK_TILED=1 or 0 overrides the device type. */
    bool tiled;
    /* LENET_ONNX_VK_STAGING=1: never map device buffers, so the staging path that discrete GPUs
     * without host-visible device memory take is tested on any device. */
    bool force_staging;
    lo_vk_pool_form pool_form; /* LENET_ONNX_VK_POOL_FORM */

    /* Guards the queue (submits), the pipelines and their cache, and the transfer pool:
     * sessions on several threads share one context. */
    pthread_mutex_t lock;
    VkCommandPool transfer_pool;
    VkDescriptorSetLayout set_layouts[LO_VK_MAX_BINDINGS + 1]; /* by binding count */
    VkPipelineLayout pipeline_layouts[LO_VK_MAX_BINDINGS + 1];
    VkPipeline pipelines[LO_VK_NUM_SHADERS];
    VkPipelineCache pipeline_cache;
    bool pipeline_cache_dirty;
    char pipeline_cache_path[4096]; /* "" when the disk cache is off */
};

struct lo_backend_buffer {
    lo_backend_context *ctx;
    VkBuffer buffer;
    VkDeviceMemory memory;
    size_t bytes;
    void *mapped; /* host-visible, coherent memory mapped once; NULL: staging copies */
};

/* Every physical device, in the driver's order (0 devices, not an error, without a loader or
 * driver); opening device `index` of that list; closing. */
lo_status lo_vk_list_devices(lenet_onnx_device_desc *devices, size_t capacity, size_t *count,
                             lo_error *err);
lo_status lo_vk_open(uint32_t index, lo_backend_context **out, lo_error *err);
void lo_vk_close(lo_backend_context *ctx);

/* ---- vk_memory.c: buffers and host transfers ---- */

typedef enum lo_vk_memory_use {
    LO_VK_MEMORY_DEVICE, /* device-local, mapped when also host-visible and coherent */
    LO_VK_MEMORY_HOST,   /* host-visible and coherent, always mapped (staging) */
} lo_vk_memory_use;

lo_status lo_vk_buffer_create(lo_backend_context *ctx, size_t bytes, lo_vk_memory_use use,
                              lo_backend_buffer **out, lo_error *err);
void lo_vk_buffer_destroy(lo_backend_buffer *buffer);
/* Blocking copies between host memory and (buffer, offset): memcpy when mapped, else through a
 * staging buffer and one submit. */
lo_status lo_vk_buffer_write(lo_backend_buffer *buffer, size_t offset, const void *data,
                             size_t bytes, lo_error *err);
lo_status lo_vk_buffer_read(lo_backend_buffer *buffer, size_t offset, void *data, size_t bytes,
                            lo_error *err);

/* ---- vk_pipeline.c: pipelines, their layouts and the on-disk pipeline cache ---- */

/* Layouts for every binding count, and the pipeline cache read from disk. */
lo_status lo_vk_pipelines_init(lo_backend_context *ctx, lo_error *err);
/* Destroys what lo_vk_pipelines_init and lo_vk_pipeline made, saving the cache when it grew. */
void lo_vk_pipelines_release(lo_backend_context *ctx);
/* The pipeline of `shader`, created on first use (the caller holds ctx->lock). */
lo_status lo_vk_pipeline(lo_backend_context *ctx, lo_vk_shader shader, VkPipeline *out,
                         lo_error *err);
/* Writes the pipeline cache to disk when pipelines were added (the caller holds ctx->lock). */
void lo_vk_pipeline_cache_save(lo_backend_context *ctx);

/* ---- vk_steps.c: what each step kind runs ---- */

typedef enum lo_vk_buffer_kind {
    LO_VK_ARENA = 0,
    LO_VK_CONSTANTS = 1,
} lo_vk_buffer_kind;

/* A storage-buffer range one dispatch binds. */
typedef struct lo_vk_range {
    lo_vk_buffer_kind buffer;
    size_t offset; /* bytes, a multiple of the context's alignment */
    size_t bytes;
} lo_vk_range;

/* One dispatch (or buffer copy) of a step: pipeline, bindings, push constants, grid. */
typedef struct lo_vk_dispatch {
    int step;
    lo_vk_shader shader;
    uint32_t num_bindings;
    lo_vk_range bindings[LO_VK_MAX_BINDINGS]; /* 0 is written, the others read */
    uint32_t push[LO_VK_PUSH_WORDS];
    uint32_t groups[3];
} lo_vk_dispatch;

/* How prepare lays out a constant a kernel reads. */
typedef enum lo_vk_layout {
    LO_VK_LAYOUT_PLAIN = 0, /* the model's bytes */
    LO_VK_LAYOUT_CONV_W,    /* [group][C/group*KH*KW][M/group]: output channels contiguous */
    LO_VK_LAYOUT_TRANSPOSE, /* a [rows, cols] matrix stored as [cols, rows] */
    LO_VK_LAYOUT_GENERATED, /* bytes made at prepare (MatMul's batch offsets) */
} lo_vk_layout;

typedef struct lo_vk_constant_slot {
    int constant; /* plan->constants index; -1 for generated bytes */
    lo_vk_layout layout;
    int64_t groups; /* LO_VK_LAYOUT_CONV_W */
    void *generated;
    size_t offset, bytes;
} lo_vk_constant_slot;

/* What turning a plan's steps into dispatches produces. */
typedef struct lo_vk_program {
    const lo_plan *plan;
    size_t alignment;
    lo_vk_dispatch *dispatches;
    int num_dispatches, dispatch_capacity;
    lo_vk_constant_slot *slots;
    int num_slots, slot_capacity;
    size_t constant_bytes;
} lo_vk_program;

/* LO_OK when the context can run the step; LO_ERR_UNSUPPORTED with the reason otherwise. */
lo_status lo_vk_supports(const lo_backend_context *ctx, const lo_step *step, lo_error *err);
/* Appends the dispatches of every step of the plan and the constant slots they read. */
lo_status lo_vk_program_build(const lo_backend_context *ctx, const lo_plan *plan,
                              lo_vk_program *program, lo_error *err);
/* Writes every slot's bytes, in its layout, into `image` (program->constant_bytes long). */
void lo_vk_program_fill_constants(const lo_vk_program *program, unsigned char *image);
void lo_vk_program_free(lo_vk_program *program);

/* ---- vk_prepared.c: recording, running and releasing a plan ---- */

lo_status lo_vk_prepare(lo_backend_context *ctx, const lo_plan *plan, lo_backend_buffer *arena,
                        lo_prepared **out, lo_error *err);
lo_status lo_vk_run(lo_prepared *prepared, const void *const *inputs, void *const *outputs,
                    double *step_ms, lo_error *err);
void lo_vk_release(lo_prepared *prepared);
/* The constants' buffer's bytes: every constant the dispatches read, in their layouts. */
uint64_t lo_vk_constant_bytes(const lo_prepared *prepared);

#endif
