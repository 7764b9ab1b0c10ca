#include "status.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

lo_status lo_fail(lo_error *err, lo_status status, const char *fmt, ...)
{
    if (err) {
        va_list args;
        va_start(args, fmt);
        err->status = status;
        vsnprintf(err->message, sizeof err->message, fmt, args);
        va_end(args);
    }
    return status;
}

lo_status lo_fail_prefix(lo_error *err, const char *fmt, ...)
{
    if (!err) return LO_ERR_ARGUMENT;
    char prefix[LENET_ONNX_MESSAGE_SIZE];
    va_list args;
    va_start(args, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, args);
    va_end(args);
    /* Join by hand: the message is cut at the buffer's end, which snprintf would warn of. */
    size_t prefix_len = strlen(prefix);
    size_t message_len = strnlen(err->message, sizeof err->message - 1);
    if (prefix_len + message_len > sizeof err->message - 1)
        message_len = sizeof err->message - 1 - prefix_len;
    memmove(err->message + prefix_len, err->message, message_len);
    memcpy(err->message, prefix, prefix_len);
    err->message[prefix_len + message_len] = '\0';
    return err->status;
}

void lo_error_clear(lo_error *err)
{
    if (!err) return;
    err->status = LO_OK;
    err->message[0] = '\0';
}

void lo_trace(const char *fmt, ...)
{
    static int enabled = -1;
    if (enabled < 0) enabled = getenv("LENET_ONNX_TRACE") != NULL;
    if (!enabled) return;
    va_list args;
    va_start(args, fmt);
    fputs("lenet-onnx: ", stderr);
    vfprintf(stderr, fmt, args);
    fputc('\n', stderr);
    va_end(args);
}
