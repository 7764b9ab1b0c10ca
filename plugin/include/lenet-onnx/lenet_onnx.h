/* lenet-onnx public C ABI.
 *
 * A host obtains every function through one table returned by lenet_onnx_get_api(), so the
 * library exports a single symbol and new functions are appended without breaking older hosts.
 * Structs passed in carry their own size (struct_size, 0 meaning "the size this header
 * declares") so that newer plugins keep accepting older hosts' structs.
 *
 * Compatibility: the table and the option structs only ever grow at their end, never reorder.
 * A host checks api->struct_size before using a slot newer than the ABI it asked for. ABI 2
 * appended set_host_hooks and lenet_onnx_host_hooks. ABI 3 made backends a registry chosen by
 * name (list_backends, list_backend_devices, context_options.backend_name, device choice by
 * type or name) with API-neutral device descriptions (lenet_onnx_device_desc). ABI 4 appended
 * session_step_cost and session_memory (what a plan computes and what memory it holds).
 *
 * Threading: concurrent runs on different sessions are safe; one session is used by one thread
 * at a time: a session_run that finds the session running on another thread returns
 * LENET_ONNX_ERROR_BUSY at once, touching nothing (outputs unwritten). Models are immutable
 * once loaded and may be shared between sessions and threads; contexts may be shared between
 * threads (sessions are created and released under it concurrently). set_host_hooks is the
 * exception: see there.
 *
 * Lifetimes: a session holds a reference to its context, so context_release may come before
 * the sessions' release: the context (and its device) is closed when the last of its sessions
 * is released. A session does not reference its model: the model may be released as soon as
 * session_create returns. Releasing a session while another thread runs it is the host's bug.
 *
 * Errors: every function returns a status; when the last argument `err` is not NULL it receives
 * the status and a message naming the file, node, op and attribute at fault. The library never
 * prints, aborts or exits.
 */
#ifndef LENET_ONNX_H
#define LENET_ONNX_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LENET_ONNX_ABI_VERSION 4u

typedef enum lenet_onnx_status {
    LENET_ONNX_OK = 0,
    LENET_ONNX_ERROR_INVALID_ARGUMENT = 1, /* a caller passed something wrong */
    LENET_ONNX_ERROR_IO = 2,               /* a file could not be read */
    LENET_ONNX_ERROR_INVALID_MODEL = 3,    /* the bytes are not a valid ONNX model */
    LENET_ONNX_ERROR_UNSUPPORTED = 4,      /* a valid model uses something not implemented */
    LENET_ONNX_ERROR_OUT_OF_MEMORY = 5,
    LENET_ONNX_ERROR_DEVICE = 6, /* the compute device or its driver failed */
    LENET_ONNX_ERROR_ABI = 7,    /* the host asked for an ABI this library does not provide */
    LENET_ONNX_ERROR_LIMIT = 8,  /* a model exceeds a load limit (the message names it) */
    LENET_ONNX_ERROR_BUSY = 9,   /* the session is running on another thread: nothing was done */
} lenet_onnx_status;

#define LENET_ONNX_MESSAGE_SIZE 1024

typedef struct lenet_onnx_error {
    lenet_onnx_status status;
    char message[LENET_ONNX_MESSAGE_SIZE];
} lenet_onnx_error;

/* Before ABI 3 backends were chosen by this enum; it still works (DEFAULT is automatic, the
 * others name "opencl" and "vulkan"), but context_options.backend_name supersedes it and
 * reaches every backend of the build (list_backends). */
typedef enum lenet_onnx_backend_kind {
    LENET_ONNX_BACKEND_DEFAULT = 0, /* automatic: see context_options.backend_name */
    LENET_ONNX_BACKEND_OPENCL = 1,
    LENET_ONNX_BACKEND_VULKAN = 2,
} lenet_onnx_backend_kind;
/* The backend name each kind selects, indexed by kind (NULL: automatic). */
#define LENET_ONNX_BACKEND_KIND_NAMES {NULL, "opencl", "vulkan"}

typedef enum lenet_onnx_device_type {
    LENET_ONNX_DEVICE_TYPE_OTHER = 0,
    LENET_ONNX_DEVICE_TYPE_CPU = 1,
    LENET_ONNX_DEVICE_TYPE_GPU = 2,
    LENET_ONNX_DEVICE_TYPE_ACCELERATOR = 3,
} lenet_onnx_device_type;

