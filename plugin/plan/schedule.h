/* The scheduler: turns a graph that went through the passes into a plan a backend can run.
 * It lowers every remaining compute node to a step in node order (already topological), asks
 * the backend whether it supports each step, works out every activation's lifetime, places
 * them in one arena with the greedy planner, and packs every constant a step or an output
 * reads into one weights image. */
#ifndef LO_SCHEDULE_H
#define LO_SCHEDULE_H

#include "backend.h"
#include "ir.h"
#include "step.h"

typedef struct lo_schedule {
    lo_step *steps;
    int *step_nodes; /* the graph node each step came from */
    int num_steps;
    lo_tensor_ref *inputs; /* one per graph input, in graph order */
    int num_inputs;
    lo_tensor_ref *outputs; /* one per graph output, in graph order */
    int num_outputs;
    unsigned char *weights;
    size_t weights_bytes;
    size_t arena_bytes;
    size_t naive_arena_bytes; /* every activation one after another */
    size_t alignment;
} lo_schedule;

/* `backend` and `context` may be NULL: no support check then (used at model load). */
lo_status lo_schedule_build(const lo_graph *graph, const lo_backend *backend,
                            const lo_backend_context *context, size_t alignment, lo_schedule *out,
                            lo_error *err);
void lo_schedule_free(lo_schedule *schedule);

/* The schedule as a plan for lo_backend.prepare (pointers into the schedule). */
lo_plan lo_schedule_plan(const lo_schedule *schedule, bool profiling);

#endif
