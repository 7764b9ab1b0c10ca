/* lenet-onnx-bench [--batch 1,8,64,256,1024] [--seconds S] [--backend B] [--device D]
 *                  [--compare-ort] [--ort-lib PATH] [--profile] [--json] MODEL
 * Times whole inferences (session_run: input upload, every kernel, output download) per batch
 * size after a warm-up, and reports median and p99 latency, throughput and the arena size.
 * --compare-ort times ONNX Runtime's CPU execution provider on the same model, batches and
 * inputs through the same timing loop (bench_ort.c).
 * Exit 0 on success, 2 on bad usage or a bad model, 1 on a device or runtime failure.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_ort.h"
#include "lenet-onnx/lenet_onnx.h"
#include "plugin_loader.h"

#define DEFAULT_BATCHES "1,8,64,256,1024"
#define MAX_BATCHES     64
/* PoCL compiles each (kernel, local size) pair on its first launch: a few runs pay for that
 * before any run is timed, and a short timed-like phase settles caches and clocks. */
#define WARMUP_MIN_RUNS  5
#define MIN_TIMED_RUNS   3
#define MAX_PROFILE_RUNS 1000
/* Where ONNX Runtime is looked for when neither --ort-lib nor $LENET_ONNX_ORT_LIB says: the
 * build's own link when CMake found it, else the loader's search. */
#ifndef LO_BENCH_ORT_LIB
#define LO_BENCH_ORT_LIB "libonnxruntime.so.1"
#endif

enum { EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

typedef struct options {
    uint32_t batches[MAX_BATCHES];
    size_t n_batches;
    bool batches_given;
    double seconds;
    lenet_onnx_backend_kind backend;
    bool device_given;
    uint32_t device_index;
    bool list_devices;
    bool compare_ort;
    bool profile;
    bool json;
    const char *model;
    const char *plugin;  /* --plugin, or NULL: plugin_load's search order */
    const char *ort_lib; /* --ort-lib, or NULL */
} options;

typedef struct result {
    const char *runtime;
    const char *backend;
    const char *device;
    uint32_t batch;
    double median_ms;
    double p99_ms;
    double images_per_s;
    uint64_t arena_bytes;
    size_t runs;
} result;

static void usage(FILE *f)
{
    fprintf(f, "usage: lenet-onnx-bench [--batch 1,8,64,256,1024] [--seconds S] [--backend "
               "opencl|vulkan]\n"
               "                        [--device list|INDEX] [--compare-ort] [--profile] "
               "[--json]\n"
               "                        [--ort-lib PATH] [--plugin PATH] MODEL.onnx\n"
               "  times whole inferences (upload, kernels, download) for S seconds (default 2) "
               "per batch\n"
               "  --compare-ort also times ONNX Runtime (CPU, one intra-op thread per core), "
               "loaded from\n"
               "  --ort-lib, else $LENET_ONNX_ORT_LIB, else " LO_BENCH_ORT_LIB "\n");
}

static int bad_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int bad_usage(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "lenet-onnx-bench: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    usage(stderr);
    return EXIT_USAGE;
}

/* Status to exit code: the caller's input (model, arguments) is 2, the device or host is 1. */
static int exit_code(lenet_onnx_status status)
{
    switch (status) {
    case LENET_ONNX_ERROR_INVALID_ARGUMENT:
    case LENET_ONNX_ERROR_IO:
    case LENET_ONNX_ERROR_INVALID_MODEL:
    case LENET_ONNX_ERROR_UNSUPPORTED:
        return EXIT_USAGE;
    default:
        return EXIT_RUNTIME;
    }
}

static int report(const lenet_onnx_api *api, const char *what, const lenet_onnx_error *err)
{
    fprintf(stderr, "lenet-onnx-bench: %s: %s: %s\n", what, api->status_name(err->status),
            err->message);
    return exit_code(err->status);
}

static bool parse_u32(const char *s, uint32_t min, uint32_t *out)
{
    char *end = NULL;
    if (*s < '0' || *s > '9') return false;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v < min || v > UINT32_MAX) return false;
    *out = (uint32_t)v;
    return true;
}

