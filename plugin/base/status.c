#include "status.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

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

/* The host's logger, or NULL; changed only while nothing else runs in the library. */
static struct {
    void *user;
    lenet_onnx_log_level level;
    void (*fn)(void *user, lenet_onnx_log_level level, const char *message);
} logger;

static bool env_trace;
static pthread_once_t env_trace_once = PTHREAD_ONCE_INIT;

static void read_env_trace(void)
{
    env_trace = getenv("LENET_ONNX_TRACE") != NULL;
}

void lo_log_set(const lenet_onnx_host_hooks *hooks)
{
    bool custom = hooks && hooks->log_fn;
    logger.user = custom ? hooks->log_user : NULL;
    logger.level = custom && hooks->log_level ? hooks->log_level : LENET_ONNX_LOG_DEBUG;
    logger.fn = custom ? hooks->log_fn : NULL;
}

bool lo_log_enabled(lenet_onnx_log_level level)
{
    if (logger.fn) return level <= logger.level;
    pthread_once(&env_trace_once, read_env_trace);
    return env_trace;
}

static void log_v(lenet_onnx_log_level level, const char *fmt, va_list args)
{
    if (!lo_log_enabled(level)) return;
    if (!logger.fn) {
        /* One fprintf per line keeps lines of concurrent threads whole (stdio locks). */
        char line[LENET_ONNX_MESSAGE_SIZE];
        vsnprintf(line, sizeof line, fmt, args);
        fprintf(stderr, "lenet-onnx: %s\n", line);
        return;
    }
    /* Build logs run long: a stack buffer when the line fits, else an allocation (cut to the
     * stack buffer's size when that fails). */
    char small[LENET_ONNX_MESSAGE_SIZE];
    va_list again;
    va_copy(again, args);
    int n = vsnprintf(small, sizeof small, fmt, args);
    char *line = small;
    if (n >= (int)sizeof small && (line = lo_malloc((size_t)n + 1)) != NULL)
        vsnprintf(line, (size_t)n + 1, fmt, again);
    va_end(again);
    logger.fn(logger.user, level, line ? line : small);
    if (line != small) lo_free(line);
}

void lo_log(lenet_onnx_log_level level, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    log_v(level, fmt, args);
    va_end(args);
}

void lo_trace(const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    log_v(LENET_ONNX_LOG_DEBUG, fmt, args);
    va_end(args);
}
