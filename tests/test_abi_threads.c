/* A second host of the public ABI: dlopens the plugin given on the command line and uses only
 * its function table.
 *
 * - The ABI handshake: a newer abi_version gets NULL, older ones the whole table; status_name
 *   names every status; option structs of older hosts (smaller struct_size, whatever follows
 *   in memory) get defaults for the fields they do not know.
 * - The threading rules of lenet_onnx.h: threads create their own sessions (batch sizes 1 to
 *   16) on one shared context and model at the same time, then run thousands of inferences
 *   concurrently; every output equals, bit for bit, a single-threaded run of the same input.
 * - Two threads on one session: each run either completes with the right outputs or answers
 *   LENET_ONNX_ERROR_BUSY without touching them, and BUSY is seen.
 * - Lifetimes: a context released before its sessions stays open until the last one goes
 *   (a use-after-free before; the sanitizers test runs this under ASan).
 * LENET_ONNX_TEST_RUNS overrides the runs per thread (the ThreadSanitizer test runs fewer).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lenet-onnx/lenet_onnx.h"
#include "test_util.h"

#define THREADS 4
#define POOL    24   /* distinct inputs per batch size */
#define RUNS    2500 /* inferences per thread, unless LENET_ONNX_TEST_RUNS says */
#define MODEL   "models/lenet.onnx"

static const uint32_t batches[THREADS] = {1, 3, 8, 16};

static const lenet_onnx_api *api;
static lenet_onnx_context *context;
static lenet_onnx_model *model;
static size_t image_floats, output_floats; /* per image */
/* Per batch size: POOL inputs and their single-threaded outputs. */
static float *inputs[THREADS], *expected[THREADS];
static atomic_int thread_failures;
static int runs = RUNS;

/* A different, reproducible input for every (batch slot, pool entry). */
static void fill_input(float *x, size_t n, uint32_t seed)
{
    uint32_t s = seed * 2654435761u + 12345u;
    for (size_t i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        x[i] = (float)(s >> 8) / 16777216.0f;
    }
}

static lenet_onnx_session *make_session(uint32_t batch, lenet_onnx_error *err)
{
    lenet_onnx_session_options so = {0};
    so.struct_size = sizeof so;
    so.batch_size = batch;
    lenet_onnx_session *s = NULL;
    return api->session_create(context, model, &so, &s, err) == LENET_ONNX_OK ? s : NULL;
}

static void check_handshake(lenet_onnx_get_api_fn get_api)
{
    CHECK(get_api(LENET_ONNX_ABI_VERSION + 1) == NULL);
    CHECK(get_api(0) == NULL);
    for (uint32_t v = 1; v <= LENET_ONNX_ABI_VERSION; v++) {
        const lenet_onnx_api *t = get_api(v);
        CHECK(t && t->abi_version == LENET_ONNX_ABI_VERSION);
        CHECK(t && t->struct_size == sizeof(lenet_onnx_api));
    }
    static const lenet_onnx_status all[] = {LENET_ONNX_OK,
                                            LENET_ONNX_ERROR_LIMIT,
                                            LENET_ONNX_ERROR_BUSY,
                                            LENET_ONNX_ERROR_INVALID_ARGUMENT,
                                            LENET_ONNX_ERROR_IO,
                                            LENET_ONNX_ERROR_INVALID_MODEL,
                                            LENET_ONNX_ERROR_UNSUPPORTED,
                                            LENET_ONNX_ERROR_OUT_OF_MEMORY,
                                            LENET_ONNX_ERROR_DEVICE,
                                            LENET_ONNX_ERROR_ABI};
    const char *unknown = api->status_name((lenet_onnx_status)99);
    CHECK(unknown && strcmp(unknown, "unknown status") == 0);
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        const char *name = api->status_name(all[i]);
        CHECK_MSG(name && *name && strcmp(name, unknown) != 0, "status %d", (int)all[i]);
        for (size_t j = 0; j < i; j++)
            CHECK_MSG(strcmp(name, api->status_name(all[j])) != 0, "status %d", (int)all[i]);
    }
}

/* Older hosts' structs end earlier: what lies past struct_size must be ignored. */
static void check_old_structs(void)
{
    lenet_onnx_error err = {0};
    lenet_onnx_context_options co;
    memset(&co, 0xA5, sizeof co);
    co.struct_size = offsetof(lenet_onnx_context_options, device_select);
    co.backend = LENET_ONNX_BACKEND_DEFAULT;
    lenet_onnx_context *c = NULL;
    CHECK_OK(api->context_create(&co, &c, &err), &err);
    api->context_release(c);

    lenet_onnx_session_options so;
    memset(&so, 0xA5, sizeof so);
    so.struct_size = offsetof(lenet_onnx_session_options, batch_size);
    lenet_onnx_session *s = NULL;
    CHECK_OK(api->session_create(context, model, &so, &s, &err), &err);
    lenet_onnx_tensor_info info;
    if (s && api->session_io_info(s, LENET_ONNX_INPUT, 0, &info, &err) == LENET_ONNX_OK)
        CHECK(info.dims[0] == 1); /* the default batch, not 0xA5A5A5A5 */
    api->session_release(s);

    so.struct_size = offsetof(lenet_onnx_session_options, profiling);
    so.batch_size = 2;
    s = NULL;
    CHECK_OK(api->session_create(context, model, &so, &s, &err), &err);
    size_t count = 0;
    /* profiling lies past the struct: off, so there are no timings */
    if (s)
        CHECK(api->session_step_timings(s, NULL, 0, &count, &err) ==
              LENET_ONNX_ERROR_INVALID_ARGUMENT);
    api->session_release(s);
}