static bool parse_batches(const char *s, options *o)
{
    char buf[512];
    if (strlen(s) >= sizeof buf) return false;
    strcpy(buf, s);
    o->n_batches = 0;
    for (char *tok = buf, *next; tok; tok = next) {
        next = strchr(tok, ',');
        if (next) *next++ = '\0';
        if (o->n_batches == MAX_BATCHES || !parse_u32(tok, 1, &o->batches[o->n_batches]))
            return false;
        o->n_batches++;
    }
    return o->n_batches > 0;
}

static int parse_args(int argc, char **argv, options *o)
{
    memset(o, 0, sizeof *o);
    o->seconds = 2.0;
    parse_batches(DEFAULT_BATCHES, o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_value = i + 1 < argc;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        } else if (strcmp(a, "--plugin") == 0) {
            if (!has_value) return bad_usage("--plugin needs the path of the lenet-onnx library");
            o->plugin = argv[++i];
        } else if (strcmp(a, "--batch") == 0) {
            if (!has_value || !parse_batches(argv[++i], o))
                return bad_usage("--batch needs a comma-separated list of positive integers");
            o->batches_given = true;
        } else if (strcmp(a, "--seconds") == 0) {
            char *end = NULL;
            if (!has_value) return bad_usage("--seconds needs a value");
            errno = 0;
            o->seconds = strtod(argv[++i], &end);
            if (errno || *end || !(o->seconds > 0.0) || o->seconds > 3600.0)
                return bad_usage("--seconds needs a number of seconds in (0, 3600], got '%s'",
                                 argv[i]);
        } else if (strcmp(a, "--backend") == 0) {
            if (!has_value) return bad_usage("--backend needs opencl or vulkan");
            const char *b = argv[++i];
            if (strcmp(b, "opencl") == 0)
                o->backend = LENET_ONNX_BACKEND_OPENCL;
            else if (strcmp(b, "vulkan") == 0)
                o->backend = LENET_ONNX_BACKEND_VULKAN;
            else
                return bad_usage("unknown backend '%s' (opencl or vulkan)", b);
        } else if (strcmp(a, "--device") == 0) {
            if (!has_value) return bad_usage("--device needs list or a device index");
            const char *d = argv[++i];
            if (strcmp(d, "list") == 0)
                o->list_devices = true;
            else if (parse_u32(d, 0, &o->device_index))
                o->device_given = true;
            else
                return bad_usage("--device needs list or a device index, got '%s'", d);
        } else if (strcmp(a, "--ort-lib") == 0) {
            if (!has_value) return bad_usage("--ort-lib needs the path of libonnxruntime.so.1");
            o->ort_lib = argv[++i];
        } else if (strcmp(a, "--compare-ort") == 0) {
            o->compare_ort = true;
        } else if (strcmp(a, "--profile") == 0) {
            o->profile = true;
        } else if (strcmp(a, "--json") == 0) {
            o->json = true;
        } else if (a[0] == '-' && a[1] != '\0') {
            return bad_usage("unknown option '%s'", a);
        } else if (o->model) {
            return bad_usage("one model only ('%s' and '%s')", o->model, a);
        } else {
            o->model = a;
        }
    }
    if (!o->model && !o->list_devices) return bad_usage("no model given");
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* xorshift64*: fixed seed, so every run of the tool feeds the same inputs. */
static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

/* Host buffers for every input and output of a session; float inputs get uniform [0,1)
 * values, other inputs zeros (valid indices and shapes for any integer input). */
typedef struct io_buffers {
    void **in;
    void **out;
    size_t *in_bytes;
    size_t n_in, n_out;
} io_buffers;

static void io_free(io_buffers *io)
{
    for (size_t i = 0; io->in && i < io->n_in; i++)
        free(io->in[i]);
    for (size_t i = 0; io->out && i < io->n_out; i++)
        free(io->out[i]);
    free(io->in);
    free(io->out);
    free(io->in_bytes);
    memset(io, 0, sizeof *io);
}