/* The device description of ABI 1 and 2 (list_devices, context_device). `platform` holds the
 * driver's own grouping (the OpenCL platform's name; the driver's name elsewhere). New hosts
 * use lenet_onnx_device_desc. */
typedef struct lenet_onnx_device_info {
    uint32_t index; /* position in the backend's device list */
    lenet_onnx_device_type type;
    char name[128];
    char platform[128];
    char driver_version[64];
    uint64_t global_memory_bytes;
    uint32_t base_address_alignment_bytes;
} lenet_onnx_device_info;

/* A device of one backend, in terms every compute API shares (ABI 3). */
typedef struct lenet_onnx_device_desc {
    uint32_t struct_size; /* set by the library: sizeof(lenet_onnx_device_desc) it knows */
    char backend[32];     /* the backend's name: "opencl", "ref", ... */
    uint32_t index;       /* position in that backend's device list */
    lenet_onnx_device_type type;
    char name[128];           /* "NVIDIA GeForce RTX 4090", "cpu-haswell-AMD EPYC ..." */
    char driver[128];         /* who drives it: the OpenCL platform, the Vulkan driver, ... */
    char driver_version[64];  /* as the driver reports it */
    uint64_t memory_bytes;    /* device memory (host memory for CPU devices) */
    uint32_t alignment_bytes; /* arena offsets are multiples of this */
} lenet_onnx_device_desc;

typedef enum lenet_onnx_device_select {
    LENET_ONNX_DEVICE_AUTO = 0,  /* the first GPU, else the first device */
    LENET_ONNX_DEVICE_INDEX = 1, /* device_index in the backend's device list */
    LENET_ONNX_DEVICE_TYPE = 2,  /* the first device of device_type (ABI 3) */
    LENET_ONNX_DEVICE_NAME = 3,  /* the first device whose name contains device_name (ABI 3) */
} lenet_onnx_device_select;

typedef struct lenet_onnx_context_options {
    uint32_t struct_size; /* 0: sizeof(lenet_onnx_context_options) of this header */
    lenet_onnx_backend_kind backend; /* ABI 1-2; ignored when backend_name is set */
    lenet_onnx_device_select device_select;
    uint32_t device_index;
    /* ---- ABI 3 ---- */
    /* A backend of list_backends, or NULL / "" / "auto": the first backend, in the build's
     * order, that has a device matching device_select (for AUTO: a GPU; failing that, any
     * device of the first backend that has one). */
    const char *backend_name;
    lenet_onnx_device_type device_type; /* LENET_ONNX_DEVICE_TYPE */
    const char *device_name;            /* LENET_ONNX_DEVICE_NAME: a case-sensitive substring */
} lenet_onnx_context_options;

typedef struct lenet_onnx_session_options {
    uint32_t struct_size; /* 0: sizeof(lenet_onnx_session_options) of this header */
    uint32_t batch_size;  /* 0: the model's static batch, or 1 when the batch is dynamic */
    uint32_t profiling;   /* nonzero: time every step (adds one wait per step) */
    /* ---- ABI 3 ---- */
    /* nonzero: give every step's output its own arena slot (no reuse, a larger arena) so that
     * session_read_step_output can read any of them after a run: per-node comparisons. */
    uint32_t keep_intermediates;
} lenet_onnx_session_options;

typedef enum lenet_onnx_dtype {
    LENET_ONNX_DTYPE_FLOAT32 = 1, /* values follow ONNX's TensorProto.DataType */
    LENET_ONNX_DTYPE_INT32 = 6,
    LENET_ONNX_DTYPE_INT64 = 7,
} lenet_onnx_dtype;

typedef enum lenet_onnx_layout {
    LENET_ONNX_LAYOUT_OTHER = 0,
    LENET_ONNX_LAYOUT_NCHW = 1,
    LENET_ONNX_LAYOUT_NHWC = 2,
} lenet_onnx_layout;

#define LENET_ONNX_MAX_RANK 8

