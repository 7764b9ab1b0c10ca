/* A picture of buffer reuse: the arena drawn as byte offset (down) against step (across), one
 * labelled rectangle per buffer spanning the steps it is alive for. */
#ifndef LO_PLAN_SVG_H
#define LO_PLAN_SVG_H

#include <stdio.h>

#include "lenet-onnx/lenet_onnx.h"

/* Writes an SVG document for the session's plan; returns 0, or -1 when the library is too old
 * (ABI 3 needed) or a call fails (err says which). */
int lo_write_plan_svg(const lenet_onnx_api *api, const lenet_onnx_session *session,
                      const char *title, FILE *out, lenet_onnx_error *err);

#endif