static int io_alloc(const lenet_onnx_api *api, const lenet_onnx_session *s, io_buffers *io)
{
    lenet_onnx_error err = {0};
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    io->n_in = api->session_io_count(s, LENET_ONNX_INPUT);
    io->n_out = api->session_io_count(s, LENET_ONNX_OUTPUT);
    io->in = calloc(io->n_in + 1, sizeof *io->in);
    io->out = calloc(io->n_out + 1, sizeof *io->out);
    io->in_bytes = calloc(io->n_in + 1, sizeof *io->in_bytes);
    if (!io->in || !io->out || !io->in_bytes) goto oom;
    for (size_t k = 0; k < 2; k++) {
        lenet_onnx_io_kind kind = k ? LENET_ONNX_OUTPUT : LENET_ONNX_INPUT;
        size_t n = k ? io->n_out : io->n_in;
        void **bufs = k ? io->out : io->in;
        for (size_t i = 0; i < n; i++) {
            lenet_onnx_tensor_info info;
            if (api->session_io_info(s, kind, i, &info, &err) != LENET_ONNX_OK)
                return report(api, "session_io_info", &err);
            if (info.size_bytes > SIZE_MAX) goto oom;
            size_t bytes = (size_t)info.size_bytes;
            bufs[i] = calloc(bytes ? bytes : 1, 1);
            if (!bufs[i]) goto oom;
            if (kind == LENET_ONNX_INPUT) io->in_bytes[i] = bytes;
            if (kind == LENET_ONNX_INPUT && info.dtype == LENET_ONNX_DTYPE_FLOAT32) {
                float *f = bufs[i];
                for (size_t j = 0; j < bytes / sizeof(float); j++)
                    f[j] = (float)(rng_next(&seed) >> 40) * (1.0f / 16777216.0f);
            }
        }
    }
    return 0;
oom:
    fprintf(stderr, "lenet-onnx-bench: out of host memory for the session's inputs and "
                    "outputs\n");
    return EXIT_RUNTIME;
}

static int run_once(const lenet_onnx_api *api, lenet_onnx_session *s, const io_buffers *io,
                    uint32_t batch)
{
    lenet_onnx_error err = {0};
    if (api->session_run(s, (const void *const *)io->in, io->out, &err) != LENET_ONNX_OK) {
        char what[64];
        snprintf(what, sizeof what, "session_run (batch %" PRIu32 ")", batch);
        fprintf(stderr, "lenet-onnx-bench: %s: %s: %s\n", what, api->status_name(err.status),
                err.message);
        /* a run of a session that was created fine fails because of the device */
        return EXIT_RUNTIME;
    }
    return 0;
}

static int create_session(const lenet_onnx_api *api, lenet_onnx_context *ctx,
                          const lenet_onnx_model *model, uint32_t batch, bool profiling,
                          lenet_onnx_session **out)
{
    lenet_onnx_session_options so = {0};
    lenet_onnx_error err = {0};
    so.struct_size = sizeof so;
    so.batch_size = batch;
    so.profiling = profiling ? 1u : 0u;
    if (api->session_create(ctx, model, &so, out, &err) != LENET_ONNX_OK) {
        char what[64];
        snprintf(what, sizeof what, "session_create (batch %" PRIu32 ")", batch);
        return report(api, what, &err);
    }
    return 0;
}

/* One whole inference of some runtime: 0, or an exit code after saying why on stderr. The one
 * warm-up and timing loop below serves lenet-onnx and ONNX Runtime alike through it. */
typedef struct runner {
    int (*run)(void *self);
    void *self;
} runner;

typedef struct lenet_runner {
    const lenet_onnx_api *api;
    lenet_onnx_session *session;
    const io_buffers *io;
    uint32_t batch;
} lenet_runner;

static int lenet_run(void *self)
{
    lenet_runner *r = self;
    return run_once(r->api, r->session, r->io, r->batch);
}

