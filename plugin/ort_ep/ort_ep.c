/* The OrtEp: which nodes it takes and how it compiles them.
 *
 * GetCapability fuses every run of consecutive nodes that are in the op table at their opset
 * with known attributes, and that plans at the default batch, into one node of ours: the whole
 * graph when it can, else each run between the nodes it lacks, leaving those to ONNX Runtime
 * (which a host that disabled CPU fallback refuses at session creation). Why not all goes to
 * ONNX Runtime's logger. Compile turns each fused graph into our IR, planned per batch at run
 * time. */
#include "ort_ep.h"
#include "alloc.h"

#include <stdio.h>
#include <stdlib.h>

#include "op_table.h"

static const char *ORT_API_CALL ep_name(const OrtEp *this_ptr)
{
    (void)this_ptr;
    return LO_ORT_EP_NAME;
}

static void ep_log(const lo_ort_ep *ep, OrtLoggingLevel level, const char *message)
{
    if (!ep->logger) return;
    OrtStatus *s =
        ep->api->Logger_LogMessage(ep->logger, level, message, __FILE__, __LINE__, "lenet-onnx");
    if (s) ep->api->ReleaseStatus(s);
}

/* Whether a graph, or a view of some of its nodes, is ours to run: every node in the op table
 * and the whole planned at the default batch. */
static lo_status graph_plans(const lo_ort_ep *ep, const OrtGraph *graph, lo_error *err)
{
    lo_graph *g = NULL;
    lo_status st = lo_ort_graph_build(ep->api, graph, &g, err);
    for (int n = 0; st == LO_OK && n < g->num_nodes; n++)
        st = lo_op_check_node(g, &g->nodes[n], err);
    if (st == LO_OK) st = lo_model_validate(g, err);
    lo_graph_free(g);
    return st;
}

/* Fuses nodes[first, last) into one node of ours when that part of the graph plans on its
 * own; *why keeps the reason when it does not. */
static OrtStatus *claim_run(const lo_ort_ep *ep, const OrtGraph *graph, const OrtNode **nodes,
                            size_t first, size_t last, OrtEpGraphSupportInfo *support,
                            size_t *taken, lo_error *why)
{
    const OrtApi *api = ep->api;
    OrtGraph *view = NULL;
    lo_error err;
    lo_error_clear(&err);
    lo_status st =
        lo_ort_check(api, api->Graph_GetGraphView(graph, nodes + first, last - first, &view),
                     LO_ERR_MODEL, &err, "graph view");
    if (st == LO_OK) st = graph_plans(ep, view, &err);
    if (view) api->ReleaseGraph(view);
    if (st != LO_OK) {
        *why = err;
        return NULL;
    }
    /* Initializers are copied into our plan at compile time: ONNX Runtime may drop them. */
    OrtNodeFusionOptions options = {.ort_version_supported = LO_ORT_API_VERSION,
                                    .drop_constant_initializers = true};
    *taken += last - first;
    return ep->ep_api->EpGraphSupportInfo_AddNodesToFuse(support, nodes + first, last - first,
                                                         &options);
}

/* Takes every run of consecutive nodes (in ONNX Runtime's topological order) that the op
 * table supports, each as one fused node. A run is convex: any path between two of its nodes
 * passes only through nodes between them in that order, all in the run, so fusing it cannot
 * make a cycle. The nodes ours lacks stay with ONNX Runtime. */
static OrtStatus *claim_supported_runs(const lo_ort_ep *ep, const OrtGraph *graph,
                                       const OrtNode **nodes, size_t count,
                                       OrtEpGraphSupportInfo *support, size_t *taken, lo_error *why)
{
    lo_graph *g = NULL;
    if (lo_ort_graph_build(ep->api, graph, &g, why) != LO_OK) return NULL;
    OrtStatus *s = NULL;
    size_t first = 0;
    while (!s && first < count) {
        size_t last = first;
        while (last < count && (int)last < g->num_nodes &&
               lo_op_check_node(g, &g->nodes[last], why) == LO_OK)
            last++;
        if (last > first) s = claim_run(ep, graph, nodes, first, last, support, taken, why);
        first = last + 1; /* past the node the op table lacks */
    }
    lo_graph_free(g);
    return s;
}

