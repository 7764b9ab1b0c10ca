/* The functions behind the op table's rows, one file per family of ops. */
#ifndef LO_OPS_H
#define LO_OPS_H

#include "ir.h"
#include "step.h"

/* ops_conv.c */
lo_status lo_conv_infer(lo_graph *graph, lo_node *node, lo_error *err);
lo_status lo_conv_lower(const lo_graph *graph, const lo_node *node, lo_step *step, int *reads,
                        lo_error *err);

/* ops_pool.c */
lo_status lo_maxpool_infer(lo_graph *graph, lo_node *node, lo_error *err);
lo_status lo_maxpool_lower(const lo_graph *graph, const lo_node *node, lo_step *step, int *reads,
                           lo_error *err);
lo_status lo_avgpool_infer(lo_graph *graph, lo_node *node, lo_error *err);
lo_status lo_avgpool_lower(const lo_graph *graph, const lo_node *node, lo_step *step, int *reads,
                           lo_error *err);
lo_status lo_global_pool_infer(lo_graph *graph, lo_node *node, lo_error *err);
lo_status lo_global_pool_lower(const lo_graph *graph, const lo_node *node, lo_step *step,
                               int *reads, lo_error *err);

/* ops_gemm.c */
lo_status lo_gemm_infer(lo_graph *graph, lo_node *node, lo_error *err);
lo_status lo_gemm_lower(const lo_graph *graph, const lo_node *node, lo_step *step, int *reads,
                        lo_error *err);

/* ops_unary.c */
lo_status lo_unary_infer(lo_graph *graph, lo_node *node, lo_error *err);
/* An activation node's op and parameters, from its attributes and constant inputs (a bound
 * only known at run time is marked in min_input / max_input). */
lo_status lo_unary_params_of(const lo_graph *graph, const lo_node *node, lo_unary_params *p,
                             lo_error *err);
lo_status lo_unary_lower(const lo_graph *graph, const lo_node *node, lo_step *step, int *reads,
                         lo_error *err);

/* ops_binary.c */
lo_status lo_binary_infer(lo_graph *graph, lo_node *node, lo_error *err);
lo_status lo_binary_lower(const lo_graph *graph, const lo_node *node, lo_step *step, int *reads,
                          lo_error *err);

/* ops_softmax.c */
lo_status lo_softmax_infer(lo_graph *graph, lo_node *node, lo_error *err);
lo_status lo_softmax_lower(const lo_graph *graph, const lo_node *node, lo_step *step, int *reads,
                           lo_error *err);

/* ops_norm.c */
lo_status lo_batchnorm_infer(lo_graph *graph, lo_node *node, lo_error *err);
lo_status lo_batchnorm_lower(const lo_graph *graph, const lo_node *node, lo_step *step, int *reads,
                             lo_error *err);

/* ops_matmul.c */
lo_status lo_matmul_infer(lo_graph *graph, lo_node *node, lo_error *err);
lo_status lo_matmul_lower(const lo_graph *graph, const lo_node *node, lo_step *step, int *reads,
                          lo_error *err);

/* ops_view.c */
lo_status lo_view_fold(lo_graph *graph, lo_node *node, lo_error *err);
lo_status lo_reshape_infer(lo_graph *graph, lo_node *node, lo_error *err);
lo_status lo_flatten_infer(lo_graph *graph, lo_node *node, lo_error *err);
lo_status lo_squeeze_infer(lo_graph *graph, lo_node *node, lo_error *err);
lo_status lo_unsqueeze_infer(lo_graph *graph, lo_node *node, lo_error *err);
lo_status lo_identity_infer(lo_graph *graph, lo_node *node, lo_error *err);
/* A pass's view (pass_transpose.c): the output keeps the shape it was given. */
lo_status lo_internal_view_infer(lo_graph *graph, lo_node *node, lo_error *err);
lo_status lo_dropout_infer(lo_graph *graph, lo_node *node, lo_error *err);

/* ops_layout.c */
lo_status lo_pad_infer(lo_graph *graph, lo_node *node, lo_error *err);
lo_status lo_pad_lower(const lo_graph *graph, const lo_node *node, lo_step *step, int *reads,
                       lo_error *err);
lo_status lo_transpose_infer(lo_graph *graph, lo_node *node, lo_error *err);
lo_status lo_transpose_fold(lo_graph *graph, lo_node *node, lo_error *err);
lo_status lo_transpose_lower(const lo_graph *graph, const lo_node *node, lo_step *step, int *reads,
                             lo_error *err);

/* ops_fold.c */
lo_status lo_constant_infer(lo_graph *graph, lo_node *node, lo_error *err);
lo_status lo_constant_fold(lo_graph *graph, lo_node *node, lo_error *err);
lo_status lo_shape_infer(lo_graph *graph, lo_node *node, lo_error *err);
lo_status lo_shape_fold(lo_graph *graph, lo_node *node, lo_error *err);
lo_status lo_gather_infer(lo_graph *graph, lo_node *node, lo_error *err);
lo_status lo_gather_fold(lo_graph *graph, lo_node *node, lo_error *err);
lo_status lo_concat_infer(lo_graph *graph, lo_node *node, lo_error *err);
lo_status lo_concat_fold(lo_graph *graph, lo_node *node, lo_error *err);
lo_status lo_concat_lower(const lo_graph *graph, const lo_node *node, lo_step *step, int *reads,
                          lo_error *err);
lo_status lo_cast_infer(lo_graph *graph, lo_node *node, lo_error *err);
lo_status lo_cast_fold(lo_graph *graph, lo_node *node, lo_error *err);
lo_status lo_slice_infer(lo_graph *graph, lo_node *node, lo_error *err);
lo_status lo_slice_fold(lo_graph *graph, lo_node *node, lo_error *err);

#endif