typedef struct ort_runner {
    bench_ort_session *session;
    uint32_t batch;
} ort_runner;

static int ort_run(void *self)
{
    ort_runner *r = self;
    char msg[512];
    if (bench_ort_session_run(r->session, msg, sizeof msg) == 0) return 0;
    fprintf(stderr, "lenet-onnx-bench: onnxruntime (batch %" PRIu32 "): %s\n", r->batch, msg);
    return EXIT_RUNTIME;
}

/* Warm-up: at least WARMUP_MIN_RUNS runs, and at least a fifth of the timed budget. */
static int warm_up(const runner *r, double seconds)
{
    double start = now_s();
    for (int i = 0;; i++) {
        int rc = r->run(r->self);
        if (rc) return rc;
        if (i + 1 >= WARMUP_MIN_RUNS && now_s() - start >= seconds * 0.2) return 0;
    }
}

/* Warm-up, then whole runs for `seconds`; fills the timing fields of res. */
static int time_runs(const runner *r, uint32_t batch, double seconds, result *res)
{
    double *times = NULL;
    size_t n = 0, cap = 0;
    int rc = warm_up(r, seconds);
    double total = 0.0;
    double start = now_s();
    while (!rc && (n < MIN_TIMED_RUNS || now_s() - start < seconds)) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 1024;
            double *nt = realloc(times, ncap * sizeof *nt);
            if (!nt) {
                fprintf(stderr, "lenet-onnx-bench: out of host memory\n");
                rc = EXIT_RUNTIME;
                break;
            }
            times = nt;
            cap = ncap;
        }
        double t0 = now_s();
        rc = r->run(r->self);
        double dt = now_s() - t0;
        times[n++] = dt * 1e3;
        total += dt;
    }
    if (!rc) {
        qsort(times, n, sizeof *times, cmp_double);
        res->batch = batch;
        res->runs = n;
        res->median_ms = n % 2 ? times[n / 2] : 0.5 * (times[n / 2 - 1] + times[n / 2]);
        /* nearest rank: the smallest time that at least 99% of runs do not exceed */
        size_t rank = (size_t)ceil(0.99 * (double)n);
        res->p99_ms = times[rank ? rank - 1 : 0];
        res->images_per_s = total > 0.0 ? (double)batch * (double)n / total : 0.0;
    }
    free(times);
    return rc;
}

/* The ONNX Runtime side of --compare-ort; ort is NULL when it is off or has failed. */
typedef struct ort_compare {
    bench_ort *ort;
    const char *model_path;
    const char *device;
} ort_compare;

/* ONNX Runtime on the inputs lenet-onnx was timed with. A failure here only ends the
 * comparison (said on stderr, cmp->ort cleared): 1 when a row was added, else 0. */
static int bench_ort_batch(ort_compare *cmp, const io_buffers *io, uint32_t batch, double seconds,
                           result *res)
{
    char msg[512];
    bench_ort_session *s = bench_ort_session_create(cmp->ort, cmp->model_path, batch, io->in,
                                                    io->in_bytes, io->n_in, msg, sizeof msg);
    int rc = EXIT_RUNTIME;
    if (!s) {
        fprintf(stderr, "lenet-onnx-bench: onnxruntime (batch %" PRIu32 "): %s\n", batch, msg);
    } else {
        ort_runner ort = {s, batch};
        runner r = {ort_run, &ort};
        rc = time_runs(&r, batch, seconds, res);
        bench_ort_session_release(s);
    }
    if (rc) {
        fprintf(stderr, "lenet-onnx-bench: --compare-ort: no more ONNX Runtime rows\n");
        cmp->ort = NULL;
        return 0;
    }
    res->runtime = "onnxruntime";
    res->backend = "cpu";
    res->device = cmp->device;
    res->arena_bytes = 0; /* ONNX Runtime does not expose its arena's size */
    return 1;
}

