/* A constant Pad of the spatial dims that only feeds a Conv or a pooling (what PyTorch puts
 * before AveragePool, and Keras' ZeroPadding2D) folds into that op's own pads, saving a
 * kernel and a buffer: zero padding for Conv and for AveragePool counting padded pixels,
 * -inf padding for MaxPool. */
#include <math.h>
#include <string.h>

#include "op_table.h"
#include "op_util.h"
#include "passes.h"

/* The padding value under which the consumer's own padding behaves the same as the Pad's,
 * or NAN when there is none. */
static float neutral_value(const lo_graph *graph, const lo_node *consumer)
{
    int64_t ceil_mode = 0, include = 0;
    lo_error ignored;
    const char *auto_pad = "NOTSET";
    if (lo_attr_get_string(graph, consumer, "auto_pad", "NOTSET", &auto_pad, &ignored) != LO_OK ||
        strcmp(auto_pad, "NOTSET") != 0)
        return NAN;
    if (lo_node_is(consumer, "Conv")) return 0.0f;
    if (lo_attr_get_int(graph, consumer, "ceil_mode", 0, &ceil_mode, &ignored) != LO_OK ||
        ceil_mode)
        return NAN; /* clipped ceil-mode windows would count pixels differently */
    if (lo_node_is(consumer, "MaxPool")) return -INFINITY;
    if (lo_node_is(consumer, "AveragePool") &&
        lo_attr_get_int(graph, consumer, "count_include_pad", 0, &include, &ignored) == LO_OK)
        return 0.0f; /* made count_include_pad=1 below, when the pool had no pads of its own */
    return NAN;
}

static lo_status fold_one(lo_graph *graph, int pad_index, int consumer_index, lo_error *err)
{
    const lo_node *pad = &graph->nodes[pad_index];
    const lo_node *consumer = &graph->nodes[consumer_index];
    lo_step step;
    int reads[LO_STEP_MAX_INPUTS];
    lo_status st = lo_op_lower(graph, pad, lo_op_lookup(pad->domain, pad->op_type, pad->opset),
                               &step, reads, err);
    if (st != LO_OK) return st;
    const lo_pad_params *p = &step.params.pad;
    float neutral = neutral_value(graph, consumer);
    if (isnan(neutral) || p->value != neutral) return LO_OK;
    if (p->pad_begin[0] || p->pad_end[0] || p->pad_begin[1] || p->pad_end[1]) return LO_OK;
    for (int d = 2; d < 4; d++)
        if (p->pad_begin[d] < 0 || p->pad_end[d] < 0) return LO_OK;

    int64_t own[4] = {0, 0, 0, 0};
    size_t count = 0;
    if ((st = lo_attr_get_ints(graph, consumer, "pads", own, 4, &count, err)) != LO_OK) return st;
    if (count != 0 && count != 4) return LO_OK;
    if (lo_node_is(consumer, "AveragePool")) {
        int64_t include = 0;
        if ((st = lo_attr_get_int(graph, consumer, "count_include_pad", 0, &include, err)) != LO_OK)
            return st;
        bool has_own = own[0] || own[1] || own[2] || own[3];
        if (!include && has_own) return LO_OK; /* its own pads must stay uncounted */
        lo_attr counted = {.name = "count_include_pad", .type = LO_ATTR_INT, .i = 1, .tensor = -1};
        if ((st = lo_node_set_attr(graph, consumer_index, &counted, err)) != LO_OK) return st;
    }
    int64_t pads[4] = {own[0] + p->pad_begin[2], own[1] + p->pad_begin[3], own[2] + p->pad_end[2],
                       own[3] + p->pad_end[3]};
    lo_attr attr = {.name = "pads", .type = LO_ATTR_INTS, .ints = pads, .count = 4, .tensor = -1};
    if ((st = lo_node_set_attr(graph, consumer_index, &attr, err)) != LO_OK) return st;
    lo_node_rewire_input(graph, consumer_index, 0, graph->nodes[pad_index].inputs[0]);
    graph->nodes[pad_index].removed = true;
    return LO_OK;
}

lo_status lo_fold_pad_into_window(lo_graph *graph, lo_error *err)
{
    for (int n = 0; n < graph->num_nodes; n++) {
        const lo_node *pad = &graph->nodes[n];
        if (!lo_node_is(pad, "Pad") || pad->outputs[0] < 0) continue;
        const lo_tensor *x = lo_node_input(graph, pad, 0);
        if (!x || x->shape.rank != 4) continue;
        int next = lo_sole_consumer(graph, pad->outputs[0]);
        if (next < 0 || graph->nodes[next].inputs[0] != pad->outputs[0]) continue;
        const lo_node *consumer = &graph->nodes[next];
        if (!lo_node_is(consumer, "Conv") && !lo_node_is(consumer, "MaxPool") &&
            !lo_node_is(consumer, "AveragePool"))
            continue;
        lo_status st = fold_one(graph, n, next, err);
        if (st != LO_OK) return st;
    }
    return LO_OK;
}
