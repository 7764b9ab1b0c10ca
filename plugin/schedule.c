#include "schedule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "checked_math.h"
#include "op_table.h"
#include "op_util.h"
#include "passes.h"
#include "planner.h"
#include "planner_indexed.h"

/* Working state while building: where each tensor's storage root lives. */
typedef struct placement {
    int *arena_slot;       /* per tensor: index into buffers, or -1 */
    size_t *weight_offset; /* per tensor: offset in the weights image, or SIZE_MAX */
    lo_plan_buffer *buffers;
    int num_buffers;
} placement;

static lo_status lower_steps(const lo_graph *graph, lo_schedule *s, int *step_nodes, lo_error *err)
{
    for (int n = 0; n < graph->num_nodes; n++) {
        const lo_node *node = &graph->nodes[n];
        if (node->removed) continue;
        const lo_op_def *row = lo_op_lookup(node->domain, node->op_type, node->opset);
        if (!row)
            return lo_node_fail(graph, node, LO_ERR_UNSUPPORTED, err, "unsupported op '%s'",
                                node->op_type);
        if (row->op_class == LO_OP_VIEW) continue;
        if (row->op_class == LO_OP_CONSTANT || !row->lower)
            return lo_node_fail(graph, node, LO_ERR_UNSUPPORTED, err,
                                "could not be computed at plan time");
        lo_step *step = &s->steps[s->num_steps];
        memset(step, 0, sizeof *step);
        step->node_name = node->name;
        lo_status st = row->lower(graph, node, step, err);
        if (st != LO_OK) return st;
        step_nodes[s->num_steps++] = n;
    }
    return LO_OK;
}

/* The bytes of a tensor, SIZE_MAX when they do not fit (the planner then refuses the plan). */
static size_t tensor_bytes(const lo_tensor *t)
{
    int64_t numel = lo_shape_numel(&t->shape);
    size_t bytes;
    if (numel < 0 || !lo_mul_size((size_t)numel, lo_dtype_size(t->dtype), &bytes)) return SIZE_MAX;
    return bytes;
}

/* Extends the lifetime of the arena buffer holding tensor `index` to cover `step`, creating
 * the buffer on first sight. Constants live in the weights image instead. */
static void use_tensor(const lo_graph *graph, placement *p, int index, int step)
{
    int root = lo_storage_root(graph, index);
    const lo_tensor *t = &graph->tensors[root];
    if (t->role == LO_TENSOR_CONSTANT) return;
    if (p->arena_slot[root] < 0) {
        lo_plan_buffer *b = &p->buffers[p->num_buffers];
        memset(b, 0, sizeof *b);
        b->size = tensor_bytes(t);
        b->first_use = b->last_use = step;
        p->arena_slot[root] = p->num_buffers++;
    }
    lo_plan_buffer *b = &p->buffers[p->arena_slot[root]];
    if (step < b->first_use) b->first_use = step;
    if (step > b->last_use) b->last_use = step;
}

/* Gives every activation read or written by a step, and every graph input and output, an
 * arena buffer with its lifetime in steps. */
static void collect_lifetimes(const lo_graph *graph, const lo_schedule *s, const int *step_nodes,
                              placement *p)
{
    for (int t = 0; t < graph->num_tensors; t++)
        p->arena_slot[t] = -1;
    /* The host writes inputs before the first step and reads outputs after the last. */
    for (int i = 0; i < graph->num_inputs; i++)
        use_tensor(graph, p, graph->inputs[i], 0);
    for (int k = 0; k < s->num_steps; k++) {
        const lo_node *node = &graph->nodes[step_nodes[k]];
        for (int i = 0; i < node->num_inputs; i++)
            if (node->inputs[i] >= 0) use_tensor(graph, p, node->inputs[i], k);
        use_tensor(graph, p, node->outputs[0], k);
    }
    int last_step = s->num_steps > 0 ? s->num_steps - 1 : 0;
    for (int i = 0; i < graph->num_outputs; i++)
        use_tensor(graph, p, graph->outputs[i], last_step);
}

