/* A fake ONNX Runtime for the plugin EP's graph intake (tests only): an in-memory OrtGraph and
 * exactly the OrtApi / OrtEpApi accessors that plugin/ort_ep/ort_ep_graph.c and ort_ep.c call,
 * answering as ONNX Runtime 1.23 does (sizes on short buffers, errors on out-of-range
 * queries), so the intake can be fuzzed without the real, uninstrumented, slow library.
 *
 * A graph is made either by decoding fuzz bytes (fake_model_decode; the format is described in
 * fake_ort_graph.c) or by the builder functions below. Every accessor counts its calls; with
 * fake_model_fail_at(m, n) the n-th one (1-based) answers ORT_FAIL, so error paths run too.
 * Misuse that real ONNX Runtime would punish (releasing what it owns, fusing a node twice,
 * nodes of another graph) aborts, so the fuzzer reports it. */
#ifndef LO_FAKE_ORT_GRAPH_H
#define LO_FAKE_ORT_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "onnxruntime_c_api.h"

typedef struct fake_model fake_model;

/* The fake's function tables (zero except the accessors it implements). */
const OrtApi *fake_ort_api(void);
const OrtEpApi *fake_ort_ep_api(void);
/* A logger handle for Logger_LogMessage, which checks and drops the message. */
const OrtLogger *fake_ort_logger(void);

fake_model *fake_model_create(const char *graph_name, int64_t ir_version);
/* NULL when the bytes are too short to hold the header; any other bytes give a graph. */
fake_model *fake_model_decode(const uint8_t *data, size_t size);
void fake_model_free(fake_model *m);
const OrtGraph *fake_model_graph(const fake_model *m);
void fake_model_fail_at(fake_model *m, uint64_t call);
/* The accessor whose call failed on demand since then, or NULL. */
const char *fake_model_injected(const fake_model *m);
/* Nodes fused by EpGraphSupportInfo_AddNodesToFuse, and the support info to pass it. */
OrtEpGraphSupportInfo *fake_model_support(fake_model *m);
size_t fake_model_fused_nodes(const fake_model *m);
/* OrtStatus objects created and not yet released (a leak check for the EP). */
long fake_live_statuses(void);

void fake_model_opset(fake_model *m, const char *domain, int64_t version);
/* A value (tensor unless elem < 0: then a non-tensor type); `symbols` may be NULL. */
OrtValueInfo *fake_value(fake_model *m, const char *name, int elem, size_t rank,
                         const int64_t *dims, const char *const *symbols);
/* Makes the value an initializer holding `bytes` bytes of `data` (copied; NULL data gives
 * zero bytes); `bytes` need not agree with the value's shape (hostile graphs). */
void fake_value_set_initializer(fake_model *m, OrtValueInfo *value, const void *data, size_t bytes);
void fake_graph_input(fake_model *m, OrtValueInfo *value);
void fake_graph_output(fake_model *m, OrtValueInfo *value);
/* A node appended in order (inputs may hold NULL: an omitted optional input). */
OrtNode *fake_node(fake_model *m, const char *name, const char *op_type, const char *domain,
                   int since_version, OrtValueInfo *const *inputs, size_t num_inputs,
                   OrtValueInfo *const *outputs, size_t num_outputs);
void fake_attr_int(fake_model *m, OrtNode *node, const char *name, int64_t value);
void fake_attr_float(fake_model *m, OrtNode *node, const char *name, float value);
void fake_attr_ints(fake_model *m, OrtNode *node, const char *name, const int64_t *values,
                    size_t count);
void fake_attr_floats(fake_model *m, OrtNode *node, const char *name, const float *values,
                      size_t count);
void fake_attr_string(fake_model *m, OrtNode *node, const char *name, const char *value);
/* A TENSOR attribute of `elem` and shape `dims` holding `bytes` bytes of `data`. */
void fake_attr_tensor(fake_model *m, OrtNode *node, const char *name, int elem, size_t rank,
                      const int64_t *dims, const void *data, size_t bytes);
/* An attribute of a type the EP does not read (STRINGS, GRAPH, UNDEFINED). */
void fake_attr_other(fake_model *m, OrtNode *node, const char *name, OrtOpAttrType type);

#endif
