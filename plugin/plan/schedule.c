#include "schedule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "blob.h"
#include "op_table.h"
#include "op_util.h"
#include "passes.h"
#include "checked_math.h"
#include "planner.h"
#include "planner_indexed.h"
#include "step_validate.h"

/* Working state while building: where each tensor's storage root lives. */
typedef struct placement {
    int *arena_slot;     /* per tensor: index into buffers, or -1 */
    int *constant_index; /* per tensor: index into the plan's constants, or -1 */
    lo_plan_buffer *buffers;
    int num_buffers;
} placement;

static lo_status lower_steps(const lo_graph *graph, lo_schedule *s, lo_error *err)
{
    for (int n = 0; n < graph->num_nodes; n++) {
        const lo_node *node = &graph->nodes[n];
        if (node->removed) continue;
        const lo_op_def *row = lo_op_lookup(node->domain, node->op_type, node->opset);
        if (!row)
            return lo_node_fail(graph, node, LO_ERR_UNSUPPORTED, err, "unsupported op '%s'",
                                node->op_type);
        if (row->op_class == LO_OP_VIEW) continue;
        if (row->op_class == LO_OP_CONSTANT)
            return lo_node_fail(graph, node, LO_ERR_UNSUPPORTED, err,
                                "could not be computed at plan time");
        int k = s->num_steps;
        lo_status st = lo_op_lower(graph, node, row, &s->steps[k], s->step_reads[k], err);
        if (st != LO_OK) return st;
        s->step_outputs[k] = node->outputs[0];
        s->step_nodes[s->num_steps++] = n;
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

static bool is_output_storage(const lo_graph *graph, int root);

static bool is_constant(const lo_graph *graph, int tensor)
{
    return graph->tensors[lo_storage_root(graph, tensor)].role == LO_TENSOR_CONSTANT;
}

/* A tensor's shape and dtype, in the arena at `offset` or as constant 0: enough for the
 * checks that do not look at placement. */
static lo_tensor_ref unplaced_ref(const lo_graph *graph, int index, size_t offset)
{
    lo_tensor_ref ref;
    memset(&ref, 0, sizeof ref);
    ref.dtype = graph->tensors[index].dtype;
    ref.shape = graph->tensors[index].shape;
    if (is_constant(graph, index))
        ref.buffer = LO_BUFFER_CONSTANT;
    else
        ref.offset = offset;
    return ref;
}

/* Conv step `conv` with MaxPool step `pool` as its epilogue, if that step is valid and the
 * backend (when one is given) runs it. The output is placed past every input so the trial
 * passes the aliasing check. */
static bool fused_conv_pool(const lo_graph *graph, const lo_schedule *s,
                            const lo_schedule_options *options, int conv, int pool, lo_step *out)
{
    *out = s->steps[conv];
    lo_conv_params *p = &out->params.conv;
    p->has_pool = true;
    p->pool = s->steps[pool].params.pool;
    size_t end = 0;
    for (int i = 0; i < out->num_inputs; i++) {
        out->inputs[i] = unplaced_ref(graph, s->step_reads[conv][i], 0);
        size_t bytes = lo_tensor_ref_bytes(&out->inputs[i]);
        if (bytes > end) end = bytes;
    }
    out->output = unplaced_ref(graph, s->step_outputs[pool], end);
    snprintf(out->label, sizeof out->label, "%.55s+MaxPool", s->steps[conv].label);
    lo_error err;
    lo_error_clear(&err);
    if (lo_step_validate(out, &err) != LO_OK) return false;
    return !options->backend || options->backend->supports(options->context, out, &err) == LO_OK;
}

/* Who reads each storage root: how many step inputs, and the step of the last. */
typedef struct read_counts {
    int *readers;
    int *reader;
} read_counts;

/* The one step reading step k's output, where that output is float, has no other reader and
 * is not a graph output; -1 otherwise. */
static int sole_reader(const lo_graph *graph, const lo_schedule *s, const read_counts *reads, int k)
{
    const int out = s->step_outputs[k], root = lo_storage_root(graph, out);
    if (graph->tensors[out].dtype != LO_DTYPE_FLOAT || reads->readers[root] != 1 ||
        is_output_storage(graph, root))
        return -1;
    return reads->reader[root] > k ? reads->reader[root] : -1;
}

/* Conv(+activation) then a MaxPool of its output, where the MaxPool is the conv output's only
 * reader (as its input 0) and it is not a graph output: one step, so the pooled-away
 * activations are never written. Backends that refuse the fused step keep the two steps. */
static void fuse_conv_pool(const lo_graph *graph, lo_schedule *s,
                           const lo_schedule_options *options, const read_counts *reads, int k,
                           bool *absorbed)
{
    if (s->steps[k].kind != LO_STEP_CONV || s->steps[k].params.conv.has_pool) return;
    const int pool = sole_reader(graph, s, reads, k);
    lo_step fused;
    if (pool < 0 || s->steps[pool].kind != LO_STEP_MAXPOOL ||
        s->step_reads[pool][0] != s->step_outputs[k] ||
        graph->tensors[s->step_outputs[pool]].dtype != LO_DTYPE_FLOAT ||
        !fused_conv_pool(graph, s, options, k, pool, &fused))
        return;
    s->steps[k] = fused;
    s->step_outputs[k] = s->step_outputs[pool];
    absorbed[pool] = true;
}

/* A Gemm that can be a layer of a chain: A not transposed, a constant B, a constant C that
 * broadcasts along M only, at most LO_GEMM_CHAIN_MAX_ROWS rows. */
static bool chainable_gemm(const lo_graph *graph, const lo_schedule *s, int k)
{
    const lo_step *step = &s->steps[k];
    if (step->kind != LO_STEP_GEMM || step->params.gemm.trans_a) return false;
    const lo_shape *y = &graph->tensors[s->step_outputs[k]].shape;
    if (y->rank != 2 || y->dims[0] > LO_GEMM_CHAIN_MAX_ROWS ||
        graph->tensors[s->step_reads[k][0]].dtype != LO_DTYPE_FLOAT ||
        !is_constant(graph, s->step_reads[k][1]))
        return false;
    if (!step->params.gemm.has_c) return true;
    const lo_shape *c = &graph->tensors[s->step_reads[k][2]].shape;
    return is_constant(graph, s->step_reads[k][2]) && (c->rank < 2 || c->dims[0] == 1);
}

/* The chain of Gemms `layer[0..count)` as one step (its inputs as in fused_conv_pool: unplaced,
 * the output past them), if valid and the backend, when given, runs it. */
static bool chained_gemms(const lo_graph *graph, const lo_schedule *s,
                          const lo_schedule_options *options, const int *layer, int count,
                          lo_step *out, int *reads)
{
    memset(out, 0, sizeof *out);
    out->kind = LO_STEP_GEMM_CHAIN;
    out->node_name = s->steps[layer[0]].node_name;
    lo_gemm_chain_params *p = &out->params.gemm_chain;
    p->layers = count;
    reads[0] = s->step_reads[layer[0]][0];
    int n = 1, used = 0;
    for (int l = 0; l < count; l++) {
        const lo_step *g = &s->steps[layer[l]];
        p->layer[l] = g->params.gemm;
        p->b_input[l] = n;
        reads[n++] = s->step_reads[layer[l]][1];
        if (g->params.gemm.has_c) {
            p->c_input[l] = n;
            reads[n++] = s->step_reads[layer[l]][2];
        }
        used += snprintf(out->label + used, sizeof out->label - (size_t)used, "%s%s", l ? ">" : "",
                         g->label);
        if (used >= (int)sizeof out->label) return false; /* the label would not say it all */
    }
    out->num_inputs = n;
    size_t end = 0;
    for (int i = 0; i < n; i++) {
        out->inputs[i] = unplaced_ref(graph, reads[i], 0);
        const size_t bytes = lo_tensor_ref_bytes(&out->inputs[i]);
        if (bytes > end) end = bytes;
    }
    out->output = unplaced_ref(graph, s->step_outputs[layer[count - 1]], end);
    lo_error err;
    lo_error_clear(&err);
    if (lo_step_validate(out, &err) != LO_OK) return false;
    return !options->backend || options->backend->supports(options->context, out, &err) == LO_OK;
}

/* Gemms each reading the previous one's output as its only reader (a classifier head), at
 * small batches: one step, as long a chain as the backend takes (two layers at least). */
static void fuse_gemm_chain(const lo_graph *graph, lo_schedule *s,
                            const lo_schedule_options *options, const read_counts *reads, int k,
                            bool *absorbed)
{
    if (absorbed[k] || !chainable_gemm(graph, s, k)) return;
    int layer[LO_GEMM_CHAIN_MAX_LAYERS] = {k}, count = 1;
    while (count < LO_GEMM_CHAIN_MAX_LAYERS) {
        const int prev = layer[count - 1], next = sole_reader(graph, s, reads, prev);
        if (next < 0 || absorbed[next] || !chainable_gemm(graph, s, next) ||
            s->step_reads[next][0] != s->step_outputs[prev])
            break;
        layer[count++] = next;
    }
    for (; count >= 2; count--) {
        lo_step chain;
        int chain_reads[LO_STEP_MAX_INPUTS];
        if (!chained_gemms(graph, s, options, layer, count, &chain, chain_reads)) continue;
        s->steps[k] = chain;
        s->step_outputs[k] = s->step_outputs[layer[count - 1]];
        for (int i = 0; i < LO_STEP_MAX_INPUTS; i++)
            s->step_reads[k][i] = i < chain.num_inputs ? chain_reads[i] : 0;
        for (int l = 1; l < count; l++)
            absorbed[layer[l]] = true;
        return;
    }
}

/* The fusions: Conv+MaxPool, then Gemm chains. Linear in steps and reads: readers are counted
 * once, fused steps compacted once. */
static lo_status fuse_steps(const lo_graph *graph, lo_schedule *s,
                            const lo_schedule_options *options, lo_error *err)
{
    const size_t tensors = (size_t)graph->num_tensors + 1;
    read_counts reads = {lo_calloc(tensors, sizeof(int)), lo_malloc(tensors * sizeof(int))};
    bool *absorbed = lo_calloc((size_t)s->num_steps + 1, sizeof *absorbed);
    if (!reads.readers || !reads.reader || !absorbed) {
        lo_free(reads.readers);
        lo_free(reads.reader);
        lo_free(absorbed);
        return lo_fail(err, LO_ERR_NO_MEMORY, "%s: out of memory while scheduling", graph->source);
    }
    for (int k = 0; k < s->num_steps; k++)
        for (int i = 0; i < s->steps[k].num_inputs; i++) {
            int root = lo_storage_root(graph, s->step_reads[k][i]);
            reads.readers[root]++;
            reads.reader[root] = k;
        }
    for (int k = 0; k < s->num_steps; k++)
        fuse_conv_pool(graph, s, options, &reads, k, absorbed);
    for (int k = 0; k < s->num_steps; k++)
        fuse_gemm_chain(graph, s, options, &reads, k, absorbed);
    int kept = 0;
    for (int k = 0; k < s->num_steps; k++) {
        if (absorbed[k]) continue;
        s->steps[kept] = s->steps[k];
        s->step_nodes[kept] = s->step_nodes[k];
        s->step_outputs[kept] = s->step_outputs[k];
        memcpy(s->step_reads[kept], s->step_reads[k], sizeof s->step_reads[k]);
        kept++;
    }
    s->num_steps = kept;
    lo_free(reads.readers);
    lo_free(reads.reader);
    lo_free(absorbed);
    return LO_OK;
}

/* Extends the lifetime of the arena buffer holding tensor `index` to cover `step`, creating
 * the buffer on first sight. Constants are not in the arena. */
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
static void collect_lifetimes(const lo_graph *graph, const lo_schedule *s, placement *p)
{
    for (int t = 0; t < graph->num_tensors; t++)
        p->arena_slot[t] = -1;
    /* The host writes inputs before the first step and reads outputs after the last. */
    for (int i = 0; i < graph->num_inputs; i++)
        use_tensor(graph, p, graph->inputs[i], 0);
    for (int k = 0; k < s->num_steps; k++) {
        for (int i = 0; i < s->steps[k].num_inputs; i++)
            use_tensor(graph, p, s->step_reads[k][i], k);
        use_tensor(graph, p, s->step_outputs[k], k);
    }
    int last_step = s->num_steps > 0 ? s->num_steps - 1 : 0;
    for (int i = 0; i < graph->num_outputs; i++)
        use_tensor(graph, p, graph->outputs[i], last_step);
}

/* Steps whose kernels read element i of an input only to write element i of the output, so
 * the output may overwrite that input (every backend's kernels for them allow it). */
static bool runs_in_place(const lo_step *step, int input)
{
    switch (step->kind) {
    case LO_STEP_UNARY:
    case LO_STEP_COPY:
    case LO_STEP_BATCHNORM:
        return input == 0;
    case LO_STEP_BINARY:
        return input <= 1; /* same size as the output: read at identity strides */
    default:
        return false;
    }
}

static bool is_output_storage(const lo_graph *graph, int root)
{
    for (int i = 0; i < graph->num_outputs; i++)
        if (lo_storage_root(graph, graph->outputs[i]) == root) return true;
    return false;
}

/* The buffer a slot was folded into, following folds (with path halving). */
static int folded_slot(int *into, int slot)
{
    while (slot >= 0 && into[slot] != slot) {
        into[slot] = into[into[slot]];
        slot = into[slot];
    }
    return slot;
}

/* ggml-alloc's rule: a step that can run in place, and whose input dies at it, writes its
 * output over that input. The output's buffer folds into the input's (and is left empty).
 * `into` is scratch of one int per buffer. Linear in steps and tensors. */
static void share_in_place(const lo_graph *graph, const lo_schedule *s, placement *p, int *into)
{
    for (int b = 0; b < p->num_buffers; b++)
        into[b] = b;
    for (int k = 0; k < s->num_steps; k++) {
        const lo_step *step = &s->steps[k];
        int out_root = lo_storage_root(graph, s->step_outputs[k]);
        int out_slot = folded_slot(into, p->arena_slot[out_root]);
        for (int i = 0; i < step->num_inputs && runs_in_place(step, i); i++) {
            int in_root = lo_storage_root(graph, s->step_reads[k][i]);
            int in_slot = folded_slot(into, p->arena_slot[in_root]);
            if (in_slot < 0 || in_slot == out_slot) continue;
            lo_plan_buffer *in = &p->buffers[in_slot], *out = &p->buffers[out_slot];
            if (in->last_use != k || in->size != out->size ||
                graph->tensors[in_root].dtype != graph->tensors[out_root].dtype ||
                is_output_storage(graph, in_root))
                continue;
            in->last_use = out->last_use;
            out->size = 0;
            out->first_use = out->last_use = k;
            into[out_slot] = in_slot;
            break;
        }
    }
    for (int t = 0; t < graph->num_tensors; t++)
        p->arena_slot[t] = folded_slot(into, p->arena_slot[t]);
}

/* The constant behind tensor `index` (through views), listed on first use. */
static void use_constant(const lo_graph *graph, lo_schedule *s, placement *p, int index)
{
    int root = lo_storage_root(graph, index);
    const lo_tensor *t = &graph->tensors[root];
    if (t->role != LO_TENSOR_CONSTANT || p->constant_index[root] >= 0) return;
    lo_plan_constant *c = &s->constants[s->num_constants];
    c->name = t->name;
    c->id = lo_blob_id(t->data);
    c->data = t->data;
    c->bytes = t->data_bytes;
    c->dtype = t->dtype;
    c->shape = t->shape;
    s->constant_tensors[s->num_constants] = root;
    s->constant_bytes += t->data_bytes;
    p->constant_index[root] = s->num_constants++;
}

/* Lists exactly the constants that steps or graph outputs read, in first-use order. */
static void collect_constants(const lo_graph *graph, lo_schedule *s, placement *p)
{
    for (int t = 0; t < graph->num_tensors; t++)
        p->constant_index[t] = -1;
    for (int k = 0; k < s->num_steps; k++)
        for (int i = 0; i < s->steps[k].num_inputs; i++)
            use_constant(graph, s, p, s->step_reads[k][i]);
    for (int i = 0; i < graph->num_outputs; i++)
        use_constant(graph, s, p, graph->outputs[i]);
}

static lo_tensor_ref ref_of(const lo_graph *graph, const placement *p, int index)
{
    int root = lo_storage_root(graph, index);
    lo_tensor_ref ref;
    memset(&ref, 0, sizeof ref);
    ref.dtype = graph->tensors[index].dtype;
    ref.shape = graph->tensors[index].shape;
    if (graph->tensors[root].role == LO_TENSOR_CONSTANT) {
        ref.buffer = LO_BUFFER_CONSTANT;
        ref.constant = p->constant_index[root];
    } else {
        ref.buffer = LO_BUFFER_ARENA;
        ref.offset = p->buffers[p->arena_slot[root]].offset;
    }
    return ref;
}

lo_status lo_schedule_build(const lo_graph *graph, const lo_schedule_options *options,
                            lo_schedule *s, lo_error *err)
{
    memset(s, 0, sizeof *s);
    const lo_backend *backend = options->backend;
    s->alignment = options->alignment ? options->alignment : 1;
    size_t nodes = (size_t)graph->num_nodes + 1, tensors = (size_t)graph->num_tensors + 1;
    /* Scratch of the planner (lo_plan_indexed_scratch_ints never overflows for an int count). */
    int *order = lo_malloc(lo_plan_indexed_scratch_ints(tensors) * sizeof *order);
    placement p = {lo_malloc(tensors * sizeof(int)), lo_malloc(tensors * sizeof(int)),
                   lo_malloc(tensors * sizeof(lo_plan_buffer)), 0};
    s->step_nodes = lo_malloc(nodes * sizeof *s->step_nodes);
    s->step_outputs = lo_malloc(nodes * sizeof *s->step_outputs);
    s->step_reads = lo_malloc(nodes * sizeof *s->step_reads);
    s->steps = lo_calloc(nodes, sizeof *s->steps);
    s->constants = lo_calloc(tensors, sizeof *s->constants);
    s->constant_tensors = lo_calloc(tensors, sizeof *s->constant_tensors);
    s->inputs = lo_calloc((size_t)graph->num_inputs + 1, sizeof *s->inputs);
    s->outputs = lo_calloc((size_t)graph->num_outputs + 1, sizeof *s->outputs);
    lo_status st = LO_OK;
    if (!order || !p.arena_slot || !p.constant_index || !p.buffers || !s->step_nodes ||
        !s->step_outputs || !s->step_reads || !s->steps || !s->constants || !s->constant_tensors ||
        !s->inputs || !s->outputs) {
        st = lo_fail(err, LO_ERR_NO_MEMORY, "%s: out of memory while scheduling", graph->source);
        goto done;
    }
    if ((st = lower_steps(graph, s, err)) != LO_OK) goto done;
    if ((st = fuse_steps(graph, s, options, err)) != LO_OK) goto done;
    collect_lifetimes(graph, s, &p);
    collect_constants(graph, s, &p);
    /* The baseline (and the no-reuse layout): every tensor after the previous one. */
    s->naive_arena_bytes = lo_plan_naive(p.buffers, (size_t)p.num_buffers, s->alignment);
    s->arena_bytes = s->naive_arena_bytes;
    if (options->reuse) {
        share_in_place(graph, s, &p, order); /* order: scratch until the planner needs it */
        const int times = s->num_steps > 0 ? s->num_steps : 1; /* uses lie in [0, times) */
        size_t *sweep = lo_malloc(2 * ((size_t)times + 1) * sizeof *sweep);
        if (!sweep) {
            st =
                lo_fail(err, LO_ERR_NO_MEMORY, "%s: out of memory while scheduling", graph->source);
            goto done;
        }
        s->peak_live_bytes = lo_plan_peak_live_bytes_swept(p.buffers, (size_t)p.num_buffers,
                                                           s->alignment, times, sweep);
        lo_free(sweep);
        if (!lo_plan_greedy_indexed(p.buffers, (size_t)p.num_buffers, s->alignment, order,
                                    &s->arena_bytes)) {
            st = lo_fail(err, LO_ERR_LIMIT, "%s: the activations do not fit in an address space",
                         graph->source);
            goto done;
        }
    }
    if (s->arena_bytes > graph->limits.arena_bytes) {
        st = lo_fail(err, LO_ERR_LIMIT,
                     "%s: the activations need an arena of %zu bytes, more than max_arena_bytes "
                     "(%llu)",
                     graph->source, s->arena_bytes, (unsigned long long)graph->limits.arena_bytes);
        goto done;
    }

    for (int k = 0; k < s->num_steps; k++) {
        const lo_node *node = &graph->nodes[s->step_nodes[k]];
        lo_step *step = &s->steps[k];
        for (int i = 0; i < step->num_inputs; i++)
            step->inputs[i] = ref_of(graph, &p, s->step_reads[k][i]);
        step->output = ref_of(graph, &p, s->step_outputs[k]);
        /* The core's check names the node itself; a backend gives the reason alone. */
        if ((st = lo_step_validate(step, err)) != LO_OK) {
            lo_fail_prefix(err, "%s: ", graph->source);
            goto done;
        }
        if (backend && (st = backend->supports(options->context, step, err)) != LO_OK) {
            lo_fail_prefix(err, "%s: node '%s' (%s): ", graph->source, node->name, node->op_type);
            goto done;
        }
    }
    s->num_inputs = graph->num_inputs;
    s->num_outputs = graph->num_outputs;
    for (int i = 0; i < graph->num_inputs; i++)
        s->inputs[i] = ref_of(graph, &p, graph->inputs[i]);
    for (int i = 0; i < graph->num_outputs; i++)
        s->outputs[i] = ref_of(graph, &p, graph->outputs[i]);
    /* Kept for layouts and pictures of the plan. */
    s->buffers = p.buffers;
    s->tensor_buffer = p.arena_slot;
    s->num_buffers = p.num_buffers;
    p.buffers = NULL;
    p.arena_slot = NULL;
done:
    lo_free(order);
    lo_free(p.arena_slot);
    lo_free(p.constant_index);
    lo_free(p.buffers);
    if (st != LO_OK) lo_schedule_free(s);
    return st;
}

void lo_schedule_free(lo_schedule *s)
{
    lo_free(s->steps);
    lo_free(s->step_nodes);
    lo_free(s->step_outputs);
    lo_free(s->step_reads);
    lo_free(s->inputs);
    lo_free(s->outputs);
    lo_free(s->constants);
    lo_free(s->constant_tensors);
    lo_free(s->buffers);
    lo_free(s->tensor_buffer);
    memset(s, 0, sizeof *s);
}

lo_plan lo_schedule_plan(const lo_schedule *s, bool profiling)
{
    lo_plan plan;
    memset(&plan, 0, sizeof plan);
    plan.steps = s->steps;
    plan.num_steps = s->num_steps;
    plan.arena_bytes = s->arena_bytes;
    plan.constants = s->constants;
    plan.num_constants = s->num_constants;
    plan.inputs = s->inputs;
    plan.num_inputs = s->num_inputs;
    plan.outputs = s->outputs;
    plan.num_outputs = s->num_outputs;
    plan.profiling = profiling;
    return plan;
}
