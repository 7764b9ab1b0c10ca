/* The objects behind the public handles. */
#ifndef LO_SESSION_H
#define LO_SESSION_H

#include <stdatomic.h>

#include "backend.h"
#include "ir.h"
#include "schedule.h"

struct lenet_onnx_context {
    const lo_backend *backend;
    lo_backend_context *device;
    /* The host's reference plus one per session: the device closes when the last goes. */
    atomic_int references;
};

struct lenet_onnx_model {
    lo_graph *graph; /* validated, shapes as the model declares them; never modified */
};

struct lenet_onnx_session {
    lenet_onnx_context *context;
    lo_graph *graph; /* the session's own copy: batch bound, passes run */
    lo_schedule schedule;
    lo_backend_buffer *arena;
    lo_backend_buffer *weights;
    lo_prepared *prepared;
    bool profiling;
    double *step_ms; /* last run's per-step times when profiling */
    bool has_timings;
    atomic_bool running; /* set while a thread is inside session_run */
};

/* A context holds one reference when made; lo_context_release drops one and closes the
 * device and frees the context when none is left. */
void lo_context_retain(lenet_onnx_context *context);
void lo_context_release(lenet_onnx_context *context);

/* Validates a freshly loaded graph: every op known to the op table at its version with only
 * known attributes, and the whole graph plannable at the default batch. */
lo_status lo_model_validate(const lo_graph *graph, lo_error *err);

lo_status lo_session_create(lenet_onnx_context *context, const lo_graph *model_graph, int64_t batch,
                            bool profiling, lenet_onnx_session **out, lo_error *err);
void lo_session_release(lenet_onnx_session *session);
lo_status lo_session_run(lenet_onnx_session *session, const void *const *inputs,
                         void *const *outputs, lo_error *err);
/* Writes the plan as text; returns the length it needs (snprintf-style). */
size_t lo_session_describe(const lenet_onnx_session *session, char *text, size_t size);

/* The public description of a graph input or output. */
void lo_tensor_info(const lo_tensor *tensor, lenet_onnx_tensor_info *info);

#endif
