/* The scheduler: turns a graph that went through the passes into a plan a backend can run.
 * It lowers every remaining compute node to a step in node order (already topological),
 * folds a MaxPool into the Conv before it and chains a small batch's classifier Gemms into one
 * step where that is legal and the backend runs the fused step, validates each step once, asks the
 * backend whether it runs it, works out every activation's lifetime from what the steps read,
 * places them in one arena with the greedy planner, and lists the constants the steps read (the
 * model's own bytes, never copied). */
#ifndef LO_SCHEDULE_H
#define LO_SCHEDULE_H

#include "backend.h"
#include "ir.h"
#include "planner.h"
#include "step.h"

typedef struct lo_schedule {
    lo_step *steps;
    int *step_nodes; /* the graph node each step came from */
    /* The graph tensor each step writes: its node's first output; for a Conv that took a
     * MaxPool in as its epilogue, the pool's output. */
    int *step_outputs;
    int (*step_reads)[LO_STEP_MAX_INPUTS]; /* per step: the graph tensor behind each input */
    int num_steps;
    lo_tensor_ref *inputs; /* one per graph input, in graph order */
    int num_inputs;
    lo_tensor_ref *outputs; /* one per graph output, in graph order */
    int num_outputs;
    lo_plan_buffer *buffers; /* the arena's buffers as placed (emptied ones: size 0) */
    int *tensor_buffer;      /* per graph tensor: its arena buffer, or -1 */
    int num_buffers;
    lo_plan_constant *constants; /* what steps read: data points into the graph's blobs */
    int *constant_tensors;       /* the graph tensor of each constant */
    int num_constants;
    size_t constant_bytes; /* the constants' bytes as the model holds them */
    size_t arena_bytes;
    size_t naive_arena_bytes; /* every activation one after another */
    /* The lower bound of any placement of these buffers (after in-place sharing): the most
     * bytes alive at one step. */
    size_t peak_live_bytes;
    size_t alignment;
} lo_schedule;

typedef struct lo_schedule_options {
    const lo_backend *backend;         /* NULL: no support check (the load-time trial plan) */
    const lo_backend_context *context; /* the backend's device, when backend is set */
    size_t alignment;                  /* arena offsets' alignment (0 acts as 1) */
    bool reuse;                        /* false: every tensor its own slot, nothing reused */
} lo_schedule_options;

lo_status lo_schedule_build(const lo_graph *graph, const lo_schedule_options *options,
                            lo_schedule *out, lo_error *err);
void lo_schedule_free(lo_schedule *schedule);

/* The schedule as a plan for lo_backend.prepare (pointers into the schedule and the graph,
 * which must outlive prepare). */
lo_plan lo_schedule_plan(const lo_schedule *schedule, bool profiling);

#endif