typedef struct lenet_onnx_tensor_info {
    char name[128];
    lenet_onnx_dtype dtype;
    uint32_t rank;
    /* -1 where a model dimension is dynamic; a session's info is always static */
    int64_t dims[LENET_ONNX_MAX_RANK];
    lenet_onnx_layout layout; /* image inputs: NCHW, or NHWC when the last dim is 1 or 3 */
    uint64_t size_bytes;      /* 0 when a dimension is dynamic */
} lenet_onnx_tensor_info;

typedef enum lenet_onnx_io_kind {
    LENET_ONNX_INPUT = 0,
    LENET_ONNX_OUTPUT = 1,
} lenet_onnx_io_kind;

typedef struct lenet_onnx_session_stats {
    uint64_t arena_bytes;       /* one device buffer holding every activation */
    uint64_t naive_arena_bytes; /* the sum of every activation, had none been reused */
    uint64_t weights_bytes;     /* bytes of the constants the steps read, as the model holds
                                   them (a backend may hold them in another layout) */
    uint32_t step_count;        /* kernels launched per run */
    uint32_t ends_in_softmax;   /* nonzero when the graph's output is a Softmax */
} lenet_onnx_session_stats;

typedef struct lenet_onnx_step_timing {
    char node_name[128];
    char op_type[64]; /* the planned step, e.g. "Conv+Relu" */
    double milliseconds;
} lenet_onnx_step_timing;

/* One planned step (ABI 3): the node it runs and the tensor it writes. */
typedef struct lenet_onnx_step_info {
    char node_name[128];
    char op_type[64];              /* the planned step, e.g. "Conv+Relu" */
    lenet_onnx_tensor_info output; /* name, dtype, static shape, size_bytes */
} lenet_onnx_step_info;

/* One buffer of a session's arena (ABI 3): where it lies and the steps it is alive for. Tensors
 * sharing it (views, in-place steps) are named together, "a / b". */
typedef struct lenet_onnx_arena_entry {
    char tensors[128];
    uint64_t offset;
    uint64_t size_bytes;
    int32_t first_step; /* written by this step (0 for graph inputs, written before step 0) */
    int32_t last_step;  /* read last by this step (the last step for graph outputs) */
} lenet_onnx_arena_entry;

typedef enum lenet_onnx_log_level {
    LENET_ONNX_LOG_ERROR = 1,
    LENET_ONNX_LOG_WARNING = 2,
    LENET_ONNX_LOG_INFO = 3,  /* a model loaded, a device opened */
    LENET_ONNX_LOG_DEBUG = 4, /* program builds and cache use, every kernel launch planned */
} lenet_onnx_log_level;

/* Host-supplied allocator and logger (ABI 2), installed by set_host_hooks.
 *
 * Allocator: every host-memory allocation the library makes (model IR, protobuf decoding,
 * plans, sessions, the backend's host-side structures) goes through it; memory the OpenCL
 * driver allocates for itself does not. Either all three functions or none (the C library's).
 * malloc_fn and realloc_fn return NULL on failure; the library then fails the call with
 * LENET_ONNX_ERROR_OUT_OF_MEMORY and leaks nothing. Sizes are never 0.
 *
 * Logger: receives the library's diagnostic lines (one line or a build log per call, no
 * trailing newline) of level <= log_level (0: every level). Without a logger the library prints
 * nothing, unless LENET_ONNX_TRACE is set in the environment, when every line goes to stderr.
 * log_fn may be called from any thread that is inside the library. */
typedef struct lenet_onnx_host_hooks {
    uint32_t struct_size; /* 0: sizeof(lenet_onnx_host_hooks) of this header */
    void *alloc_user;     /* passed back to the three functions below */
    void *(*malloc_fn)(void *user, size_t size);
    void *(*realloc_fn)(void *user, void *ptr, size_t size);
    void (*free_fn)(void *user, void *ptr);
    void *log_user; /* passed back to log_fn */
    lenet_onnx_log_level log_level;
    void (*log_fn)(void *user, lenet_onnx_log_level level, const char *message);
} lenet_onnx_host_hooks;

/* What a model says about itself (ABI 3), as ONNX Runtime's SessionGetModelMetadata gives it.
 * Every string is owned by the model, valid until model_release, and "" when the model leaves
 * it out. */
