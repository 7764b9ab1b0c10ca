/* The host hooks of ABI 2, through a dlopen'ed plugin (tools/plugin_loader.c):
 * - a counting allocator sees every block the library allocates freed again once every
 *   context, model and session is released;
 * - a failing allocator (the k-th allocation from a point on fails, for every k a load, a
 *   context and a session make) gives LENET_ONNX_ERROR_OUT_OF_MEMORY, no crash and no block
 *   left over (ASan's leak check runs this in the sanitizer suite as well);
 * - the logger receives the library's lines at their levels, filtered by log_level;
 * - hooks are refused while objects are alive or when the allocator is incomplete.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lenet-onnx/lenet_onnx.h"
#include "plugin_loader.h"
#include "test_util.h"

#define MODEL "models/lenet.onnx"

static const lenet_onnx_api *api;

/* ---- the allocator: a size header before each block, counters, an optional failure ---- */

typedef union header {
    size_t size;
    max_align_t align;
} header;

static atomic_long live_blocks, live_bytes, total_allocs;
static atomic_long countdown; /* > 0: the allocation that brings it to 0 fails */
static atomic_bool failed;

static bool should_fail(void)
{
    if (atomic_load(&countdown) <= 0) return false;
    if (atomic_fetch_sub(&countdown, 1) != 1) return false;
    atomic_store(&failed, true);
    return true;
}

static void *test_malloc(void *user, size_t size)
{
    CHECK(user == &live_blocks && size > 0);
    if (should_fail()) return NULL;
    header *h = malloc(sizeof *h + size);
    if (!h) return NULL;
    h->size = size;
    atomic_fetch_add(&live_blocks, 1);
    atomic_fetch_add(&live_bytes, (long)size);
    atomic_fetch_add(&total_allocs, 1);
    return h + 1;
}

static void *test_realloc(void *user, void *ptr, size_t size)
{
    CHECK(user == &live_blocks && ptr && size > 0);
    if (should_fail()) return NULL;
    header *old = (header *)ptr - 1;
    size_t old_size = old->size;
    header *h = realloc(old, sizeof *h + size);
    if (!h) return NULL;
    h->size = size;
    atomic_fetch_add(&live_bytes, (long)size - (long)old_size);
    atomic_fetch_add(&total_allocs, 1);
    return h + 1;
}

static void test_free(void *user, void *ptr)
{
    CHECK(user == &live_blocks && ptr);
    header *h = (header *)ptr - 1;
    atomic_fetch_sub(&live_blocks, 1);
    atomic_fetch_sub(&live_bytes, (long)h->size);
    free(h);
}

/* ---- the logger: counts lines per level and remembers a few facts ---- */

static int lines[LENET_ONNX_LOG_DEBUG + 1];
static bool saw_model_line, saw_device_line, bad_line;

static void test_log(void *user, lenet_onnx_log_level level, const char *message)
{
    if (user != lines || level < LENET_ONNX_LOG_ERROR || level > LENET_ONNX_LOG_DEBUG || !message ||
        !*message || message[strlen(message) - 1] == '\n') {
        bad_line = true;
        return;
    }
    lines[level]++;
    saw_model_line = saw_model_line || (level == LENET_ONNX_LOG_INFO && strstr(message, MODEL));
    saw_device_line =
        saw_device_line || (level == LENET_ONNX_LOG_INFO && strstr(message, "opened device"));
}

static lenet_onnx_host_hooks hooks_with(bool allocator, lenet_onnx_log_level log_level)
{
    lenet_onnx_host_hooks h = {0};
    h.struct_size = sizeof h;
    if (allocator) {
        h.alloc_user = &live_blocks;
        h.malloc_fn = test_malloc;
        h.realloc_fn = test_realloc;
        h.free_fn = test_free;
    }
    h.log_user = lines;
    h.log_level = log_level;
    h.log_fn = test_log;
    return h;
}

