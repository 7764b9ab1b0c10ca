/* The op table: one row per (domain, op type, since_version), after ONNX's own operator
 * versioning. A row covers opsets from its since_version up to the next row's, and no row
 * covers opsets past LO_OPSET_MAX. Adding an op is adding rows; no struct or ABI changes.
 *
 * Every row says how its nodes are checked and shaped (infer), and what becomes of them:
 * folded on the host when their inputs are constants (fold), turned into a view of their
 * input (LO_OP_VIEW), or lowered to a backend step (lower).
 */
#ifndef LO_OP_TABLE_H
#define LO_OP_TABLE_H

#include "ir.h"
#include "step.h"

/* The newest default-domain opset whose changes to the supported ops are known to the table. */
#define LO_OPSET_MAX 21
#define LO_OPSET_MIN 1

typedef enum lo_op_class {
    LO_OP_COMPUTE,  /* lowered to a step */
    LO_OP_VIEW,     /* output shares its input's storage: Reshape, Flatten, Identity, ... */
    LO_OP_CONSTANT, /* only ever folded: its result must be known at plan time (Shape, ...) */
} lo_op_class;

typedef struct lo_op_def {
    const char *domain; /* "" for the default ONNX domain */
    const char *op_type;
    int since_version;
    lo_op_class op_class;
    /* NULL-terminated names of the attributes this version defines; others are rejected. */
    const char *const *attributes;
    /* Checks inputs and attributes and sets every output's dtype and static shape. Called
     * with every input's shape known; constant inputs have their data. */
    lo_status (*infer)(lo_graph *graph, lo_node *node, lo_error *err);
    /* Computes the outputs on the host as constants. Called when every input is a constant
     * (for Shape: when its input's shape is static). NULL when the op is never folded. */
    lo_status (*fold)(lo_graph *graph, lo_node *node, lo_error *err);
    /* Fills kind, label and params of a step (tensor placement is the scheduler's) and says
     * which tensors the step reads: on entry reads[0..step->num_inputs) lists the node's present
     * inputs in order; a lower() whose params absorbed some of them (constants folded into
     * params) rewrites reads and num_inputs to exactly what the kernel reads. */
    lo_status (*lower)(const lo_graph *graph, const lo_node *node, lo_step *step, int *reads,
                       lo_error *err);
    /* The fold needs only its input's shape, not its data (Shape). */
    bool fold_needs_only_shapes;
} lo_op_def;

/* The row that covers this node's opset, or NULL. */
const lo_op_def *lo_op_lookup(const char *domain, const char *op_type, int opset);

/* Lowers a compute node through its row: step zeroed, then kind, label and params set, and
 * reads[0..step->num_inputs) the graph tensors the step reads, in step input order. Fails when
 * the node has more present inputs than a step holds (LO_STEP_MAX_INPUTS). */
lo_status lo_op_lower(const lo_graph *graph, const lo_node *node, const lo_op_def *row,
                      lo_step *step, int reads[LO_STEP_MAX_INPUTS], lo_error *err);

/* Checks at load time that the node's op exists at its opset and that it names only known
 * attributes: LO_ERR_UNSUPPORTED naming node, op, version and attribute otherwise. */
lo_status lo_op_check_node(const lo_graph *graph, const lo_node *node, lo_error *err);

/* Every row, for tools that select tests by what the table supports. */
const lo_op_def *lo_op_rows(size_t *count);

#endif
