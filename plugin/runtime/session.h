/* The objects behind the public handles. */
#ifndef LO_SESSION_H
#define LO_SESSION_H

#include <stdatomic.h>

#include "backend.h"
#include "context.h"
#include "ir.h"
#include "schedule.h"

struct lenet_onnx_model {
    lo_graph *graph; /* validated, shapes as the model declares them; never modified */
};

struct lenet_onnx_session {
    lenet_onnx_context *context;
    /* The session's own copy: batch bound, passes run; its constants share the model's bytes. */
    lo_graph *graph;
    lo_schedule schedule;
    lo_backend_buffer *arena;
    lo_prepared *prepared;
    bool profiling;
    bool keep_intermediates;
    bool has_run;    /* a run completed: the arena holds its tensors */
    double *step_ms; /* last run's per-step times when profiling */
    bool has_timings;
    atomic_bool running; /* set while a thread is inside session_run */
};


/* Validates a freshly loaded graph: every op known to the op table at its version with only
 * known attributes, and the whole graph plannable at the default batch. */
lo_status lo_model_validate(const lo_graph *graph, lo_error *err);

typedef struct lo_session_config {
    int64_t batch;           /* 0: the model's static batch, or 1 */
    bool profiling;          /* time every step */
    bool keep_intermediates; /* no arena reuse: every step output stays readable */
} lo_session_config;

lo_status lo_session_create(lenet_onnx_context *context, const lo_graph *model_graph,
                            const lo_session_config *config, lenet_onnx_session **out,
                            lo_error *err);
/* Step k's output after the last run (keep_intermediates sessions only). */
lo_status lo_session_read_step_output(lenet_onnx_session *session, int step, void *data,
                                      size_t size, lo_error *err);
void lo_session_release(lenet_onnx_session *session);
lo_status lo_session_run(lenet_onnx_session *session, const void *const *inputs,
                         void *const *outputs, lo_error *err);
/* Writes the plan as text; returns the length it needs (snprintf-style). */
size_t lo_session_describe(const lenet_onnx_session *session, char *text, size_t size);

/* The public description of a graph input or output. */
void lo_tensor_info(const lo_tensor *tensor, lenet_onnx_tensor_info *info);

#endif