static void *worker(void *arg)
{
    size_t t = (size_t)arg;
    uint32_t batch = batches[t];
    lenet_onnx_error err = {0};
    lenet_onnx_session *s = make_session(batch, &err);
    float *out = malloc(batch * output_floats * sizeof *out);
    if (!s || !out) {
        fprintf(stderr, "thread %zu: session_create: %s\n", t, err.message);
        atomic_fetch_add(&thread_failures, 1);
        goto done;
    }
    for (int r = 0; r < runs; r++) {
        size_t k = (size_t)(r * 7 + (int)t) % POOL;
        const void *in[1] = {inputs[t] + k * batch * image_floats};
        void *outs[1] = {out};
        if (api->session_run(s, in, outs, &err) != LENET_ONNX_OK) {
            fprintf(stderr, "thread %zu run %d: %s\n", t, r, err.message);
            atomic_fetch_add(&thread_failures, 1);
            break;
        }
        if (memcmp(out, expected[t] + k * batch * output_floats,
                   batch * output_floats * sizeof *out) != 0) {
            fprintf(stderr,
                    "thread %zu run %d (batch %u, input %zu): output differs from the "
                    "single-threaded run\n",
                    t, r, batch, k);
            atomic_fetch_add(&thread_failures, 1);
            break;
        }
    }
done:
    free(out);
    api->session_release(s);
    return NULL;
}

/* ---- one session, two threads ---- */

typedef struct shared_run {
    lenet_onnx_session *session;
    atomic_int *busy; /* runs answered BUSY, over both threads */
    int thread;
} shared_run;

static void *shared_worker(void *arg)
{
    shared_run *job = arg;
    const size_t batch = batches[0];
    float *out = malloc(batch * output_floats * sizeof *out);
    lenet_onnx_error err = {0};
    for (int r = 0; out && r < runs; r++) {
        size_t k = (size_t)(r * 5 + job->thread) % POOL;
        const void *in[1] = {inputs[0] + k * batch * image_floats};
        void *outs[1] = {out};
        for (size_t i = 0; i < batch * output_floats; i++)
            out[i] = -12345.0f;
        lenet_onnx_status st = api->session_run(job->session, in, outs, &err);
        if (st == LENET_ONNX_ERROR_BUSY) {
            atomic_fetch_add(job->busy, 1);
            /* Refused before anything was written. */
            if (out[0] != -12345.0f) atomic_fetch_add(&thread_failures, 1);
            continue;
        }
        if (st != LENET_ONNX_OK || memcmp(out, expected[0] + k * batch * output_floats,
                                          batch * output_floats * sizeof *out) != 0) {
            fprintf(stderr, "shared session, thread %d run %d: %s\n", job->thread, r,
                    st != LENET_ONNX_OK ? err.message : "output of another run");
            atomic_fetch_add(&thread_failures, 1);
            break;
        }
        /* Enough once both ran a while and one was turned away. */
        if (r > 200 && atomic_load(job->busy) > 0) break;
    }
    free(out);
    return NULL;
}

static void check_shared_session(void)
{
    lenet_onnx_error err = {0};
    lenet_onnx_session *s = make_session(batches[0], &err);
    CHECK_MSG(s != NULL, "%s", err.message);
    if (!s) return;
    atomic_int busy = 0;
    shared_run jobs[2] = {{s, &busy, 0}, {s, &busy, 1}};
    pthread_t threads[2];
    for (int t = 0; t < 2; t++)
        CHECK(pthread_create(&threads[t], NULL, shared_worker, &jobs[t]) == 0);
    for (int t = 0; t < 2; t++)
        pthread_join(threads[t], NULL);
    CHECK_MSG(atomic_load(&busy) > 0, "two threads on one session never saw BUSY");
    printf("one session, two threads: %d runs answered BUSY, every other run correct\n",
           atomic_load(&busy));
    api->session_release(s);
}

/* context_release before session_release: the session still runs, the device closes last. */
static void check_context_outlives_release(void)
{
    lenet_onnx_error err = {0};
    lenet_onnx_context *c = NULL;
    CHECK_OK(api->context_create(NULL, &c, &err), &err);
    if (!c) return;
    lenet_onnx_session *s[2] = {NULL, NULL};
    for (int i = 0; i < 2; i++)
        CHECK_OK(api->session_create(c, model, NULL, &s[i], &err), &err);
    api->context_release(c); /* the host's reference: the sessions hold theirs */
    float *out = malloc(output_floats * sizeof *out);
    for (int i = 0; i < 2 && out; i++) {
        if (!s[i]) continue;
        const void *in[1] = {inputs[0]};
        void *outs[1] = {out};
        CHECK_OK(api->session_run(s[i], in, outs, &err), &err);
        CHECK(memcmp(out, expected[0], output_floats * sizeof *out) == 0);
        api->session_release(s[i]); /* the second closes the device */
    }
    free(out);
}