/* Places every constant that steps or outputs read in the weights image. */
static lo_status pack_weights(const lo_graph *graph, const lo_schedule *s, const int *step_nodes,
                              placement *p, size_t alignment, unsigned char **image,
                              size_t *image_bytes, lo_error *err)
{
    size_t total = 0;
    for (int t = 0; t < graph->num_tensors; t++)
        p->weight_offset[t] = SIZE_MAX;
    for (int pass = 0; pass < 2; pass++) {
        /* Pass 0 assigns offsets; pass 1 copies the bytes. */
        for (int k = 0; k <= s->num_steps; k++) {
            const int *list;
            int count;
            if (k < s->num_steps) {
                list = graph->nodes[step_nodes[k]].inputs;
                count = graph->nodes[step_nodes[k]].num_inputs;
            } else {
                list = graph->outputs;
                count = graph->num_outputs;
            }
            for (int i = 0; i < count; i++) {
                if (list[i] < 0) continue;
                int root = lo_storage_root(graph, list[i]);
                const lo_tensor *t = &graph->tensors[root];
                if (t->role != LO_TENSOR_CONSTANT) continue;
                if (pass == 0 && p->weight_offset[root] == SIZE_MAX) {
                    p->weight_offset[root] = total;
                    size_t aligned = lo_align_up(t->data_bytes, alignment);
                    if ((aligned == 0 && t->data_bytes != 0) ||
                        !lo_add_size(total, aligned, &total) || total > graph->limits.weight_bytes)
                        return lo_fail(err, LO_ERR_LIMIT,
                                       "%s: the constants take more than max_weight_bytes (%llu)",
                                       graph->source,
                                       (unsigned long long)graph->limits.weight_bytes);
                } else if (pass == 1 && t->data_bytes) {
                    memcpy(*image + p->weight_offset[root], t->data, t->data_bytes);
                }
            }
        }
        if (pass == 0) {
            *image = lo_calloc(total ? total : 1, 1);
            if (!*image)
                return lo_fail(err, LO_ERR_NO_MEMORY, "%s: out of memory for %zu bytes of weights",
                               graph->source, total);
        }
    }
    *image_bytes = total;
    return LO_OK;
}

static lo_tensor_ref ref_of(const lo_graph *graph, const placement *p, int index)
{
    int root = lo_storage_root(graph, index);
    lo_tensor_ref ref;
    memset(&ref, 0, sizeof ref);
    ref.dtype = graph->tensors[index].dtype;
    ref.shape = graph->tensors[index].shape;
    if (graph->tensors[root].role == LO_TENSOR_CONSTANT) {
        ref.buffer = LO_BUFFER_WEIGHTS;
        ref.offset = p->weight_offset[root];
    } else {
        ref.buffer = LO_BUFFER_ARENA;
        ref.offset = p->buffers[p->arena_slot[root]].offset;
    }
    return ref;
}

/* Puts the source, and the node unless the backend's message already names it, before a
 * backend's refusal, so the node is named exactly once. */
static void prefix_backend_error(const lo_graph *graph, const lo_node *node, lo_error *err)
{
    if (!err) return;
    char named[LENET_ONNX_MESSAGE_SIZE];
    snprintf(named, sizeof named, "node '%s' (", node->name);
    if (strncmp(err->message, named, strlen(named)) == 0)
        lo_fail_prefix(err, "%s: ", graph->source);
    else
        lo_fail_prefix(err, "%s: node '%s' (%s): ", graph->source, node->name, node->op_type);
}