/* Runs a session once on zeros, with buffers the size its io info gives. */
static lenet_onnx_status run_once(lenet_onnx_session *s, lenet_onnx_error *err)
{
    static float in[64 * 3 * 32 * 32], out[64 * 10];
    lenet_onnx_tensor_info ii, oi;
    lenet_onnx_status st = api->session_io_info(s, LENET_ONNX_INPUT, 0, &ii, err);
    if (st == LENET_ONNX_OK) st = api->session_io_info(s, LENET_ONNX_OUTPUT, 0, &oi, err);
    if (st != LENET_ONNX_OK) return st;
    CHECK(ii.size_bytes <= sizeof in && oi.size_bytes <= sizeof out);
    if (ii.size_bytes > sizeof in || oi.size_bytes > sizeof out) return st;
    const void *ins[1] = {in};
    void *outs[1] = {out};
    return api->session_run(s, ins, outs, err);
}

/* One whole use: load, context, session of batch 2, run, plan text; then release. */
static void use_everything(void)
{
    lenet_onnx_error err = {0};
    lenet_onnx_model *model = NULL;
    lenet_onnx_context *context = NULL;
    lenet_onnx_session *session = NULL;
    CHECK_OK(api->model_load_file(MODEL, &model, &err), &err);
    CHECK(api->set_host_hooks(NULL, &err) == LENET_ONNX_ERROR_INVALID_ARGUMENT);
    CHECK_OK(api->context_create(NULL, &context, &err), &err);
    lenet_onnx_session_options so = {0};
    so.batch_size = 2;
    if (model && context) CHECK_OK(api->session_create(context, model, &so, &session, &err), &err);
    if (session) {
        CHECK_OK(run_once(session, &err), &err);
        size_t needed = 0;
        CHECK_OK(api->session_describe_plan(session, NULL, 0, &needed, &err), &err);
        CHECK(needed > 1);
    }
    api->session_release(session);
    api->context_release(context);
    api->model_release(model);
}

static void check_counting_and_logging(void)
{
    lenet_onnx_error err = {0};
    lenet_onnx_host_hooks h = hooks_with(true, 0);
    CHECK_OK(api->set_host_hooks(&h, &err), &err);
    use_everything();
    printf("counting allocator: %ld allocations, %ld blocks and %ld bytes left\n",
           atomic_load(&total_allocs), atomic_load(&live_blocks), atomic_load(&live_bytes));
    CHECK(atomic_load(&total_allocs) > 100);
    CHECK(atomic_load(&live_blocks) == 0 && atomic_load(&live_bytes) == 0);
    printf("logger: %d info, %d debug lines\n", lines[LENET_ONNX_LOG_INFO],
           lines[LENET_ONNX_LOG_DEBUG]);
    CHECK(saw_model_line && saw_device_line && !bad_line);
    CHECK(lines[LENET_ONNX_LOG_DEBUG] > 0); /* kernel launches planned */

    /* log_level filters: errors only, so a clean run logs nothing */
    memset(lines, 0, sizeof lines);
    h = hooks_with(false, LENET_ONNX_LOG_ERROR);
    CHECK_OK(api->set_host_hooks(&h, &err), &err);
    use_everything();
    CHECK(lines[LENET_ONNX_LOG_INFO] == 0 && lines[LENET_ONNX_LOG_DEBUG] == 0 && !bad_line);
}

static void check_refusals(void)
{
    lenet_onnx_error err = {0};
    lenet_onnx_host_hooks h = hooks_with(true, 0);
    h.realloc_fn = NULL;
    CHECK(api->set_host_hooks(&h, &err) == LENET_ONNX_ERROR_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "realloc_fn") != NULL);
    h = hooks_with(false, (lenet_onnx_log_level)9);
    CHECK(api->set_host_hooks(&h, &err) == LENET_ONNX_ERROR_INVALID_ARGUMENT);
}

