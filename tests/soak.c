/* lenet-onnx-soak: a benchmark command, not a test. Runs one model many times through the
 * public ABI and reports resident memory before and after, so a leak per run or per session
 * shows as growth:
 *     build/tests/lenet-onnx-soak models/lenet.onnx [RUNS (100000)] [SESSION_CYCLES (1000)]
 * Prints RSS after warm-up, after RUNS runs on one session, and after SESSION_CYCLES session
 * create/run/release cycles on one context. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lenet-onnx/lenet_onnx.h"

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
        fclose(f);
    }
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int fail(const lenet_onnx_error *err)
{
    fprintf(stderr, "lenet-onnx-soak: %s\n", err->message);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: lenet-onnx-soak MODEL.onnx [RUNS] [SESSION_CYCLES]\n");
        return 2;
    }
    const long runs = argc > 2 ? atol(argv[2]) : 100000, cycles = argc > 3 ? atol(argv[3]) : 1000;
    const lenet_onnx_api *api = lenet_onnx_get_api(LENET_ONNX_ABI_VERSION);
    lenet_onnx_error err = {0};
    lenet_onnx_context *context = NULL;
    lenet_onnx_model *model = NULL;
    lenet_onnx_session *session = NULL;
    if (!api) return 1;
    if (api->context_create(NULL, &context, &err) || api->model_load_file(argv[1], &model, &err) ||
        api->session_create(context, model, NULL, &session, &err))
        return fail(&err);
    lenet_onnx_tensor_info in_info, out_info;
    if (api->session_io_info(session, LENET_ONNX_INPUT, 0, &in_info, &err) ||
        api->session_io_info(session, LENET_ONNX_OUTPUT, 0, &out_info, &err))
        return fail(&err);
    float *in = calloc(1, in_info.size_bytes), *out = malloc(out_info.size_bytes);
    if (!in || !out) return 1;
    const void *inputs[1] = {in};
    void *outputs[1] = {out};
    for (int i = 0; i < 100; i++) /* warm-up: kernel caches, driver pools */
        if (api->session_run(session, inputs, outputs, &err)) return fail(&err);
    const long rss_start = rss_kib();
    double start = now_s();
    for (long r = 0; r < runs; r++) {
        in[r % (in_info.size_bytes / sizeof(float))] = (float)(r % 7) * 0.1f;
        if (api->session_run(session, inputs, outputs, &err)) return fail(&err);
    }
    const double run_s = now_s() - start;
    const long rss_runs = rss_kib();
    api->session_release(session);
    start = now_s();
    for (long c = 0; c < cycles; c++) {
        if (api->session_create(context, model, NULL, &session, &err) ||
            api->session_run(session, inputs, outputs, &err))
            return fail(&err);
        api->session_release(session);
    }
    const double cycle_s = now_s() - start;
    const long rss_cycles = rss_kib();
    printf("RSS after warm-up: %ld KiB\n", rss_start);
    printf("after %ld runs (%.1f s, %.3f ms/run): %ld KiB (%+ld KiB)\n", runs, run_s,
           runs ? run_s * 1e3 / (double)runs : 0.0, rss_runs, rss_runs - rss_start);
    printf("after %ld session cycles (%.1f s): %ld KiB (%+ld KiB)\n", cycles, cycle_s, rss_cycles,
           rss_cycles - rss_runs);
    free(in);
    free(out);
    api->model_release(model);
    api->context_release(context);
    return 0;
}
