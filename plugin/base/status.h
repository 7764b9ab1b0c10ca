/* Status codes and error reporting shared by every module.
 *
 * Internal code uses the public status and error types, so a message written deep in the
 * loader reaches the host unchanged. lo_fail() formats the message and returns the status, so
 * an error path reads `return lo_fail(err, LO_ERR_MODEL, "%s: node '%s' (%s): ...", ...)`.
 */
#ifndef LO_STATUS_H
#define LO_STATUS_H

#include <stdbool.h>

#include "lenet-onnx/lenet_onnx.h"

typedef lenet_onnx_status lo_status;
typedef lenet_onnx_error lo_error;

#define LO_OK              LENET_ONNX_OK
#define LO_ERR_ARGUMENT    LENET_ONNX_ERROR_INVALID_ARGUMENT
#define LO_ERR_IO          LENET_ONNX_ERROR_IO
#define LO_ERR_MODEL       LENET_ONNX_ERROR_INVALID_MODEL
#define LO_ERR_UNSUPPORTED LENET_ONNX_ERROR_UNSUPPORTED
#define LO_ERR_NO_MEMORY   LENET_ONNX_ERROR_OUT_OF_MEMORY
#define LO_ERR_DEVICE      LENET_ONNX_ERROR_DEVICE
#define LO_ERR_ABI         LENET_ONNX_ERROR_ABI
#define LO_ERR_LIMIT       LENET_ONNX_ERROR_LIMIT
#define LO_ERR_BUSY        LENET_ONNX_ERROR_BUSY

#if defined(__GNUC__)
#define LO_PRINTF(fmt_index, args_index) __attribute__((format(printf, fmt_index, args_index)))
#else
#define LO_PRINTF(fmt_index, args_index)
#endif

/* Records status and message in *err (when err is not NULL) and returns status. */
lo_status lo_fail(lo_error *err, lo_status status, const char *fmt, ...) LO_PRINTF(3, 4);

/* Prefixes the message already in *err with more context ("file.onnx: " + message). */
lo_status lo_fail_prefix(lo_error *err, const char *fmt, ...) LO_PRINTF(2, 3);

/* Clears *err to LO_OK with an empty message. */
void lo_error_clear(lo_error *err);

/* Diagnostic lines: to the host's logger when one is installed (set_host_hooks), else to
 * stderr only when LENET_ONNX_TRACE is set in the environment. Thread-safe. */
void lo_log(lenet_onnx_log_level level, const char *fmt, ...) LO_PRINTF(2, 3);

/* lo_log at LENET_ONNX_LOG_DEBUG. */
void lo_trace(const char *fmt, ...) LO_PRINTF(1, 2);

/* True when a line of this level goes anywhere: skip costly formatting otherwise. */
bool lo_log_enabled(lenet_onnx_log_level level);

/* Installs the host's logger from hooks (log_fn NULL: none). */
void lo_log_set(const lenet_onnx_host_hooks *hooks);

#endif