/* One batch: the lenet-onnx row in res[0], then ONNX Runtime's in res[1] when comparing. */
static int bench_batch(const lenet_onnx_api *api, lenet_onnx_context *ctx,
                       const lenet_onnx_model *model, uint32_t batch, double seconds,
                       ort_compare *cmp, result *res, size_t *n_rows)
{
    lenet_onnx_session *s = NULL;
    io_buffers io = {0};
    lenet_onnx_session_stats stats = {0};
    lenet_onnx_error err = {0};

    *n_rows = 0;
    int rc = create_session(api, ctx, model, batch, false, &s);
    if (!rc) rc = io_alloc(api, s, &io);
    if (!rc && api->session_stats(s, &stats, &err) != LENET_ONNX_OK)
        rc = report(api, "session_stats", &err);
    if (!rc) {
        lenet_runner lr = {api, s, &io, batch};
        runner r = {lenet_run, &lr};
        rc = time_runs(&r, batch, seconds, &res[0]);
        res[0].arena_bytes = stats.arena_bytes;
    }
    if (!rc) *n_rows = 1;
    if (!rc && cmp->ort) *n_rows += (size_t)bench_ort_batch(cmp, &io, batch, seconds, &res[1]);
    io_free(&io);
    if (s) api->session_release(s);
    return rc;
}

/* Per-step times from a profiling session, averaged over runs. Profiling adds a wait per
 * step, so these are for finding the slow step, not for comparing with the timed results. */
static int profile_batch(const lenet_onnx_api *api, lenet_onnx_context *ctx,
                         const lenet_onnx_model *model, uint32_t batch, double seconds, FILE *f)
{
    lenet_onnx_session *s = NULL;
    io_buffers io = {0};
    lenet_onnx_session_stats stats = {0};
    lenet_onnx_error err = {0};
    lenet_onnx_step_timing *steps = NULL;
    double *sums = NULL;
    size_t n_steps = 0, runs = 0;

    int rc = create_session(api, ctx, model, batch, true, &s);
    if (!rc) rc = io_alloc(api, s, &io);
    if (!rc && api->session_stats(s, &stats, &err) != LENET_ONNX_OK)
        rc = report(api, "session_stats", &err);
    if (!rc) {
        lenet_runner lr = {api, s, &io, batch};
        runner r = {lenet_run, &lr};
        rc = warm_up(&r, seconds);
    }
    if (!rc) {
        size_t cap = stats.step_count ? stats.step_count : 1;
        steps = calloc(cap, sizeof *steps);
        sums = calloc(cap, sizeof *sums);
        if (!steps || !sums) {
            fprintf(stderr, "lenet-onnx-bench: out of host memory\n");
            rc = EXIT_RUNTIME;
        }
        n_steps = cap;
    }
    double start = now_s();
    while (!rc && runs < MAX_PROFILE_RUNS &&
           (runs < MIN_TIMED_RUNS || now_s() - start < seconds * 0.5)) {
        size_t count = 0;
        rc = run_once(api, s, &io, batch);
        if (!rc && api->session_step_timings(s, steps, n_steps, &count, &err) != LENET_ONNX_OK)
            rc = report(api, "session_step_timings", &err);
        if (rc) break;
        if (count < n_steps) n_steps = count;
        for (size_t i = 0; i < n_steps; i++)
            sums[i] += steps[i].milliseconds;
        runs++;
    }
    if (!rc) {
        double total = 0.0;
        fprintf(f, "\nprofile, batch %" PRIu32 " (mean of %zu profiled runs):\n", batch, runs);
        fprintf(f, "  %-4s %-24s %-32s %12s\n", "step", "op", "node", "ms");
        for (size_t i = 0; i < n_steps; i++) {
            double ms = sums[i] / (double)runs;
            total += ms;
            fprintf(f, "  %-4zu %-24s %-32s %12.4f\n", i, steps[i].op_type, steps[i].node_name, ms);
        }
        fprintf(f, "  %-4s %-24s %-32s %12.4f\n", "", "total", "", total);
    }
    free(steps);
    free(sums);
    io_free(&io);
    if (s) api->session_release(s);
    return rc;
}

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\')
            fprintf(f, "\\%c", *c);
        else if (*c < 0x20)
            fprintf(f, "\\u%04x", *c);
        else
            fputc(*c, f);
    }
    fputc('"', f);
}

