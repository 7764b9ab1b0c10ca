/* Helpers shared by the op implementations (ops_*.c): input access, dtype checks, axis
 * normalisation, constant integer inputs and the sliding-window geometry of Conv and pooling.
 * Every failure names the source, node, op and the input or attribute at fault. */
#ifndef LO_OP_UTIL_H
#define LO_OP_UTIL_H

#include "ir.h"
#include "step.h"

/* The node's i-th input tensor, or NULL when it is absent or omitted. */
lo_tensor *lo_node_input(const lo_graph *graph, const lo_node *node, int i);
/* The node's i-th output tensor, or NULL when it is absent or omitted. */
lo_tensor *lo_node_output(const lo_graph *graph, const lo_node *node, int i);

/* Fails unless the node has between min and max inputs, the first `min` all present. */
lo_status lo_check_input_count(const lo_graph *graph, const lo_node *node, int min, int max,
                               lo_error *err);
/* Fails when input i is present but of another dtype than `dtype`. */
lo_status lo_check_input_dtype(const lo_graph *graph, const lo_node *node, int i, lo_dtype dtype,
                               lo_error *err);
/* Fails unless input i is present with this rank. */
lo_status lo_check_input_rank(const lo_graph *graph, const lo_node *node, int i, int rank,
                              lo_error *err);
/* Fails when optional output i is present and read by anyone: we do not compute it. */
lo_status lo_check_output_unused(const lo_graph *graph, const lo_node *node, int i,
                                 const char *what, lo_error *err);

/* Sets output i's dtype and shape (a missing output is skipped). */
lo_status lo_set_output(lo_graph *graph, lo_node *node, int i, lo_dtype dtype,
                        const lo_shape *shape, lo_error *err);

/* Maps axis in [-rank, rank) (or [-rank-1, rank] with allow_end, as Flatten and Unsqueeze
 * need) to a non-negative axis. `what` names the attribute or input for the message. */
lo_status lo_normalize_axis(const lo_graph *graph, const lo_node *node, const char *what,
                            int64_t axis, int rank, bool allow_end, int *out, lo_error *err);

/* Reads integer values from constant input i (int64 or int32) into values (capacity).
 * Fails, naming the input, when it is not known at plan time. */
lo_status lo_const_input_ints(const lo_graph *graph, const lo_node *node, int i, int64_t *values,
                              size_t capacity, size_t *count, lo_error *err);

/* Reads the single float of constant input i (any rank, one element). Fails, naming the
 * input, when it is not a float constant of one element. */
lo_status lo_const_input_float(const lo_graph *graph, const lo_node *node, int i, float *value,
                               lo_error *err);

/* numpy's multidirectional broadcast of a and b into *out: false when a dim pair is neither
 * equal nor has a 1. */
bool lo_shape_broadcast(const lo_shape *a, const lo_shape *b, lo_shape *out);
/* Strides (in elements) that read `in` while walking `out`, with in's axis 0 at out's axis
 * `align_at` (out->rank - in->rank for numpy's right alignment): 0 along axes `in` lacks or
 * has size 1. `in` must fit there (callers check). */
void lo_broadcast_strides(const lo_shape *in, const lo_shape *out, int align_at,
                          int64_t strides[LO_MAX_RANK]);

/* True when every present input is a constant. */
bool lo_node_inputs_constant(const lo_graph *graph, const lo_node *node);

/* Sliding-window geometry over the two spatial axes of an NCHW tensor. */
typedef struct lo_window {
    int64_t kernel[2];
    int64_t stride[2];
    int64_t dilation[2];
    int64_t pad_begin[2];
    int64_t pad_end[2];
    int64_t out[2]; /* output height and width */
} lo_window;

/* Reads strides, dilations, pads, auto_pad and (when allow_ceil) ceil_mode for a window of
 * the given kernel size over input x [N,C,H,W], and works out pads and output size as the
 * ONNX spec defines them. */
lo_status lo_window_resolve(const lo_graph *graph, const lo_node *node, const lo_shape *x,
                            const int64_t kernel[2], bool allow_ceil, lo_window *window,
                            lo_error *err);

/* The first output position along window axis `axis` (0: H, 1: W) whose taps all fall in
 * the padding of an input of `in` pixels, or -1 when every window reads an input pixel.
 * Closed form: the windows are checked at their ends, plus (only when the dilation exceeds
 * the input, so a window may step over it) one O(1) test per window up to
 * LO_WINDOW_SCAN_LIMIT windows; LO_WINDOW_TOO_MANY past that. */
#define LO_WINDOW_SCAN_LIMIT ((int64_t)1 << 20)
#define LO_WINDOW_TOO_MANY   ((int64_t)-2)
int64_t lo_window_first_empty(const lo_window *window, int axis, int64_t in);

/* The domain of the nodes that passes create (fused ops); models cannot use it. */
#define LO_INTERNAL_DOMAIN "ai.lenet-onnx.internal"

/* The activation a fusion pass attached to a node ("activation" string attribute), or
 * LO_ACT_NONE, with its parameters (0 where it takes none). */
lo_status lo_fused_activation(const lo_graph *graph, const lo_node *node, lo_activation *out,
                              lo_activation_args *args, lo_error *err);
/* "Conv" or "Conv+Relu" into a step label. */
void lo_step_label(lo_step *step, const char *op, lo_activation activation);

/* Copies a window into step params. */
void lo_window_to_conv(const lo_window *window, lo_conv_params *params);
void lo_window_to_pool(const lo_window *window, lo_pool_params *params);

#endif