lo_status lo_schedule_build(const lo_graph *graph, const lo_backend *backend,
                            const lo_backend_context *context, size_t alignment, lo_schedule *s,
                            lo_error *err)
{
    memset(s, 0, sizeof *s);
    s->alignment = alignment ? alignment : 1;
    size_t nodes = (size_t)graph->num_nodes + 1, tensors = (size_t)graph->num_tensors + 1;
    int *step_nodes = s->step_nodes = lo_malloc(nodes * sizeof *step_nodes);
    /* Scratch of the planner (lo_plan_indexed_scratch_ints never overflows for an int count). */
    int *order = lo_malloc(lo_plan_indexed_scratch_ints(tensors) * sizeof *order);
    placement p = {lo_malloc(tensors * sizeof(int)), lo_malloc(tensors * sizeof(size_t)),
                   lo_malloc(tensors * sizeof(lo_plan_buffer)), 0};
    s->steps = lo_calloc(nodes, sizeof *s->steps);
    s->inputs = lo_calloc((size_t)graph->num_inputs + 1, sizeof *s->inputs);
    s->outputs = lo_calloc((size_t)graph->num_outputs + 1, sizeof *s->outputs);
    lo_status st = LO_OK;
    if (!step_nodes || !order || !p.arena_slot || !p.weight_offset || !p.buffers || !s->steps ||
        !s->inputs || !s->outputs) {
        st = lo_fail(err, LO_ERR_NO_MEMORY, "%s: out of memory while scheduling", graph->source);
        goto done;
    }
    if ((st = lower_steps(graph, s, step_nodes, err)) != LO_OK) goto done;
    collect_lifetimes(graph, s, step_nodes, &p);
    if (!lo_plan_greedy_indexed(p.buffers, (size_t)p.num_buffers, s->alignment, order,
                                &s->arena_bytes)) {
        st = lo_fail(err, LO_ERR_LIMIT, "%s: the activations do not fit in an address space",
                     graph->source);
        goto done;
    }
    if (s->arena_bytes > graph->limits.arena_bytes) {
        st = lo_fail(err, LO_ERR_LIMIT,
                     "%s: the activations need an arena of %zu bytes, more than max_arena_bytes "
                     "(%llu)",
                     graph->source, s->arena_bytes, (unsigned long long)graph->limits.arena_bytes);
        goto done;
    }
    {
        lo_plan_buffer *copy = lo_malloc(((size_t)p.num_buffers + 1) * sizeof *copy);
        if (!copy) {
            st = lo_fail(err, LO_ERR_NO_MEMORY, "%s: out of memory", graph->source);
            goto done;
        }
        memcpy(copy, p.buffers, (size_t)p.num_buffers * sizeof *copy);
        s->naive_arena_bytes = lo_plan_naive(copy, (size_t)p.num_buffers, s->alignment);
        lo_free(copy);
    }
    if ((st = pack_weights(graph, s, step_nodes, &p, s->alignment, &s->weights, &s->weights_bytes,
                           err)) != LO_OK)
        goto done;

    for (int k = 0; k < s->num_steps; k++) {
        const lo_node *node = &graph->nodes[step_nodes[k]];
        lo_step *step = &s->steps[k];
        /* A lower() that set num_inputs reads only that many leading inputs (the rest were
         * constants folded into its params). */
        const int limit = step->num_inputs > 0 ? step->num_inputs : LO_STEP_MAX_INPUTS;
        step->num_inputs = 0;
        for (int i = 0; i < node->num_inputs && step->num_inputs < limit; i++)
            if (node->inputs[i] >= 0)
                step->inputs[step->num_inputs++] = ref_of(graph, &p, node->inputs[i]);
        step->output = ref_of(graph, &p, node->outputs[0]);
        if (backend && (st = backend->supports(context, step, err)) != LO_OK) {
            prefix_backend_error(graph, node, err);
            goto done;
        }
    }
    s->num_inputs = graph->num_inputs;
    s->num_outputs = graph->num_outputs;
    for (int i = 0; i < graph->num_inputs; i++)
        s->inputs[i] = ref_of(graph, &p, graph->inputs[i]);
    for (int i = 0; i < graph->num_outputs; i++)
        s->outputs[i] = ref_of(graph, &p, graph->outputs[i]);
done:
    lo_free(order);
    lo_free(p.arena_slot);
    lo_free(p.weight_offset);
    lo_free(p.buffers);
    if (st != LO_OK) lo_schedule_free(s);
    return st;
}

void lo_schedule_free(lo_schedule *s)
{
    lo_free(s->steps);
    lo_free(s->step_nodes);
    lo_free(s->inputs);
    lo_free(s->outputs);
    lo_free(s->weights);
    memset(s, 0, sizeof *s);
}

lo_plan lo_schedule_plan(const lo_schedule *s, bool profiling)
{
    lo_plan plan;
    memset(&plan, 0, sizeof plan);
    plan.steps = s->steps;
    plan.num_steps = s->num_steps;
    plan.arena_bytes = s->arena_bytes;
    plan.weights = s->weights;
    plan.weights_bytes = s->weights_bytes;
    plan.inputs = s->inputs;
    plan.num_inputs = s->num_inputs;
    plan.outputs = s->outputs;
    plan.num_outputs = s->num_outputs;
    plan.profiling = profiling;
    return plan;
}