typedef struct lenet_onnx_model_description {
    uint32_t struct_size; /* in: 0 or sizeof of the host's struct; that many bytes are filled */
    const char *producer_name; /* "pytorch", "tf2onnx", ... */
    const char *producer_version;
    const char *domain;
    const char *graph_name;
    const char *doc_string;
    const char *graph_doc_string;
    int64_t model_version;
    int64_t ir_version;
    int64_t opset;         /* the opset of the default ONNX domain */
    size_t metadata_count; /* entries of metadata_props: model_metadata_at */
} lenet_onnx_model_description;

/* Limits a model is held to while it loads and plans (ABI 3, model_load_*_with_limits). Each
 * one exceeded fails the call with LENET_ONNX_ERROR_LIMIT and a message naming the limit
 * (e.g. "max_tensor_elements"). 0 keeps the default given after each field. The work each
 * bounds is decided before it is done: a model never makes the library loop, recurse or
 * allocate past them. The plain model_load_file and model_load_bytes use every default. */
typedef struct lenet_onnx_load_options {
    uint32_t struct_size;         /* 0: sizeof(lenet_onnx_load_options) of this header */
    uint32_t max_nesting_depth;   /* protobuf messages nested in each other: 64 (at most 1000) */
    uint64_t max_model_bytes;     /* the serialised model (file or bytes): 1 GiB */
    uint64_t max_nodes;           /* nodes in the graph: 1,000,000 */
    uint32_t max_rank;            /* dims of any tensor: LENET_ONNX_MAX_RANK (also the most) */
    uint32_t reserved;            /* 0 */
    uint64_t max_tensor_elements; /* elements of any one tensor, inferred ones too: 2^28 */
    uint64_t max_weight_bytes;    /* every constant together, folded ones too: 1 GiB */
    uint64_t max_arena_bytes;     /* the activation arena of any plan (sessions too): 4 GiB */
} lenet_onnx_load_options;

/* What one planned step costs (ABI 4), counted by the library from the step's kind, parameters
 * and shapes, not measured: FLOPs with a multiply-add as 2 (a fused bias, activation or
 * MaxPool epilogue included; copies and layout steps 0) and the bytes a kernel must read and
 * write at least (each input once, constants included, and the output once). The rules are in
 * docs/abi.md. */
typedef struct lenet_onnx_step_cost {
    uint32_t struct_size; /* in: 0 or sizeof of the host's struct; that many bytes are filled */
    uint64_t flops;
    uint64_t bytes_read;
    uint64_t bytes_written;
} lenet_onnx_step_cost;

/* A session's memory (ABI 4). */
typedef struct lenet_onnx_session_memory {
    uint32_t struct_size; /* in: 0 or sizeof of the host's struct; that many bytes are filled */
    uint64_t arena_bytes; /* the one device buffer holding every activation */
    /* No placement can do better: the most (aligned) bytes of tensors alive at one step. */
    uint64_t arena_lower_bound_bytes;
    uint64_t naive_arena_bytes; /* every activation its own slot, nothing reused */
    /* The constants the steps read, as the model holds them (session_stats.weights_bytes). */
    uint64_t model_constant_bytes;
    /* Device memory the backend reads those constants from for this session's plan, in the
     * layouts its kernels read (a constant re-laid out and also read plain counts twice). A
     * backend may share these buffers between sessions of one model on one context (OpenCL
     * does): each session reports what its plan reads, so sessions' figures do not add up. */
    uint64_t device_constant_bytes;
} lenet_onnx_session_memory;

typedef struct lenet_onnx_context lenet_onnx_context;
typedef struct lenet_onnx_model lenet_onnx_model;
typedef struct lenet_onnx_session lenet_onnx_session;

