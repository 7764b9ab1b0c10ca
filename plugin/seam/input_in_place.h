/* Reading a graph input where the caller holds it, instead of copying it into the arena first
 * (a host backend's run, where a step can read any host pointer). The plan places each graph
 * input in the arena; its bytes stay the input's until the first step whose output overlaps
 * them. The input may stay where it is when every read of its bytes comes before that write
 * (those reads are sent to the caller's memory), and every read of those bytes after it, and
 * every graph output there, takes bytes that a step from that write on wrote whole: then no
 * one reads the copy, so none is made. Otherwise the input is copied, as before.
 */
#ifndef LO_INPUT_IN_PLACE_H
#define LO_INPUT_IN_PLACE_H

#include <stdbool.h>
#include <stddef.h>

#include "step.h"

/* A step input that reads a graph input where the caller holds it. */
typedef struct lo_input_read {
    int step, slot; /* plan->steps[step].inputs[slot] */
    int input;      /* the graph input */
    size_t delta;   /* bytes from the graph input's first byte */
} lo_input_read;

/* in_place[i] (num_inputs entries): graph input i is read in place. *reads (lo_malloc'd,
 * NULL when none; the caller frees it) lists the step inputs to send to the caller's memory,
 * *count of them. An empty graph input (0 bytes) is never in place. */
lo_status lo_plan_inputs_in_place(const lo_plan *plan, bool *in_place, lo_input_read **reads,
                                  int *count, lo_error *err);

#endif
