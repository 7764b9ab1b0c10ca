/* Errors across the ONNX Runtime boundary: our lo_error to an OrtStatus and back. */
#include "ort_ep.h"

static OrtErrorCode ort_code(lo_status status)
{
    switch (status) {
    case LO_ERR_ARGUMENT:
        return ORT_INVALID_ARGUMENT;
    case LO_ERR_MODEL:
        return ORT_INVALID_GRAPH;
    case LO_ERR_UNSUPPORTED:
        return ORT_NOT_IMPLEMENTED;
    case LO_ERR_IO:
        return ORT_NO_SUCHFILE;
    default:
        return ORT_EP_FAIL;
    }
}

OrtStatus *lo_ort_status(const OrtApi *api, lo_status status, const lo_error *err)
{
    if (status == LO_OK) return NULL;
    const char *message = err && err->message[0] ? err->message : "lenet-onnx: failed";
    return api->CreateStatus(ort_code(status), message);
}

lo_status lo_ort_check(const OrtApi *api, OrtStatus *ort_status, lo_status status, lo_error *err,
                       const char *what)
{
    if (!ort_status) return LO_OK;
    lo_status st = lo_fail(err, status, "%s: %s", what, api->GetErrorMessage(ort_status));
    api->ReleaseStatus(ort_status);
    return st;
}