static OrtStatus *ORT_API_CALL ep_get_capability(OrtEp *this_ptr, const OrtGraph *graph,
                                                 OrtEpGraphSupportInfo *support)
{
    lo_ort_ep *ep = (lo_ort_ep *)this_ptr;
    const OrtApi *api = ep->api;
    size_t count = 0;
    OrtStatus *s = api->Graph_GetNumNodes(graph, &count);
    if (s || count == 0) return s;
    const OrtNode **nodes = lo_calloc(count, sizeof *nodes);
    if (!nodes) return api->CreateStatus(ORT_FAIL, "lenet-onnx: out of memory");
    s = api->Graph_GetNodes(graph, nodes, count);
    lo_error why;
    lo_error_clear(&why);
    size_t taken = 0;
    if (!s) s = claim_supported_runs(ep, graph, nodes, count, support, &taken, &why);
    if (!s && taken < count) {
        char message[LENET_ONNX_MESSAGE_SIZE + 96];
        snprintf(message, sizeof message, "lenet-onnx takes %zu of the graph's %zu nodes: %s",
                 taken, count, why.message);
        ep_log(ep, ORT_LOGGING_LEVEL_WARNING, message);
    }
    lo_free(nodes);
    return s;
}

static OrtStatus *ORT_API_CALL ep_compile(OrtEp *this_ptr, const OrtGraph **graphs,
                                          const OrtNode **fused_nodes, size_t count,
                                          OrtNodeComputeInfo **infos, OrtNode **ep_context_nodes)
{
    (void)ep_context_nodes; /* EPContext models are not made */
    lo_ort_ep *ep = (lo_ort_ep *)this_ptr;
    lo_error err;
    lo_error_clear(&err);
    lo_status st = LO_OK;
    size_t made = 0;
    for (; made < count && st == LO_OK; made++) {
        infos[made] = NULL;
        lo_graph *g = NULL;
        st = lo_ort_graph_build(ep->api, graphs[made], &g, &err);
        if (st == LO_OK) st = lo_model_validate(g, &err);
        if (st == LO_OK) {
            st = lo_ort_compute_create(ep->api, ep->context, g, fused_nodes[made], &infos[made],
                                       &err);
            g = NULL; /* owned by the compute info, or freed when that failed */
        }
        lo_graph_free(g);
    }
    if (st == LO_OK) return NULL;
    for (size_t i = 0; i < made; i++) {
        lo_ort_compute_release(infos[i]);
        infos[i] = NULL;
    }
    return lo_ort_status(ep->api, st, &err);
}

static void ORT_API_CALL ep_release_compute_infos(OrtEp *this_ptr, OrtNodeComputeInfo **infos,
                                                  size_t count)
{
    (void)this_ptr;
    for (size_t i = 0; i < count; i++)
        lo_ort_compute_release(infos[i]);
}

void lo_ort_ep_init(lo_ort_ep *ep, const OrtApi *api, const OrtEpApi *ep_api,
                    const OrtLogger *logger, lenet_onnx_context *context)
{
    ep->api = api;
    ep->ep_api = ep_api;
    ep->logger = logger;
    ep->context = context;
    ep->base.ort_version_supported = LO_ORT_API_VERSION;
    ep->base.GetName = ep_name;
    ep->base.GetCapability = ep_get_capability;
    ep->base.Compile = ep_compile;
    ep->base.ReleaseNodeComputeInfos = ep_release_compute_infos;
}

void lo_ort_ep_release(lo_ort_ep *ep)
{
    if (!ep) return;
    lo_context_release(ep->context);
    lo_free(ep);
}
