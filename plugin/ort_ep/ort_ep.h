/* The ONNX Runtime plugin execution provider: what its factory, EP, graph builder and compute
 * functions share. Only the ort_ep*.c files include ONNX Runtime's headers.
 *
 * ONNX Runtime (1.23 or newer) loads the library, calls CreateEpFactories, and asks the EP which
 * nodes it takes (GetCapability: the whole graph or nothing) and to compile them (Compile: the
 * fused graph becomes our IR, run per batch size by our own sessions). Tensors stay in CPU
 * memory on ONNX Runtime's side; our run copies them to and from the device.
 */
#ifndef LO_ORT_EP_H
#define LO_ORT_EP_H

#include <stdbool.h>

#include "onnxruntime_c_api.h"
/* includes onnxruntime_ep_c_api.h, which has no include guard of its own */

#include "ir.h"
#include "session.h"

#define LO_ORT_EP_NAME "LenetOnnxExecutionProvider"

/* The ONNX Runtime API the EP asks for and declares: 1.23's, where the plugin EP API and
 * every graph accessor used here appeared, so any ONNX Runtime from 1.23 on can load it
 * (the headers it is built against may be newer). */
#define LO_ORT_API_VERSION 23

/* Who calls whom: the factory (ort_ep_factory.c) creates EPs (ort_ep.c), which build our IR
 * of ONNX Runtime's graphs (ort_ep_graph.c) and hand each compiled graph to its compute
 * functions (ort_ep_compute.c). Nothing calls back up. */

typedef struct lo_ort_factory {
    OrtEpFactory base; /* first: ONNX Runtime passes &base back */
    const OrtApi *api;
    const OrtEpApi *ep_api;
} lo_ort_factory;

/* One EP per ONNX Runtime session: its own device, chosen by the provider options
 * `backend` and `device` (see README), opened when the EP is created. */
typedef struct lo_ort_ep {
    OrtEp base; /* first */
    const OrtApi *api;
    const OrtEpApi *ep_api;
    const OrtLogger *logger;
    lenet_onnx_context *context;
} lo_ort_ep;

/* An OrtStatus carrying our error's message, or NULL for LO_OK. */
OrtStatus *lo_ort_status(const OrtApi *api, lo_status status, const lo_error *err);
/* LO_OK for a NULL OrtStatus; otherwise releases it and fails with `status` and
 * "<what>: <ONNX Runtime's message>". */
lo_status lo_ort_check(const OrtApi *api, OrtStatus *ort_status, lo_status status, lo_error *err,
                       const char *what);

/* Fills the OrtEp's function table; the EP takes ownership of `context`. */
void lo_ort_ep_init(lo_ort_ep *ep, const OrtApi *api, const OrtEpApi *ep_api,
                    const OrtLogger *logger, lenet_onnx_context *context);
/* Releases the EP and its context (its compute infos are released before, by ONNX Runtime). */
void lo_ort_ep_release(lo_ort_ep *ep);

/* Our IR of an ONNX Runtime graph: its inputs (initializers excluded), every node in the order
 * given (topological), initializers as constants and its outputs. */
lo_status lo_ort_graph_build(const OrtApi *api, const OrtGraph *graph, lo_graph **out,
                             lo_error *err);

/* The compute functions of one compiled graph, which keep one planned session per batch size.
 * `fused_node` names the inputs and outputs ONNX Runtime binds at run time. */
lo_status lo_ort_compute_create(const OrtApi *api, lenet_onnx_context *context, lo_graph *graph,
                                const OrtNode *fused_node, OrtNodeComputeInfo **out, lo_error *err);
void lo_ort_compute_release(OrtNodeComputeInfo *info);

#endif
