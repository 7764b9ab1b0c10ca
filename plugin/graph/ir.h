/* The graph IR: what the ONNX loader produces and the passes, the shape inference and the
 * planner work on. It holds no protobuf and no device types.
 *
 * Tensors and nodes live in growable arrays and refer to each other by index, so passes may
 * add either without invalidating references. Every string and array is owned by the graph.
 */
#ifndef LO_IR_H
#define LO_IR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "load_limits.h"
#include "status.h"
#include "tensor_shape.h"

typedef enum lo_tensor_role {
    LO_TENSOR_ACTIVATION = 0, /* produced by a node */
    LO_TENSOR_GRAPH_INPUT,    /* fed by the host at run time */
    LO_TENSOR_CONSTANT,       /* initializer, Constant node, or folded value: data is set */
} lo_tensor_role;

typedef struct lo_tensor {
    char *name;
    lo_dtype dtype;
    lo_shape shape;
    /* Names of dynamic dims as the model declares them ("batch"), NULL when static or unnamed.
     * Only graph inputs and outputs carry these. */
    char *dim_params[LO_MAX_RANK];
    lo_tensor_role role;
    bool is_graph_output;
    void *data; /* LO_TENSOR_CONSTANT: host bytes, owned; numel * dtype size long */
    size_t data_bytes;
    int producer; /* index of the producing node, -1 for inputs and constants */
    int view_of;  /* -1, or the tensor whose storage this one shares (Reshape, Flatten...) */
} lo_tensor;

/* Values follow ONNX's AttributeProto.AttributeType. */
typedef enum lo_attr_type {
    LO_ATTR_UNDEFINED = 0,
    LO_ATTR_FLOAT = 1,
    LO_ATTR_INT = 2,
    LO_ATTR_STRING = 3,
    LO_ATTR_TENSOR = 4,
    LO_ATTR_GRAPH = 5,
    LO_ATTR_FLOATS = 6,
    LO_ATTR_INTS = 7,
    LO_ATTR_STRINGS = 8,
} lo_attr_type;

typedef struct lo_attr {
    char *name;
    lo_attr_type type;
    float f;
    int64_t i;
    char *s;        /* LO_ATTR_STRING: NUL-terminated copy */
    float *floats;  /* LO_ATTR_FLOATS: count entries */
    int64_t *ints;  /* LO_ATTR_INTS: count entries */
    char **strings; /* LO_ATTR_STRINGS: count entries */
    size_t count;
    int tensor; /* LO_ATTR_TENSOR: index of an unnamed-by-the-graph constant tensor, else -1 */
} lo_attr;

typedef struct lo_node {
    char *name; /* never NULL: the loader names unnamed nodes "<op_type>_<index>" */
    char *op_type;
    char *domain; /* "" for the default ONNX domain */
    int opset;    /* the model's opset version for the node's domain */
    int *inputs;  /* tensor indices; -1 for an omitted optional input */
    int num_inputs;
    int *outputs; /* tensor indices; -1 for an omitted optional output */
    int num_outputs;
    lo_attr *attrs;
    int num_attrs;
    bool removed; /* dropped by a pass; ignored by everything after */
} lo_node;

typedef struct lo_graph {
    char *source; /* the file name, or "<memory>": every message starts with it */
    char *name;
    int64_t ir_version;
    int opset; /* opset version of the default domain */
    lo_tensor *tensors;
    int num_tensors, cap_tensors;
    lo_node *nodes;
    int num_nodes, cap_nodes;
    int *inputs; /* graph inputs fed at run time (initializers excluded), in model order */
    int num_inputs;
    int *outputs; /* graph outputs, in model order */
    int num_outputs;
    /* The model's self-description as loaded, owned; NULL in graphs built otherwise and in
     * clones (sessions never need it). */
    struct lo_model_info *info;
    lo_limits limits; /* what the model was loaded under; every stage holds it to them */
    struct lo_name_index *tensor_index; /* tensor names to indices */
    uint64_t constant_bytes;            /* data of every constant, initializers and folded values */
    struct lo_reader_index *readers;    /* tensor -> reading nodes, built on first use */
} lo_graph;

/* LO_ERR_LIMIT, naming tensor `name` and the limit, when the shape's rank exceeds
 * graph->limits.rank or its known dims (dynamic ones skipped) multiply past
 * graph->limits.tensor_elements. */
lo_status lo_check_shape_limits(const lo_graph *graph, const char *name, const lo_shape *shape,
                                lo_error *err);