/* The single-threaded outputs of every pool input, one session per batch size. */
static int make_references(void)
{
    lenet_onnx_error err = {0};
    for (size_t t = 0; t < THREADS; t++) {
        size_t batch = batches[t];
        inputs[t] = malloc(POOL * batch * image_floats * sizeof(float));
        expected[t] = malloc(POOL * batch * output_floats * sizeof(float));
        lenet_onnx_session *s = make_session(batches[t], &err);
        if (!inputs[t] || !expected[t] || !s) {
            fprintf(stderr, "reference session (batch %zu): %s\n", batch, err.message);
            api->session_release(s);
            return 1;
        }
        for (size_t k = 0; k < POOL; k++) {
            for (size_t b = 0; b < batch; b++)
                fill_input(inputs[t] + (k * batch + b) * image_floats, image_floats,
                           (uint32_t)((t * POOL + k) * 64 + b));
            const void *in[1] = {inputs[t] + k * batch * image_floats};
            void *outs[1] = {expected[t] + k * batch * output_floats};
            CHECK_OK(api->session_run(s, in, outs, &err), &err);
        }
        api->session_release(s);
    }
    /* Different inputs give different outputs, so a mixed-up buffer would be caught. */
    CHECK(memcmp(expected[3], expected[3] + output_floats, output_floats * sizeof(float)) != 0);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_abi_threads PATH/TO/liblenet-onnx.so\n");
        return 2;
    }
    void *handle = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        fprintf(stderr, "dlopen %s: %s\n", argv[1], dlerror());
        return 1;
    }
    void *symbol = dlsym(handle, "lenet_onnx_get_api");
    lenet_onnx_get_api_fn get_api = NULL;
    if (symbol) memcpy(&get_api, &symbol, sizeof get_api);
    api = get_api ? get_api(LENET_ONNX_ABI_VERSION) : NULL;
    if (!api || api->struct_size < sizeof *api) {
        fprintf(stderr, "%s: no lenet_onnx_get_api, or ABI %u missing\n", argv[1],
                LENET_ONNX_ABI_VERSION);
        return 1;
    }
    check_handshake(get_api);
    const char *runs_env = getenv("LENET_ONNX_TEST_RUNS");
    if (runs_env && atoi(runs_env) > 0) runs = atoi(runs_env);

    lenet_onnx_error err = {0};
    /* Before anything is allocated: hooks of an older host, no field known, change nothing. */
    lenet_onnx_host_hooks hooks;
    memset(&hooks, 0xA5, sizeof hooks);
    hooks.struct_size = offsetof(lenet_onnx_host_hooks, alloc_user);
    CHECK_OK(api->set_host_hooks(&hooks, &err), &err);

    CHECK_OK(api->model_load_file(MODEL, &model, &err), &err);
    CHECK_OK(api->context_create(NULL, &context, &err), &err);
    lenet_onnx_tensor_info in_info, out_info;
    /* Swapping the allocator under live objects is refused. */
    CHECK(api->set_host_hooks(NULL, &err) == LENET_ONNX_ERROR_INVALID_ARGUMENT);
    if (!model || !context ||
        api->model_io_info(model, LENET_ONNX_INPUT, 0, &in_info, &err) != LENET_ONNX_OK ||
        api->model_io_info(model, LENET_ONNX_OUTPUT, 0, &out_info, &err) != LENET_ONNX_OK)
        return lo_test_exit_code() | 1;
    image_floats = output_floats = 1;
    for (uint32_t d = 1; d < in_info.rank; d++)
        image_floats *= (size_t)in_info.dims[d];
    for (uint32_t d = 1; d < out_info.rank; d++)
        output_floats *= (size_t)out_info.dims[d];

    check_old_structs();
    if (make_references() == 0) {
        pthread_t threads[THREADS];
        for (size_t t = 0; t < THREADS; t++)
            CHECK(pthread_create(&threads[t], NULL, worker, (void *)t) == 0);
        for (size_t t = 0; t < THREADS; t++)
            pthread_join(threads[t], NULL);
        CHECK_MSG(atomic_load(&thread_failures) == 0, "%d thread failures",
                  atomic_load(&thread_failures));
        printf("%d threads x %d runs (batches 1, 3, 8, 16) equal the single-threaded outputs\n",
               THREADS, runs);
        check_shared_session();
        check_context_outlives_release();
    }
    for (size_t t = 0; t < THREADS; t++) {
        free(inputs[t]);
        free(expected[t]);
    }
    api->context_release(context);
    api->model_release(model);
    return lo_test_exit_code();
}