typedef enum { STEP_LOAD, STEP_CONTEXT, STEP_SESSION } step;
static const char *const step_names[] = {"model_load_file", "context_create", "session_create"};

/* Fails the k-th allocation of one step, for k = 1, 2, ... until the step makes fewer. A
 * session gets a fresh context each time, so the context's program cache is built (and its
 * allocations fail) anew and nothing but the model is alive between tries. */
static void check_failing(step which, lenet_onnx_model *model)
{
    long baseline = atomic_load(&live_blocks);
    int out_of_memory = 0, k = 1;
    for (;; k++) {
        lenet_onnx_error err = {0};
        lenet_onnx_model *m = NULL;
        lenet_onnx_context *c = NULL;
        lenet_onnx_session *s = NULL;
        lenet_onnx_context *context = NULL;
        lenet_onnx_status st;
        if (which == STEP_SESSION) CHECK_OK(api->context_create(NULL, &context, &err), &err);
        atomic_store(&failed, false);
        atomic_store(&countdown, k);
        if (which == STEP_LOAD) {
            st = api->model_load_file(MODEL, &m, &err);
        } else if (which == STEP_CONTEXT) {
            st = api->context_create(NULL, &c, &err);
        } else {
            lenet_onnx_session_options so = {0};
            so.batch_size = 2;
            st = api->session_create(context, model, &so, &s, &err);
            if (st == LENET_ONNX_OK) st = run_once(s, &err);
        }
        atomic_store(&countdown, 0);
        bool hit = atomic_load(&failed);
        api->session_release(s);
        api->context_release(c);
        api->model_release(m);
        api->context_release(context);
        if (st == LENET_ONNX_ERROR_OUT_OF_MEMORY) out_of_memory++;
        /* Reading the program binary cache is best effort: without memory for it the program
         * is built from source, and the call still succeeds. */
        CHECK_MSG((st == LENET_ONNX_OK || (hit && st == LENET_ONNX_ERROR_OUT_OF_MEMORY)) &&
                      err.status == st,
                  "%s, allocation %d failing: status %d (%s)", step_names[which], k, (int)st,
                  err.message);
        CHECK_MSG((st == LENET_ONNX_OK) == (m || c || s), "%s, allocation %d: handle vs status",
                  step_names[which], k);
        CHECK_MSG(atomic_load(&live_blocks) == baseline,
                  "%s, allocation %d failing: %ld blocks "
                  "leaked",
                  step_names[which], k, atomic_load(&live_blocks) - baseline);
        if (!hit) break;
    }
    printf("%s: each of its %d allocations failed in turn, %d gave OUT_OF_MEMORY, the others "
           "were best effort\n",
           step_names[which], k - 1, out_of_memory);
    CHECK(k > 1 && out_of_memory >= (k - 1) * 9 / 10);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_abi_hooks PATH/TO/liblenet-onnx.so\n");
        return 2;
    }
    char message[1024];
    api = plugin_load(argv[1], 2, sizeof(lenet_onnx_api), message, sizeof message);
    if (!api) {
        fprintf(stderr, "%s\n", message);
        return 1;
    }
    check_refusals();
    check_counting_and_logging();

    lenet_onnx_error err = {0};
    lenet_onnx_host_hooks h = hooks_with(true, 0);
    CHECK_OK(api->set_host_hooks(&h, &err), &err);
    check_failing(STEP_LOAD, NULL);
    check_failing(STEP_CONTEXT, NULL);
    lenet_onnx_model *model = NULL;
    CHECK_OK(api->model_load_file(MODEL, &model, &err), &err);
    if (model) check_failing(STEP_SESSION, model);
    api->model_release(model);
    CHECK(atomic_load(&live_blocks) == 0 && atomic_load(&live_bytes) == 0);
    CHECK_OK(api->set_host_hooks(NULL, &err), &err);
    return lo_test_exit_code();
}
