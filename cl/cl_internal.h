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

/* The backend's entry (cl_backend.c), which the build's registry lists. */
const lo_backend *lo_opencl_backend(void);

/* ---- cl_errors.c ---- */

/* "CL_OUT_OF_RESOURCES" for -5; "CL_UNKNOWN_ERROR(-9999)" for a code no header names (valid
 * until the same thread asks again). */
const char *lo_cl_error_name(cl_int code);

/* LO_ERR_NO_MEMORY for the allocation failures, LO_ERR_DEVICE for everything else. */
lo_status lo_cl_status_of(cl_int code);

/* ---- cl_device.c ---- */

/* Fills `devices` (up to capacity) with every device of every platform, in order; *count is
 * the total. No ICD or no platform is 0 devices, not an error. */
lo_status lo_cl_list_devices(lenet_onnx_device_desc *devices, size_t capacity, size_t *count,
                             lo_error *err);

/* A device's CL_DEVICE_MEM_BASE_ADDR_ALIGN (bits) as the arena alignment in bytes. */
uint32_t lo_cl_alignment_of(cl_uint align_bits);

/* Device `index` of lo_cl_list_devices' list; *desc receives its description. */
lo_status lo_cl_find_device(uint32_t index, cl_platform_id *platform, cl_device_id *device,
                            lenet_onnx_device_desc *desc, lo_error *err);

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

/* ---- device copies of constants shared by a context's plans (cl_constant_cache.c) ---- */

/* A constant's device copy is named by the plan constant ids it is made of (a blocked Conv's
 * packed weights and bias: two; 0 for none) and its layout: a text holding every parameter the
 * bytes depend on ("plain", "conv v16 g1 m16 c3 k5x5"). */
/* Constant ids a re-laid-out buffer may be made from (a Gemm chain's B and C per layer). */
#define LO_CL_KEY_IDS 6
typedef struct lo_cl_constant_key {
    uint64_t ids[LO_CL_KEY_IDS];
    char layout[96];
} lo_cl_constant_key;

typedef struct lo_cl_constant_entry {
    lo_cl_constant_key key;
    cl_mem mem;
    size_t refs;
    bool shared; /* found by key: false for constants without an id (private to one user) */
} lo_cl_constant_entry;

typedef struct lo_cl_constant_cache {
    pthread_mutex_t lock;
    lo_cl_constant_entry *entries;
    size_t count, capacity;
    size_t uploads; /* buffers created so far: tests check that a second plan adds none */
} lo_cl_constant_cache;

/* ---- the context and buffers (cl_backend.c) ---- */

/* Whether plans run as one network kernel (cl_network.c): LENET_ONNX_CL_NETWORK=1 or 0 forces
 * it on (where every step has a form) or off; unset, the automatic choice. */
typedef enum lo_cl_network_mode {
    LO_CL_NETWORK_AUTO = 0,
    LO_CL_NETWORK_ON,
    LO_CL_NETWORK_OFF,
} lo_cl_network_mode;

struct lo_backend_context {
    cl_platform_id platform;
    cl_device_id device;
    cl_context context;
    lenet_onnx_device_desc desc;
    cl_device_type type;
    size_t max_work_group_size;
    cl_ulong local_mem_bytes;
    cl_ulong max_alloc_bytes;
    cl_uint preferred_float_width; /* CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT */
    bool generic_only;             /* LENET_ONNX_CL_GENERIC=1: no blocked fast paths */
    /* Conv and Gemm take the local-memory tiled kernels (cl_launch_tiled.c): on GPUs unless
     * LENET_ONNX_CL_GENERIC is set; LENET_ONNX_CL_TILED=1 or 0 overrides both. */
    bool tiled;
    bool tiled_forced;  /* by LENET_ONNX_CL_TILED=1: tiled even where the grid is small */
    bool reduce_forced; /* LENET_ONNX_CL_REDUCE=1: the reduce kernels for every grid */
    lo_cl_network_mode network;
    cl_uint compute_units; /* CL_DEVICE_MAX_COMPUTE_UNITS */
    size_t alignment;      /* CL_DEVICE_MEM_BASE_ADDR_ALIGN in bytes */
    /* Blocking buffer copies share one queue, so they are serialised by a lock. */
    cl_command_queue transfer_queue;
    pthread_mutex_t transfer_lock;
    lo_cl_program_cache programs;
    lo_cl_constant_cache constants;
};

void lo_cl_constant_cache_init(lo_cl_constant_cache *cache);
void lo_cl_constant_cache_release(lo_cl_constant_cache *cache);

/* On a hit: one more reference to the device copy of key, in *out, and true. */
bool lo_cl_constant_acquire(lo_backend_context *ctx, const lo_cl_constant_key *key, cl_mem *out);

