/* Shared declarations of the OpenCL backend (cl/). Only files of this folder include it: it is
 * the one place that pulls in the OpenCL headers, pinned to the 1.2 API.
 */
#ifndef LO_CL_INTERNAL_H
#define LO_CL_INTERNAL_H

#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"

/* ---- cl_errors.c ---- */

/* "CL_OUT_OF_RESOURCES" for -5; "CL_UNKNOWN_ERROR(-9999)" for a code no header names (valid
 * until the same thread asks again). */
const char *lo_cl_error_name(cl_int code);

/* LO_ERR_NO_MEMORY for the allocation failures, LO_ERR_DEVICE for everything else. */
lo_status lo_cl_status_of(cl_int code);

/* ---- cl_device.c ---- */

/* Fills `devices` (up to capacity) with every device of every platform, in order. */
lo_status lo_cl_list_devices(lenet_onnx_device_info *devices, size_t capacity, size_t *count,
                             lo_error *err);

/* Finds the device the selection names; *info receives its description. */
lo_status lo_cl_find_device(lenet_onnx_device_select select, uint32_t index,
                            cl_platform_id *platform, cl_device_id *device,
                            lenet_onnx_device_info *info, lo_error *err);

/* ---- cl_program.c ---- */

typedef struct lo_cl_program_entry {
    const char *name; /* a kernels/<name>.cl source: static storage */
    char *options;
    cl_program program;
} lo_cl_program_entry;

typedef struct lo_cl_program_cache {
    pthread_mutex_t lock; /* sessions on several threads prepare against one context */
    lo_cl_program_entry *entries;
    size_t count, capacity;
} lo_cl_program_cache;

/* ---- the context and buffers (cl_backend.c) ---- */

struct lo_backend_context {
    cl_platform_id platform;
    cl_device_id device;
    cl_context context;
    lenet_onnx_device_info info;
    cl_device_type type;
    size_t max_work_group_size;
    cl_ulong local_mem_bytes;
    cl_ulong max_alloc_bytes;
    cl_uint preferred_float_width; /* CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT */
    bool generic_only;             /* LENET_ONNX_CL_GENERIC=1: no blocked fast paths */
    size_t alignment;              /* CL_DEVICE_MEM_BASE_ADDR_ALIGN in bytes */
    /* Blocking buffer copies share one queue, so they are serialised by a lock. */
    cl_command_queue transfer_queue;
    pthread_mutex_t transfer_lock;
    lo_cl_program_cache programs;
};

/* A 0-byte buffer holds mem == NULL: OpenCL cannot create one, and nothing reads it. */
struct lo_backend_buffer {
    lo_backend_context *context;
    cl_mem mem;
    size_t bytes;
};

void lo_cl_programs_init(lo_cl_program_cache *cache);
void lo_cl_programs_release(lo_cl_program_cache *cache);

/* The embedded source of kernels/<name>.cl, or NULL. */
const char *lo_cl_kernel_source(const char *name, size_t *length);

/* Returns the context's program for (name, options), building it (or loading it from the
 * on-disk binary cache) on first use. The program stays owned by the context. */
lo_status lo_cl_get_program(lo_backend_context *ctx, const char *name, const char *options,
                            cl_program *out, lo_error *err);

/* Builds `source` for the context's device, through the binary cache; the caller owns the
 * result. `name` only labels messages. Tests call it with a broken source. */
lo_status lo_cl_build_program(lo_backend_context *ctx, const char *name, const char *source,
                              size_t length, const char *options, cl_program *out, lo_error *err);

/* ---- cl_launch.c ---- */

/* One planned step turned into one kernel launch with every argument bound. */
typedef struct lo_cl_launch {
    cl_kernel kernel;
    cl_uint dims;
    size_t global[3];
    size_t local[3];
    bool empty;          /* no element to compute: nothing is enqueued */
    cl_mem extra;        /* weights re-laid out at prepare, owned here, or NULL */
    const char *variant; /* which kernel ran, for traces */
    char node_name[128]; /* copies: the plan may not outlive the prepared object */
    char label[64];
} lo_cl_launch;

lo_status lo_cl_step_supported(const lo_backend_context *ctx, const lo_step *step, lo_error *err);

/* Where a step's tensors live: the device buffers of the arena and the weights. */
typedef struct lo_cl_buffers {
    cl_mem arena;
    size_t arena_bytes;
    cl_mem weights;
    size_t weights_bytes;
    const void *weights_host; /* the plan's host image of the weights, for re-layouts */
} lo_cl_buffers;

lo_status lo_cl_launch_prepare(lo_backend_context *ctx, const lo_step *step,
                               const lo_cl_buffers *buffers, lo_cl_launch *out, lo_error *err);
void lo_cl_launch_release(lo_cl_launch *launch);

#endif