typedef struct lenet_onnx_api {
    uint32_t abi_version; /* LENET_ONNX_ABI_VERSION of the library */
    uint32_t struct_size; /* sizeof(lenet_onnx_api) of the library: slots past it are absent */

    const char *(*version_string)(void);
    const char *(*status_name)(lenet_onnx_status status);

    /* Fills up to `capacity` entries and sets *count to the number of devices. */
    lenet_onnx_status (*list_devices)(lenet_onnx_backend_kind backend,
                                      lenet_onnx_device_info *devices, size_t capacity,
                                      size_t *count, lenet_onnx_error *err);
    lenet_onnx_status (*context_create)(const lenet_onnx_context_options *options,
                                        lenet_onnx_context **out, lenet_onnx_error *err);
    void (*context_release)(lenet_onnx_context *context);
    lenet_onnx_status (*context_device)(const lenet_onnx_context *context,
                                        lenet_onnx_device_info *out, const char **backend_name,
                                        lenet_onnx_error *err);

    lenet_onnx_status (*model_load_file)(const char *path, lenet_onnx_model **out,
                                         lenet_onnx_error *err);
    lenet_onnx_status (*model_load_bytes)(const void *data, size_t size, lenet_onnx_model **out,
                                          lenet_onnx_error *err);
    void (*model_release)(lenet_onnx_model *model);
    size_t (*model_io_count)(const lenet_onnx_model *model, lenet_onnx_io_kind kind);
    lenet_onnx_status (*model_io_info)(const lenet_onnx_model *model, lenet_onnx_io_kind kind,
                                       size_t index, lenet_onnx_tensor_info *out,
                                       lenet_onnx_error *err);

    /* Plans, uploads weights and builds kernels: every failure a run could hit is found here. */
    lenet_onnx_status (*session_create)(lenet_onnx_context *context, const lenet_onnx_model *model,
                                        const lenet_onnx_session_options *options,
                                        lenet_onnx_session **out, lenet_onnx_error *err);
    void (*session_release)(lenet_onnx_session *session);
    size_t (*session_io_count)(const lenet_onnx_session *session, lenet_onnx_io_kind kind);
    lenet_onnx_status (*session_io_info)(const lenet_onnx_session *session, lenet_onnx_io_kind kind,
                                         size_t index, lenet_onnx_tensor_info *out,
                                         lenet_onnx_error *err);
    /* inputs[i] holds session_io_info(INPUT, i).size_bytes bytes; outputs likewise. Inputs
     * are read during the call and never written; they must not change until it returns: a
     * host backend reads them where they lie, with no copy. */
    lenet_onnx_status (*session_run)(lenet_onnx_session *session, const void *const *inputs,
                                     void *const *outputs, lenet_onnx_error *err);
    lenet_onnx_status (*session_stats)(const lenet_onnx_session *session,
                                       lenet_onnx_session_stats *out, lenet_onnx_error *err);
    /* Human-readable plan (steps, shapes, arena offsets); writes at most `size` bytes including
     * the terminating NUL and sets *needed to the full length plus one. */
    lenet_onnx_status (*session_describe_plan)(const lenet_onnx_session *session, char *text,
                                               size_t size, size_t *needed, lenet_onnx_error *err);
    /* Timings of the last run of a session made with profiling on: up to `capacity` entries,
     * *count set to the number of steps. */
    lenet_onnx_status (*session_step_timings)(const lenet_onnx_session *session,
                                              lenet_onnx_step_timing *timings, size_t capacity,
                                              size_t *count, lenet_onnx_error *err);

    /* ---- ABI 2 ---- */

    /* Installs the host's allocator and logger process-wide (NULL: the defaults back). Call it
     * before anything else from one thread, while no other thread is inside the library: it is
     * refused with LENET_ONNX_ERROR_INVALID_ARGUMENT while any context, model or session is
     * alive, so every block is freed by the allocator that made it. */
    lenet_onnx_status (*set_host_hooks)(const lenet_onnx_host_hooks *hooks, lenet_onnx_error *err);

    /* ---- ABI 3 ---- */

    /* The backends compiled into this build, in the order automatic choice tries them: up to
     * `capacity` names (static strings) and *count set to how many there are. */
    lenet_onnx_status (*list_backends)(const char **names, size_t capacity, size_t *count,
                                       lenet_onnx_error *err);
    /* Devices of one backend (NULL: of every backend, in backend order). A backend whose
     * compute API is missing on this machine lists none. */
    lenet_onnx_status (*list_backend_devices)(const char *backend, lenet_onnx_device_desc *devices,
                                              size_t capacity, size_t *count,
                                              lenet_onnx_error *err);
    /* The device a context opened, with its backend's name. */
    lenet_onnx_status (*context_describe)(const lenet_onnx_context *context,
                                          lenet_onnx_device_desc *out, lenet_onnx_error *err);
    /* Step `step` (below session_stats.step_count) of the plan. */
    lenet_onnx_status (*session_step_info)(const lenet_onnx_session *session, size_t step,
                                           lenet_onnx_step_info *out, lenet_onnx_error *err);
    /* Copies step `step`'s output as the last run left it (size_bytes of its step info) into
     * data; only for sessions made with keep_intermediates, after a successful run. */
    lenet_onnx_status (*session_read_step_output)(lenet_onnx_session *session, size_t step,
                                                  void *data, size_t size, lenet_onnx_error *err);
    /* The arena's buffers: up to `capacity` entries, *count set to how many there are. */
    lenet_onnx_status (*session_arena_layout)(const lenet_onnx_session *session,
                                              lenet_onnx_arena_entry *entries, size_t capacity,
                                              size_t *count, lenet_onnx_error *err);

    /* ---- ABI 3 (model metadata) ---- */

    /* Producer, versions, doc strings and the number of metadata_props entries. */
    lenet_onnx_status (*model_describe)(const lenet_onnx_model *model,
                                        lenet_onnx_model_description *out, lenet_onnx_error *err);
    /* Sets *value to the value of metadata_props key `key`, or NULL when the model has no such
     * key (still LENET_ONNX_OK). The string lives as long as the model. */
    lenet_onnx_status (*model_metadata)(const lenet_onnx_model *model, const char *key,
                                        const char **value, lenet_onnx_error *err);
    /* The index-th metadata_props entry in model order (index < metadata_count). */
    lenet_onnx_status (*model_metadata_at)(const lenet_onnx_model *model, size_t index,
                                           const char **key, const char **value,
                                           lenet_onnx_error *err);
    /* The full name of an input or output (tensor_info.name keeps at most 127 bytes of it). */
    lenet_onnx_status (*model_io_name)(const lenet_onnx_model *model, lenet_onnx_io_kind kind,
                                       size_t index, const char **name, lenet_onnx_error *err);
    /* model_load_bytes for a model whose initializers keep their data in external files
     * (data_location = EXTERNAL): locations resolve in `base_dir`, as model_load_file resolves
     * them in the model file's folder. A location that is absolute, has a ".." component or
     * resolves (after symlinks) outside that folder is refused, as are offsets and lengths past
     * the file's end. base_dir NULL behaves as model_load_bytes: external data is refused. */
    lenet_onnx_status (*model_load_bytes_with_base)(const void *data, size_t size,
                                                    const char *base_dir, lenet_onnx_model **out,
                                                    lenet_onnx_error *err);

    /* ---- ABI 3 (limits and lifetimes) ---- */

    /* model_load_file and model_load_bytes under the host's limits (options NULL: the
     * defaults). A file is read only when it is a regular file no larger than
     * max_model_bytes: FIFOs, devices and directories are refused with LENET_ONNX_ERROR_IO. */
    lenet_onnx_status (*model_load_file_with_limits)(const char *path,
                                                     const lenet_onnx_load_options *options,
                                                     lenet_onnx_model **out, lenet_onnx_error *err);
    lenet_onnx_status (*model_load_bytes_with_limits)(const void *data, size_t size,
                                                      const lenet_onnx_load_options *options,
                                                      lenet_onnx_model **out,
                                                      lenet_onnx_error *err);

    /* ---- ABI 4 ---- */

    /* The cost of step `step` (below session_stats.step_count), as lenet_onnx_step_cost says;
     * the same for every backend. */
    lenet_onnx_status (*session_step_cost)(const lenet_onnx_session *session, size_t step,
                                           lenet_onnx_step_cost *out, lenet_onnx_error *err);
    /* The arena, its lower bound, and the constants in the model's and the device's bytes. */
    lenet_onnx_status (*session_memory)(const lenet_onnx_session *session,
                                        lenet_onnx_session_memory *out, lenet_onnx_error *err);
} lenet_onnx_api;

/* The one entry point. Returns NULL when abi_version is 0 or newer than this library provides;
 * any older abi_version gets the full table (it only ever grew at its end). */
const lenet_onnx_api *lenet_onnx_get_api(uint32_t abi_version);
typedef const lenet_onnx_api *(*lenet_onnx_get_api_fn)(uint32_t abi_version);

#ifdef __cplusplus
}
#endif

#endif