/* Uploads `bytes` of data as the device copy of key (one reference, in *out); when another
 * thread added the key meanwhile, takes a reference to that copy instead. */
lo_status lo_cl_constant_add(lo_backend_context *ctx, const lo_cl_constant_key *key,
                             const void *data, size_t bytes, cl_mem *out, lo_error *err);

/* Drops one reference to a copy from acquire or add (NULL: nothing); the last frees it. */
void lo_cl_constant_release(lo_backend_context *ctx, cl_mem mem);

/* How many device copies of constants the context has uploaded since it opened. */
size_t lo_cl_constant_uploads(lo_backend_context *ctx);

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

/* ---- cl_supports.c ---- */

/* LO_OK, or LO_ERR_UNSUPPORTED naming what the OpenCL kernels cannot run: a dtype, a fused
 * activation, a size past their 32-bit indexing. The step is already valid (step_validate). */
lo_status lo_cl_step_supported(const lo_backend_context *ctx, const lo_step *step, lo_error *err);

/* ---- cl_launch.c ---- */

/* One planned step turned into one kernel launch with every argument bound. */
typedef struct lo_cl_launch {
    cl_kernel kernel;
    cl_uint dims;
    size_t global[3];
    size_t local[3];
    bool empty;          /* no element to compute: nothing is enqueued */
    cl_mem extra;        /* constants in a blocked layout (a reference from the cache), or NULL */
    const char *variant; /* which kernel ran, for traces */
    char node_name[128]; /* copies: the plan may not outlive the prepared object */
    char label[64];
} lo_cl_launch;

/* Where a step's tensors live while a plan is prepared: the arena, and the buffer of each
 * constant read in its plain layout (see cl_constants.c). The plan's host bytes of the
 * constants are valid only during prepare; re-layouts read them from there. */
typedef struct lo_cl_buffers {
    cl_mem arena;
    size_t arena_bytes;
    const cl_mem *constant_mems; /* per plan constant: its plain copy, or NULL */
    const lo_plan *plan;
} lo_cl_buffers;

/* False when the launch chosen for the step reads input `input` only through a re-laid-out
 * copy of its own (a blocked kernel's packed constants), so the plain constant need not be
 * uploaded for it. */
bool lo_cl_reads_plain(const lo_backend_context *ctx, const lo_step *step, int input);

lo_status lo_cl_launch_prepare(lo_backend_context *ctx, const lo_step *step,
                               const lo_cl_buffers *buffers, lo_cl_launch *out, lo_error *err);
void lo_cl_launch_release(lo_backend_context *ctx, lo_cl_launch *launch);

/* ---- cl_constants.c ---- */

/* Gives every constant of the plan some launch reads in its plain layout a device copy from
 * the context's cache (uploaded on a miss): mems[c] holds a reference to constant c's copy,
 * NULL for the constants no launch reads plainly (and empty ones). The caller releases each
 * non-NULL mems[c] with lo_cl_constant_release, also after a failure. */
lo_status lo_cl_upload_constants(lo_backend_context *ctx, const lo_plan *plan, cl_mem *mems,
                                 lo_error *err);

/* Marks read[c] for every plan constant c a step reads (in its plain layout, with plain_only),
 * each step's reference checked against the constant it names: in range, the same byte count. */
lo_status lo_cl_constants_read(const lo_backend_context *ctx, const lo_plan *plan, bool plain_only,
                               bool *read, lo_error *err);

/* ---- cl_network.c: the whole plan as one kernel ---- */

/* What the one launch uses besides its kernel. */
typedef struct lo_cl_network {
    cl_program program; /* generated for the plan */
    cl_mem constants;   /* every constant a step reads, packed (a cache reference), or NULL */
    cl_mem scratch;     /* a Gemm chain's intermediate rows, or NULL */
} lo_cl_network;

/* Whether the plan runs as one kernel: every step has a work-group form, and the mode (or, when
 * automatic, the device and the plan's size) says so. When not, *why says why. */
bool lo_cl_network_choose(const lo_backend_context *ctx, const lo_plan *plan, char *why,
                          size_t size);
/* Generates and builds the plan's kernel into *launch (released as any launch), uploads the
 * constants the steps read packed into one buffer (shared through the context's cache; no
 * plain copies are needed), and binds the arguments. */
lo_status lo_cl_prepare_network(lo_backend_context *ctx, const lo_plan *plan,
                                const lo_cl_buffers *buffers, lo_cl_launch *launch,
                                lo_cl_network *out, lo_error *err);
void lo_cl_network_release(lo_backend_context *ctx, lo_cl_network *network);

#endif