/* JSON has no inf or nan; timings are always finite, this only guards the format. */
static double finite_or_zero(double v)
{
    return isfinite(v) ? v : 0.0;
}

static void print_json(const result *res, size_t n)
{
    printf("{\"results\": [");
    for (size_t i = 0; i < n; i++) {
        printf("%s{\"runtime\": ", i ? ", " : "");
        json_string(stdout, res[i].runtime);
        printf(", \"backend\": ");
        json_string(stdout, res[i].backend);
        printf(", \"device\": ");
        json_string(stdout, res[i].device);
        printf(", \"batch\": %" PRIu32 ", \"median_ms\": %.6g, \"p99_ms\": %.6g, "
               "\"images_per_s\": %.6g, \"arena_bytes\": %" PRIu64 "}",
               res[i].batch, finite_or_zero(res[i].median_ms), finite_or_zero(res[i].p99_ms),
               finite_or_zero(res[i].images_per_s), res[i].arena_bytes);
    }
    printf("]}\n");
}

static void print_table_header(const char *model, const char *backend, const char *device,
                               double seconds, const bench_ort *ort, const char *ort_device)
{
    printf("model:   %s\ndevice:  %s\nbackend: %s\ntimed:   %g s per batch, whole inferences "
           "(upload + kernels + download)\n",
           model, device, backend, seconds);
    if (ort)
        printf("onnxruntime %s: default CPU execution provider, %d intra-op threads (one per "
               "core), on %s;\n         arena_bytes 0: ONNX Runtime does not expose its arena "
               "size\n",
               bench_ort_version(ort), bench_ort_threads(ort), ort_device);
    printf("\n");
    printf("%-11s %6s %11s %11s %13s %12s %8s\n", "runtime", "batch", "median_ms", "p99_ms",
           "images/s", "arena_bytes", "runs");
}

static void print_table_row(const result *r)
{
    printf("%-11s %6" PRIu32 " %11.4f %11.4f %13.1f %12" PRIu64 " %8zu\n", r->runtime, r->batch,
           r->median_ms, r->p99_ms, r->images_per_s, r->arena_bytes, r->runs);
    fflush(stdout);
}

static int list_devices(const lenet_onnx_api *api, lenet_onnx_backend_kind backend)
{
    lenet_onnx_device_info devs[32];
    size_t count = 0;
    lenet_onnx_error err = {0};
    if (api->list_devices(backend, devs, 32, &count, &err) != LENET_ONNX_OK)
        return report(api, "list_devices", &err);
    for (size_t i = 0; i < count && i < 32; i++)
        printf("%" PRIu32 ": %s (%s, driver %s, %" PRIu64 " MiB)\n", devs[i].index, devs[i].name,
               devs[i].platform, devs[i].driver_version,
               devs[i].global_memory_bytes / (1024 * 1024));
    return 0;
}

/* The batches to time: the model's own when its batch is static, else the requested list. */
static int pick_batches(const lenet_onnx_api *api, const lenet_onnx_model *model, options *o)
{
    lenet_onnx_tensor_info info;
    lenet_onnx_error err = {0};
    if (api->model_io_count(model, LENET_ONNX_INPUT) == 0) {
        fprintf(stderr, "lenet-onnx-bench: %s: the model has no inputs\n", o->model);
        return EXIT_USAGE;
    }
    if (api->model_io_info(model, LENET_ONNX_INPUT, 0, &info, &err) != LENET_ONNX_OK)
        return report(api, "model_io_info", &err);
    if (info.rank == 0 || info.dims[0] < 0) return 0;
    uint32_t fixed = info.dims[0] > 0 && info.dims[0] <= UINT32_MAX ? (uint32_t)info.dims[0] : 1;
    if (o->batches_given && (o->n_batches != 1 || o->batches[0] != fixed))
        fprintf(stderr,
                "lenet-onnx-bench: %s: input '%s' has a static batch of %" PRIu32
                ", timing that batch only\n",
                o->model, info.name, fixed);
    o->batches[0] = fixed;
    o->n_batches = 1;
    return 0;
}