/* Accounts tensor `index`'s constant data changing from its data_bytes to new_bytes:
 * LO_ERR_LIMIT (nothing changed) when the graph's constants would pass limits.weight_bytes,
 * so folding cannot multiply a small model into gigabytes. */
lo_status lo_graph_account_constant(lo_graph *graph, int index, size_t new_bytes, lo_error *err);

lo_status lo_graph_create(const char *source, lo_graph **out, lo_error *err);
void lo_graph_free(lo_graph *graph);
/* A deep copy: sessions bind shapes and run passes on their own copy of a model's graph. */
lo_status lo_graph_clone(const lo_graph *graph, lo_graph **out, lo_error *err);

/* Index of the tensor with this name, or -1. */
int lo_graph_find_tensor(const lo_graph *graph, const char *name);

/* Adds a tensor (name copied; NULL names get a unique generated one). Fails when the name
 * exists already. Sets *index. */
lo_status lo_graph_add_tensor(lo_graph *graph, const char *name, lo_dtype dtype,
                              const lo_shape *shape, lo_tensor_role role, int *index,
                              lo_error *err);
/* Makes tensor `index` a constant holding a copy of `bytes` (numel * dtype size bytes). */
lo_status lo_tensor_set_data(lo_graph *graph, int index, const void *bytes, size_t size,
                             lo_error *err);

/* Adds a node (strings copied, input/output arrays copied, attrs copied deeply). */
lo_status lo_graph_add_node(lo_graph *graph, const char *name, const char *op_type,
                            const char *domain, int opset, const int *inputs, int num_inputs,
                            const int *outputs, int num_outputs, const lo_attr *attrs,
                            int num_attrs, int *index, lo_error *err);
lo_status lo_graph_add_input(lo_graph *graph, int tensor, lo_error *err);
lo_status lo_graph_add_output(lo_graph *graph, int tensor, lo_error *err);

/* Graph rewriting, for passes. Each keeps the graph valid when it fails. */
/* Sets an attribute (deep copy), replacing one of the same name. */
lo_status lo_node_set_attr(lo_graph *graph, int node, const lo_attr *attr, lo_error *err);
/* Changes the node's op type, domain and that domain's opset. */
lo_status lo_node_set_op(lo_graph *graph, int node, const char *op_type, const char *domain,
                         int opset, lo_error *err);
/* Replaces the node's inputs (tensor indices, -1 for omitted). */
/* Sets input i of node to tensor (rewiring one edge, as passes do). */
void lo_node_rewire_input(lo_graph *graph, int node, int i, int tensor);
lo_status lo_node_set_inputs(lo_graph *graph, int node, const int *inputs, int num_inputs,
                             lo_error *err);
/* True for the default ONNX domain, which models name "" or "ai.onnx" (NULL counts as ""). */
bool lo_domain_is_default(const char *domain);

/* Frees what an attribute owns and empties it (tensor -1), for attributes built by hand. */
void lo_attr_clear(lo_attr *attr);

/* The node's attribute with this name, or NULL. */
const lo_attr *lo_node_attr(const lo_node *node, const char *name);

/* Typed attribute readers: *out keeps `fallback` when the attribute is absent; a present
 * attribute of the wrong type fails with a message naming source, node, op and attribute. */
lo_status lo_attr_get_int(const lo_graph *graph, const lo_node *node, const char *name,
                          int64_t fallback, int64_t *out, lo_error *err);
lo_status lo_attr_get_float(const lo_graph *graph, const lo_node *node, const char *name,
                            float fallback, float *out, lo_error *err);
/* NULL string when absent and no fallback. */
lo_status lo_attr_get_string(const lo_graph *graph, const lo_node *node, const char *name,
                             const char *fallback, const char **out, lo_error *err);
/* Fills up to `capacity` ints; *count = number present (0 when absent). Fails when the
 * attribute holds more than `capacity`. */
lo_status lo_attr_get_ints(const lo_graph *graph, const lo_node *node, const char *name,
                           int64_t *values, size_t capacity, size_t *count, lo_error *err);

/* Fails with `status`, naming source, node and op. The message is
 * "<source>: node '<name>' (<op>): <what>". */
lo_status lo_node_fail(const lo_graph *graph, const lo_node *node, lo_status status, lo_error *err,
                       const char *fmt, ...) LO_PRINTF(5, 6);

/* Number of nodes (not removed) that read tensor `index`, plus one if it is a graph output. */
int lo_graph_use_count(const lo_graph *graph, int index);

#endif
