/* Graph passes run on a session's own copy of a model's graph, in this order:
 *   bind the batch size into the inputs' dynamic dims;
 *   infer every node's output shapes in node order, folding nodes whose inputs are constants
 *   (Constant, the Shape -> Gather -> Unsqueeze -> Concat chains exporters emit for Reshape,
 *   and any view op on a constant);
 *   rewrite what exporters emit into cheaper forms: BatchNormalization folded into the Conv
 *   before it, or moved past a MaxPool and folded into an unpadded Conv after it,
 *   MatMul+Add into Gemm, a zero Pad folded into the pads of the Conv or pooling it feeds,
 *   Transpose pairs that cancel removed, Transposes that only move size-1 dims turned into
 *   views, a Transpose only flattened into a dense layer folded into its weights
 *   (pass_*.c), then nodes nobody reads dropped;
 *   fuse an activation (Relu, Sigmoid, Tanh, LeakyRelu, Clip) into the Conv or Gemm before it;
 *   mark the outputs of view ops (Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout) as
 *   views of their input's storage, so they cost neither memory nor a kernel.
 */
#ifndef LO_PASSES_H
#define LO_PASSES_H

#include "ir.h"

/* Every graph input's dim 0, when dynamic, becomes `batch`; any other dynamic dim fails,
 * naming the input and the dim. batch 0 means "the model's static batch, else 1". A batch
 * that contradicts a static one fails with LO_ERR_ARGUMENT. */
lo_status lo_bind_batch(lo_graph *graph, int64_t batch, lo_error *err);

lo_status lo_infer_and_fold(lo_graph *graph, lo_error *err);
lo_status lo_fold_batchnorm_into_conv(lo_graph *graph, lo_error *err);
lo_status lo_fuse_matmul_add(lo_graph *graph, lo_error *err);
lo_status lo_fold_pad_into_window(lo_graph *graph, lo_error *err);
lo_status lo_simplify_transposes(lo_graph *graph, lo_error *err);
void lo_drop_dead_nodes(lo_graph *graph);
lo_status lo_fuse_activations(lo_graph *graph, lo_error *err);
void lo_mark_views(lo_graph *graph);

/* All of the above, in order. */
lo_status lo_run_passes(lo_graph *graph, int64_t batch, lo_error *err);

/* The single live node reading tensor `index`, or -1 when it has other readers or is a graph
 * output. */
int lo_sole_consumer(const lo_graph *graph, int index);
/* True for a live node of the default domain with this op type. */
bool lo_node_is(const lo_node *node, const char *op_type);

/* The tensor whose storage `index` uses: itself, or the root of its chain of views. */
int lo_storage_root(const lo_graph *graph, int index);

#endif