int main(int argc, char **argv)
{
    options o;
    int rc = parse_args(argc, argv, &o);
    if (rc) return rc;

    /* ABI 1 holds every function this program uses. */
    char message[1024];
    const lenet_onnx_api *api =
        plugin_load(o.plugin, 1, offsetof(lenet_onnx_api, set_host_hooks), message, sizeof message);
    if (!api) {
        fprintf(stderr, "lenet-onnx-bench: %s\n", message);
        return EXIT_RUNTIME;
    }
    if (o.list_devices) return list_devices(api, o.backend);
    bench_ort *ort = NULL;
    char cpu_name[128];
    bench_ort_cpu_name(cpu_name, sizeof cpu_name);
    if (o.compare_ort) {
        const char *env_lib = getenv("LENET_ONNX_ORT_LIB");
        const char *lib = o.ort_lib ? o.ort_lib : env_lib && *env_lib ? env_lib : LO_BENCH_ORT_LIB;
        ort = bench_ort_open(lib, message, sizeof message);
        if (!ort)
            fprintf(stderr,
                    "lenet-onnx-bench: --compare-ort: ONNX Runtime unavailable (%s); "
                    "reporting lenet-onnx results only\n",
                    message);
    }
    ort_compare cmp = {ort, o.model, cpu_name};

    lenet_onnx_model *model = NULL;
    lenet_onnx_context *ctx = NULL;
    lenet_onnx_error err = {0};
    result *res = NULL;
    size_t n_res = 0;
    const char *backend_name = NULL;
    lenet_onnx_device_info dev = {0};

    if (api->model_load_file(o.model, &model, &err) != LENET_ONNX_OK) {
        rc = report(api, "model_load_file", &err);
        goto done;
    }
    rc = pick_batches(api, model, &o);
    if (rc) goto done;

    lenet_onnx_context_options co = {0};
    co.struct_size = sizeof co;
    co.backend = o.backend;
    co.device_select = o.device_given ? LENET_ONNX_DEVICE_INDEX : LENET_ONNX_DEVICE_AUTO;
    co.device_index = o.device_index;
    if (api->context_create(&co, &ctx, &err) != LENET_ONNX_OK) {
        /* a bad --device index is the caller's mistake; anything else is the device's */
        rc = report(api, "context_create", &err);
        goto done;
    }
    if (api->context_device(ctx, &dev, &backend_name, &err) != LENET_ONNX_OK) {
        rc = report(api, "context_device", &err);
        goto done;
    }
    if (!backend_name) backend_name = "unknown";

    res = calloc(2 * o.n_batches, sizeof *res);
    if (!res) {
        fprintf(stderr, "lenet-onnx-bench: out of host memory\n");
        rc = EXIT_RUNTIME;
        goto done;
    }
    if (!o.json) print_table_header(o.model, backend_name, dev.name, o.seconds, ort, cpu_name);
    for (size_t i = 0; i < o.n_batches && !rc; i++) {
        size_t rows = 0;
        res[n_res].runtime = "lenet-onnx";
        res[n_res].backend = backend_name;
        res[n_res].device = dev.name;
        rc = bench_batch(api, ctx, model, o.batches[i], o.seconds, &cmp, &res[n_res], &rows);
        for (size_t k = 0; k < rows && !o.json; k++)
            print_table_row(&res[n_res + k]);
        n_res += rows;
    }
    if (!rc && o.json) print_json(res, n_res);
    for (size_t i = 0; i < o.n_batches && !rc && o.profile; i++)
        rc = profile_batch(api, ctx, model, o.batches[i], o.seconds, o.json ? stderr : stdout);
done:
    free(res);
    if (ctx) api->context_release(ctx);
    if (model) api->model_release(model);
    bench_ort_close(ort);
    return rc;
}
